"""One error hierarchy for every channel.

Adapters translate whatever their client library raises into one of these, so the
publishing service can decide what to do without knowing any platform. Each error
keeps the HTTP status and a trimmed copy of the platform's answer, so comms managers
see the platform's own words on the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

BODY_LIMIT = 500


def trim(text: str | bytes | None, limit: int = BODY_LIMIT) -> str:
    """Shorten a response body for storage and display."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ChannelError(Exception):
    """Base of every error an adapter raises.

    ``message`` is written for people: the platform's own words where it gave any.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | int | None = None,
        subcode: int | None = None,
        body: str | bytes | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        #: The platform's finer code where it has one (Graph's ``error_subcode``).
        self.subcode = subcode
        self.body = trim(body)

    def __str__(self) -> str:
        return self.message


class AuthError(ChannelError):
    """The token is expired, revoked or lacks a permission: a reconnect is needed."""


class RejectedError(ChannelError):
    """The platform refused the content (duplicate, too long, bad media). Final."""


class RateLimitedError(ChannelError):
    """The platform asked us to slow down; ``retry_at`` says when to try again."""

    def __init__(self, message: str, *, retry_at: datetime | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_at = retry_at


class UsageCappedError(RateLimitedError):
    """The platform's allowance for a long period (X's monthly usage cap) is
    spent: nothing posts until ``retry_at``, the start of the next period."""


class TemporaryError(ChannelError):
    """A 5xx, a timeout or a dropped connection: worth trying again later.

    The request may or may not have reached the platform, so a retry of a publish
    must first reconcile (look for the post by its marker).
    """


class ConfigurationError(ChannelError):
    """The channel is not configured well enough to be used."""


def retry_after(headers: Mapping[str, str]) -> datetime | None:
    """When to retry according to a standard ``Retry-After`` header."""
    # Any case: requests' headers ignore it, httplib2's are all lower case.
    value = (headers.get("Retry-After") or headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return datetime.now(UTC) + timedelta(seconds=int(value))
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
