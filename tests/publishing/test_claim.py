"""Claiming a row and recording its post: the lease, what counts as due, a row
changed mid-claim or while its post was in flight.

These run the service functions in this process against the test database; the
pipeline tests run the same code in a real worker.
"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.sql.compiler import SQLCompiler, SQLUpdateCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels.values import PostResult
from publishing import budgets, claim_read, delivery, dispatch, lifecycle, row_update
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


def test_only_due_rows_are_claimed(account):
    now = timezone.now()
    past, future = now - timedelta(minutes=1), now + timedelta(minutes=1)
    due = [
        make_row(account, 1),
        make_row(account, 2, state=State.RETRYING, next_attempt_at=past),
        make_row(account, 3, state=State.UPDATING, operation="update"),
        make_row(account, 4, state=State.SENDING, lease_owner="gone:1",
                 lease_expires_at=past),
    ]
    not_due = [
        make_row(account, 5, state=State.RETRYING, next_attempt_at=future),
        make_row(account, 6, lease_owner="busy:1", lease_expires_at=future),
        make_row(account, 7, state=State.SENDING, lease_owner="busy:1",
                 lease_expires_at=future),
        make_row(account, 8, state=State.HELD),
        make_row(account, 9, state=State.POSTED),
        make_row(account, 10, state=State.FAILED),
    ]

    claimed = {row.pk for row in due + not_due if delivery.claim(row.pk, "w:1")}

    assert claimed == {row.pk for row in due}


def test_a_claim_returns_the_row_exactly_as_the_database_holds_it(account):
    row = make_row(account, attempts=2)

    claimed = delivery.claim(row.pk, "worker-a:1")

    stored = CrossPost.objects.get(pk=row.pk)
    assert claimed.state == stored.state == State.SENDING
    assert claimed.attempts == stored.attempts == 3
    assert claimed.lease_owner == stored.lease_owner == "worker-a:1"
    assert claimed.lease_expires_at == stored.lease_expires_at
    assert claimed.lease_expires_at > timezone.now()
    assert claimed.sent_hash == stored.sent_hash == row.content_hash
    assert claimed.account.display_name == "Exampleshire CC"


def test_a_second_claim_of_a_leased_row_gets_nothing(account):
    row = make_row(account)

    assert delivery.claim(row.pk, "worker-a:1") is not None
    assert delivery.claim(row.pk, "worker-b:1") is None
    assert CrossPost.objects.get(pk=row.pk).lease_owner == "worker-a:1"


def test_a_row_left_sending_by_a_stopped_worker_is_looked_for_before_it_is_sent(
    account,
):
    row = make_row(
        account,
        state=State.SENDING,
        lease_owner="worker-a:1",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
        attempts=1,
    )

    claimed = delivery.claim(row.pk, "worker-b:1")

    assert claimed.operation == CrossPost.Operation.RECONCILE
    assert CrossPost.objects.get(pk=row.pk).operation == "reconcile"
    assert claimed.lease_owner == "worker-b:1"


def test_a_row_that_moved_on_between_read_and_lease_is_not_claimed(account):
    """The lease is a compare-and-set: a worker that read the row before a
    comms manager cancelled it, or another worker leased it, gets nothing."""
    row = make_row(account)
    read_by_a = CrossPost.objects.get(pk=row.pk)
    read_by_b = CrossPost.objects.get(pk=row.pk)

    assert lifecycle.advance(read_by_a, "claimed", owner="worker-a:1") is not None
    assert lifecycle.advance(read_by_b, "claimed", owner="worker-b:1") is None

    cancelled = make_row(account, 2)
    read = CrossPost.objects.get(pk=cancelled.pk)
    CrossPost.objects.filter(pk=cancelled.pk).update(state=State.CANCELLED)
    assert lifecycle.advance(read, "claimed", owner="worker-a:1") is None
    assert CrossPost.objects.get(pk=row.pk).lease_owner == "worker-a:1"
    assert CrossPost.objects.get(pk=cancelled.pk).lease_owner == ""


def _posted(row, result):
    return lifecycle.advance(
        row, "posted", owned=True, result=result, sent_hash=row.sent_hash
    )


RESULT = PostResult(remote_id="200000000001_9", permalink="https://fb.example/9")


def test_recording_a_post_stores_the_link(account):
    row = delivery.claim(make_row(account).pk, "worker-a:1")
    saved_before = row.updated_at

    recorded = _posted(row, RESULT)

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
    row = delivery.claim(row.pk, "worker-a:1")

    recorded = _posted(row, RESULT)

    assert CrossPost.objects.get(pk=row.pk).posted_at == first_posted
    assert recorded.posted_at == first_posted


@pytest.fixture
def sent(monkeypatch):
    """The rows sent to a worker."""
    queued = []
    monkeypatch.setattr(dispatch, "enqueue", queued.extend)
    return queued


def test_a_post_that_lands_after_the_page_was_unpublished_is_retracted_next(
    account, sent
):
    row = delivery.claim(make_row(account).pk, "worker-a:1")
    # While the post was in flight, the editor unpublished the page.
    lifecycle.advance(CrossPost.objects.get(pk=row.pk), "unpublished")

    recorded = _posted(row, RESULT)

    stored = CrossPost.objects.get(pk=row.pk)
    assert (stored.state, stored.operation) == (State.RETRACTING, "retract")
    assert stored.remote_id == "200000000001_9"
    assert [queued.pk for queued in sent] == [row.pk]
    assert recorded.state == stored.state


def test_a_post_that_lands_after_the_page_changed_is_updated_next(account, sent):
    row = delivery.claim(make_row(account).pk, "worker-a:1")
    # While the post was in flight, the editor published a new text.
    lifecycle.advance(
        CrossPost.objects.get(pk=row.pk),
        "page_changed",
        content={"content_hash": "c" * 64, "text": "Bins: new dates."},
        problems=[],
        findings=[],
    )

    recorded = _posted(row, RESULT)

    stored = CrossPost.objects.get(pk=row.pk)
    assert (stored.state, stored.operation) == (State.UPDATING, "update")
    assert stored.permalink == "https://fb.example/9"
    assert stored.posted_hash == "a" * 64
    assert [queued.pk for queued in sent] == [row.pk]
    assert recorded.state == State.UPDATING


def test_a_worker_whose_lease_went_to_another_records_nothing(account):
    row = delivery.claim(make_row(account).pk, "worker-a:1")
    CrossPost.objects.filter(pk=row.pk).update(
        lease_owner="worker-b:1", attempts=row.attempts + 1
    )

    assert _posted(row, RESULT) is None
    assert CrossPost.objects.get(pk=row.pk).remote_id == ""


@pytest.mark.parametrize(("cap", "waits_hours"), [(1, 23), (2, 1), (3, None)])
def test_an_account_at_its_daily_cap_waits_until_a_day_after_its_capth_post(
    account, cap, waits_hours
):
    now = timezone.now()
    other = ChannelAccount.objects.create(
        platform="facebook", display_name="Parish council", remote_id="200000000002"
    )
    make_row(other, 200, state=State.POSTED, posted_at=now - timedelta(hours=1))
    for number, hours_ago in enumerate((1, 23, 25)):
        make_row(account, 100 + number, state=State.POSTED,
                 posted_at=now - timedelta(hours=hours_ago))
    account.daily_post_cap = cap
    account.save()

    row = delivery.claim(make_row(account).pk, "worker-a:1")
    until = budgets.spent_until(row)

    if waits_hours is None:
        assert until is None
    else:
        expected = now + timedelta(hours=waits_hours)
        assert abs(until - expected) < timedelta(seconds=5)


def test_a_delivery_names_the_page_type_in_history_without_reading_the_page(
    account, make_announcement, monkeypatch
):
    """The claim reads the page's content type with the row, so recording the
    post writes its history entry without a statement of its own for it: a
    worker writes an entry for each delivery, mostly of pages it has not seen."""
    from wagtail.models import PageLogEntry

    from publishing import audit

    monkeypatch.setattr(audit, "_page_content_types", {})
    page = make_announcement()
    row = make_row(account, page=page)

    with CaptureQueriesContext(connection) as queries:
        _posted(delivery.claim(row.pk, "worker-a:1"), RESULT)

    assert not [q for q in queries if 'FROM "wagtailcore_page"' in q["sql"]]
    entry = PageLogEntry.objects.get(
        page=page, action="publishing.crosspost.posted", data__crosspost=row.pk
    )
    assert entry.content_type_id == page.content_type_id


def test_an_account_under_its_daily_cap_is_counted_with_the_claim(account):
    """The claim reads how many posts the account made in the last day with
    the row, so a delivery under its account's cap asks nothing more."""
    account.daily_post_cap = 2
    account.save()
    make_row(account, 100, state=State.POSTED,
             posted_at=timezone.now() - timedelta(hours=1))
    row = make_row(account)

    with CaptureQueriesContext(connection) as queries:
        claimed = delivery.claim(row.pk, "worker-a:1")
        until = budgets.spent_until(claimed)

    assert until is None
    assert claimed.budget_posts == 1
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements == ["SELECT", "UPDATE"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_claim_is_a_read_and_a_lease_outside_any_transaction(account):
    """The compare-and-set decides a claim, so it takes no lock and opens no
    transaction: every statement saved is a round trip of each delivery."""
    row = make_row(account)

    with CaptureQueriesContext(connection) as queries:
        claimed = delivery.claim(row.pk, "worker-a:1")

    assert claimed.lease_owner == "worker-a:1"
    assert CrossPost.objects.get(pk=row.pk).lease_owner == "worker-a:1"
    assert [q["sql"].split()[0] for q in queries.captured_queries] == [
        "SELECT", "UPDATE"
    ]


def _stored(instance) -> dict:
    return {f.attname: getattr(instance, f.attname)
            for f in instance._meta.concrete_fields}


def test_every_row_the_claim_reads_is_one_the_sweeper_calls_due():
    """The claim's statement is the sweeper's ``due()``, compiled once: for
    every state, with no lease, a lapsed one, one lapsing this instant and a
    live one, and no wait, a past one, one ending this instant and a future
    one, the two agree on which rows a worker takes."""
    account = ChannelAccount.objects.create(platform="x", display_name="@council")
    now = timezone.now()
    times = (None, now - timedelta(minutes=1), now, now + timedelta(minutes=1))
    rows = []
    for state in State.values:
        for lease_expires_at in times:
            for next_attempt_at in times:
                rows.append(make_row(
                    account, len(rows), platform="x", state=state,
                    lease_owner="w:1" if lease_expires_at else "",
                    lease_expires_at=lease_expires_at,
                    next_attempt_at=next_attempt_at,
                ))

    read = {row.pk for row in rows if claim_read.read(row.pk, now) is not None}

    due = set(CrossPost.objects.due(now).values_list("pk", flat=True))
    assert read == due
    assert 0 < len(due) < len(rows)


def test_a_claim_loads_the_row_and_its_account_as_the_orm_does(account):
    """Every field as the ORM loads it: the account's tokens decrypted, JSON
    as Python values, times aware; and the account's posts of the last day."""
    now = timezone.now()
    account.access_token = "EAAB-page-token"
    account.refresh_token = "refresh-token"
    account.token_expires_at = now + timedelta(days=30)
    account.scopes = ["pages_manage_posts", "pages_read_engagement"]
    account.save()
    make_row(account, 100, state=State.POSTED, posted_at=now - timedelta(hours=2))
    make_row(account, 101, state=State.POSTED, posted_at=now - timedelta(days=2))
    row = make_row(
        account, state=State.RETRYING, urgent=True, attempts=2,
        next_attempt_at=now - timedelta(seconds=5),
        retrying_since=now - timedelta(minutes=3),
        media={"images": [{"path": "/media/images/bins.jpg",
                           "alt_text": "A bin lorry"}]},
        guard_findings=[{"rule": "phone", "excerpt": "01234 567890"}],
        retracted_remote_ids=["1234_5678"],
    )

    read = claim_read.read(row.pk, now)

    stored = CrossPost.objects.select_related("account").get(pk=row.pk)
    assert _stored(read) == _stored(stored)
    assert _stored(read.account) == _stored(stored.account)
    assert read.account.access_token == "EAAB-page-token"
    assert read.budget_posts == 1
    assert read.page_type_id is None  # a row whose page was deleted
    assert not read._state.adding


def test_a_warm_delivery_claims_and_records_without_building_a_query(account):
    """What a worker adds to a post (the per-item target of
    ``benchmarks.pipeline``) was mostly the ORM building and compiling the
    claim's read and the two moves, the lease and the post: each is a
    statement built once a process, and a delivery only runs them."""
    first, second = make_row(account, 1), make_row(account, 2)
    _posted(delivery.claim(first.pk, "worker-a:1"), RESULT)
    built = []

    def counting(kind):
        original = kind.as_sql

        def counted(compiler, *args, **kwargs):
            built.append(type(compiler).__name__)
            return original(compiler, *args, **kwargs)

        return counted

    with (
        mock.patch.object(SQLCompiler, "as_sql", counting(SQLCompiler)),
        mock.patch.object(SQLUpdateCompiler, "as_sql", counting(SQLUpdateCompiler)),
    ):
        claimed = delivery.claim(second.pk, "worker-a:1")
        recorded = _posted(claimed, RESULT)

    stored = CrossPost.objects.get(pk=second.pk)
    assert (stored.state, stored.attempts) == (recorded.state, 1) == (State.POSTED, 1)
    assert built == []


def test_a_move_that_sets_an_expression_still_compares_and_sets(account):
    """A value the database works out (an ``F()`` expression) goes through the
    ORM, with the same comparison: set while the row is as read, not after."""
    row = make_row(account, attempts=2)
    expected = {"state": State.PENDING, "attempts": 2}

    one_more = {"attempts": F("attempts") + 1}
    first = row_update.update_if_unchanged(row.pk, expected, one_more)
    again = row_update.update_if_unchanged(row.pk, expected, one_more)

    assert (first, again) == (1, 0)
    assert CrossPost.objects.get(pk=row.pk).attempts == 3
