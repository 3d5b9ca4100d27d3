"""A video YouTube was still processing when its post was recorded is followed
until YouTube says how processing ended: processed, or rejected or failed, which
fails the post with YouTube's reason.

The sandbox processes each video for as long as its scenario says; the clock is
moved with time-machine (the in-process sandbox sees it too), and a check made
due by writing its time, never by sleeping."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageLogEntry

from channels.errors import RejectedError
from publishing import actions, delivery, processing, tasks
from publishing.accounts import adapter_for
from publishing.audit import action_name
from publishing.models import Alert, CrossPost
from publishing.templatetags.crossposts import page_crossposts
from tests.publishing.conftest import publish

pytestmark = pytest.mark.django_db
State = CrossPost.State
DUPLICATE = (
    "YouTube rejected the video: it duplicates a video already on the channel "
    "(duplicate)."
)


def upload(sandbox, page, processing_seconds=600, **scenario) -> CrossPost:
    """Publish ``page`` and deliver its YouTube row while the sandbox processes
    the video for ``processing_seconds``, then ends as ``scenario`` says."""
    sandbox.set_scenario("youtube", processing_seconds=processing_seconds, **scenario)
    publish(page)
    row = CrossPost.objects.get(page_id=page.pk, platform="youtube")
    return delivery.deliver(row.pk, "test-worker")


def later(minutes: float):
    """The clock ``minutes`` on (the sandbox's too)."""
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes))


def entries(row: CrossPost, suffix: str) -> list[PageLogEntry]:
    return list(
        PageLogEntry.objects.filter(
            page_id=row.page_id, action=action_name(suffix), data__crosspost=row.pk
        )
    )


@pytest.fixture
def comms(people):
    people["comms"].email = "comms@exampleshire.gov.uk"
    people["comms"].save()
    return people["comms"]


def test_a_video_still_processing_is_recorded_as_posted_and_followed(
    sandbox, accounts, make_announcement
):
    row = upload(sandbox, make_announcement())

    assert (row.state, row.remote_id != "") == (State.POSTED, True)
    assert row.is_processing
    assert row.processing_check_at <= timezone.now()  # asked at the next run


def test_a_video_youtube_rejects_later_fails_its_post_with_the_reason(
    sandbox, accounts, make_announcement, comms
):
    page = make_announcement()
    row = upload(
        sandbox, page, processing_outcome="rejected", rejection_reason="duplicate"
    )
    video = row.remote_id
    assert [post.platform for post in page_crossposts(page)] == ["youtube"]

    with later(minutes=11):
        run = processing.check_due()

    assert run.failed == 1
    row.refresh_from_db()
    assert (row.state, row.operation) == (State.FAILED, CrossPost.Operation.PUBLISH)
    assert (row.last_error, row.last_error_kind) == (DUPLICATE, "rejected")
    # Not live: the row holds no post, and the video is never adopted again.
    assert (row.remote_id, row.permalink, row.is_processing) == ("", "", False)
    assert row.retracted_remote_ids == [video]
    [entry] = entries(row, "failed")
    assert (entry.data["remote_id"], entry.data["error"]) == (video, DUPLICATE)
    alert = Alert.objects.get(crosspost=row, recipient=comms)
    assert (alert.kind, alert.message) == (Alert.Kind.FAILED, DUPLICATE)
    assert page_crossposts(page) == []  # no "Also on YouTube" link


def test_a_video_youtube_fails_to_process_fails_its_post_with_the_reason(
    sandbox, accounts, make_announcement
):
    row = upload(
        sandbox,
        make_announcement(),
        processing_outcome="failed",
        failure_reason="codec",
    )

    with later(minutes=11):
        processing.check_due()

    row.refresh_from_db()
    assert row.state == State.FAILED
    assert row.last_error == (
        "YouTube could not process the video: its video or audio codec (codec)."
    )


def test_a_processed_video_is_no_longer_followed(sandbox, accounts, make_announcement):
    row = upload(sandbox, make_announcement())

    with later(minutes=11):
        run = processing.check_due()

    assert run.processed == 1
    row.refresh_from_db()
    assert (row.state, row.is_processing, row.processing_check_at) == (
        State.POSTED,
        False,
        None,
    )
    assert row.permalink and row.last_error == ""
    assert len(entries(row, "processed")) == 1


def test_a_video_still_processing_is_asked_about_again_later(
    sandbox, accounts, make_announcement
):
    row = upload(sandbox, make_announcement())

    with later(minutes=2):
        run = processing.check_due()
        again = processing.check_due()
        now = timezone.now()

    assert (run.processing, again.asked) == (1, 0)
    row.refresh_from_db()
    assert row.state == State.POSTED and row.is_processing
    assert now + timedelta(seconds=50) < row.processing_check_at
    with later(minutes=11):
        assert processing.check_due().processed == 1


def test_a_server_error_while_asking_leaves_the_post_followed(
    sandbox, accounts, make_announcement
):
    row = upload(sandbox, make_announcement(), processing_outcome="rejected")
    sandbox.add_fault("youtube", "get", "server_error")

    with later(minutes=11):
        run = processing.check_due()
    sandbox.clear_faults()

    assert (run.errors, run.failed) == (1, 0)
    row.refresh_from_db()
    assert (row.state, row.is_processing, row.last_error) == (State.POSTED, True, "")
    with later(minutes=30):
        assert processing.check_due().failed == 1


def test_a_spent_quota_puts_off_the_accounts_checks_until_it_resets(
    sandbox, accounts, make_announcement
):
    rows = [upload(sandbox, make_announcement(title=f"Road works {n}")) for n in (1, 2)]
    now = timezone.now()
    CrossPost.objects.filter(pk__in=[r.pk for r in rows]).update(
        processing_check_at=now
    )
    sandbox.quota(units_used=10_000)
    before = len(sandbox.requests_log("youtube"))

    run = processing.check_due()

    assert (run.errors, run.asked) == (1, 1)  # one call: the other waits with it
    assert len(sandbox.requests_log("youtube")) == before + 1
    for row in rows:
        row.refresh_from_db()
        assert row.is_processing
        assert row.processing_check_at > now + timedelta(minutes=1)  # the reset


def test_a_video_processing_past_its_window_is_left_posted_with_a_note(
    sandbox, accounts, make_announcement
):
    row = upload(sandbox, make_announcement(), processing_seconds=10_000)
    since = timezone.now() - timedelta(hours=25)
    CrossPost.objects.filter(pk=row.pk).update(
        processing_since=since, processing_check_at=since + timedelta(hours=24)
    )

    run = processing.check_due()

    assert run.unconfirmed == 1
    row.refresh_from_db()
    assert (row.state, row.is_processing) == (State.POSTED, False)
    assert row.last_error == (
        "YouTube had not finished processing the video 24 hours after it was "
        "uploaded, so it is no longer checked: look at it on YouTube."
    )
    assert len(entries(row, "processing_unconfirmed")) == 1
    assert not Alert.objects.filter(crosspost=row).exists()


def test_retry_after_a_rejection_uploads_the_video_anew(
    sandbox, accounts, make_announcement
):
    page = make_announcement()
    rejected = upload(sandbox, page, processing_outcome="rejected").remote_id
    with later(minutes=11):
        processing.check_due()
    sandbox.set_scenario("youtube", processing_outcome="processed")

    row = actions.retry_now(CrossPost.objects.get(page_id=page.pk, platform="youtube"))
    row = delivery.deliver(row.pk, "test-worker")

    assert row.state == State.POSTED and row.remote_id not in ("", rejected)
    assert row.is_processing
    adapter = adapter_for(row.account)
    with later(minutes=11), pytest.raises(RejectedError, match="rejected the video"):
        adapter.processing_outcome(rejected)  # the rejected one is not live


def test_the_social_tab_and_dashboard_say_youtube_is_processing_then_why_it_failed(
    sandbox, accounts, make_announcement, client, people
):
    page = make_announcement()
    row = upload(
        sandbox, page, processing_outcome="rejected", rejection_reason="duplicate"
    )
    client.force_login(people["comms"])
    status = reverse("publishing_admin:page_status", args=[page.pk])
    dashboard = reverse("publishing_admin:dashboard")

    for url in (status, dashboard):
        html = client.get(url).content.decode()
        assert 'social-chip--waiting">YouTube: Processing<' in html, url
        assert "YouTube is processing the video." in html, url

    with later(minutes=11):
        processing.check_due()

    for url in (status, dashboard):
        html = client.get(url).content.decode()
        assert 'social-chip--failed">YouTube: Failed<' in html, url
        assert DUPLICATE in html, url
        assert "is processing" not in html, url
    assert CrossPost.objects.get(pk=row.pk).state == State.FAILED


def test_beat_asks_about_processing_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["check-processing"]

    assert entry["task"] == tasks.check_processing.name
    assert entry["schedule"] == 60
