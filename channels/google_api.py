"""Google API plumbing for the YouTube adapter: the bundled discovery document
and the translation of Google's error JSON into the channel error hierarchy."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from googleapiclient.errors import HttpError

from .errors import (
    AuthError,
    ChannelError,
    RateLimitedError,
    RejectedError,
    TemporaryError,
)

QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
THROTTLE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
PACIFIC = ZoneInfo("America/Los_Angeles")  # YouTube quotas reset at midnight here


def http_error(exc: HttpError) -> ChannelError:
    """The channel error for a Google API error response."""
    status = int(exc.resp.status)
    try:
        error = json.loads(exc.content).get("error", {})
    except (ValueError, AttributeError):
        error = {}
    reasons = {e.get("reason") for e in error.get("errors", []) if isinstance(e, dict)}
    message = error.get("message") or f"YouTube answered HTTP {status}."
    info = {"status": status, "code": next(iter(reasons), None), "body": exc.content}
    if reasons & QUOTA_REASONS:
        return RateLimitedError(message, retry_at=_next_pacific_midnight(), **info)
    if "uploadLimitExceeded" in reasons:
        return RateLimitedError(
            message, retry_at=datetime.now(UTC) + timedelta(hours=24), **info
        )
    if reasons & THROTTLE_REASONS or status == 429:
        seconds = exc.resp.get("retry-after", "")
        retry_at = (
            datetime.now(UTC) + timedelta(seconds=int(seconds))
            if seconds.isdigit()
            else None
        )
        return RateLimitedError(message, retry_at=retry_at, **info)
    if status == 401 or "authError" in reasons:
        return AuthError(message, **info)
    if status >= 500:
        return TemporaryError(message, **info)
    return RejectedError(message, **info)


def _next_pacific_midnight() -> datetime:
    now = datetime.now(PACIFIC)
    midnight = datetime.combine(now.date() + timedelta(days=1), time(), PACIFIC)
    return midnight.astimezone(UTC)


@lru_cache(maxsize=1)
def _bundled_document() -> str:
    documents = resources.files("googleapiclient.discovery_cache") / "documents"
    return (documents / "youtube.v3.json").read_text(encoding="utf-8")


def discovery_document(root_url: str) -> dict[str, Any]:
    """The bundled discovery document pointed at ``root_url``."""
    document = json.loads(_bundled_document())
    document["rootUrl"] = document["baseUrl"] = root_url
    document.pop("mtlsRootUrl", None)  # a client certificate must never divert calls
    return document
