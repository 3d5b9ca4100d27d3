"""The one statement an editor's publish writes: the page's new outbox rows and
their audit entries.

A first publish makes one row per account and logs one entry in page history
for each. Through the ORM that is two ``bulk_create`` calls, and building their
``INSERT``s (some forty columns a row, each value prepared and bound on its own)
costs the editor far more than the database takes to write them. On PostgreSQL
they are one statement, written by hand because the ORM misses the publish
request's target (three and five channels at most 1.05x a publish without): the
rows and the entries each travel as one JSON parameter, which the database
turns into rows of the table's own type (``JSONB_POPULATE_RECORDSET``), and the
entries are joined to the rows' new ids in the same statement.

Measured on PostgreSQL, 2 cores, writing the five rows and five entries of a
five-channel publish, both ways in turn in one run: the ORM's two
``bulk_create`` calls took 3.9 to 4.6 ms, this statement 1.8 to 2.1 ms with its
values prepared.

Values come from the documented ``Field.pre_save`` (``auto_now`` columns are
set as the ORM sets them), ``Field.get_default`` and ``Field.get_prep_value``;
the SQL text is written once per process from the models' metadata. Other
databases (SQLite for ``make run``) write through the ORM, with the same result.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from functools import cache

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router
from wagtail.models import PageLogEntry

from . import audit
from .models import CrossPost
from .publish_read import STORED_AS_IS

#: The column the audit entries are joined to their rows on: unique per row.
_ROW_KEY = "idempotency_key"


def insert(rows: list[CrossPost], logged: Iterable[tuple], user=None) -> None:
    """Insert ``rows`` (unsaved, each with its own idempotency key) and the
    audit entries ``logged`` for them (``(row, suffix, data)``, as
    :func:`publishing.audit.log_many` takes), in one transaction. Each row
    gets its ``pk`` and is marked saved, as ``bulk_create`` leaves it."""
    connection = connections[router.db_for_write(CrossPost)]
    if connection.vendor != "postgresql":
        CrossPost.objects.bulk_create(rows)
        audit.log_many(logged, user=user)
        return
    entries = audit.entry_fields_by_row(logged, user)
    with connection.cursor() as cursor:
        cursor.execute(
            _statement(),
            [
                _dumps([_values(row) for row in rows]),
                _dumps(
                    [
                        {"row": getattr(row, _ROW_KEY),
                         "entry": _entry_values(entry)}
                        for row, entry in entries
                    ]
                ),
            ],
        )
        made = dict(cursor.fetchall())
    for row in rows:
        row.pk = made[getattr(row, _ROW_KEY)]
        # What bulk_create leaves on each object (Model._state, documented).
        row._state.adding = False
        row._state.db = connection.alias


def _entry_values(fields: dict) -> dict:
    """The columns of the entry with ``fields`` (:func:`audit.entry_fields_by_row`),
    as the ORM would write ``PageLogEntry(**fields)``: a field not given has
    its default, and a NULL is left out. No entry object is made: the publish
    needs only its columns."""
    values = {}
    for field, attname, column, as_is, _none_is_null in _columns(PageLogEntry):
        value = fields[attname] if attname in fields else field.get_default()
        if value is None:
            continue
        if type(value) is not as_is:
            value = field.get_prep_value(value)
            if value is None:
                continue
        values[column] = value
    return values


@cache
def _written_fields(model) -> tuple:
    """The columns an INSERT of ``model`` gives: all but its generated key."""
    return tuple(f for f in model._meta.concrete_fields if f is not model._meta.pk)


#: Field classes that write None as NULL, whose ``pre_save`` reads the
#: attribute unless it sets the time itself (``auto_now``, ``auto_now_add``).
_NONE_IS_NULL = (models.DateTimeField, models.JSONField, models.UUIDField)


@cache
def _columns(model) -> tuple:
    """``(field, attname, column, type written as it is or None, whether None
    is NULL)`` for each column an INSERT of ``model`` gives."""
    return tuple(
        (
            field,
            field.attname,
            field.column,
            STORED_AS_IS.get(type(field)),
            type(field) in STORED_AS_IS
            or (
                type(field) in _NONE_IS_NULL
                and not getattr(field, "auto_now", False)
                and not getattr(field, "auto_now_add", False)
            ),
        )
        for field in _written_fields(model)
    )


def _values(instance) -> dict:
    """``instance``'s values by column, as the ORM would write them; a column
    left out is NULL (which is also how the ORM writes a JSON field's None).
    A plain value of a plain field is taken as it is, and a None written as
    NULL is left out: preparing each of some fifty values through its field
    is most of the time this takes."""
    values = {}
    for field, attname, column, as_is, none_is_null in _columns(type(instance)):
        if none_is_null:
            value = getattr(instance, attname)
            if value is None:
                continue
            if type(value) is as_is:  # not bool for an integer: True is an int
                values[column] = value
                continue
        value = field.get_prep_value(field.pre_save(instance, add=True))
        if value is not None:
            values[column] = value
    return values


class _Encoder(DjangoJSONEncoder):
    """Times in full: PostgreSQL reads an ISO 8601 string into a
    ``timestamptz`` column (DjangoJSONEncoder would cut them to milliseconds)."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


def _dumps(value) -> str:
    return json.dumps(value, cls=_Encoder, ensure_ascii=False)


@cache
def _statement() -> str:
    """The ``INSERT``s of rows and entries as one statement; its parameters
    are the rows' JSON array and the entries' (each ``{"row": key, "entry":
    columns}``). It returns each new row's id and key."""
    quote = connections[router.db_for_write(CrossPost)].ops.quote_name
    rows_table = quote(CrossPost._meta.db_table)
    entries_table = quote(PageLogEntry._meta.db_table)
    key = quote(CrossPost._meta.get_field(_ROW_KEY).column)
    row_id = quote(CrossPost._meta.pk.column)
    row_columns = ", ".join(quote(f.column) for f in _written_fields(CrossPost))
    entry_columns = [quote(f.column) for f in _written_fields(PageLogEntry)]
    data = quote(PageLogEntry._meta.get_field("data").column)
    entry_values = ", ".join(
        f"e.{column} || JSONB_BUILD_OBJECT('crosspost', n.{row_id})"
        if column == data
        else f"e.{column}"
        for column in entry_columns
    )
    # Names come from the models' metadata; every value is a parameter.
    return (
        f"WITH new_rows AS ("  # noqa: S608
        f"INSERT INTO {rows_table} ({row_columns}) "
        f"SELECT {row_columns} "
        f"FROM JSONB_POPULATE_RECORDSET(NULL::{rows_table}, %s::jsonb) "
        f"RETURNING {row_id}, {key}"
        f"), new_entries AS ("
        f"INSERT INTO {entries_table} ({', '.join(entry_columns)}) "
        f"SELECT {entry_values} "
        f"FROM JSONB_ARRAY_ELEMENTS(%s::jsonb) AS item "
        f"JOIN new_rows n ON n.{key} = item ->> 'row' "
        f"CROSS JOIN LATERAL "
        f"JSONB_POPULATE_RECORD(NULL::{entries_table}, item -> 'entry') AS e"
        f") SELECT {key}, {row_id} FROM new_rows"
    )
