"""A page's first publish writes its rows without looking for them first; a row
that exists after all takes the new revision instead of being duplicated."""

from __future__ import annotations

import pytest

from publishing import outbox
from publishing.models import CrossPost
from tests.publishing.conftest import publish, rows_for

State = CrossPost.State
LOCKING_READ = 'FROM "publishing_crosspost"'


def _locking_reads(captured) -> list[str]:
    return [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT") and LOCKING_READ in query["sql"]
    ]


@pytest.mark.django_db
def test_rows_that_exist_at_a_first_publish_take_its_revision(
    accounts, make_announcement
):
    page = make_announcement(live=False)
    publish(page)
    first_rows = {row.account_id: row for row in rows_for(page)}
    # One account's row is gone; the others are there, which a first publish
    # does not expect.
    first_rows.pop(accounts["x"].pk).delete()
    page.title = "Bins collected two days late"
    revision = page.save_revision()
    assert page.first_published_at == page.last_published_at  # still "first"

    changed, skipped = outbox.queue_page(page, revision)

    rows = {row.account_id: row for row in rows_for(page)}
    assert sorted(rows) == sorted(account.pk for account in accounts.values())
    assert skipped == []
    assert {row.revision_id for row in rows.values()} == {revision.pk}
    # The two that existed kept their ids and were changed, not duplicated; the
    # missing one was written anew.
    for account_id, before in first_rows.items():
        assert rows[account_id].pk == before.pk
    assert rows[accounts["x"].pk].pk not in {row.pk for row in first_rows.values()}
    assert sorted(row.pk for row in changed) == sorted(row.pk for row in rows.values())
    assert all(row.state == State.PENDING for row in rows.values())


def _kind(sql: str) -> str:
    if sql.startswith("INSERT INTO"):
        table = sql.split('"')[1]
        return f"INSERT {table}"
    kinds = {
        "the site's settings and accounts, the page's department, image and video": (
            "publishing_socialsettings",
            "publishing_protocolsettings",
            "publishing_channelaccount",
            "core_department",
            "wagtailimages_image",
            "wagtaildocs_document",
        ),
    }
    for kind, tables in kinds.items():
        if all(f'"{table}"' in sql for table in tables):
            return kind
    return sql
