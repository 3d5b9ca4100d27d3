"""Bluesky emulation (a PDS with its app view, AT Protocol XRPC), served under
``/bluesky`` (``/bluesky/xrpc/<method>``)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..web import Ctx, media_response
from . import web, xrpc  # noqa: F401 - route registration
from .common import XrpcError, bearer, rate_headers, rate_limited, router

NAME = "bluesky"

router.add("GET", r"/media/(?P<mid>bafkrei[a-z2-7]+)", None)(media_response)


def handle_error(ctx: Ctx, exc: Exception) -> Response | None:
    if isinstance(exc, XrpcError):
        return exc.response()
    return None


def server_error(ctx: Ctx, status: int | None) -> Response:
    code = status or 500
    if code == 500:
        return XrpcError(500, "InternalServerError", "Internal Server Error").response()
    return XrpcError(code, "UpstreamFailure", "Upstream Failure").response()


def custom_error(ctx: Ctx, params: dict[str, Any]) -> Response:
    return XrpcError(
        int(params.get("status", 400)),
        str(params.get("error") or "InvalidRequest"),
        str(params.get("message") or "Invalid request"),
    ).response()


def caller_token(ctx: Ctx) -> str | None:
    return bearer(ctx)


def decorate(ctx: Ctx, resp: Response) -> None:
    if "ratelimit-limit" not in resp.headers:
        rate_headers(ctx, resp)


def not_found(ctx: Ctx) -> Response:
    if ctx.request.path.startswith("/bluesky/xrpc/"):
        return XrpcError(
            501, "MethodNotImplemented", "Method Not Implemented"
        ).response()
    return XrpcError(404, "NotFound", "Not Found").response()


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
