"""Claiming a row: the lease, what counts as due, and a row changed mid-claim.

These run the service functions in this process against the test database; the
pipeline tests run the same code in a real worker.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from channels.base import PostResult
from publishing import delivery_sql, services
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


@pytest.fixture
def two_statement_claim(monkeypatch):
    """The portable claim (read, then lease), whatever the database: the races
    below happen between its two statements."""
    monkeypatch.setattr(delivery_sql, "claims_in_one_statement", lambda: False)


def test_a_row_an_editor_changes_during_the_claim_is_read_again(
    account, monkeypatch, two_statement_claim
):
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


def test_a_row_cancelled_during_the_claim_is_not_claimed(
    account, monkeypatch, two_statement_claim
):
    row = make_row(account)
    real_is_due = CrossPost.is_due

    def cancelled_between_read_and_lease(self, now):
        CrossPost.objects.filter(pk=self.pk).update(state=State.CANCELLED)
        return real_is_due(self, now)

    monkeypatch.setattr(CrossPost, "is_due", cancelled_between_read_and_lease)

    assert services.claim(row.pk, "worker-a:1") is None
    stored = CrossPost.objects.get(pk=row.pk)
    assert (stored.state, stored.lease_owner) == (State.CANCELLED, "")


postgresql_only = pytest.mark.skipif(
    "not delivery_sql.claims_in_one_statement()",
    reason="the one-statement claim is PostgreSQL's",
)


def _lease_kind(row: CrossPost, claimed_at) -> str:
    """Which lease the row got: the short one, or the long one for uploads."""
    remaining = (row.lease_expires_at - claimed_at).total_seconds()
    short = settings.CROSSPOST_LEASE_SECONDS
    long = settings.CROSSPOST_UPLOAD_LEASE_SECONDS
    return "upload" if abs(remaining - long) < abs(remaining - short) else "short"


@postgresql_only
def test_the_one_statement_claim_decides_as_the_two_statement_claim(
    account, monkeypatch
):
    now = timezone.now()
    moments = [None, now - timedelta(minutes=1), now + timedelta(minutes=1)]
    videos = [{}, {"video": {"id": 7}}, {"video": None}, {"video": {}}, {"video": 0}]
    operations = CrossPost.Operation.values
    combinations = itertools.product(State.values, moments, moments)
    # Each kind of row twice, its operation and media taking turns.
    pairs = [
        [
            make_row(account, 2 * number + twin, state=state,
                     operation=operations[number % len(operations)],
                     lease_expires_at=lease, next_attempt_at=wait,
                     media=videos[number % len(videos)])
            for twin in (0, 1)
        ]
        for number, (state, lease, wait) in enumerate(combinations)
    ]

    def outcome(row_id: int, one_statement: bool):
        monkeypatch.setattr(
            delivery_sql, "claims_in_one_statement", lambda: one_statement
        )
        claimed_at = timezone.now()
        claimed = services.claim(row_id, "worker-a:1")
        stored = CrossPost.objects.get(pk=row_id)
        if claimed is None:
            return None, stored.state, stored.lease_owner
        assert [getattr(claimed, name) for name in ("state", "attempts",
                "outcome_unknown", "lease_owner", "lease_expires_at")] == [
            getattr(stored, name) for name in ("state", "attempts",
            "outcome_unknown", "lease_owner", "lease_expires_at")]
        return (stored.state, stored.attempts, stored.outcome_unknown,
                stored.lease_owner, _lease_kind(stored, claimed_at),
                claimed.account.display_name, claimed.account_posts_last_day)

    disagreements = [
        (one.state, one.operation, one.lease_expires_at, one.next_attempt_at,
         one.media)
        for one, two in pairs
        if outcome(one.pk, True) != outcome(two.pk, False)
    ]
    claimed = CrossPost.objects.filter(lease_owner="worker-a:1")
    assert claimed.exists(), "some combination must be claimed"
    assert {row.queue for row in claimed} == {"crosspost", "uploads"}
    assert claimed.count() < len(pairs) * 2, "and some must not"
    assert disagreements == []


@postgresql_only
def test_the_one_statement_claim_reports_a_lease_that_expired_while_sending(
    account,
):
    from wagtail.models import Page, PageLogEntry

    page = Page.get_first_root_node()
    row = make_row(
        account,
        page=page,
        state=State.SENDING,
        lease_owner="worker-a:1",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )

    claimed = services.claim(row.pk, "worker-b:1")

    assert (claimed.state, claimed.lease_owner) == (State.SENDING, "worker-b:1")
    assert claimed.outcome_unknown is True
    assert list(
        PageLogEntry.objects.filter(page=page).values_list("action", flat=True)
    ) == ["publishing.crosspost.lease_expired"]


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_one_statement_claim_waits_for_an_editors_save_and_takes_the_saved_row(
    account,
):
    import threading

    from django.db import connection, transaction

    row = make_row(account)
    results = {}

    def worker_claims() -> None:
        try:
            results["claimed"] = services.claim(row.pk, "worker-a:1")
        finally:
            connection.close()  # this thread's own connection

    with transaction.atomic():
        # The editor publishes a new revision; the worker's claim comes meanwhile.
        edited = CrossPost.objects.get(pk=row.pk)
        edited.text, edited.content_hash = "Bins: new dates.", "b" * 64
        edited.save()
        worker = threading.Thread(target=worker_claims)
        worker.start()
        worker.join(0.5)
        assert worker.is_alive(), "the claim waits for the editor's transaction"
    worker.join(10)

    claimed = results["claimed"]
    assert (claimed.text, claimed.content_hash) == ("Bins: new dates.", "b" * 64)
    stored = CrossPost.objects.get(pk=row.pk)
    assert (stored.lease_owner, stored.state) == ("worker-a:1", State.SENDING)


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


def _claims_sent(row_ids, owner="worker-a:1") -> list[tuple[str, object]]:
    """The claim statements ``services.claim`` sends for ``row_ids``."""
    from django.db import connection

    sent = []

    def capture(execute, sql, params, many, context):
        if sql.startswith("UPDATE"):
            sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        for row_id in row_ids:
            services.claim(row_id, owner)
    return sent


def _scans_of(plan: dict, alias: str) -> list[dict]:
    """Every node of an EXPLAIN (FORMAT JSON) plan that reads ``alias`` (not
    the UPDATE's own node, which writes it)."""
    reads = plan.get("Alias") == alias and plan["Node Type"] != "ModifyTable"
    found = [plan] if reads else []
    for child in plan.get("Plans", []):
        found += _scans_of(child, alias)
    return found


@postgresql_only
def test_the_claim_reads_its_row_by_key_however_many_rows_are_due(account):
    from django.db import connection

    rows = [make_row(account, number) for number in range(60)]
    [(sql, params)] = _claims_sent([rows[30].pk])

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        [[plan]] = cursor.fetchone()

    [scan] = _scans_of(plan["Plan"], "r")
    # Not every due row joined to the locked one: the row, by its primary key.
    assert "Index" in scan["Node Type"], scan["Node Type"]
    assert "before" not in scan["Index Cond"], scan["Index Cond"]


@postgresql_only
def test_a_connection_plans_the_claim_once_and_then_reuses_it(account):
    from django.db import connection

    if not connection.settings_dict["OPTIONS"].get("prepare_threshold"):
        pytest.skip("DATABASE_PREPARED_STATEMENTS is off")
    rows = [make_row(account, number) for number in range(8)]
    sent = _claims_sent([row.pk for row in rows])
    assert len(sent) == len(rows) and len({sql for sql, _params in sent}) == 1

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any(
        statement.startswith('UPDATE "publishing_crosspost" AS r')
        for statement in prepared
    ), prepared
    claimed = CrossPost.objects.filter(pk__in=[row.pk for row in rows])
    assert {row.lease_owner for row in claimed} == {"worker-a:1"}
