"""YouTube Data API v3 and Google OAuth emulation, served under ``/youtube``.

Paths follow the bundled discovery document with ``rootUrl`` rewritten to
``http://HOST:PORT/youtube/``: ``/youtube/youtube/v3/...`` and
``/youtube/upload/youtube/v3/...``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..web import Ctx, media_response
from . import auth, channels, videos  # noqa: F401 - route registration
from .common import GoogleError, bearer, rate_limited, router

NAME = "youtube"

router.add("GET", r"/media/(?P<mid>[\w.-]+)", None)(media_response)


def handle_error(ctx: Ctx, exc: Exception) -> Response | None:
    return exc.response() if isinstance(exc, GoogleError) else None


def server_error(ctx: Ctx, status: int | None) -> Response:
    code = status or 503
    reason = "backendError" if code != 503 else "serviceUnavailable"
    return GoogleError(code, "The service is currently unavailable." if code == 503
                       else "Backend Error", reason).response()


def custom_error(ctx: Ctx, params: dict[str, Any]) -> Response:
    return GoogleError(int(params.get("status", 400)),
                       str(params.get("message") or "Bad Request"),
                       str(params.get("reason") or "badRequest"),
                       str(params.get("domain") or "global")).response()


def caller_token(ctx: Ctx) -> str | None:
    return bearer(ctx)


def decorate(ctx: Ctx, resp: Response) -> None:
    resp.headers.setdefault("Vary", "Origin, X-Origin, Referer")


def not_found(ctx: Ctx) -> Response:
    return GoogleError(404, "Not Found", "notFound").response()


__all__ = ["NAME", "router", "handle_error", "server_error", "rate_limited",
           "custom_error", "caller_token", "decorate", "not_found"]
