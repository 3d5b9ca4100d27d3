"""The statements a delivery runs for every post, written from the models' metadata.

Every delivery reads its row, takes the lease, records the outcome and writes
an audit entry (see :func:`publishing.services.claim`,
:func:`publishing.services.deliver` and :mod:`publishing.audit`).
Built through the ORM, those statements cost more CPU to assemble (a queryset
with a join, a subquery and an annotation, compiled afresh for every post)
than the database took to run them, and a worker shares its cores with the
deliveries of the page's other rows. Here the SQL text comes straight from the
models' fields, in portable SQL (PostgreSQL and SQLite alike), and each value
still goes through its field's own conversion both ways, as the ORM does it,
so encrypted tokens, JSON and datetimes read and compare the same.

The statements mean what their ORM versions meant: a plain read, conditional
UPDATEs that only touch the row if it is as the caller last saw it, and an
INSERT like ``bulk_create``'s. One is PostgreSQL's own: recording an outcome
writes the row and its audit entry in a single statement there (see
:func:`update_row`), because on a busy machine every round trip to the database
is a wait for a core as well as for the answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import connections, router, transaction
from django.db.models import Field, Model

from .models import ChannelAccount, CrossPost

T = TypeVar("T")


class Columns:
    """One model's concrete fields as selected under a table alias, with the
    converters that turn what the database driver returns into field values.

    Fields named in ``exclude`` are not selected: an instance :meth:`build`
    makes leaves them deferred, as ``QuerySet.defer`` would."""

    def __init__(
        self, model: type[Model], alias: str, connection, exclude: Iterable[str] = ()
    ) -> None:
        quote = connection.ops.quote_name
        self.model = model
        left_out = set(exclude)
        fields = [
            field for field in model._meta.concrete_fields if field.name not in left_out
        ]
        self.count = len(fields)
        self.sql = ", ".join(f"{alias}.{quote(field.column)}" for field in fields)
        self.attnames = [field.attname for field in fields]
        #: Where the primary key is among the values (NULL: no row was joined).
        self.pk_position = self.attnames.index(model._meta.pk.attname)
        self.converters = []
        for position, field in enumerate(fields):
            column = field.get_col(model._meta.db_table)
            # The backend's converters first, then the field's: the compiler's order.
            found = [
                *connection.ops.get_db_converters(column),
                *column.get_db_converters(connection),
            ]
            if found:
                self.converters.append((position, column, found))

    def build(self, values: list, connection) -> Model:
        for position, column, converters in self.converters:
            value = values[position]
            for convert in converters:
                value = convert(value, column, connection)
            values[position] = value
        return self.model.from_db(connection.alias, self.attnames, values)


class _ReadStatement:
    """The row, its account, its page's content type and the account's posts in
    the window before a given time, in one SELECT."""

    def __init__(self, connection) -> None:
        quote = connection.ops.quote_name
        self.row = Columns(CrossPost, "r", connection)
        self.account = Columns(ChannelAccount, "a", connection)
        page_field = CrossPost._meta.get_field("page")
        page_model = page_field.related_model
        table = quote(CrossPost._meta.db_table)
        account_column = quote(CrossPost._meta.get_field("account").column)
        posted_at = quote(CrossPost._meta.get_field("posted_at").column)
        # Names come from model metadata, every value is a parameter.
        self.sql = (
            f"SELECT {self.row.sql}, {self.account.sql}, "  # noqa: S608
            f"p.{quote(page_model._meta.get_field('content_type').column)}, "
            f"(SELECT COUNT(*) FROM {table} b WHERE b.{account_column} = "
            f"r.{account_column} AND b.{posted_at} >= %s) "
            f"FROM {table} r "
            f"INNER JOIN {quote(ChannelAccount._meta.db_table)} a "
            f"ON a.{quote(ChannelAccount._meta.pk.column)} = r.{account_column} "
            f"LEFT OUTER JOIN {quote(page_model._meta.db_table)} p "
            f"ON p.{quote(page_model._meta.pk.column)} = r.{quote(page_field.column)} "
            f"WHERE r.{quote(CrossPost._meta.pk.column)} = %s"
        )


class _ClaimStatement:
    """PostgreSQL's claim in one statement: an UPDATE that takes the lease only
    if the row is due, RETURNING what :class:`_ReadStatement` reads (with the
    row as it is now) and the state the row was in before.

    It decides as the Python it stands for: due as :meth:`CrossPost.is_due`,
    the lease's length by :attr:`CrossPost.queue` and the new state by
    ``CrossPost.IN_FLIGHT_STATES``; tests hold the two to each other. Its
    subquery locks the row first (``FOR UPDATE``), so a row that another
    transaction is changing is judged as that change leaves it, and the state
    it returns is the one this claim replaced.
    """

    def __init__(self, connection) -> None:
        quote = connection.ops.quote_name
        meta = CrossPost._meta
        self.row = Columns(CrossPost, "r", connection)
        self.account = Columns(ChannelAccount, "a", connection)
        column = {field.name: quote(field.column) for field in meta.concrete_fields}
        table, pk = quote(meta.db_table), quote(meta.pk.column)
        page_model = meta.get_field("page").related_model
        page_meta = page_model._meta
        state, lease_until = column["state"], column["lease_expires_at"]
        self.constants: dict[str, object] = {
            "sending": CrossPost.State.SENDING.value,
            "queued": sorted(queued.value for queued in CrossPost.QUEUED_STATES),
        }
        in_flight = []
        for number, (operation, flight) in enumerate(
            CrossPost.IN_FLIGHT_STATES.items()
        ):
            self.constants[f"operation_{number}"] = operation.value
            self.constants[f"in_flight_{number}"] = flight.value
            in_flight.append(f"WHEN %(operation_{number})s THEN %(in_flight_{number})s")
        # CrossPost.queue: a video that Python counts as true (not a JSON null,
        # false, zero or empty value) goes to the uploads queue.
        video = (
            f"COALESCE(r.{column['media']} -> 'video' NOT IN "
            "('null', 'false', '0', '\"\"', '[]', '{}'), FALSE)"
        )
        # Names come from model metadata, every value is a parameter.
        self.sql = (
            f"UPDATE {table} AS r SET "  # noqa: S608
            f"{column['lease_owner']} = %(owner)s, "
            f"{lease_until} = CASE WHEN {video} "
            "THEN %(upload_lease_until)s ELSE %(lease_until)s END, "
            f"{column['attempts']} = r.{column['attempts']} + 1, "
            f"{column['outcome_unknown']} = "
            f"r.{column['outcome_unknown']} OR r.{state} = %(sending)s, "
            f"{state} = CASE r.{column['operation']} {' '.join(in_flight)} END "
            f"FROM {quote(ChannelAccount._meta.db_table)} AS a, "
            f"(SELECT {pk}, {state} FROM {table} "
            f"WHERE {pk} = %(row_id)s FOR UPDATE) AS before "
            # The row's key on both sides, not only in the join: else, while the
            # table's statistics lag (a new table, a burst just written), the
            # planner may scan every due row to find this one.
            f"WHERE r.{pk} = %(row_id)s AND before.{pk} = %(row_id)s "
            f"AND a.{quote(ChannelAccount._meta.pk.column)} = r.{column['account']} "
            f"AND ((r.{state} = ANY(%(queued)s) "
            f"AND (r.{lease_until} IS NULL OR r.{lease_until} < %(now)s) "
            f"AND (r.{column['next_attempt_at']} IS NULL "
            f"OR r.{column['next_attempt_at']} <= %(now)s)) "
            f"OR (r.{state} = %(sending)s AND r.{lease_until} < %(now)s)) "
            f"RETURNING {self.row.sql}, {self.account.sql}, "
            f"(SELECT p.{quote(page_meta.get_field('content_type').column)} "
            f"FROM {quote(page_meta.db_table)} p "
            f"WHERE p.{quote(page_meta.pk.column)} = r.{column['page']}), "
            f"(SELECT COUNT(*) FROM {table} b "
            f"WHERE b.{column['account']} = r.{column['account']} "
            f"AND b.{column['posted_at']} >= %(posted_since)s), "
            f"before.{state}"
        )


def claims_in_one_statement() -> bool:
    """Whether :func:`claim` is available: on PostgreSQL."""
    return connections[router.db_for_write(CrossPost)].vendor == "postgresql"


def claim(
    row_id: int,
    *,
    owner: str,
    now: datetime,
    lease_until: datetime,
    upload_lease_until: datetime,
    posted_since: datetime,
) -> tuple[CrossPost, str] | None:
    """Lease the row to ``owner`` if it is due at ``now``, in one statement
    (PostgreSQL only): ``None`` if it is not due or not there, else the row
    as it now is, loaded as :func:`read_for_delivery` loads it, and the state it
    was in. The lease lasts until ``upload_lease_until`` for a row with a video,
    else until ``lease_until``."""
    connection = connections[router.db_for_write(CrossPost)]
    statement = written_once(_ClaimStatement, connection)
    moment = CrossPost._meta.get_field("lease_expires_at")
    params = {
        **statement.constants,
        "row_id": row_id,
        "owner": owner,
        "now": moment.get_db_prep_value(now, connection),
        "lease_until": moment.get_db_prep_value(lease_until, connection),
        "upload_lease_until": moment.get_db_prep_value(upload_lease_until, connection),
        "posted_since": moment.get_db_prep_value(posted_since, connection),
    }
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    row, extra = _loaded(statement, found, connection)
    row.page_content_type_id, row.account_posts_last_day, before = extra
    return row, before


def _loaded(statement, found, connection) -> tuple[CrossPost, list]:
    """The row a statement returned, with its account loaded (as
    ``select_related`` would), and the values that followed them."""
    values = list(found)
    split = statement.row.count
    end = split + statement.account.count
    row = statement.row.build(values[:split], connection)
    account = statement.account.build(values[split:end], connection)
    CrossPost._meta.get_field("account").set_cached_value(row, account)
    return row, values[end:]


_statements: dict[tuple, Any] = {}


def written_once(kind: type[T], connection, *args: Any) -> T:
    """``kind(connection, *args)``, written once for each database and arguments:
    the SQL text depends on nothing else."""
    key = (kind, connection.alias, connection.vendor, *args)
    if key not in _statements:
        _statements[key] = kind(connection, *args)
    return _statements[key]


def read_for_delivery(row_id: int, posted_since: datetime) -> CrossPost | None:
    """The row with its account loaded (as ``select_related`` would), and two
    more attributes: ``page_content_type_id`` (``None`` once the page is gone)
    and ``account_posts_last_day``, how many posts the account made from
    ``posted_since`` on."""
    connection = connections[router.db_for_read(CrossPost)]
    statement = written_once(_ReadStatement, connection)
    since = CrossPost._meta.get_field("posted_at").get_db_prep_value(
        posted_since, connection
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [since, row_id])
        found = cursor.fetchone()
    if found is None:
        return None
    row, extra = _loaded(statement, found, connection)
    row.page_content_type_id, row.account_posts_last_day = extra
    return row


def update_row(
    row: CrossPost,
    changes: dict,
    *,
    unchanged: Iterable[str] = (),
    excluding: dict | None = None,
    fill: Iterable[str] = (),
    then_insert: Sequence[Model] = (),
) -> bool:
    """``UPDATE`` the row with ``changes``, only if each field named in
    ``unchanged`` still holds the value ``row`` has in memory and no field in
    ``excluding`` (not-null fields) holds the value given there. A field named
    in ``fill`` is written only if it is empty (NULL) and otherwise keeps its
    value. ``True`` if the row matched; the row in memory then gets the changes
    too (a ``fill`` field only if it was empty in memory).

    ``then_insert`` (unsaved instances of one model, such as audit entries) are
    INSERTed if, and only if, the row matched, atomically with the UPDATE. On
    PostgreSQL both are one statement (the UPDATE in a ``WITH``), so a worker
    records an outcome and its audit entry in one round trip to the database
    instead of four (BEGIN, UPDATE, INSERT, COMMIT); elsewhere they share a
    transaction."""
    connection = connections[router.db_for_write(CrossPost)]
    quote = connection.ops.quote_name
    meta = CrossPost._meta
    fill = set(fill)
    assignments, conditions, params = [], [], []
    for name, value in changes.items():
        field = meta.get_field(name)
        column = quote(field.column)
        if name in fill:
            assignments.append(f"{column} = COALESCE({column}, %s)")
        else:
            assignments.append(f"{column} = %s")
        params.append(field.get_db_prep_save(value, connection))
    conditions.append(f"{quote(meta.pk.column)} = %s")
    params.append(row.pk)
    for name in unchanged:
        field = meta.get_field(name)
        value = getattr(row, field.attname)
        if value is None:
            conditions.append(f"{quote(field.column)} IS NULL")
        else:
            conditions.append(f"{quote(field.column)} = %s")
            params.append(field.get_db_prep_value(value, connection))
    for name, value in (excluding or {}).items():
        field = meta.get_field(name)
        conditions.append(f"{quote(field.column)} <> %s")
        params.append(field.get_db_prep_value(value, connection))
    sql = (
        # Names come from model metadata, every value is a parameter.
        f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} "  # noqa: S608
        f"WHERE {' AND '.join(conditions)}"
    )
    updated = _update_then_insert(connection, sql, params, then_insert)
    if updated:
        for name, value in changes.items():
            if name not in fill or getattr(row, name) is None:
                setattr(row, name, value)
    return bool(updated)


def _update_then_insert(connection, update_sql: str, params: list, then_insert) -> int:
    """Run the UPDATE and, only if it matched a row, INSERT ``then_insert``,
    atomically; how many rows it matched."""
    if not then_insert:
        with connection.cursor() as cursor:
            cursor.execute(update_sql, params)
            return cursor.rowcount
    if connection.vendor != "postgresql":
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute(update_sql, params)
                updated = cursor.rowcount
            if updated:
                insert(then_insert)
        return updated
    # One statement, so one round trip and atomic without a transaction.
    into = written_once(_Insert, connection, type(then_insert[0]))
    sql = (
        f"WITH changed AS ({update_sql} RETURNING 1) INSERT INTO {into.target} "
        f"{' UNION ALL '.join([into.select_if_changed] * len(then_insert))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + into.params(then_insert, connection))
        # The entries written, one set for the row matched: none unless it matched.
        return cursor.rowcount // len(then_insert)


def insert(
    objects: Sequence[Model],
    *,
    set_ids: bool = False,
    skip_conflicts_on: Sequence[str] = (),
) -> list[Model]:
    """INSERT ``objects`` (unsaved instances of one model, with no primary key
    set) as ``bulk_create`` would, and return those written. Each value goes
    through its field's ``pre_save`` and ``get_db_prep_save``, as the ORM's
    INSERT does.

    Ids are read back only with ``set_ids`` (``RETURNING``, on every database
    the project runs on): callers that only write audit entries never need them.

    ``skip_conflicts_on`` names the fields of a unique constraint (with
    ``set_ids``): an object whose row would break it is not written (``ON
    CONFLICT ... DO NOTHING``, on both databases), keeps no id, and is left out
    of what is returned.
    """
    if not objects:
        return []
    model = type(objects[0])
    connection = connections[router.db_for_write(model)]
    into = written_once(_Insert, connection, model)
    keys = [model._meta.get_field(name) for name in skip_conflicts_on]
    returning = into.returning_id
    if keys:
        if not set_ids:
            raise ValueError("skip_conflicts_on needs set_ids")
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in keys)
        returning = (
            f"ON CONFLICT ({columns}) DO NOTHING "
            + connection.ops.return_insert_columns([model._meta.pk, *keys])[0]
        )
    written = []
    batch = max(1, connection.ops.bulk_batch_size(into.fields, objects))
    for start in range(0, len(objects), batch):
        chunk = objects[start : start + batch]
        values = ", ".join([into.row] * len(chunk))
        sql = f"INSERT INTO {into.target} VALUES {values}"  # noqa: S608 - see _Insert
        if set_ids:
            sql = f"{sql} {returning}"
        with connection.cursor() as cursor:
            cursor.execute(sql, into.params(chunk, connection))
            if not set_ids:
                written.extend(chunk)
                continue
            returned = cursor.fetchall()
        if keys:
            # Only the rows written come back; find each by its key.
            by_key = {
                tuple(getattr(instance, field.attname) for field in keys): instance
                for instance in chunk
            }
            pairs = [(by_key[tuple(key)], pk) for pk, *key in returned]
        else:
            # RETURNING gives rows in VALUES order on both databases, as
            # bulk_create relies on too.
            pairs = list(zip(chunk, [pk for pk, in returned], strict=True))
        for instance, pk in pairs:
            instance.pk = pk
            instance._state.adding = False
            instance._state.db = connection.alias
            written.append(instance)
    return written


class _Insert:
    """The parts of an INSERT of one model's rows, as ``bulk_create`` writes it.
    Names and types come from model metadata; every value is a parameter."""

    def __init__(self, connection, model: type[Model]) -> None:
        quote = connection.ops.quote_name
        self.fields: list[Field] = [
            field
            for field in model._meta.concrete_fields
            if not field.primary_key and not field.generated
        ]
        columns = ", ".join(quote(field.column) for field in self.fields)
        #: ``table (column, ...)``
        self.target = f"{quote(model._meta.db_table)} ({columns})"
        #: One row of VALUES.
        self.row = f"({', '.join(['%s'] * len(self.fields))})"
        #: One row for each row of ``changed`` (PostgreSQL). Each value is
        #: typed, as a SELECT leaves an untyped NULL as text.
        typed = ", ".join(
            f"%s::{field.cast_db_type(connection)}" for field in self.fields
        )
        self.select_if_changed = f"SELECT {typed} FROM changed"  # noqa: S608
        #: ``RETURNING id``, for :func:`insert` with ``set_ids``.
        self.returning_id = connection.ops.return_insert_columns([model._meta.pk])[0]

    def params(self, objects: Sequence[Model], connection) -> list:
        return [
            field.get_db_prep_save(field.pre_save(instance, True), connection)
            for instance in objects
            for field in self.fields
        ]
