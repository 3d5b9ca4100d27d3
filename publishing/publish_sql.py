"""The one read an editor's publish makes, written from the models' metadata.

Queuing a page's cross-posts (:func:`publishing.services.queue_page`) needs the
site's social and protocol settings, the accounts the site posts to by default,
and the objects the page's posts are made from (its department, image, video
and the like). Through the ORM those were three queries, and assembling them
cost the editor's wait several times what the database took to answer them.
Here they are one SELECT whose text is written once per process from the
models' fields, as the delivery statements are (:mod:`publishing.delivery_sql`),
and each value goes through its field's own conversion, as the ORM does it.

The statement has one row for each default account (one row when there are
none); the settings and the page's objects repeat on each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connections, router
from django.db.models import Model

from .delivery_sql import Columns, written_once
from .models import ChannelAccount, ProtocolSettings, SocialSettings

#: Choosing where a page goes needs no secret: these columns are not read, so
#: the editor's request never decrypts a token (they stay deferred).
TOKEN_FIELDS = ("access_token", "refresh_token")


@dataclass
class PublishInputs:
    """What :func:`read_for_publish` found for a site and a page."""

    social: SocialSettings
    #: ``None`` when the site has no protocol settings row yet.
    protocol: ProtocolSettings | None
    #: The site's default accounts in their model's order, without tokens;
    #: empty unless they were asked for.
    default_accounts: list[ChannelAccount] = field(default_factory=list)
    #: Each related object asked for by its foreign key's name; ``None`` when
    #: no row has that key.
    related: dict[str, Model | None] = field(default_factory=dict)


def can_read(model: type[Model]) -> bool:
    """Whether a related ``model`` can be read by the statement: its fields all
    live in its own table (no multi-table inheritance)."""
    return not model._meta.parents


class _PublishRead:
    """``SELECT`` the site's settings, each related object by its key and, with
    ``with_accounts``, the site's default accounts."""

    def __init__(
        self,
        connection,
        related: tuple[tuple[str, type[Model]], ...],
        with_accounts: bool,
    ) -> None:
        quote = connection.ops.quote_name
        social_meta = SocialSettings._meta
        site_column = quote(social_meta.get_field("site").column)
        self.related_names = [name for name, _model in related]
        #: Read once, from the first row: the social and protocol settings,
        #: then each related object in the order of ``related_names``.
        self.once = [
            Columns(SocialSettings, "s", connection),
            Columns(ProtocolSettings, "p", connection),
            *(
                Columns(model, f"r{number}", connection)
                for number, (_name, model) in enumerate(related)
            ),
        ]
        #: Where each of ``once`` begins in a row.
        self.starts = _starts(self.once)
        #: Read from every row, after the others: a default account.
        self.account = None
        self.account_start = sum(columns.count for columns in self.once)
        parts = list(self.once)
        joins = [
            f"LEFT OUTER JOIN {quote(ProtocolSettings._meta.db_table)} p "
            f"ON p.{quote(ProtocolSettings._meta.get_field('site').column)} "
            f"= s.{site_column}"
        ]
        for number, (_name, model) in enumerate(related):
            # Joined by the page's own key (a parameter), not the page's saved
            # row: the page being published may be a revision that differs.
            joins.append(
                f"LEFT OUTER JOIN {quote(model._meta.db_table)} r{number} "
                f"ON r{number}.{quote(model._meta.pk.column)} = %s"
            )
        order = ""
        if with_accounts:
            self.account = Columns(ChannelAccount, "a", connection, TOKEN_FIELDS)
            parts.append(self.account)
            chosen = social_meta.get_field("default_accounts")
            account_meta = ChannelAccount._meta
            joins += [
                f"LEFT OUTER JOIN {quote(chosen.remote_field.through._meta.db_table)} "
                f"m ON m.{quote(chosen.m2m_column_name())} "
                f"= s.{quote(social_meta.pk.column)}",
                f"LEFT OUTER JOIN {quote(account_meta.db_table)} a "
                f"ON a.{quote(account_meta.pk.column)} "
                f"= m.{quote(chosen.m2m_reverse_name())}",
            ]
            order = f" ORDER BY {_ordering(ChannelAccount, 'a', quote)}"
        # Names come from model metadata, every value is a parameter.
        self.sql = (
            f"SELECT {', '.join(part.sql for part in parts)} "  # noqa: S608
            f"FROM {quote(social_meta.db_table)} s {' '.join(joins)} "
            f"WHERE s.{site_column} = %s{order}"
        )


def _ordering(model: type[Model], alias: str, quote) -> str:
    """The model's default ordering (plain field names) as an ORDER BY list."""
    terms = []
    for name in model._meta.ordering:
        if not isinstance(name, str):
            raise TypeError(f"{model.__name__}'s ordering has an expression: {name!r}")
        column = quote(model._meta.get_field(name.lstrip("-")).column)
        terms.append(f"{alias}.{column}{' DESC' if name.startswith('-') else ''}")
    return ", ".join(terms)


def read_for_publish(
    site_id: int,
    related: dict[str, tuple[type[Model], object]] | None = None,
    *,
    with_accounts: bool,
) -> PublishInputs | None:
    """The site's settings with, for each ``name: (model, key)`` of ``related``,
    the ``model`` row with that primary key and, with ``with_accounts``, the
    site's default accounts; in one statement. ``None`` when the site has no
    social settings row yet (the caller creates it)."""
    related = related or {}
    connection = connections[router.db_for_read(SocialSettings)]
    read = written_once(
        _PublishRead,
        connection,
        tuple((name, model) for name, (model, _key) in related.items()),
        with_accounts,
    )
    params = [key for _model, key in related.values()] + [site_id]
    with connection.cursor() as cursor:
        cursor.execute(read.sql, params)
        found = cursor.fetchall()
    if not found:
        return None
    social, protocol, *related_objects = [
        _build(columns, found[0], start, connection)
        for columns, start in zip(read.once, read.starts, strict=True)
    ]
    inputs = PublishInputs(
        social=social,
        protocol=protocol,
        related=dict(zip(read.related_names, related_objects, strict=True)),
    )
    if read.account is not None:
        for values in found:
            account = _build(read.account, values, read.account_start, connection)
            if account is not None:
                inputs.default_accounts.append(account)
    return inputs


def _starts(parts: list[Columns]) -> list[int]:
    """Where each of ``parts`` begins in a row that selects them one after another."""
    starts, start = [], 0
    for columns in parts:
        starts.append(start)
        start += columns.count
    return starts


def _build(columns: Columns, values, start: int, connection) -> Model | None:
    """The object ``columns`` selects from ``start`` on in ``values``, or ``None``
    when the join found no row (its primary key is NULL)."""
    taken = list(values[start : start + columns.count])
    if taken[columns.pk_position] is None:
        return None
    return columns.build(taken, connection)
