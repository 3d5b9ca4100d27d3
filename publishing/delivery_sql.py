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
INSERT like ``bulk_create``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connections, router
from django.db.models import Model

from .models import ChannelAccount, CrossPost


class _Columns:
    """One model's concrete fields as selected under a table alias, with the
    converters that turn what the database driver returns into field values."""

    def __init__(self, model: type[Model], alias: str, connection) -> None:
        quote = connection.ops.quote_name
        self.model = model
        fields = model._meta.concrete_fields
        self.count = len(fields)
        self.sql = ", ".join(f"{alias}.{quote(field.column)}" for field in fields)
        self.attnames = [field.attname for field in fields]
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
        self.row = _Columns(CrossPost, "r", connection)
        self.account = _Columns(ChannelAccount, "a", connection)
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


_statements: dict[tuple[str, str], _ReadStatement] = {}


def _read_statement(connection) -> _ReadStatement:
    key = (connection.alias, connection.vendor)
    if key not in _statements:
        _statements[key] = _ReadStatement(connection)
    return _statements[key]


def read_for_delivery(row_id: int, posted_since: datetime) -> CrossPost | None:
    """The row with its account loaded (as ``select_related`` would), and two
    more attributes: ``page_content_type_id`` (``None`` once the page is gone)
    and ``account_posts_last_day``, how many posts the account made from
    ``posted_since`` on."""
    connection = connections[router.db_for_read(CrossPost)]
    statement = _read_statement(connection)
    since = CrossPost._meta.get_field("posted_at").get_db_prep_value(
        posted_since, connection
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [since, row_id])
        found = cursor.fetchone()
    if found is None:
        return None
    values = list(found)
    split = statement.row.count
    end = split + statement.account.count
    row = statement.row.build(values[:split], connection)
    account = statement.account.build(values[split:end], connection)
    CrossPost._meta.get_field("account").set_cached_value(row, account)
    row.page_content_type_id, row.account_posts_last_day = values[end:]
    return row


def update_row(
    row: CrossPost,
    changes: dict,
    *,
    unchanged: Iterable[str] = (),
    excluding: dict | None = None,
    fill: Iterable[str] = (),
) -> bool:
    """``UPDATE`` the row with ``changes``, only if each field named in
    ``unchanged`` still holds the value ``row`` has in memory and no field in
    ``excluding`` (not-null fields) holds the value given there. A field named
    in ``fill`` is written only if it is empty (NULL) and otherwise keeps its
    value. ``True`` if the row matched; the row in memory then gets the changes
    too (a ``fill`` field only if it was empty in memory)."""
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
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        updated = cursor.rowcount
    if updated:
        for name, value in changes.items():
            if name not in fill or getattr(row, name) is None:
                setattr(row, name, value)
    return bool(updated)


def insert(objects: Sequence[Model]) -> None:
    """INSERT ``objects`` (unsaved instances of one model, with no primary key
    set) as ``bulk_create`` would, without reading their ids back: callers that
    write audit entries never need them. Each value goes through its field's
    ``pre_save`` and ``get_db_prep_save``, as the ORM's INSERT does."""
    if not objects:
        return
    model = type(objects[0])
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and not field.generated
    ]
    row_sql = f"({', '.join(['%s'] * len(fields))})"
    batch = max(1, connection.ops.bulk_batch_size(fields, objects))
    for start in range(0, len(objects), batch):
        chunk = objects[start : start + batch]
        params = [
            field.get_db_prep_save(field.pre_save(instance, True), connection)
            for instance in chunk
            for field in fields
        ]
        sql = (
            # Names come from model metadata, every value is a parameter.
            f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES {', '.join([row_sql] * len(chunk))}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
