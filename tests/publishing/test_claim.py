"""Claiming a row: the lease, what counts as due, and a row changed mid-claim.

These run the service functions in this process against the test database; the
pipeline tests run the same code in a real worker.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from channels.base import PostResult
from publishing import services
from publishing.models import ChannelAccount, CrossPost

State = CrossPost.State
pytestmark = pytest.mark.django_db


@pytest.fixture
def account(db):
    return ChannelAccount.objects.create(
        platform="facebook", display_name="Exampleshire CC", remote_id="200000000001"
    )


def make_row(account, number=0, **fields) -> CrossPost:
    values = {
        "account": account,
        "platform": "facebook",
        "idempotency_key": f"0:{number}:{account.pk}",
        "page_title": "Bins collected a day late",
        "text": "Bins are collected a day late this week.",
        "marker": f"https://council.example/news/bins-{number}/",
        "content_hash": "a" * 64,
        "state": State.PENDING,
    }
    return CrossPost.objects.create(**(values | fields))


def test_is_due_agrees_with_the_sweepers_query_for_every_kind_of_row(account):
    now = timezone.now()
    moments = [None, now - timedelta(minutes=1), now + timedelta(minutes=1)]
    combinations = itertools.product(State.values, moments, moments)
    rows = [
        make_row(account, number, state=state, lease_expires_at=lease,
                 next_attempt_at=wait)
        for number, (state, lease, wait) in enumerate(combinations)
    ]
    due_ids = set(CrossPost.objects.due(now).values_list("id", flat=True))

    disagreements = [
        (row.state, row.lease_expires_at, row.next_attempt_at)
        for row in rows
        if row.is_due(now) != (row.pk in due_ids)
    ]
    assert due_ids, "some combination must be due"
    assert len(due_ids) < len(rows), "and some must not"
    assert disagreements == []


def test_a_claim_returns_the_row_exactly_as_the_database_holds_it(account):
    row = make_row(account, attempts=2, outcome_unknown=False)

    claimed = services.claim(row.pk, "worker-a:1")

    stored = CrossPost.objects.get(pk=row.pk)
    assert claimed.state == stored.state == State.SENDING
    assert claimed.attempts == stored.attempts == 3
    assert claimed.lease_owner == stored.lease_owner == "worker-a:1"
    assert claimed.lease_expires_at == stored.lease_expires_at
    assert claimed.lease_expires_at > timezone.now()
    assert claimed.account.display_name == "Exampleshire CC"


def test_a_second_claim_of_a_leased_row_gets_nothing(account):
    row = make_row(account)

    assert services.claim(row.pk, "worker-a:1") is not None
    assert services.claim(row.pk, "worker-b:1") is None
    assert CrossPost.objects.get(pk=row.pk).lease_owner == "worker-a:1"


def test_a_row_left_sending_by_a_stopped_worker_is_claimed_with_its_outcome_unknown(
    account,
):
    row = make_row(
        account,
        state=State.SENDING,
        lease_owner="worker-a:1",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
        attempts=1,
    )

    claimed = services.claim(row.pk, "worker-b:1")

    assert claimed.outcome_unknown is True
    assert CrossPost.objects.get(pk=row.pk).outcome_unknown is True
    assert claimed.lease_owner == "worker-b:1"


def test_a_row_an_editor_changes_during_the_claim_is_read_again(account, monkeypatch):
    row = make_row(account)
    real_is_due = CrossPost.is_due
    edits = []

    def edited_between_read_and_lease(self, now):
        if not edits:
            # The editor publishes a new revision just after the worker read.
            edited = CrossPost.objects.get(pk=self.pk)
            edited.text, edited.content_hash = "Bins: new dates.", "b" * 64
            edited.save()
            edits.append(edited)
        return real_is_due(self, now)

    monkeypatch.setattr(CrossPost, "is_due", edited_between_read_and_lease)

    claimed = services.claim(row.pk, "worker-a:1")

    assert edits, "the edit happened"
    assert claimed.text == "Bins: new dates."
    assert claimed.content_hash == "b" * 64
    assert CrossPost.objects.get(pk=row.pk).lease_owner == "worker-a:1"


def test_a_row_cancelled_during_the_claim_is_not_claimed(account, monkeypatch):
    row = make_row(account)
    real_is_due = CrossPost.is_due

    def cancelled_between_read_and_lease(self, now):
        CrossPost.objects.filter(pk=self.pk).update(state=State.CANCELLED)
        return real_is_due(self, now)

    monkeypatch.setattr(CrossPost, "is_due", cancelled_between_read_and_lease)

    assert services.claim(row.pk, "worker-a:1") is None
    stored = CrossPost.objects.get(pk=row.pk)
    assert (stored.state, stored.lease_owner) == (State.CANCELLED, "")


def test_recording_a_post_stores_the_link_in_one_update(account):
    row = services.claim(make_row(account).pk, "worker-a:1")
    result = PostResult(remote_id="200000000001_9", permalink="https://fb.example/9")
    saved_before = row.updated_at

    recorded = services._record_posted(row, result, platform_ms=12.5)

    stored = CrossPost.objects.get(pk=row.pk)
    for name in ("state", "remote_id", "permalink", "posted_hash", "lease_owner",
                 "lease_expires_at", "operation", "posted_at", "updated_at"):
        assert getattr(recorded, name) == getattr(stored, name), name
    assert stored.state == State.POSTED
    assert stored.permalink == "https://fb.example/9"
    assert stored.posted_hash == row.content_hash
    assert stored.posted_at is not None
    assert stored.updated_at > saved_before


def test_a_second_post_of_the_same_row_keeps_its_first_posted_time(account):
    first_posted = timezone.now() - timedelta(hours=3)
    row = make_row(account)
    CrossPost.objects.filter(pk=row.pk).update(posted_at=first_posted)
    row = services.claim(row.pk, "worker-a:1")
    result = PostResult(remote_id="200000000001_9", permalink="https://fb.example/9")

    recorded = services._record_posted(row, result)

    assert CrossPost.objects.get(pk=row.pk).posted_at == first_posted
    assert recorded.posted_at == first_posted


def test_a_post_that_lands_after_the_page_was_unpublished_is_retracted_next(
    account, monkeypatch
):
    row = services.claim(make_row(account).pk, "worker-a:1")
    sent = []
    monkeypatch.setattr(services, "enqueue", sent.append)
    # While the post was in flight, the editor unpublished the page.
    CrossPost.objects.filter(pk=row.pk).update(operation="retract")
    result = PostResult(remote_id="200000000001_9", permalink="https://fb.example/9")

    recorded = services._record_posted(row, result)

    stored = CrossPost.objects.get(pk=row.pk)
    assert (stored.state, stored.operation) == (State.RETRACTING, "retract")
    assert stored.remote_id == "200000000001_9"
    assert [queued.pk for queued in sent] == [row.pk]
    assert recorded.state == stored.state


def test_a_post_that_lands_after_the_page_changed_is_updated_next(
    account, monkeypatch
):
    row = services.claim(make_row(account).pk, "worker-a:1")
    sent = []
    monkeypatch.setattr(services, "enqueue", sent.append)
    # While the post was in flight, the editor published a new text.
    CrossPost.objects.filter(pk=row.pk).update(content_hash="c" * 64)
    result = PostResult(remote_id="200000000001_9", permalink="https://fb.example/9")

    recorded = services._record_posted(row, result)

    stored = CrossPost.objects.get(pk=row.pk)
    assert (stored.state, stored.operation) == (State.UPDATING, "update")
    assert stored.permalink == "https://fb.example/9"
    assert stored.posted_hash == "a" * 64
    assert [queued.pk for queued in sent] == [row.pk]
    assert recorded.state == State.UPDATING


def test_the_claim_counts_the_accounts_posts_of_the_last_day(account):
    now = timezone.now()
    other = ChannelAccount.objects.create(
        platform="facebook", display_name="Parish council", remote_id="200000000002"
    )
    for number, hours_ago in enumerate((1, 23, 25)):
        make_row(account, 100 + number, state=State.POSTED,
                 posted_at=now - timedelta(hours=hours_ago))
    make_row(other, 200, state=State.POSTED, posted_at=now - timedelta(hours=1))

    row = services.claim(make_row(account).pk, "worker-a:1")

    assert row.account_posts_last_day == 2


@pytest.mark.parametrize(
    ("cap", "waits_hours"), [(1, 23), (2, 1), (3, None)]
)
def test_an_account_at_its_daily_cap_waits_until_a_day_after_its_capth_post(
    account, cap, waits_hours
):
    now = timezone.now()
    for number, hours_ago in enumerate((1, 23, 25)):
        make_row(account, 100 + number, state=State.POSTED,
                 posted_at=now - timedelta(hours=hours_ago))
    account.daily_post_cap = cap
    account.save()

    row = services.claim(make_row(account).pk, "worker-a:1")
    until = services._budget_exhausted_until(row)

    if waits_hours is None:
        assert until is None
    else:
        expected = now + timedelta(hours=waits_hours)
        assert abs(until - expected) < timedelta(seconds=5)
