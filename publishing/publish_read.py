"""The one statement an editor's publish reads before it writes the outbox.

Queuing a page (:func:`publishing.outbox.queue_page`) needs the site's social and
protocol settings, the site's default accounts, the objects the page's posts are
made from (its department, image, video: ``page.social_related``) and whether
the page has outbox rows already. Through the ORM that is six queries; building
them costs the editor far more than the database takes to answer. Here they are
one ``SELECT``, written by hand because the ORM misses the publish request's
target (three channels at most 1.05x a publish without).

Measured on PostgreSQL, 2 cores, in the editor's publish of a page with three
channels (``python -m benchmarks.publish_overhead``): through the ORM these
reads took 4.4 ms (the two settings and the accounts 2.3, the row lock 1.0, the
image 0.7, the department 0.4) of a publish request of about 85 ms, and the same
read built as one ORM query with subqueries 4.1 ms, most of it compiling the
query; this statement takes 0.9 ms.

Each object comes back as a JSON object of its columns (the accounts as a JSON
array), so the statement has one row whatever the number of accounts, and each
value becomes a model instance through the documented ``Field.to_python`` and
``Model.from_db``, as the ORM would load it. The SQL text is written once per
process for each shape, from the models' metadata; every value is a parameter.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.db import connections, models, router
from django.utils import timezone

from .models import ChannelAccount, CrossPost, ProtocolSettings, SocialSettings

#: Choosing where a page goes needs no secret: an account's tokens are not
#: read, so the editor's request never decrypts one (they stay deferred).
TOKEN_FIELDS = ("access_token", "refresh_token")


@dataclass
class PublishInputs:
    """What :func:`read` found for a site and a page."""

    social: SocialSettings
    #: ``None`` when the site has no protocol settings row yet.
    protocol: ProtocolSettings | None
    #: The site's default accounts in their model's order, without tokens;
    #: empty unless they were asked for.
    default_accounts: list[ChannelAccount] = field(default_factory=list)
    #: Whether the page has outbox rows; ``None`` when no page was given.
    page_has_rows: bool | None = None


def read(site_id: int, *, default_accounts: bool, page=None) -> PublishInputs | None:
    """The site's settings and, with ``default_accounts``, its default accounts;
    with ``page``, whether it has outbox rows, and its ``social_related``
    objects loaded onto it (so its hooks read them without a query). ``None``
    when the site has no social settings row yet (the caller creates it)."""
    related = _related_keys(page) if page is not None else {}
    connection = connections[router.db_for_read(SocialSettings)]
    sql = _statement(
        connection.vendor,
        tuple((name, model) for name, (model, _key) in related.items()),
        default_accounts,
        page is not None,
    )
    params = [key for _model, key in related.values()]
    if page is not None:
        params.append(page.pk)
    params.append(site_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    values = iter(found)
    alias = connection.alias
    social = _instance(SocialSettings, _json(next(values)), alias)
    protocol_data = _json(next(values))
    protocol = None
    if protocol_data["id"] is not None:
        protocol = _instance(ProtocolSettings, protocol_data, alias)
    inputs = PublishInputs(social, protocol)
    if default_accounts:
        accounts = [
            _instance(ChannelAccount, item, alias)
            for item in _json(next(values)) or []
        ]
        order = ChannelAccount._meta.ordering
        inputs.default_accounts = sorted(
            accounts, key=lambda account: [getattr(account, name) for name in order]
        )
    for name, (model, _key) in related.items():
        data = _json(next(values))
        if data is not None:  # else the page's own lookup says it is gone
            setattr(page, name, _instance(model, data, alias))
    if page is not None:
        inputs.page_has_rows = bool(next(values))
    return inputs


def _related_keys(page) -> dict[str, tuple[type[models.Model], object]]:
    """``name: (model, key)`` for each of the page's ``social_related`` foreign
    keys that is set, not loaded yet, and whose model lives in one table."""
    found = {}
    for name in getattr(page, "social_related", ()):
        relation = page._meta.get_field(name)
        key = getattr(page, relation.attname)
        model = relation.related_model
        if (
            key is not None
            and not model._meta.parents
            and page.loaded_related(name) is None
        ):
            found[name] = (model, key)
    return found


def _json(value):
    """A JSON value as the driver gave it: parsed already (PostgreSQL's
    ``json``), or as text (SQLite)."""
    return json.loads(value) if isinstance(value, str) else value


def _instance(model: type[models.Model], data: dict, alias: str) -> models.Model:
    """``model`` loaded from ``data``, a JSON object of its fields' values by
    attribute name, as the ORM loads a row (fields not in ``data`` deferred)."""
    names, readers = _readers(model, tuple(data))
    values = []
    for name, (model_field, kept) in zip(names, readers, strict=True):
        value = data[name]
        if not (value is None or kept is True or type(value) is kept):
            value = python_value(model_field, value)
        values.append(value)
    return model.from_db(alias, names, values)


@cache
def _readers(model: type[models.Model], keys: tuple) -> tuple[tuple, tuple]:
    """The attribute names of ``model``'s fields in ``keys``, in the model's
    order, and for each ``(field, kept)``: ``kept`` is ``True`` for a JSON
    field (its value is nested in the statement's JSON as itself), else the
    type :data:`STORED_AS_IS` says the field keeps as it is (or ``None``).
    Worked out once for each model and shape, as the statement loads the same
    columns every time, so that a value needing no conversion costs no call
    (:func:`python_value` answers the rest)."""
    fields = [f for f in model._meta.concrete_fields if f.attname in keys]
    return (
        tuple(f.attname for f in fields),
        tuple(
            (f, True if isinstance(f, models.JSONField) else STORED_AS_IS.get(type(f)))
            for f in fields
        ),
    )


#: Field classes that store a value of this Python type as it is: their
#: ``to_python`` (reading) and ``get_prep_value`` (writing) return such a value
#: unchanged, and their ``pre_save`` reads the attribute. The exact classes: a
#: subclass (an encrypted text field) may convert its value otherwise.
STORED_AS_IS = {
    models.CharField: str,
    models.TextField: str,
    models.URLField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.BigIntegerField: int,
    models.BigAutoField: int,
    models.AutoField: int,
    models.ForeignKey: int,
}


def python_value(model_field: models.Field, value):
    """``value`` as read from the database, as ``model_field`` holds it in
    Python (through the documented ``Field.to_python``), a time made aware."""
    if value is None or isinstance(model_field, models.JSONField):
        return value  # a JSON column is nested in the statement's JSON as itself
    if type(value) is STORED_AS_IS.get(type(model_field)):
        return value
    value = model_field.to_python(value)
    if (
        isinstance(value, datetime.datetime)
        and settings.USE_TZ
        and timezone.is_naive(value)
    ):
        # SQLite keeps times as text in UTC, without an offset.
        value = timezone.make_aware(value, datetime.UTC)
    return value


# The statement --------------------------------------------------------------------


@cache
def _statement(
    vendor: str,
    related: tuple[tuple[str, type[models.Model]], ...],
    with_accounts: bool,
    with_page: bool,
) -> str:
    """The ``SELECT`` for one shape of :func:`read`, its parameters in order:
    each related object's key, the page's id (``with_page``), the site's id."""
    connection = connections[router.db_for_read(SocialSettings)]
    quote = connection.ops.quote_name
    as_json = _JSON_FUNCTIONS[vendor]
    social_site = quote(SocialSettings._meta.get_field("site").column)
    columns = [
        as_json.object(SocialSettings, "s", quote),
        as_json.object(ProtocolSettings, "p", quote),
    ]
    if with_accounts:
        chosen = SocialSettings._meta.get_field("default_accounts")
        through = chosen.remote_field.through._meta
        account = ChannelAccount._meta
        accounts = as_json.object(ChannelAccount, "a", quote, leave_out=TOKEN_FIELDS)
        columns.append(
            f"(SELECT {as_json.array(accounts)} "  # noqa: S608
            f"FROM {quote(through.db_table)} m "
            f"JOIN {quote(account.db_table)} a "
            f"ON a.{quote(account.pk.column)} = m.{quote(chosen.m2m_reverse_name())} "
            f"WHERE m.{quote(chosen.m2m_column_name())} "
            f"= s.{quote(SocialSettings._meta.pk.column)})"
        )
    for number, (_name, model) in enumerate(related):
        alias = f"r{number}"
        columns.append(
            f"(SELECT {as_json.object(model, alias, quote)} "  # noqa: S608
            f"FROM {quote(model._meta.db_table)} {alias} "
            f"WHERE {alias}.{quote(model._meta.pk.column)} = %s)"
        )
    if with_page:
        rows = CrossPost._meta
        columns.append(
            f"EXISTS (SELECT 1 FROM {quote(rows.db_table)} c "  # noqa: S608
            f"WHERE c.{quote(rows.get_field('page').column)} = %s)"
        )
    protocol = ProtocolSettings._meta
    # Names come from the models' metadata; every value is a parameter.
    return (
        f"SELECT {', '.join(columns)} "  # noqa: S608
        f"FROM {quote(SocialSettings._meta.db_table)} s "
        f"LEFT OUTER JOIN {quote(protocol.db_table)} p "
        f"ON p.{quote(protocol.get_field('site').column)} = s.{social_site} "
        f"WHERE s.{social_site} = %s"
    )


class _JSONFunctions:
    """A database's functions that build JSON: an object from a row's
    columns, an array from a group's objects."""

    def __init__(self, object_function: str, array_function: str, wrap_json: str):
        self.object_function = object_function
        self.array_function = array_function
        #: How a JSON column goes into an object as JSON rather than as text.
        self.wrap_json = wrap_json

    def object(
        self, model: type[models.Model], alias: str, quote, leave_out=()
    ) -> str:
        """A JSON object of the row's columns by attribute name, but for the
        fields named in ``leave_out`` (which the ORM then loads on use)."""
        pairs = []
        for model_field in model._meta.concrete_fields:
            if model_field.attname in leave_out:
                continue
            column = f"{alias}.{quote(model_field.column)}"
            if isinstance(model_field, models.JSONField):
                column = self.wrap_json.format(column)
            pairs.append(f"'{model_field.attname}', {column}")
        return f"{self.object_function}({', '.join(pairs)})"

    def array(self, item: str) -> str:
        return f"{self.array_function}({item})"


_JSON_FUNCTIONS = {
    "postgresql": _JSONFunctions("JSON_BUILD_OBJECT", "JSON_AGG", "{}"),
    "sqlite": _JSONFunctions("JSON_OBJECT", "JSON_GROUP_ARRAY", "JSON({})"),
}
