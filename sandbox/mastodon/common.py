"""Mastodon API: ``{"error": ...}`` bodies, bearer auth, X-RateLimit-* headers.

Mastodon answers every API call with ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (an ISO 8601 time, not
epoch seconds); a 429 carries the same headers with nothing remaining.
"""

from __future__ import annotations

import time
from typing import Any

from werkzeug.wrappers import Response

from ..web import Ctx, Router, json_response

router = Router()
WINDOW = 300  # Mastodon's general API limit: 300 calls per 5 minutes
LIMIT = 300
#: Scopes the sandbox grants when none are asked for (Mastodon's "read").
DEFAULT_SCOPES = ["read", "write"]


class MastodonError(Exception):
    """Raised inside handlers; rendered as Mastodon's ``{"error": ...}`` body."""

    def __init__(self, status: int, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.status, self.error, self.extra = status, error, extra

    def response(self) -> Response:
        return json_response({"error": self.error, **self.extra}, self.status)


def not_found() -> MastodonError:
    return MastodonError(404, "Record not found")


def bearer(ctx: Ctx) -> str | None:
    header = ctx.request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def authenticate(ctx: Ctx, scope: str) -> dict[str, Any]:
    """The caller's access token record; ``scope`` is "read" or "write" (a
    granular scope such as "write:statuses" is covered by its parent)."""
    token = bearer(ctx)
    ctx.token = token
    rec, status = ctx.state.check_token("mastodon", token)
    if status != "ok" or rec is None or rec["kind"] != "access":
        words = {
            "expired": "The access token expired",
            "revoked": "The access token was revoked",
        }.get(status, "The access token is invalid")
        raise MastodonError(401, words)
    ctx.token_record = rec
    family = scope.split(":")[0]
    if not {scope, family} & set(rec["scope"]):
        raise MastodonError(403, "This action is outside the authorized scopes")
    return rec


def iso_ms(ts: float) -> str:
    """Mastodon's timestamps: ISO 8601 in UTC with milliseconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + (
        f".{int(ts * 1000) % 1000:03d}Z"
    )


def rate_headers(
    ctx: Ctx, resp: Response, *, exhausted_for: float | None = None
) -> None:
    """X-RateLimit-Limit/-Remaining/-Reset, counted per token (or address)."""
    now = time.time()
    if exhausted_for is not None:
        remaining, reset = 0, now + exhausted_for
    else:
        who = ctx.token or ctx.request.remote_addr
        with ctx.state.lock:
            windows = ctx.state.transient.setdefault("mastodon_windows", {})
            start, used = windows.get(who, (now, 0))
            if now - start >= WINDOW:
                start, used = now, 0
            windows[who] = (start, used + 1)
        remaining, reset = max(0, LIMIT - used - 1), start + WINDOW
    resp.headers["X-RateLimit-Limit"] = str(LIMIT)
    resp.headers["X-RateLimit-Remaining"] = str(remaining)
    resp.headers["X-RateLimit-Reset"] = iso_ms(reset)


def rate_limited(
    ctx: Ctx, reset_after: float, params: dict[str, Any] | None = None
) -> Response:
    resp = MastodonError(429, "Too many requests").response()
    rate_headers(ctx, resp, exhausted_for=reset_after)
    return resp
