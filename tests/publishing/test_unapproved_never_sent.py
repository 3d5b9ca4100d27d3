"""Nothing whose guard findings were not approved is ever sent, however the
content reached the row: published again while a send was in flight (then a
lost answer's search found no post, the platform refused and a comms manager
retried, or X's repost took the old post down), while the row waited, was held
or approved, or while its post was being taken down. An approval covers
exactly the content it saw.

Deliveries run in this process against the sandbox, a real HTTP server, one
step at a time, so each race is played in its order; nothing sleeps (a retry
is made due by clearing ``next_attempt_at``)."""

from __future__ import annotations

import pytest

from publishing import actions, delivery, lifecycle
from publishing.models import CrossPost
from tests.publishing.conftest import live_posts_with_marker, publish, rows_for

pytestmark = pytest.mark.django_db
State = CrossPost.State
Operation = CrossPost.Operation

PHONE = "07700 900123"
CLEAN = "Bins go out on Tuesday."
WITH_PHONE = f"Bins go out on Tuesday. Questions? Ring Jo on {PHONE}."
WITH_EMAIL = "Bins go out on Tuesday. Questions? Email jo.bloggs@example.org."


def sent_with_phone(sandbox) -> list[dict]:
    """Every post the sandbox was sent carrying the phone number, taken down
    or not: none may be there until a comms manager approved it."""
    return [
        post for post in sandbox.posts(include_deleted=True) if PHONE in post["text"]
    ]


def row_of(page, platform: str) -> CrossPost:
    return next(row for row in rows_for(page) if row.platform == platform)


def republish(page, summary: str, people) -> None:
    page.summary = summary
    publish(page, user=people["moderator"])


def run_worker(page, rounds: int = 6) -> None:
    """Deliver the page's due rows until none is due, retries made due at once."""
    for _round in range(rounds):
        rows = CrossPost.objects.filter(page_id=page.pk)
        rows.filter(state=State.RETRYING).update(next_attempt_at=None)
        due = list(CrossPost.objects.due().filter(page_id=page.pk).values_list(
            "pk", flat=True
        ))
        if not due:
            return
        for pk in due:
            delivery.deliver(pk, "test-worker")
    raise AssertionError(f"rows still due: {[(r.state, r.operation) for r in rows]}")


def in_flight_then_changed(page, platform: str, people) -> CrossPost:
    """The row as a worker claimed it, after which the page was published
    again with a phone number: stored on the row, not checked (in flight)."""
    claimed = delivery.claim(row_of(page, platform).pk, "worker-1")
    republish(page, WITH_PHONE, people)
    stored = row_of(page, platform)
    assert stored.state in (State.SENDING, State.UPDATING)
    assert PHONE in stored.text
    assert [f["rule"] for f in stored.guard_findings] == ["phone_number"]
    return claimed


def assert_held_and_nothing_sent(sandbox, page, platform: str) -> CrossPost:
    row = row_of(page, platform)
    assert row.state == State.HELD, (row.state, row.operation, row.last_error)
    assert (row.lease_owner, row.lease_expires_at) == ("", None)
    assert sent_with_phone(sandbox) == []
    return row


def test_a_lost_answer_whose_search_finds_nothing_holds_the_new_content(
    sandbox, accounts, make_policy, people
):
    page = make_policy(summary=CLEAN)
    publish(page, user=people["moderator"])
    claimed = in_flight_then_changed(page, "facebook", people)
    # The send (of the text it was claimed with) gets no answer, and made nothing.
    sandbox.add_fault("facebook", "publish", "server_error", count=1)
    assert delivery.carry_out(claimed).state == State.RETRYING

    run_worker(page)  # reconciled: nothing found, so it would post now

    row = assert_held_and_nothing_sent(sandbox, page, "facebook")
    assert row.operation == Operation.PUBLISH
    assert live_posts_with_marker(sandbox, row.marker, "facebook") == []
    # Approved, it goes out as approved, once.
    actions.approve(row, people["comms"], "Jo's work mobile.")
    run_worker(page)
    (post,) = live_posts_with_marker(sandbox, row.marker, "facebook")
    assert PHONE in post["text"]


def test_retry_now_after_a_refusal_holds_content_nobody_checked(
    sandbox, accounts, make_policy, people
):
    page = make_policy(summary=CLEAN)
    publish(page, user=people["moderator"])
    claimed = in_flight_then_changed(page, "facebook", people)
    sandbox.add_fault(
        "facebook", "publish", "error", count=1, code=100, status=400,
        message="Invalid parameter",
    )
    assert delivery.carry_out(claimed).state == State.FAILED

    row = actions.retry_now(row_of(page, "facebook"), people["comms"])
    assert row.state == State.PENDING
    run_worker(page)

    assert_held_and_nothing_sent(sandbox, page, "facebook")


def test_an_x_repost_holds_new_content_that_came_while_it_was_under_way(
    sandbox, accounts, make_policy, people, settings
):
    settings.SOCIAL_CHANNELS = {
        **settings.SOCIAL_CHANNELS,
        "x": {**settings.SOCIAL_CHANNELS["x"], "OPTIONS": {"update_policy": "repost"}},
    }
    page = make_policy(summary=CLEAN)
    publish(page, user=people["moderator"])
    run_worker(page)
    republish(page, "Bins go out on Wednesday.", people)
    assert row_of(page, "x").state == State.UPDATING
    claimed = in_flight_then_changed(page, "x", people)

    delivery.carry_out(claimed)  # the old tweet comes down, then the new one

    row = assert_held_and_nothing_sent(sandbox, page, "x")
    assert row.operation == Operation.PUBLISH
    assert row.remote_id == ""


def test_an_update_in_flight_is_held_before_it_changes_the_live_post(
    sandbox, accounts, make_policy, people
):
    """The gate on an update: the live post stays as it was."""
    page = make_policy(summary=CLEAN)
    publish(page, user=people["moderator"])
    run_worker(page)
    republish(page, "Bins go out on Wednesday.", people)
    claimed = delivery.claim(row_of(page, "facebook").pk, "worker-1")
    republish(page, WITH_PHONE, people)
    # The worker read the row after the page changed again.
    claimed.refresh_from_db()

    delivery.carry_out(claimed)

    row = assert_held_and_nothing_sent(sandbox, page, "facebook")
    assert row.operation == Operation.UPDATE
    (post,) = live_posts_with_marker(sandbox, row.marker, "facebook")
    assert post["edits"] == 0


# However the row waits, new findings hold it again ---------------------------------


def _retrying(sandbox, page, people):
    sandbox.add_fault("facebook", "publish", "server_error", count=1)
    delivery.deliver(row_of(page, "facebook").pk, "worker-1")
    assert row_of(page, "facebook").state == State.RETRYING


def _held(sandbox, page, people):
    republish(page, WITH_EMAIL, people)
    assert row_of(page, "facebook").state == State.HELD


def _approved(sandbox, page, people):
    _held(sandbox, page, people)
    row = row_of(page, "facebook")
    actions.approve(row, people["comms"], "Our mailbox.")
    assert row_of(page, "facebook").state == State.PENDING


def _retracted(sandbox, page, people):
    run_worker(page)
    page.unpublish(user=people["moderator"])
    run_worker(page)
    assert row_of(page, "facebook").state == State.RETRACTED


def _being_retracted(sandbox, page, people):
    run_worker(page)
    page.unpublish(user=people["moderator"])
    delivery.claim(row_of(page, "facebook").pk, "worker-1")
    republish(page, WITH_PHONE, people)
    row = row_of(page, "facebook")
    assert (row.state, row.operation) == (State.RETRACTING, Operation.REPOST)
    delivery.carry_out(row)


@pytest.mark.parametrize(
    "wait", [_retrying, _held, _approved, _retracted, _being_retracted],
    ids=lambda wait: wait.__name__.strip("_"),
)
def test_a_row_whose_content_changes_with_new_findings_is_held_again(
    sandbox, accounts, make_policy, people, wait
):
    page = make_policy(summary=CLEAN)
    publish(page, user=people["moderator"])
    wait(sandbox, page, people)

    republish(page, WITH_PHONE, people)
    run_worker(page)

    row = assert_held_and_nothing_sent(sandbox, page, "facebook")
    assert [f["rule"] for f in row.guard_findings] == ["phone_number"]
    assert lifecycle.unapproved(row.content_hash, row.guard_findings,
                                row.approved_hash)
