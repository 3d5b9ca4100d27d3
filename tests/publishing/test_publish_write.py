"""What an editor's publish writes: the page's new rows and their entries in page
history, on PostgreSQL in one statement, and exactly what the ORM would write."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageLogEntry

from publishing import audit, publish_write
from publishing.models import CrossPost
from tests.publishing.conftest import make_account, publish, rows_for, unique_key

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one statement is PostgreSQL's"
)


def _inserts(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "INSERT INTO" in q["sql"]]


@pytest.mark.django_db
def test_each_new_row_gets_its_own_history_entry(accounts, make_announcement):
    page = make_announcement(live=False)

    with CaptureQueriesContext(connection) as captured:
        publish(page)

    rows = rows_for(page)
    assert len(rows) == 3
    entries = PageLogEntry.objects.filter(
        page_id=page.pk, action="publishing.crosspost.queued"
    )
    by_row = {entry.data["crosspost"]: entry for entry in entries}
    assert sorted(by_row) == sorted(row.pk for row in rows)
    for row in rows:
        entry = by_row[row.pk]
        assert entry.data == {
            "crosspost": row.pk,
            "platform": row.platform,
            "account": str(row.account),
            "state": row.state,
        }
        assert entry.label == page.title
        assert entry.content_type_id == page.content_type_id
    writes = [sql for sql in _inserts(captured) if '"publishing_crosspost"' in sql]
    if connection.vendor == "postgresql":
        # The rows and their entries: one statement, one round trip.
        assert len(writes) == 1 and '"wagtailcore_pagelogentry"' in writes[0]


def _unsaved_row(page, account, **fields) -> CrossPost:
    """A row with a value of every kind a row holds: times to the microsecond,
    nested JSON, text that needs quoting."""
    values = {
        "page_id": page.pk,
        "account": account,
        "platform": account.platform,
        "idempotency_key": f"written-{unique_key()}",
        "page_title": 'Bins "late" again',
        "department": "Waste and Recycling",
        "urgent": True,
        "text": "Line one\nLine two: 'quoted' \\ backslash — café 🚛",
        "link": "https://council.example/news/bins/?utm_source=x",
        "marker": "https://council.example/news/bins/",
        "media": {"images": [{"path": "/media/a.jpg", "alt_text": "A lorry"}]},
        "content_hash": "a" * 64,
        "state": CrossPost.State.HELD,
        "next_attempt_at": datetime.datetime(
            2026, 12, 5, 9, 30, 15, 123456, tzinfo=datetime.UTC
        ),
        "guard_findings": [{"rule": "embargo", "start": 3, "end": 11}],
    }
    return CrossPost(**(values | fields))


@on_postgresql
@pytest.mark.django_db
def test_the_statement_writes_what_the_orm_writes(site, make_policy, django_user_model):
    account = make_account()
    user = django_user_model.objects.create_user("editor", "editor@example.gov.uk")
    by_orm_page, by_statement_page = make_policy(), make_policy(title="Recycling")
    by_orm = _unsaved_row(by_orm_page, account)
    by_statement = _unsaved_row(by_statement_page, account)
    data = {"error": "A reason"}

    CrossPost.objects.bulk_create([by_orm])
    audit.log_many([(by_orm, "held", data)], user=user)
    publish_write.insert([by_statement], [(by_statement, "held", data)], user=user)

    assert by_statement.pk is not None and not by_statement._state.adding
    ignored = {"id", "page_id", "idempotency_key", "created_at", "updated_at"}
    names = [f.attname for f in CrossPost._meta.concrete_fields]

    def stored(row):
        return CrossPost.objects.filter(pk=row.pk).values(*names).get()

    orm_values, statement_values = stored(by_orm), stored(by_statement)
    assert {k: v for k, v in statement_values.items() if k not in ignored} == {
        k: v for k, v in orm_values.items() if k not in ignored
    }
    # The times set on save are kept whole, and are those on the object.
    assert statement_values["created_at"] == by_statement.created_at
    assert statement_values["updated_at"] == by_statement.updated_at

    ours = PageLogEntry.objects.filter(action__startswith="publishing.")
    orm_entry = ours.get(page_id=by_orm_page.pk)
    statement_entry = ours.get(page_id=by_statement_page.pk)
    assert statement_entry.data == {**orm_entry.data, "crosspost": by_statement.pk}
    for name in ("action", "user_id", "content_type_id", "uuid", "content_changed",
                 "deleted", "revision_id"):
        assert getattr(statement_entry, name) == getattr(orm_entry, name), name


@on_postgresql
@pytest.mark.django_db
def test_entries_find_their_rows_whatever_order_the_rows_come_back_in(
    site, make_policy
):
    page = make_policy()
    accounts = [
        make_account("x", "1"), make_account("facebook", "2"),
        make_account("youtube", "3"),
    ]
    rows = [_unsaved_row(page, account) for account in accounts]
    # Only the last two rows are logged: an entry belongs to its own row.
    logged = [(row, "queued", None) for row in rows[1:]]

    publish_write.insert(rows, logged)

    entries = PageLogEntry.objects.filter(
        page_id=page.pk, action__startswith="publishing."
    )
    assert sorted(e.data["crosspost"] for e in entries) == sorted(
        row.pk for row in rows[1:]
    )
    for entry in entries:
        row = CrossPost.objects.get(pk=entry.data["crosspost"])
        assert entry.data["platform"] == row.platform
