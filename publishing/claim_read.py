"""The one statement a worker's claim reads its row with.

A claim (:func:`publishing.delivery.claim`) reads the row if it is due, with its
account, its page's content type (which the row's history entries name) and the
account's posts of the last day (which its daily budget counts). Measured on
PostgreSQL, 2 cores, 400 reads each way in turn: through the ORM that query
took 7.2 ms to build, compile and load, of which the database's answer was
0.5 ms; this statement takes 1.4 ms. The claim was most of what a worker adds
to a post, and a row's per-item overhead was 3.05x an empty Celery task's round
trip in ``make bench`` (the target is at most 3x).

So the statement is put together once per process and database, and each claim
only runs it with its own values. Its two conditions are the ORM's own, compiled
here from the one definition of each: what is due
(:meth:`~publishing.models.CrossPostQuerySet.due`) and what a budget counts
(:func:`publishing.budgets.posts_counted`). They are compiled with probe values
that no claim uses, and each parameter that holds a probe becomes a slot that a
claim fills with its own time, the start of its budget's day or its row's id;
the other parameters (the states, say) are kept as compiled. The columns come
from the models' metadata, and each value becomes a model instance through the
documented ``Field.from_db_value`` (a field that converts what the database
holds, such as an encrypted token) or ``Field.to_python``, and ``Model.from_db``,
as the ORM would load it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache

from django.db import connections, models, router
from wagtail.models import Page

from . import budgets
from .models import ChannelAccount, CrossPost
from .publish_read import python_value

#: A time no claim is made at, and a row id no row has: the compiled conditions'
#: parameters that hold them are the claim's own values.
PROBE_NOW = datetime.datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.UTC)
PROBE_ROW_ID = -7_654_321


@dataclass(frozen=True)
class _Statement:
    sql: str
    #: Each parameter in order: ``"now"``, ``"since"`` or ``"row_id"`` (the
    #: claim's own), or a one-item tuple holding a value compiled in.
    slots: tuple
    row_fields: tuple[models.Field, ...]
    account_fields: tuple[models.Field, ...]


def read(row_id: int, now: datetime.datetime) -> CrossPost | None:
    """Row ``row_id`` if it is due at ``now``, its ``account`` loaded, with two
    annotations as the ORM would set them: ``page_type_id`` (its page's
    content type) and ``budget_posts`` (its account's posts in the day up to
    ``now``). ``None`` if it is not due or does not exist."""
    connection = connections[router.db_for_read(CrossPost)]
    statement = _statement(connection.alias)
    own = _claim_values(row_id, now, connection)
    params = [own[slot] if isinstance(slot, str) else slot[0]
              for slot in statement.slots]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    values = iter(found)
    row = _instance(CrossPost, statement.row_fields, values, connection)
    row.account = _instance(ChannelAccount, statement.account_fields, values,
                            connection)
    row.page_type_id = next(values)
    row.budget_posts = next(values)
    return row


def _claim_values(row_id: int, now: datetime.datetime, connection) -> dict:
    """The claim's own values, by slot, as the database is given them."""
    when = CrossPost._meta.get_field("posted_at")
    return {
        "now": when.get_db_prep_value(now, connection),
        "since": when.get_db_prep_value(now - budgets.BUDGET_WINDOW, connection),
        "row_id": row_id,
    }


def _instance(model, fields, values, connection) -> models.Model:
    """``model`` loaded from the next ``len(fields)`` of ``values``."""
    return model.from_db(
        connection.alias,
        [model_field.attname for model_field in fields],
        [_loaded(model_field, next(values), connection) for model_field in fields],
    )


def _loaded(model_field: models.Field, value, connection):
    if value is None:
        return None
    if hasattr(model_field, "from_db_value"):
        return model_field.from_db_value(value, None, connection)
    return python_value(model_field, value)


@cache
def _statement(alias: str) -> _Statement:
    """The claim's ``SELECT`` on database ``alias``, and its parameters' slots."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    rows, accounts, pages = CrossPost._meta, ChannelAccount._meta, Page._meta
    query = (
        CrossPost.objects.using(alias)
        .due(PROBE_NOW)
        .filter(pk=PROBE_ROW_ID)
        .annotate(budget_posts=budgets.posts_counted(PROBE_NOW))
        .query
    )
    compiler = query.get_compiler(connection=connection)
    budget_sql, budget_params = compiler.compile(query.annotations["budget_posts"])
    due_sql, due_params = compiler.compile(query.where)
    # The compiled conditions name the row's table by its own name.
    row_table = quote(rows.db_table)
    row_fields = tuple(rows.concrete_fields)
    account_fields = tuple(accounts.concrete_fields)
    columns = [f"{row_table}.{quote(f.column)}" for f in row_fields]
    columns += [f"a.{quote(f.column)}" for f in account_fields]
    columns += [f"p.{quote(pages.get_field('content_type').column)}", budget_sql]
    account_key = quote(rows.get_field("account").column)
    page_key = quote(rows.get_field("page").column)
    # Names come from the models' metadata; every value is a parameter.
    sql = (
        f"SELECT {', '.join(columns)} FROM {row_table} "  # noqa: S608
        f"INNER JOIN {quote(accounts.db_table)} a "
        f"ON a.{quote(accounts.pk.column)} = {row_table}.{account_key} "
        f"LEFT OUTER JOIN {quote(pages.db_table)} p "
        f"ON p.{quote(pages.pk.column)} = {row_table}.{page_key} "
        f"WHERE {due_sql}"
    )
    return _Statement(
        sql,
        _slots([*budget_params, *due_params], connection),
        row_fields,
        account_fields,
    )


def _slots(params, connection) -> tuple:
    """Each compiled parameter as a slot: the claim's own value where it holds
    a probe, else the value itself. Raises ``RuntimeError`` if a probe is not
    found (the conditions no longer take the claim's values as assumed)."""
    probes = _claim_values(PROBE_ROW_ID, PROBE_NOW, connection)
    slots = []
    for value in params:
        slot = next(
            (name for name, probe in probes.items()
             if type(value) is type(probe) and value == probe),
            None,
        )
        slots.append(slot or (value,))
    missing = set(probes) - set(slots)
    if missing:
        raise RuntimeError(
            "The claim's statement did not find its "
            f"{', '.join(sorted(missing))} among the compiled parameters {params!r}"
        )
    return tuple(slots)
