"""Mastodon API emulation (one instance), served under ``/mastodon``."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..web import Ctx
from . import auth, statuses, web  # noqa: F401 - route registration
from .common import MastodonError, bearer, rate_headers, rate_limited, router

NAME = "mastodon"


def handle_error(ctx: Ctx, exc: Exception) -> Response | None:
    if isinstance(exc, MastodonError):
        return exc.response()
    return None


def server_error(ctx: Ctx, status: int | None) -> Response:
    code = status or 503
    words = {500: "We're sorry, but something went wrong on our end."}
    return MastodonError(code, words.get(code, "Service Unavailable")).response()


def custom_error(ctx: Ctx, params: dict[str, Any]) -> Response:
    return MastodonError(
        int(params.get("status", 422)), str(params.get("error") or "Error")
    ).response()


def caller_token(ctx: Ctx) -> str | None:
    return bearer(ctx)


def decorate(ctx: Ctx, resp: Response) -> None:
    if "X-RateLimit-Limit" not in resp.headers and ctx.operation:
        rate_headers(ctx, resp)


def not_found(ctx: Ctx) -> Response:
    return MastodonError(404, "Record not found").response()


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
