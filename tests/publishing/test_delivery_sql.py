"""The delivery's hand-written statements read and write what the ORM would.

They run on whichever database the suite uses (SQLite by default, PostgreSQL in
CI), which is the point: the SQL is meant to be portable, except recording an
outcome with its audit entry, which is one statement on PostgreSQL and a
transaction elsewhere, and is tested on both.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.models import Page, PageLogEntry

from publishing import delivery_sql
from publishing.models import ChannelAccount, CrossPost

from .test_claim import make_row as make_claim_row

State = CrossPost.State
pytestmark = pytest.mark.django_db


@pytest.fixture
def account(db):
    return ChannelAccount.objects.create(
        platform="x",
        display_name="Exampleshire CC",
        remote_id="1500000000000000001",
        access_token="access-secret",
        refresh_token="refresh-secret",
        token_expires_at=timezone.now() + timedelta(hours=2),
        scopes=["tweet.write", "offline.access"],
        extra={"username": "ExampleshireCC", "ids": [1, 2]},
        daily_post_cap=17,
    )


def make_row(account, number=0, **fields) -> CrossPost:
    """A row waiting for a retry, with text beyond ASCII, for the statements to
    read."""
    retrying = {
        "platform": "x",
        "text": "Bins are collected a day late this week. £5 fine — ünïcode",
        "state": State.RETRYING,
        "attempts": 2,
        "next_attempt_at": timezone.now() - timedelta(seconds=5),
        "last_error": "X answered 503.",
    }
    return make_claim_row(account, number, **(retrying | fields))


def field_values(instance) -> dict:
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
    }


def test_the_read_returns_what_the_orm_returns_for_the_row_and_its_account(account):
    page = Page.get_first_root_node()
    row = make_row(account, page=page)
    orm = CrossPost.objects.select_related("account").get(pk=row.pk)

    read = delivery_sql.read_for_delivery(row.pk, timezone.now() - timedelta(days=1))

    assert field_values(read) == field_values(orm)
    assert field_values(read.account) == field_values(orm.account)
    # Converted as the ORM converts: decrypted tokens, parsed JSON, aware times.
    assert read.account.access_token == "access-secret"
    assert read.account.extra == {"username": "ExampleshireCC", "ids": [1, 2]}
    assert read.next_attempt_at.tzinfo is not None
    assert read.page_content_type_id == page.content_type_id
    assert read._state.adding is False
    assert read._state.db == "default"
    # The account arrives with the row, as select_related would load it.
    assert CrossPost.account.is_cached(read)


def test_a_row_without_a_page_or_a_missing_row(account):
    row = make_row(account)

    assert delivery_sql.read_for_delivery(row.pk, timezone.now()).page_content_type_id \
        is None
    assert delivery_sql.read_for_delivery(row.pk + 1000, timezone.now()) is None


def test_update_row_matches_nulls_and_times_exactly_as_read(account):
    row = delivery_sql.read_for_delivery(make_row(account).pk, timezone.now())
    assert row.lease_expires_at is None
    lease_until = timezone.now() + timedelta(minutes=5)

    taken = delivery_sql.update_row(
        row,
        {"lease_owner": "worker-a:1", "lease_expires_at": lease_until},
        unchanged=("state", "lease_expires_at", "next_attempt_at", "updated_at"),
    )

    assert taken
    stored = CrossPost.objects.get(pk=row.pk)
    assert (stored.lease_owner, stored.lease_expires_at) == ("worker-a:1", lease_until)
    assert (row.lease_owner, row.lease_expires_at) == ("worker-a:1", lease_until)


def test_update_row_leaves_a_row_that_changed_since_it_was_read(account):
    row = delivery_sql.read_for_delivery(make_row(account).pk, timezone.now())
    CrossPost.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())

    taken = delivery_sql.update_row(
        row, {"lease_owner": "worker-a:1"}, unchanged=("next_attempt_at",)
    )

    assert not taken
    assert CrossPost.objects.get(pk=row.pk).lease_owner == ""
    assert row.lease_owner == ""


def test_update_row_skips_excluded_values_and_fills_only_empty_fields(account):
    first = timezone.now() - timedelta(days=2)
    posted = make_row(account, 1, posted_at=first)
    waiting = make_row(account, 2)
    retracting = make_row(account, 3, operation="retract")
    later = timezone.now()

    for row in (posted, waiting, retracting):
        delivery_sql.update_row(
            row,
            {"posted_at": later, "state": State.POSTED},
            excluding={"operation": "retract"},
            fill=("posted_at",),
        )

    stored = {row.pk: CrossPost.objects.get(pk=row.pk) for row in
              (posted, waiting, retracting)}
    assert (stored[posted.pk].posted_at, stored[posted.pk].state) == (
        first, State.POSTED)
    assert (stored[waiting.pk].posted_at, stored[waiting.pk].state) == (
        later, State.POSTED)
    assert (stored[retracting.pk].posted_at, stored[retracting.pk].state) == (
        None, State.RETRYING)
    assert posted.posted_at == first


def _posted_entry(row, **fields) -> PageLogEntry:
    # Not the tree's root page: a test without a test transaction may find the
    # tree emptied by an earlier one. The entry's page is not a constraint.
    defaults = {
        "page_id": 1,
        "content_type_id": ContentType.objects.get_for_model(Page).pk,
        "label": "Bins collected a day late",
        "action": "publishing.crosspost.posted",
        "timestamp": timezone.now(),
        "uuid": uuid.uuid4(),
        "data": {"crosspost": row.pk, "state": "posted", "ms": 1.5},
    }
    return PageLogEntry(**(defaults | fields))


def _entries_for(row) -> list[dict]:
    return list(
        PageLogEntry.objects.filter(data__crosspost=row.pk).values("action", "data")
    )


def test_update_row_writes_its_entries_with_the_row_in_one_statement(account):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    row = delivery_sql.read_for_delivery(make_row(account).pk, timezone.now())
    entries = [_posted_entry(row), _posted_entry(row, user_id=None, label="Second")]

    with CaptureQueriesContext(connection) as queries:
        taken = delivery_sql.update_row(
            row,
            {"state": State.POSTED, "permalink": "https://x.com/a/status/9"},
            unchanged=("attempts",),
            then_insert=entries,
        )

    assert taken
    stored = CrossPost.objects.get(pk=row.pk)
    assert (stored.state, stored.permalink) == (State.POSTED, "https://x.com/a/status/9")
    assert _entries_for(row) == [
        {"action": "publishing.crosspost.posted",
         "data": {"crosspost": row.pk, "state": "posted", "ms": 1.5}},
    ] * 2
    statements = [query["sql"] for query in queries.captured_queries]
    if connection.vendor == "postgresql":
        # One round trip: the UPDATE inside the INSERT's WITH.
        assert len(statements) == 1
        assert statements[0].startswith("WITH changed AS (UPDATE")
    else:
        writes = [sql for sql in statements if sql.startswith(("UPDATE", "INSERT"))]
        assert [sql.split()[0] for sql in writes] == ["UPDATE", "INSERT"]


def test_update_row_writes_no_entries_when_the_row_changed_meanwhile(account):
    row = delivery_sql.read_for_delivery(make_row(account).pk, timezone.now())
    CrossPost.objects.filter(pk=row.pk).update(attempts=5)

    taken = delivery_sql.update_row(
        row, {"state": State.POSTED}, unchanged=("attempts",),
        then_insert=[_posted_entry(row)],
    )

    assert not taken
    assert CrossPost.objects.get(pk=row.pk).state == State.RETRYING
    assert row.state == State.RETRYING
    assert _entries_for(row) == []


# As a worker runs it: without a test transaction around it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_update_row_and_its_entries_land_together_or_not_at_all(account):
    from django.db import IntegrityError

    row = delivery_sql.read_for_delivery(make_row(account).pk, timezone.now())
    broken = _posted_entry(row)
    broken.action = None  # NOT NULL: the INSERT fails after the UPDATE matched

    with pytest.raises(IntegrityError):
        delivery_sql.update_row(row, {"state": State.POSTED}, then_insert=[broken])

    assert CrossPost.objects.get(pk=row.pk).state == State.RETRYING
    assert _entries_for(row) == []


def test_insert_stores_what_bulk_create_would(db, django_user_model):
    page = Page.get_first_root_node()
    user = django_user_model.objects.create(username="comms")
    now = timezone.now()
    entries = [
        PageLogEntry(
            page_id=page.pk,
            content_type_id=page.content_type_id,
            label="Bins collected a day late",
            action="publishing.crosspost.posted",
            timestamp=now,
            uuid=uuid.uuid4(),
            user=user if number else None,
            data={"crosspost": number, "permalink": "https://fb.example/9", "ms": 1.5},
        )
        for number in range(3)
    ]

    delivery_sql.insert(entries)

    stored = list(
        PageLogEntry.objects.filter(action="publishing.crosspost.posted").order_by("id")
    )
    compared = ("page_id", "content_type_id", "label", "action", "timestamp", "uuid",
                "user_id", "data", "content_changed", "deleted", "revision_id")
    assert [[getattr(entry, name) for name in compared] for entry in stored] == [
        [getattr(entry, name) for name in compared] for entry in entries
    ]


def test_insert_splits_what_the_database_takes_in_one_statement(db, monkeypatch):
    from django.db import connection

    page = Page.get_first_root_node()
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    entries = [
        PageLogEntry(page_id=page.pk, content_type_id=page.content_type_id,
                     label=f"Entry {number}", action="publishing.crosspost.queued",
                     timestamp=timezone.now(), data={})
        for number in range(5)
    ]

    delivery_sql.insert(entries)
    delivery_sql.insert([])

    assert sorted(
        PageLogEntry.objects.filter(action="publishing.crosspost.queued")
        .values_list("label", flat=True)
    ) == [f"Entry {number}" for number in range(5)]


def test_insert_gives_each_row_its_own_id_across_batches(account, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    accounts = [account] + [
        ChannelAccount.objects.create(platform="facebook", display_name=f"Page {n}",
                                      remote_id=f"20000000000{n}")
        for n in range(4)
    ]
    rows = [
        CrossPost(account=chosen, platform=chosen.platform, state=State.PENDING,
                  idempotency_key=f"0:{n}:{chosen.pk}", page_title=f"Row {n}",
                  text=f"Bins day {n}: £5 fine — ünïcode",
                  media={"images": [{"path": f"/m/{n}.jpg", "alt_text": "Bins"}]})
        for n, chosen in enumerate(accounts)
    ]

    delivery_sql.insert(rows, set_ids=True)

    stored = CrossPost.objects.in_bulk()
    assert len(stored) == 5 and {row.pk for row in rows} == set(stored)
    assert [field_values(stored[row.pk]) for row in rows] == [
        field_values(row) for row in rows
    ]
    assert not any(row._state.adding for row in rows)


def test_insert_can_leave_out_rows_a_unique_constraint_already_holds(
    account, monkeypatch
):
    from django.db import connection

    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    page = Page.get_first_root_node()
    facebook = [
        ChannelAccount.objects.create(platform="facebook", display_name=f"Page {n}",
                                      remote_id=f"20000000000{n}")
        for n in range(2)
    ]

    def row(chosen, revision):
        return CrossPost(page_id=page.pk, account=chosen, platform=chosen.platform,
                         state=State.PENDING, page_title=f"Revision {revision}",
                         idempotency_key=f"{page.pk}:{revision}:{chosen.pk}")

    held = row(facebook[0], 1)
    delivery_sql.insert([held], set_ids=True)
    fresh = [row(account, 2), row(facebook[0], 2), row(facebook[1], 2)]

    written = delivery_sql.insert(
        fresh, set_ids=True, skip_conflicts_on=("page", "account")
    )

    # Across two statements (batches of two), each written row got its own id.
    assert [row is fresh[0] or row is fresh[2] for row in written] == [True, True]
    assert fresh[1].pk is None and fresh[1]._state.adding
    stored = dict(
        CrossPost.objects.filter(page_id=page.pk).values_list("pk", "idempotency_key")
    )
    assert stored == {
        held.pk: held.idempotency_key,
        fresh[0].pk: fresh[0].idempotency_key,
        fresh[2].pk: fresh[2].idempotency_key,
    }
    with pytest.raises(ValueError, match="set_ids"):
        delivery_sql.insert(fresh[1:2], skip_conflicts_on=("page", "account"))
