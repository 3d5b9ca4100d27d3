"""The delivery service called directly, without Celery, against the sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from publishing import actions, budgets, content, delivery, dispatch
from publishing.accounts import adapter_for
from publishing.models import CrossPost
from tests.publishing.conftest import live_posts_with_marker, publish

State = CrossPost.State


@pytest.mark.django_db
def test_an_error_after_the_post_was_created_is_reconciled_not_reposted(
    sandbox, accounts, make_policy
):
    page = make_policy()
    publish(page)  # in a test transaction: nothing is enqueued
    row = CrossPost.objects.get(page_id=page.pk, platform="facebook")

    # The feed post is created; reading its permalink back is throttled.
    sandbox.add_fault("facebook", "get", "rate_limit", count=1, reset_after=1)
    row = delivery.deliver(row.pk, "test-worker")
    assert row.state == State.RETRYING
    assert row.operation == CrossPost.Operation.RECONCILE

    CrossPost.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    row = delivery.deliver(row.pk, "test-worker")

    assert row.state == State.POSTED
    marker = content.canonical_url(page)
    assert len(live_posts_with_marker(sandbox, marker, "facebook")) == 1


def _deliver_all(page) -> dict[str, CrossPost]:
    return {
        row.platform: delivery.deliver(row.pk, "test-worker")
        for row in CrossPost.objects.filter(page_id=page.pk)
    }


@pytest.mark.django_db
def test_the_same_revision_published_again_after_an_unpublish_is_posted_again(
    sandbox, accounts, make_policy
):
    page = make_policy()
    revision = publish(page)  # in a test transaction: nothing is enqueued
    first = {platform: row.remote_id for platform, row in _deliver_all(page).items()}
    page.unpublish()
    assert {row.state for row in _deliver_all(page).values()} == {State.RETRACTED}

    # As the page listing's bulk publish does: the latest revision, no new one.
    revision.publish()

    rows = CrossPost.objects.filter(page_id=page.pk)
    assert {row.state for row in rows} == {State.PENDING}
    assert {row.remote_id for row in rows} == {""}
    posted = _deliver_all(page)
    assert {row.state for row in posted.values()} == {State.POSTED}
    assert all(posted[name].remote_id != first[name] for name in first)
    marker = content.canonical_url(page)
    for platform in first:
        assert len(live_posts_with_marker(sandbox, marker, platform)) == 1
    # Once more, with the posts standing: nothing to send.
    revision.publish()
    assert {row.state for row in CrossPost.objects.filter(page_id=page.pk)} == {
        State.POSTED
    }


@pytest.mark.django_db
def test_the_same_revision_published_again_brings_cancelled_posts_back(
    accounts, make_policy
):
    page = make_policy()
    revision = publish(page)
    page.unpublish()  # before any was sent: cancelled
    assert {row.state for row in CrossPost.objects.filter(page_id=page.pk)} == {
        State.CANCELLED
    }

    revision.publish()

    rows = CrossPost.objects.filter(page_id=page.pk)
    assert {(row.state, row.last_error) for row in rows} == {(State.PENDING, "")}


def test_a_delivery_message_says_what_celery_itself_would_log_for_it():
    """The batch names each message's arguments for the log without Celery's
    safe repr; what it writes must be what that repr gives."""
    from celery.signals import before_task_publish
    from celery.utils.saferepr import saferepr

    # Ids no row can have: should a worker take these messages, it finds nothing.
    rows = [CrossPost(pk=-1, media={}), CrossPost(pk=-12345, media={"video": 1})]
    published = []

    def capture(headers=None, **kwargs):
        published.append(headers)

    before_task_publish.connect(capture)
    try:
        sent = dispatch.send_to_broker(dispatch.delivery_messages(rows))
    finally:
        before_task_publish.disconnect(capture)

    assert sent == 2
    assert [(headers["argsrepr"], headers["kwargsrepr"]) for headers in published] == [
        (saferepr((row.pk,)), saferepr({})) for row in rows
    ]


def _rows(page) -> dict[str, CrossPost]:
    return {row.platform: row for row in CrossPost.objects.filter(page_id=page.pk)}


def _one_live_post_each(sandbox, page, platforms) -> None:
    marker = content.canonical_url(page)
    for platform in platforms:
        assert len(live_posts_with_marker(sandbox, marker, platform)) == 1, platform


def _x_post_made_but_its_answer_lost(sandbox, page):
    """Publish the page and send its X row: X makes the post, but the answer
    is lost on the way back. The revision, and the X row as that leaves it."""
    sandbox.add_fault("x", "publish", "drop_after_create", count=1)
    revision = publish(page)
    return revision, delivery.deliver(_rows(page)["x"].pk, "test-worker")


def _claimed_by_a_worker_that_stopped(page) -> None:
    """Each of the page's rows as a worker leaves it that took it and stopped
    mid-way: leased, the lease run out."""
    for row in _rows(page).values():
        assert delivery.claim(row.pk, "stopped-worker") is not None
    CrossPost.objects.filter(page_id=page.pk).update(lease_expires_at=timezone.now())


@pytest.mark.django_db
def test_publishing_again_before_the_retraction_started_keeps_the_posts(
    sandbox, accounts, make_policy
):
    page = make_policy()
    revision = publish(page)
    first = {platform: row.remote_id for platform, row in _deliver_all(page).items()}
    page.unpublish()  # the retractions are queued; no worker has them yet
    assert {row.state for row in _rows(page).values()} == {State.RETRACTING}

    revision.publish()

    rows = _rows(page)
    assert {row.state for row in rows.values()} == {State.POSTED}
    assert {name: row.remote_id for name, row in rows.items()} == first
    # A worker given the retractions' messages finds nothing due.
    assert set(_deliver_all(page).values()) == {None}
    _one_live_post_each(sandbox, page, first)


@pytest.mark.django_db
def test_publishing_again_while_a_retraction_is_under_way_posts_again_after_it(
    sandbox, accounts, make_policy
):
    page = make_policy()
    revision = publish(page)
    first = {platform: row.remote_id for platform, row in _deliver_all(page).items()}
    page.unpublish()
    # A worker took each retraction and stopped mid-way: whether the post is
    # gone is unknown, so it cannot simply be kept.
    _claimed_by_a_worker_that_stopped(page)

    revision.publish()

    operations = {row.operation for row in _rows(page).values()}
    assert operations == {CrossPost.Operation.REPOST}
    retracted_then_queued = _deliver_all(page)
    assert {row.state for row in retracted_then_queued.values()} == {State.PENDING}
    posted = _deliver_all(page)
    assert {row.state for row in posted.values()} == {State.POSTED}
    assert all(posted[name].remote_id != first[name] for name in first)
    _one_live_post_each(sandbox, page, first)


@pytest.mark.django_db
def test_unpublishing_again_cancels_posting_after_the_retraction(
    sandbox, accounts, make_policy
):
    page = make_policy()
    revision = publish(page)
    first = _deliver_all(page)
    page.unpublish()
    _claimed_by_a_worker_that_stopped(page)
    revision.publish()
    page.refresh_from_db()

    page.unpublish()

    operations = {row.operation for row in _rows(page).values()}
    assert operations == {CrossPost.Operation.RETRACT}
    assert {row.state for row in _deliver_all(page).values()} == {State.RETRACTED}
    marker = content.canonical_url(page)
    for platform in first:
        assert live_posts_with_marker(sandbox, marker, platform) == []


@pytest.mark.django_db
def test_publishing_again_while_the_first_send_is_in_flight_keeps_that_post(
    sandbox, accounts, make_policy
):
    page = make_policy()
    revision = publish(page)
    _claimed_by_a_worker_that_stopped(page)  # each first send was under way...
    page.unpublish()  # ...so each is marked to be retracted once it lands
    assert {row.operation for row in _rows(page).values()} == {"retract"}

    revision.publish()

    posted = _deliver_all(page)
    assert {row.state for row in posted.values()} == {State.POSTED}
    _one_live_post_each(sandbox, page, posted)


@pytest.mark.django_db
def test_a_post_sent_again_after_its_retraction_is_checked_again_first(
    sandbox, accounts, make_policy
):
    from channels.facebook import FacebookAdapter

    page = make_policy()
    revision = publish(page)
    _deliver_all(page)
    page.unpublish()
    _claimed_by_a_worker_that_stopped(page)
    revision.publish()
    # What the re-publish queued for Facebook has become too long for it.
    too_long = "x" * (FacebookAdapter.max_text_length + 1)
    CrossPost.objects.filter(page_id=page.pk, platform="facebook").update(text=too_long)

    rows = _deliver_all(page)

    assert rows["facebook"].state == State.FAILED
    assert rows["facebook"].last_error.startswith("Facebook posts can be")
    assert rows["x"].state == State.PENDING
    marker = content.canonical_url(page)
    assert live_posts_with_marker(sandbox, marker, "facebook") == []


@pytest.mark.django_db
def test_unpublishing_takes_down_a_post_whose_sending_left_no_answer(
    sandbox, accounts, make_policy
):
    """The platform made the post but the answer was lost: the row waits to
    retry, not knowing. Unpublishing must find that post and take it down,
    not just cancel the row and leave it up."""
    page = make_policy()
    _revision, x_row = _x_post_made_but_its_answer_lost(sandbox, page)
    assert (x_row.state, x_row.remote_id, x_row.operation) == (
        State.RETRYING,
        "",
        CrossPost.Operation.RECONCILE,
    )
    marker = content.canonical_url(page)
    assert len(live_posts_with_marker(sandbox, marker, "x")) == 1

    page.unpublish()

    assert _rows(page)["x"].state == State.RETRACTING
    assert delivery.deliver(x_row.pk, "test-worker").state == State.RETRACTED
    assert live_posts_with_marker(sandbox, marker, "x") == []


@pytest.mark.django_db
def test_a_retraction_taken_over_from_a_worker_that_stopped_mid_send_finds_the_post(
    sandbox, accounts, make_policy
):
    """A worker made the post and stopped before recording it; the page was
    unpublished meanwhile. The next worker finds the post and takes it down."""
    page = make_policy()
    publish(page)
    row = delivery.claim(_rows(page)["facebook"].pk, "stopped-worker")
    adapter_for(row.account).publish(content.post_from_row(row))
    page.unpublish()  # the row is sending: retracted once it lands
    CrossPost.objects.filter(pk=row.pk).update(lease_expires_at=timezone.now())

    assert delivery.deliver(row.pk, "test-worker").state == State.RETRACTED
    marker = content.canonical_url(page)
    assert live_posts_with_marker(sandbox, marker, "facebook") == []


@pytest.mark.django_db
def test_published_again_before_that_retraction_started_the_lost_post_is_adopted(
    sandbox, accounts, make_policy
):
    page = make_policy()
    revision, x_row = _x_post_made_but_its_answer_lost(sandbox, page)
    page.unpublish()

    revision.publish()

    assert _rows(page)["x"].state == State.PENDING
    row = delivery.deliver(x_row.pk, "test-worker")
    assert row.state == State.POSTED
    marker = content.canonical_url(page)
    assert [post["id"] for post in live_posts_with_marker(sandbox, marker, "x")] == [
        row.remote_id
    ]


@pytest.mark.django_db
def test_a_video_made_private_by_an_unpublish_is_never_taken_for_a_new_upload(
    sandbox, accounts, make_announcement
):
    """Unpublishing makes the page's video private (it stays on the channel,
    link and all). Published again, an upload that fails without an answer is
    looked for: the private video must not pass for it."""
    page = make_announcement()
    publish(page)
    old = delivery.deliver(_rows(page)["youtube"].pk, "test-worker")
    assert old.state == State.POSTED
    page.unpublish()
    assert delivery.deliver(old.pk, "test-worker").state == State.RETRACTED
    page.refresh_from_db()
    # Every try of the upload fails, the adapter's own retries too.
    sandbox.add_fault("youtube", "publish", "server_error", count=100)
    publish(page)
    row = delivery.deliver(old.pk, "test-worker")
    assert (row.state, row.operation) == (State.RETRYING, CrossPost.Operation.RECONCILE)
    sandbox.clear_faults()
    CrossPost.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())

    row = delivery.deliver(row.pk, "test-worker")

    assert row.state == State.POSTED
    assert row.remote_id != old.remote_id
    marker = content.canonical_url(page)
    videos = {
        post["id"]: post["privacy"]
        for post in live_posts_with_marker(sandbox, marker, "youtube")
    }
    assert videos == {old.remote_id: "private", row.remote_id: "public"}


def _a_facebook_update_refused(sandbox, page) -> tuple[CrossPost, CrossPost]:
    """Post the page, then change it and have Facebook refuse the update: the
    row as first posted, and as the refused update left it (its post stands)."""
    publish(page)
    first = _deliver_all(page)["facebook"]
    page.summary = "Collections move to Tuesdays."
    publish(page)
    sandbox.add_fault(
        "facebook",
        "update",
        "error",
        count=1,
        status=400,
        code=100,
        message="Invalid parameter",
    )
    return first, delivery.deliver(first.pk, "test-worker")


@pytest.mark.django_db
def test_a_failed_update_published_again_changes_the_post_not_a_second_one(
    sandbox, accounts, make_policy
):
    page = make_policy()
    first, failed = _a_facebook_update_refused(sandbox, page)
    assert failed.state == State.FAILED

    page.summary = "Collections move to Wednesdays."
    publish(page)

    row = _rows(page)["facebook"]
    assert (row.state, row.remote_id) == (State.UPDATING, first.remote_id)
    assert delivery.deliver(row.pk, "test-worker").state == State.POSTED
    marker = content.canonical_url(page)
    posts = live_posts_with_marker(sandbox, marker, "facebook")
    assert [post["id"] for post in posts] == [first.remote_id]
    assert "Wednesdays" in posts[0]["text"]


@pytest.mark.django_db
def test_a_cancelled_update_leaves_its_post_to_be_changed_or_taken_down(
    sandbox, accounts, make_policy
):
    page = make_policy()
    _first, failed = _a_facebook_update_refused(sandbox, page)
    actions.cancel(failed, reason="Wrong day")
    marker = content.canonical_url(page)
    assert len(live_posts_with_marker(sandbox, marker, "facebook")) == 1

    page.refresh_from_db()
    page.unpublish()

    row = _rows(page)["facebook"]
    assert row.state == State.RETRACTING
    assert delivery.deliver(row.pk, "test-worker").state == State.RETRACTED
    assert live_posts_with_marker(sandbox, marker, "facebook") == []


@pytest.mark.django_db
def test_cancelling_a_post_whose_sending_left_no_answer_takes_it_down(
    sandbox, accounts, make_policy
):
    page = make_policy()
    _revision, row = _x_post_made_but_its_answer_lost(sandbox, page)
    assert (row.state, row.operation) == (State.RETRYING, CrossPost.Operation.RECONCILE)

    row = actions.cancel(row, reason="Not for X")

    assert row.state == State.RETRACTING
    assert delivery.deliver(row.pk, "test-worker").state == State.RETRACTED
    marker = content.canonical_url(page)
    assert live_posts_with_marker(sandbox, marker, "x") == []


@pytest.mark.django_db
@pytest.mark.parametrize("decision", ["reject", "send_back"])
def test_turning_down_a_held_post_whose_sending_left_no_answer_takes_it_down(
    sandbox, accounts, make_policy, people, decision
):
    """The first attempt made the post but its answer was lost; then the page
    changed and the guard held the row. Rejecting it, or sending it back,
    must find that post and take it down, as cancelling does: turned down
    means not on the platform."""
    page = make_policy()
    _revision, row = _x_post_made_but_its_answer_lost(sandbox, page)
    page.summary = "Questions? Ring Jo on 07700 900123."
    publish(page)
    row.refresh_from_db()
    assert (row.state, row.operation) == (State.HELD, CrossPost.Operation.RECONCILE)
    marker = content.canonical_url(page)
    assert len(live_posts_with_marker(sandbox, marker, "x")) == 1

    row = getattr(actions, decision)(row, people["comms"], "Not with a mobile number.")

    assert row.state == State.RETRACTING
    assert "Not with a mobile number." in row.last_error  # the note is kept
    assert delivery.deliver(row.pk, "test-worker").state == State.RETRACTED
    assert live_posts_with_marker(sandbox, marker, "x") == []


@pytest.mark.django_db
def test_a_post_given_up_without_an_answer_is_looked_for_when_published_again(
    sandbox, accounts, make_policy, settings
):
    settings.CROSSPOST_RETRY_WINDOW_SECONDS = 0
    page = make_policy()
    _revision, row = _x_post_made_but_its_answer_lost(sandbox, page)
    assert (row.state, row.operation) == (State.FAILED, CrossPost.Operation.RECONCILE)

    page.summary = "Collections move to Tuesdays."
    publish(page)

    row = delivery.deliver(row.pk, "test-worker")
    # Found, with the text it was sent with: its update follows (X's policy).
    assert (row.state, row.operation) == (State.UPDATING, "update")
    row = delivery.deliver(row.pk, "test-worker")
    assert row.state == State.POSTED
    marker = content.canonical_url(page)
    assert [post["id"] for post in live_posts_with_marker(sandbox, marker, "x")] == [
        row.remote_id
    ]


def _made_due(row: CrossPost) -> CrossPost:
    """The row as its retry's time has come."""
    CrossPost.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    return CrossPost.objects.get(pk=row.pk)


@pytest.mark.django_db
def test_a_post_found_after_a_lost_answer_is_brought_up_to_the_page_changed_since(
    sandbox, accounts, make_policy
):
    page = make_policy()
    sandbox.add_fault("facebook", "publish", "drop_after_create", count=1)
    publish(page)
    row = delivery.deliver(_rows(page)["facebook"].pk, "test-worker")
    assert (row.state, row.operation) == (State.RETRYING, CrossPost.Operation.RECONCILE)

    page.summary = "Collections move to Tuesdays."
    publish(page)

    # The post the lost answer was about is found, with the text it was sent
    # with: it is updated, not taken as saying what the page says now.
    row = delivery.deliver(_made_due(row).pk, "test-worker")
    assert row.state == State.UPDATING
    row = delivery.deliver(row.pk, "test-worker")
    assert row.state == State.POSTED
    assert row.posted_hash == row.content_hash
    posts = live_posts_with_marker(sandbox, content.canonical_url(page), "facebook")
    assert [(post["id"], post["text"]) for post in posts] == [
        (row.remote_id, row.text)
    ]
    assert "Tuesdays" in row.text


@pytest.mark.django_db
def test_a_first_send_that_stopped_while_the_page_changed_is_posted_once_as_it_is_now(
    sandbox, accounts, make_policy
):
    page = make_policy()
    publish(page)
    facebook = _rows(page)["facebook"]
    assert delivery.claim(facebook.pk, "stopped-worker") is not None
    page.summary = "Collections move to Tuesdays."
    publish(page)  # while that worker is sending the first post
    CrossPost.objects.filter(pk=facebook.pk).update(lease_expires_at=timezone.now())

    row = delivery.deliver(facebook.pk, "test-worker")

    assert row.state == State.POSTED
    assert row.posted_hash == row.content_hash
    posts = live_posts_with_marker(sandbox, content.canonical_url(page), "facebook")
    assert [(post["id"], post["text"]) for post in posts] == [
        (row.remote_id, row.text)
    ]


def _tweeted_then_changed(settings, make_policy) -> tuple:
    """Under X's "repost" policy, a page tweeted, then changed and published
    again: the page, its X row as first posted, and the page's summary before."""
    settings.SOCIAL_CHANNELS = {
        **settings.SOCIAL_CHANNELS,
        "x": {**settings.SOCIAL_CHANNELS["x"], "OPTIONS": {"update_policy": "repost"}},
    }
    page = make_policy()
    publish(page)
    first = delivery.deliver(_rows(page)["x"].pk, "test-worker")
    summary_before = page.summary
    page.summary = "Collections move to Tuesdays."
    publish(page)
    return page, first, summary_before


def _live_tweet_ids(sandbox, page) -> list[str]:
    return [
        post["id"]
        for post in live_posts_with_marker(sandbox, content.canonical_url(page), "x")
    ]


def _only_tweet_is_new(sandbox, page, row, first) -> None:
    """The page's one live tweet is the row's, a new one, with the new text."""
    posts = live_posts_with_marker(sandbox, content.canonical_url(page), "x")
    assert [(post["id"], "Tuesdays" in post["text"]) for post in posts] == [
        (row.remote_id, True)
    ]
    assert row.remote_id != first.remote_id


@pytest.mark.django_db
def test_a_tweet_posted_again_by_the_repost_policy_whose_answer_was_lost_is_adopted(
    sandbox, accounts, make_policy, settings
):
    page, first, _summary = _tweeted_then_changed(settings, make_policy)
    # The old tweet is deleted and the new one made, but its answer is lost.
    sandbox.add_fault("x", "publish", "drop_after_create", count=1)
    row = delivery.deliver(first.pk, "test-worker")
    assert row.state == State.RETRYING

    row = delivery.deliver(_made_due(row).pk, "test-worker")

    assert row.state == State.POSTED
    _only_tweet_is_new(sandbox, page, row, first)


@pytest.mark.django_db
def test_the_repost_policy_takes_the_old_tweet_down_and_posts_the_new_text(
    sandbox, accounts, make_policy, settings
):
    page, first, _summary = _tweeted_then_changed(settings, make_policy)

    row = delivery.deliver(first.pk, "test-worker")

    assert (row.state, row.operation) == (State.POSTED, "publish")
    assert row.retracted_remote_ids == [first.remote_id]
    _only_tweet_is_new(sandbox, page, row, first)


@pytest.mark.django_db
def test_a_page_unpublished_while_its_tweet_is_reposted_is_left_with_none(
    sandbox, accounts, make_policy, settings
):
    page, first, _summary = _tweeted_then_changed(settings, make_policy)
    claimed = delivery.claim(first.pk, "test-worker")
    page.unpublish()  # while that worker holds the update

    row = delivery.carry_out(claimed)

    assert row.state == State.RETRACTED
    assert _live_tweet_ids(sandbox, page) == []
    assert delivery.deliver(row.pk, "test-worker") is None  # its retraction: done


@pytest.mark.django_db
def test_a_queued_update_the_page_changed_back_from_is_called_off(
    sandbox, accounts, make_policy, settings
):
    page, first, summary = _tweeted_then_changed(settings, make_policy)
    assert _rows(page)["x"].state == State.UPDATING

    page.summary = summary  # changed back before any worker took the update
    publish(page)

    row = _rows(page)["x"]
    assert (row.state, row.operation) == (State.POSTED, "publish")
    assert delivery.deliver(row.pk, "test-worker") is None
    assert _live_tweet_ids(sandbox, page) == [first.remote_id]  # not reposted


@pytest.mark.django_db
def test_an_update_retries_for_a_window_of_its_own(
    sandbox, accounts, make_policy, settings
):
    settings.CROSSPOST_RETRY_WINDOW_SECONDS = 3600
    page = make_policy()
    sandbox.add_fault("facebook", "publish", "server_error", count=1)
    publish(page)
    row = delivery.deliver(_rows(page)["facebook"].pk, "test-worker")
    assert row.state == State.RETRYING
    # The publish went on failing for two hours before it went out.
    two_hours_ago = timezone.now() - timedelta(hours=2)
    CrossPost.objects.filter(pk=row.pk).update(retrying_since=two_hours_ago)
    row = delivery.deliver(_made_due(row).pk, "test-worker")
    assert (row.state, row.retrying_since) == (State.POSTED, None)

    page.summary = "Collections move to Tuesdays."
    publish(page)
    sandbox.add_fault("facebook", "update", "server_error", count=1)
    row = delivery.deliver(row.pk, "test-worker")

    assert row.state == State.RETRYING  # its own first fault, not the publish's
    assert delivery.deliver(_made_due(row).pk, "test-worker").state == State.POSTED


@pytest.mark.django_db
def test_a_temporary_fault_past_the_retry_window_fails_with_the_platforms_words(
    sandbox, accounts, make_policy, settings
):
    settings.CROSSPOST_RETRY_WINDOW_SECONDS = 3600
    page = make_policy()
    sandbox.add_fault("facebook", "*", "server_error", count=3)
    publish(page)
    row = delivery.deliver(_rows(page)["facebook"].pk, "test-worker")
    row = delivery.deliver(_made_due(row).pk, "test-worker")
    assert row.state == State.RETRYING  # within the window, however many tries

    an_hour_ago = timezone.now() - timedelta(hours=1, seconds=1)
    CrossPost.objects.filter(pk=row.pk).update(retrying_since=an_hour_ago)
    row = delivery.deliver(_made_due(row).pk, "test-worker")

    assert row.state == State.FAILED
    assert row.last_error.startswith("Gave up after 3 attempts over 1 h 0 min: ")


@pytest.mark.django_db
def test_a_repost_waits_out_a_spent_daily_budget_before_taking_the_tweet_down(
    sandbox, accounts, make_policy, settings
):
    page, first, _summary = _tweeted_then_changed(settings, make_policy)
    first.account.daily_post_cap = 1  # the first tweet spent it
    first.account.save()

    row = delivery.deliver(first.pk, "test-worker")

    assert (row.state, row.last_error_kind) == (State.RETRYING, "rate_limited")
    assert row.next_attempt_at > timezone.now()
    assert _live_tweet_ids(sandbox, page) == [first.remote_id]  # still up
    # A day later (the first tweet's time moved back a day) it is reposted,
    # and the new tweet's time is what the budget counts from then on.
    a_day_before = first.posted_at - budgets.BUDGET_WINDOW
    CrossPost.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now(), posted_at=a_day_before
    )
    row = delivery.deliver(row.pk, "test-worker")
    assert row.state == State.POSTED
    assert row.posted_at > first.posted_at
