"""X API v2 emulation, served under ``/x``."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..web import Ctx, media_response
from . import auth, media, tweets, web  # noqa: F401 - route registration
from .common import (
    XError,
    bearer,
    daily_headers,
    problem,
    rate_headers,
    rate_limited,
    router,
)

NAME = "x"

router.add("GET", r"/media/(?P<mid>\d+)", None)(media_response)


def handle_error(ctx: Ctx, exc: Exception) -> Response | None:
    if isinstance(exc, XError | auth.OAuthError):
        return exc.response()
    return None


def server_error(ctx: Ctx, status: int | None) -> Response:
    code = status or 503
    title = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        504: "Gateway Timeout",
    }.get(code, "Service Unavailable")
    return problem(code, title, title).response()


def custom_error(ctx: Ctx, params: dict[str, Any]) -> Response:
    status = int(params.get("status", 400))
    return problem(
        status,
        str(params.get("title") or "Error"),
        str(params.get("detail") or "Error"),
        str(params.get("type") or "about:blank"),
    ).response()


def caller_token(ctx: Ctx) -> str | None:
    return bearer(ctx)


def decorate(ctx: Ctx, resp: Response) -> None:
    if "x-rate-limit-limit" not in resp.headers:
        rate_headers(ctx, resp)
        if ctx.operation == "publish" and ctx.request.method == "POST":
            daily_headers(ctx, resp)


def not_found(ctx: Ctx) -> Response:
    return problem(
        404, "Not Found Error", "Sorry, that page does not exist."
    ).response()


__all__ = [
    "NAME",
    "router",
    "handle_error",
    "server_error",
    "rate_limited",
    "custom_error",
    "caller_token",
    "decorate",
    "not_found",
]
