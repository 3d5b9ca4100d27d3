"""Reading an account's posts back: finding the page's marker in a post, the
platforms' timestamps, and walking a feed newest first within a time bound."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from .errors import RejectedError, TemporaryError

T = TypeVar("T")
log = logging.getLogger(__name__)

#: How far before ``since`` a time-bounded search still looks: the clocks of this
#: server, the database and the platform are never quite the same.
CLOCK_SKEW = timedelta(minutes=5)
#: The most posts one time-bounded search reads, a safety cap (20 pages of 100 on
#: Facebook and X, 40 of 50 on YouTube) far above what a council posts in a day.
MAX_SCAN = 2000


def contains_marker(text: str | None, marker: str) -> bool:
    """Whether ``text`` carries ``marker`` as a whole URL or URL prefix.

    ``https://x.gov.uk/news/a/`` matches itself followed by a query or fragment
    (UTM tags) but not ``https://x.gov.uk/news/a/b/``.
    """
    if not text or not marker:
        return False
    pattern = re.escape(marker.rstrip("/")) + r"/?(?=$|[?#\s)\]\"'<>,;!]|\.(?!\w))"
    return re.search(pattern, text) is not None


def parse_time(value: str | None, platform: str, field: str) -> datetime:
    """A platform timestamp (ISO 8601, "Z" or "+0000") as an aware datetime.

    An answer without it, or with one that cannot be read, is a
    :class:`TemporaryError` naming the platform and the field, never the
    current time: a post taken as made "now" would move the bound of a search
    for a lost post, and show residents a wrong date.
    """
    if not value:
        raise TemporaryError(f"{platform} sent a post without its {field}.")
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise TemporaryError(
            f"{platform} sent a post whose {field} cannot be read: {value!r}."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def newest_first(
    items: Iterable[T],
    *,
    limit: int,
    since: datetime | None,
    created: Callable[[T], datetime],
) -> Iterator[T]:
    """``items`` (newest first) up to ``limit`` of them, stopping at the first one
    created before ``since``.

    ``items`` is usually a generator fetching page after page; stopping here
    means no further page is asked for.
    """
    for count, item in enumerate(items, start=1):
        if since is not None and created(item) < since:
            return
        yield item
        if count >= limit:
            if since is not None:
                # "Not found" would send the post again, perhaps a second time:
                # a person has to look instead.
                log.warning(
                    "Stopped a search back to %s after %d posts.",
                    since.isoformat(),
                    limit,
                )
                raise RejectedError(
                    f"Could not check whether an earlier attempt already posted "
                    f"this: the account has made over {limit} posts since. Look "
                    f"for it on the account, and retry only if it is not there."
                )
            return
