"""The cross-post pipeline end to end: a real Celery worker process, the sandbox as
a real HTTP server, and the real client libraries in between."""

from __future__ import annotations

import logging

import pytest
from django.utils import timezone
from wagtail.models import PageLogEntry

from channels.values import ConnectedAccount, Credentials
from publishing import content, delivery
from publishing.accounts import save_connected
from publishing.models import ChannelAccount, CrossPost
from tests.publishing.conftest import (
    live_posts_with_marker,
    publish,
    rows_for,
    settle,
)
from tests.worker_fixtures import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
State = CrossPost.State


@pytest.fixture(autouse=True)
def worker(celery_worker_process):
    return celery_worker_process


def assert_exactly_once_per_channel(
    sandbox, page, platforms=("facebook", "x", "youtube")
):
    marker = content.canonical_url(page)
    for platform in platforms:
        posts = live_posts_with_marker(sandbox, marker, platform)
        assert len(posts) == 1, (platform, posts)


def test_publish_posts_once_to_every_channel_and_records_links(
    sandbox, accounts, make_announcement, worker
):
    page = make_announcement()
    publish(page)

    rows = settle(page, expected=3, worker=worker)

    assert {row.platform: row.state for row in rows} == {
        "facebook": State.POSTED,
        "x": State.POSTED,
        "youtube": State.POSTED,
    }
    for row in rows:
        assert row.permalink.startswith("http"), row
        assert row.remote_id
    assert_exactly_once_per_channel(sandbox, page)
    # Page history names what went where.
    actions = set(
        PageLogEntry.objects.filter(page=page).values_list("action", flat=True)
    )
    assert {"publishing.crosspost.queued", "publishing.crosspost.posted"} <= actions
    # Each "posted" entry keeps the permalink and how long the platform took.
    posted = PageLogEntry.objects.filter(
        page=page, action="publishing.crosspost.posted"
    )
    assert sorted(entry.data["platform"] for entry in posted) == [
        "facebook",
        "x",
        "youtube",
    ]
    for entry in posted:
        assert entry.data["permalink"] in {row.permalink for row in rows}
        assert entry.data["platform_ms"] > 0


def test_policy_without_video_is_not_sent_to_youtube(sandbox, accounts, make_policy):
    page = make_policy()
    publish(page)
    rows = settle(page, expected=2)
    assert sorted(row.platform for row in rows) == ["facebook", "x"]
    assert_exactly_once_per_channel(sandbox, page, ("facebook", "x"))


def test_publishing_again_without_changes_posts_nothing_new(
    sandbox, accounts, make_policy
):
    page = make_policy()
    publish(page)
    first = {row.pk: row.remote_id for row in settle(page, expected=2)}
    publish(page)
    rows = settle(page, expected=2)
    assert {row.pk: row.remote_id for row in rows} == first
    assert all(row.state == State.POSTED for row in rows)
    assert_exactly_once_per_channel(sandbox, page, ("facebook", "x"))


def test_publishing_with_changes_updates_instead_of_posting_again(
    sandbox, accounts, make_announcement
):
    page = make_announcement()
    publish(page)
    before = {row.platform: row.remote_id for row in settle(page, expected=3)}

    page.summary = "Collections now move back TWO days after the bank holiday."
    publish(page)
    rows = settle(page, expected=3)

    assert {row.platform: row.remote_id for row in rows} == before
    facebook = next(
        p for p in sandbox.posts("facebook") if p["id"] == before["facebook"]
    )
    assert "TWO days" in facebook["text"]
    assert facebook["edits"] >= 1
    youtube = next(p for p in sandbox.posts("youtube") if p["id"] == before["youtube"])
    assert "TWO days" in youtube["description"]
    assert_exactly_once_per_channel(sandbox, page)


def test_unpublishing_retracts_on_every_channel(sandbox, accounts, make_announcement):
    page = make_announcement()
    publish(page)
    settle(page, expected=3)

    page.unpublish()
    rows = settle(page, expected=3)

    assert {row.state for row in rows} == {State.RETRACTED}
    marker = content.canonical_url(page)
    assert live_posts_with_marker(sandbox, marker, "facebook") == []
    assert live_posts_with_marker(sandbox, marker, "x") == []
    youtube_row = next(row for row in rows if row.platform == "youtube")
    video = next(
        p
        for p in sandbox.posts("youtube", include_deleted=True)
        if p["id"] == youtube_row.remote_id
    )
    assert video["privacy"] == "private" or video["deleted"]


@pytest.mark.parametrize(
    ("kind", "params", "platforms"),
    [
        ("server_error", {"count": 3}, ("facebook", "x")),
        # Facebook states its reset in whole minutes; X's 429 carries seconds.
        ("rate_limit", {"count": 1, "reset_after": 2}, ("x",)),
        ("hang", {"count": 1, "hang_seconds": 6}, ("facebook", "x")),
        ("drop_after_create", {"count": 1}, ("facebook", "x")),
    ],
)
def test_faults_end_with_every_row_posted_exactly_once(
    sandbox, accounts, make_policy, kind, params, platforms
):
    for platform in platforms:
        sandbox.add_fault(platform, "publish", kind, **params)
    page = make_policy()
    publish(page)

    rows = settle(page, expected=2, timeout=90)

    assert {row.state for row in rows} == {State.POSTED}, [
        (row.platform, row.state, row.last_error) for row in rows
    ]
    assert all(row.attempts >= 2 for row in rows if row.platform in platforms)
    assert_exactly_once_per_channel(sandbox, page, ("facebook", "x"))


def test_expired_token_mid_run_is_refreshed_and_the_post_goes_out(
    sandbox, accounts, make_policy
):
    sandbox.add_fault("x", "publish", "expire_token", count=1)
    old_refresh = ChannelAccount.objects.get(platform="x").refresh_token
    page = make_policy()
    publish(page)

    rows = settle(page, expected=2)

    assert {row.state for row in rows} == {State.POSTED}
    x_account = ChannelAccount.objects.get(platform="x")
    assert x_account.status == ChannelAccount.Status.CONNECTED
    assert x_account.refresh_token and x_account.refresh_token != old_refresh
    assert_exactly_once_per_channel(sandbox, page, ("facebook", "x"))


def _revoke_the_tokens(sandbox):
    sandbox.revoke_tokens("x")


def _lose_the_renewal_answer(sandbox):
    # X renews the tokens but the answer never arrives. X rotates refresh tokens,
    # so the one we hold is spent: only a reconnection can bring the account back.
    sandbox.add_fault("x", "publish", "expire_token", count=1)
    sandbox.add_fault("x", "token", "drop_after_create", count=1)


@pytest.mark.parametrize(
    "spoil_the_sign_in",
    [_revoke_the_tokens, _lose_the_renewal_answer],
    ids=["revoked", "renewal answer lost"],
)
def test_an_account_that_needs_reconnecting_waits_then_posts_once(
    sandbox, accounts, make_policy, spoil_the_sign_in
):
    spoil_the_sign_in(sandbox)
    page = make_policy()
    publish(page)

    def parked():
        delivery.sweep()
        return CrossPost.objects.filter(
            page_id=page.pk, platform="x", state=State.NEEDS_RECONNECT
        ).first()

    row = wait_for(parked, timeout=60)
    account = ChannelAccount.objects.get(platform="x")
    assert account.status == ChannelAccount.Status.NEEDS_RECONNECT
    assert "reconnect" in account.status_message.lower()
    assert "reconnect" in row.last_error.lower()
    assert live_posts_with_marker(sandbox, content.canonical_url(page), "x") == []

    # What the connect screen saves once the comms manager has signed in again.
    token = sandbox.mint_token("x", account_id=account.remote_id)
    found = ConnectedAccount(
        platform="x",
        remote_id=account.remote_id,
        display_name=account.display_name,
        credentials=Credentials(
            account_id=account.remote_id,
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
        ),
    )
    _, resumed = save_connected(found, user=None)
    assert resumed == 1

    rows = settle(page, expected=2)
    assert {row.state for row in rows} == {State.POSTED}
    assert_exactly_once_per_channel(sandbox, page, ("facebook", "x"))


def test_rejected_post_fails_with_the_platforms_words_and_is_not_retried(
    sandbox, accounts, make_policy
):
    page = make_policy()
    # Someone already posted the very same text by hand: X refuses a duplicate.
    text = content.build_post(page, "x", content.social_settings_for(page)).text
    import requests

    requests.post(
        f"{sandbox.url}/x/2/tweets",
        json={"text": text},
        headers={"Authorization": f"Bearer {accounts['x'].access_token}"},
        timeout=5,
    ).raise_for_status()
    publish(page)

    rows = {row.platform: row for row in settle(page, expected=2)}

    assert rows["x"].state == State.FAILED
    assert "duplicate content" in rows["x"].last_error
    assert rows["x"].attempts == 1
    assert rows["facebook"].state == State.POSTED


def test_worker_killed_while_sending_is_reconciled_without_a_duplicate(
    sandbox, accounts, make_policy, worker
):
    # Slow Facebook down so the kill lands while the post is in flight.
    sandbox.set_latency("facebook", 1500)
    page = make_policy()
    publish(page)
    wait_for(
        lambda: CrossPost.objects.filter(
            page_id=page.pk, platform="facebook", state=State.SENDING
        ).exists(),
        timeout=30,
    )
    worker.kill()
    sandbox.set_latency("facebook", 0)
    # The dead worker's leases end now rather than when they run out.
    CrossPost.objects.filter(page_id=page.pk, state=State.SENDING).update(
        lease_expires_at=timezone.now()
    )

    worker.start()
    rows = settle(page, expected=2, timeout=90, worker=worker)

    assert {row.state for row in rows} == {State.POSTED}
    assert_exactly_once_per_channel(sandbox, page, ("facebook", "x"))


def test_broker_down_at_publish_time_loses_nothing(
    sandbox, accounts, make_policy, caplog
):
    from council_site.celery import app

    conf = app.conf
    good = (conf.broker_url, conf.broker_transport, app._pool, app.amqp._producer_pool)
    # Nothing listens on port 1. Fresh pools, so publishing really connects there.
    conf.broker_url, conf.broker_transport = "redis://127.0.0.1:1/0", None
    app._pool = app.amqp._producer_pool = None
    try:
        page = make_policy()
        with caplog.at_level(logging.WARNING, logger="publishing.dispatch"):
            publish(page)  # must neither raise nor lose the rows
        assert "wait for the sweeper" in caplog.text  # it did try the dead broker
        assert {row.state for row in rows_for(page)} == {State.PENDING}
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        conf.broker_url, conf.broker_transport, app._pool, app.amqp._producer_pool = (
            good
        )
    # The sweeper finds the rows in the database and sends them.
    rows = settle(page, expected=2)
    assert {row.state for row in rows} == {State.POSTED}
    assert_exactly_once_per_channel(sandbox, page, ("facebook", "x"))
