"""Publishing from the page editor, as editors do: the page and its outbox rows
commit together, and a page whose image cannot be read is still published, with
the rows that needed the image failed in words people can act on."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse
from django.utils import timezone

from benchmarks.publish_overhead import publish_form
from publishing import actions, crypto, delivery, outbox
from publishing.models import CrossPost

from .conftest import live_posts_with_marker, rows_for

State = CrossPost.State


@pytest.fixture
def editor_client(client, people):
    client.force_login(people["superuser"])
    return client


def publish_in_editor(client, page):
    return client.post(
        reverse("wagtailadmin_pages:edit", args=[page.pk]), publish_form(page)
    )


def test_publishing_in_the_editor_writes_the_outbox_rows(
    editor_client, accounts, make_announcement, django_capture_on_commit_callbacks
):
    page = make_announcement(live=False)

    with django_capture_on_commit_callbacks() as callbacks:
        response = publish_in_editor(editor_client, page)

    page.refresh_from_db()
    assert response.status_code == 302 and page.live
    rows = rows_for(page)
    assert sorted(row.platform for row in rows) == ["facebook", "x", "youtube"]
    assert {row.state for row in rows} == {State.PENDING}
    assert len(callbacks) == 1  # the rows' delivery tasks, sent once it commits


def test_the_publish_request_decrypts_no_token(
    editor_client, accounts, make_announcement, monkeypatch
):
    page = make_announcement(live=False)
    decrypted = []
    real_decrypt = crypto.decrypt
    monkeypatch.setattr(
        crypto, "decrypt", lambda text: decrypted.append(text) or real_decrypt(text)
    )

    response = publish_in_editor(editor_client, page)

    assert decrypted == []
    assert response.status_code == 302
    assert len(rows_for(page)) == 3


def test_a_failing_outbox_takes_the_publish_back_with_it(
    editor_client, accounts, make_announcement, monkeypatch
):
    page = make_announcement(live=False)

    def broken(*args, **kwargs):
        raise RuntimeError("the outbox could not be written")

    monkeypatch.setattr(outbox, "queue_page", broken)
    editor_client.raise_request_exception = False
    response = publish_in_editor(editor_client, page)

    page.refresh_from_db()
    assert response.status_code == 500
    assert not page.live and page.live_revision is None
    assert rows_for(page) == []


def test_saving_a_draft_still_commits_when_nothing_fails(
    editor_client, accounts, make_announcement
):
    page = make_announcement(live=False)
    form = publish_form(page) | {"title": "Bins: new dates"}
    del form["action-publish"]

    response = editor_client.post(
        reverse("wagtailadmin_pages:edit", args=[page.pk]), form
    )

    page.refresh_from_db()
    assert response.status_code == 302
    assert page.get_latest_revision().content["title"] == "Bins: new dates"
    assert not page.live and rows_for(page) == []


def test_an_unreadable_image_fails_its_rows_and_not_the_publish(
    editor_client, accounts, image_file_gone
):
    page, original = image_file_gone

    response = publish_in_editor(editor_client, page)

    page.refresh_from_db()
    rows = {row.platform: row for row in rows_for(page)}
    assert response.status_code == 302 and page.live
    for platform in ("facebook", "x"):
        assert rows[platform].state == State.FAILED
        assert "cannot be read" in rows[platform].last_error
        assert "Upload the image again" in rows[platform].last_error
        # The row keeps the image it was meant to carry, so a retry cannot
        # post without it.
        assert rows[platform].media["images"][0]["path"] == original
    assert rows["youtube"].state == State.PENDING


def test_retrying_a_post_whose_image_is_gone_fails_again_with_its_name(
    accounts, image_file_gone, sandbox
):
    page, original = image_file_gone
    revision = page.save_revision()
    revision.publish()
    row = CrossPost.objects.get(page_id=page.pk, platform="facebook")

    actions.retry_now(row)
    delivery.deliver(row.pk, "test-worker")

    row.refresh_from_db()
    assert row.state == State.FAILED
    assert os.path.basename(original) in row.last_error
    assert live_posts_with_marker(sandbox, row.marker) == []


def test_the_social_tab_says_a_post_taken_down_will_be_posted_again(
    editor_client, sandbox, accounts, make_announcement
):
    page = make_announcement(live=False)
    publish_in_editor(editor_client, page)
    for row in rows_for(page):
        delivery.deliver(row.pk, "test-worker")
    page.refresh_from_db()
    page.unpublish()
    for row in rows_for(page):  # a worker takes each retraction and stops
        delivery.claim(row.pk, "stopped-worker")
    CrossPost.objects.filter(page_id=page.pk).update(lease_expires_at=timezone.now())

    publish_in_editor(editor_client, page)

    assert {row.state for row in rows_for(page)} == {State.RETRACTING}
    response = editor_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.content.decode().count(
        "it is posted again once that is done"
    ) == len(rows_for(page))
