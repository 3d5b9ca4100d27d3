"""Facebook Graph API emulation, served under ``/facebook``.

Submodules: ``auth`` (login, tokens, /me, /me/accounts), ``content`` (feed,
photos, edit, delete, object reads), ``pages`` (paged edges, permalink page) and
``videos`` (all video upload protocols).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..web import Ctx, media_response

# Importing the submodules registers their routes (their patterns are disjoint).
from . import auth, content, pages, videos  # noqa: F401
from .common import GraphError, rate_limited, request_token, router, usage_headers

NAME = "facebook"

router.add("GET", r"/media/(?P<mid>[\w.-]+)", None)(media_response)

__all__ = ["NAME", "router", "handle_error", "server_error", "rate_limited",
           "custom_error", "caller_token", "decorate", "not_found"]


def handle_error(ctx: Ctx, exc: Exception) -> Response | None:
    return exc.response() if isinstance(exc, GraphError) else None


def server_error(ctx: Ctx, status: int | None) -> Response:
    return GraphError("An unexpected error has occurred. Please retry your request "
                      "later.", 2, status=status or 500, transient=True).response()


def custom_error(ctx: Ctx, params: dict[str, Any]) -> Response:
    return GraphError(str(params.get("message") or "(#1) An unknown error occurred"),
                      int(params.get("code", 1)), status=int(params.get("status", 400)),
                      subcode=params.get("subcode"),
                      type_=str(params.get("type", "OAuthException")),
                      transient=bool(params.get("is_transient", False))).response()


def caller_token(ctx: Ctx) -> str | None:
    return request_token(ctx)


def decorate(ctx: Ctx, resp: Response) -> None:
    if "X-App-Usage" not in resp.headers:
        usage_headers(ctx, resp)


def not_found(ctx: Ctx) -> Response:
    path = ctx.request.path[len("/facebook"):]
    return GraphError(f"Unknown path components: {path}", 2500).response()
