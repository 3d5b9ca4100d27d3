"""A YouTube upload whose answer never came is settled by its upload session.

YouTube's uploads playlist can list a new video minutes or hours after it was
made, so a search by the page's link may miss a video that exists. The session
the upload opened is kept on the row before any byte goes, and asked first.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from publishing import content, delivery
from publishing.accounts import adapter_for
from publishing.models import CrossPost
from tests.publishing.conftest import live_posts_with_marker, publish

State = CrossPost.State


def _upload_then_stop(page) -> tuple[CrossPost, str]:
    """A worker claims the page's YouTube row and uploads its video, then
    stops before recording it; its lease is then over. The row, and the id of
    the video it made."""
    publish(page)
    row = CrossPost.objects.get(page_id=page.pk, platform="youtube")
    row = delivery.claim(row.pk, "stopped-worker")
    result = adapter_for(row.account).publish(
        content.post_from_row(row), on_upload_session=delivery._session_keeper(row)
    )
    CrossPost.objects.filter(pk=row.pk).update(lease_expires_at=timezone.now())
    return row, result.remote_id


@pytest.mark.django_db
def test_a_stopped_upload_is_adopted_from_its_session_while_the_playlist_lags(
    sandbox, accounts, make_announcement
):
    sandbox.set_scenario("youtube", playlist_lag_seconds=3600)
    page = make_announcement()
    stopped, made = _upload_then_stop(page)
    assert CrossPost.objects.get(pk=stopped.pk).upload_session

    row = delivery.deliver(stopped.pk, "test-worker")

    assert (row.state, row.remote_id) == (State.POSTED, made)
    marker = content.canonical_url(page)
    assert [p["id"] for p in live_posts_with_marker(sandbox, marker, "youtube")] == [
        made
    ]
    assert CrossPost.objects.get(pk=row.pk).upload_session == ""


@pytest.mark.django_db
def test_the_upload_session_is_stored_encrypted(sandbox, accounts, make_announcement):
    stopped, _made = _upload_then_stop(make_announcement())

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT upload_session FROM publishing_crosspost WHERE id = %s",
            [stopped.pk],
        )
        [(stored,)] = cursor.fetchall()
    assert "upload_id=" in CrossPost.objects.get(pk=stopped.pk).upload_session
    assert "upload_id" not in stored


@pytest.mark.django_db
def test_an_expired_session_falls_back_to_the_search_by_link(
    sandbox, accounts, make_announcement
):
    page = make_announcement()
    stopped, made = _upload_then_stop(page)
    assert sandbox.expire_upload_sessions() == 1

    row = delivery.deliver(stopped.pk, "test-worker")

    assert (row.state, row.remote_id) == (State.POSTED, made)
    marker = content.canonical_url(page)
    assert len(live_posts_with_marker(sandbox, marker, "youtube")) == 1
