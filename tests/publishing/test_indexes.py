"""The outbox table keeps the indexes its queries need and no others.

Every delivery rewrites a row's indexes twice (the claim and the outcome both
move its state), so an index that another already serves is paid for on every
post and read by nothing. Read from the database itself (SQLite by default,
PostgreSQL in CI), so what the migrations made is what is checked.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from publishing.models import ChannelAccount, CrossPost

from .conftest import make_row

pytestmark = pytest.mark.django_db


def _indexes() -> dict[str, dict]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(
            cursor, CrossPost._meta.db_table
        )
    # A unique constraint is backed by an index, though not listed as one.
    return {
        name: info for name, info in found.items() if info["index"] or info["unique"]
    }


def test_no_plain_index_repeats_the_leading_columns_of_another():
    indexes = _indexes()
    redundant = sorted(
        (name, other)
        for name, info in indexes.items()
        # A unique index enforces something; only plain ones can be spare.
        if not info["unique"]
        for other, other_info in indexes.items()
        if other != name
        and other_info["columns"][: len(info["columns"])] == info["columns"]
    )
    assert redundant == []


def test_the_lookups_that_dropped_their_own_index_are_still_covered():
    leading = {tuple(info["columns"][:1]) for info in _indexes().values()}
    for column in ("page_id", "account_id", "state", "idempotency_key"):
        assert (column,) in leading, f"nothing indexes {column} first"


def test_an_idempotency_key_is_still_unique():
    account = ChannelAccount.objects.create(
        platform="facebook", display_name="Exampleshire CC", remote_id="200000000001"
    )
    row = make_row(account, CrossPost.State.PENDING)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_row(account, CrossPost.State.PENDING, idempotency_key=row.idempotency_key)
