"""Cross-post transitions in Wagtail's audit log, so page history shows what went
where, when, and by whose action.

Entries are written straight to ``PageLogEntry`` rather than through
``wagtail.log_actions.log``: that path loads the page again and validates both
foreign keys with two more queries, for every entry, and a worker writes one
per delivery. The entries are the same ones Wagtail writes: the registered
action, the page's content type and title, the acting user and the log context's
uuid, so page history and the site history report show them as usual.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone
from wagtail.log_actions import get_active_log_context
from wagtail.models import Page, PageLogEntry

# action suffix -> how page history describes it
ACTIONS = {
    "queued": "Queued for social media",
    "requeued": "Social post queued again after a change",
    "held": "Social post held for approval",
    "approved": "Held social post approved",
    "rejected": "Held social post rejected",
    "sent_back": "Held social post sent back to the editor",
    "posted": "Posted to social media",
    "adopted": "Found a post a lost request had made, and adopted it",
    "updated": "Social post updated",
    "retract": "Social post retraction requested",
    "retracted": "Social post retracted",
    "retraction_stopped": "Social post kept: the page was published again first",
    "post_again": "Social post to be sent again once its retraction lands",
    "retrying": "Social post will be retried",
    "failed": "Social post failed",
    "processed": "Social post processed by the platform",
    "processing_unconfirmed": "Social post still processing; no longer checked",
    "needs_reconnect": "Social account needs reconnecting",
    "cancelled": "Social post cancelled",
    "retry": "Social post retried by hand",
    "retry_asked": "Comms asked to retry a failed social post",
    "lease_expired": "A worker stopped while sending; checking before sending again",
    "retracting": "Social post retraction requested",
    "pending": "Queued for social media",
}

#: page id -> content type id. A page never changes type, so this is never stale.
_page_content_types: dict[int, int] = {}


def action_name(suffix: str) -> str:
    return f"publishing.crosspost.{suffix}"


def log(row, suffix: str, user=None, data: dict | None = None, *, page=None) -> None:
    """Write one audit entry on the row's page (if the page still exists).

    ``page`` saves a query when the caller has the page loaded already.
    """
    log_many([(row, suffix, data)], user=user, page=page)


#: Entries held by :func:`batched` until it ends, or ``None`` outside it.
_batch: ContextVar[list | None] = ContextVar("audit_batch", default=None)


@contextmanager
def batched():
    """Write the entries logged within in one INSERT at the end (a publish
    logs one for each of its page's rows)."""
    if _batch.get() is not None:  # already inside a batch: it writes them
        yield
        return
    token = _batch.set([])
    try:
        yield
        held = _batch.get()
    finally:
        _batch.reset(token)
    if held:
        PageLogEntry.objects.bulk_create(held)


def log_many(items: Iterable[tuple], user=None, *, page=None) -> list[PageLogEntry]:
    """Write ``(row, suffix, data)`` entries in one INSERT (or hold them for
    the batch under way), and return them. Rows whose page is gone and unknown
    suffixes are skipped."""
    objects = entries(items, user, page=page)
    held = _batch.get()
    if held is not None:
        held.extend(objects)
    elif objects:
        PageLogEntry.objects.bulk_create(objects)
    return objects


def entries(items: Iterable[tuple], user=None, *, page=None) -> list[PageLogEntry]:
    """The unsaved entries :func:`log_many` writes. Each entry's ``data``
    records the row's state; a ``state`` in the given ``data`` takes its place."""
    return [entry for _row, entry in entries_by_row(items, user, page=page)]


def entries_by_row(
    items: Iterable[tuple], user=None, *, page=None
) -> list[tuple[object, PageLogEntry]]:
    """:func:`entries`, each with the row it is about."""
    return [
        (row, PageLogEntry(**fields))
        for row, fields in entry_fields_by_row(items, user, page=page)
    ]


def entry_fields_by_row(
    items: Iterable[tuple], user=None, *, page=None
) -> list[tuple[object, dict]]:
    """The fields of each of :func:`entries` by attribute name, with the row
    it is about: what an entry holds is said here only, whether it is written
    through the ORM or by the publish's one statement
    (:mod:`publishing.publish_write`)."""
    context = get_active_log_context()
    user = user or context.user
    user_id = getattr(user, "pk", None)
    now = timezone.now()
    made = []
    for row, suffix, data in items:
        if row.page_id is None or suffix not in ACTIONS:
            continue
        content_type_id = _content_type_id(row.page_id, page or _loaded_page(row))
        if content_type_id is None:
            continue
        made.append(
            (
                row,
                {
                    "page_id": row.page_id,
                    "content_type_id": content_type_id,
                    "label": row.page_title or (page.title if page else ""),
                    "action": action_name(suffix),
                    "timestamp": now,
                    "uuid": context.uuid,
                    "user_id": user_id,
                    "data": {
                        "crosspost": row.pk,
                        "platform": row.platform,
                        "account": str(row.account),
                        "state": row.state,
                        **(data or {}),
                    },
                },
            )
        )
    return made


def _loaded_page(row):
    """The row's page if it is loaded already (the outbox makes rows with
    their page), so its content type costs no query."""
    return type(row)._meta.get_field("page").get_cached_value(row, default=None)


def know_page_type(page_id: int | None, content_type_id: int | None) -> None:
    """Remember the content type of page ``page_id`` when it was read with
    something else (a worker's claim reads it with the row), so the row's
    entries need no query of their own for it."""
    if page_id is None or content_type_id is None:
        return
    if len(_page_content_types) > 50_000:  # a long-lived worker stays small
        _page_content_types.clear()
    _page_content_types[page_id] = content_type_id


def _content_type_id(page_id: int, page=None) -> int | None:
    if page is not None and page.pk == page_id:
        return page.content_type_id
    if page_id not in _page_content_types:
        found = (
            Page.objects.filter(pk=page_id)
            .values_list("content_type_id", flat=True)
            .first()
        )
        if found is None:
            return None
        know_page_type(page_id, found)
    return _page_content_types[page_id]
