"""Facebook Graph API: errors, auth, usage headers and field rendering."""

from __future__ import annotations

import base64
import binascii
import json
import math
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from ..seed import FB_APP_ID, FB_APP_SECRET
from ..web import Ctx, Router, json_response

router = Router()
V = r"(?:/v\d+\.\d+)?"  # optional Graph version prefix
SHORT_LIVED = 5400  # seconds; user tokens straight from the login dialog
LONG_LIVED = 5183944  # about 60 days, as fb_exchange_token returns
TASKS = ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"]
PUBLISH_SCOPES = {"pages_manage_posts", "pages_read_engagement"}


class GraphError(Exception):
    """Raised inside handlers; rendered as Graph's error JSON."""

    def __init__(self, message: str, code: int, *, status: int = 400,
                 subcode: int | None = None, type_: str = "OAuthException",
                 transient: bool = False, user_title: str | None = None,
                 user_msg: str | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status
        self.subcode, self.type_, self.transient = subcode, type_, transient
        self.user_title, self.user_msg = user_title, user_msg

    def response(self) -> Response:
        body: dict[str, Any] = {"message": self.message, "type": self.type_,
                                "code": self.code}
        if self.subcode is not None:
            body["error_subcode"] = self.subcode
        body["is_transient"] = self.transient
        if self.user_title:
            body["error_user_title"] = self.user_title
        if self.user_msg:
            body["error_user_msg"] = self.user_msg
        body["fbtrace_id"] = "A" + secrets.token_urlsafe(8)
        return json_response({"error": body}, self.status)


def not_exist(oid: str) -> GraphError:
    return GraphError(
        f"Unsupported request - Object with ID '{oid}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. "
        "Please read the Graph API documentation at "
        "https://developers.facebook.com/docs/graph-api", 100, subcode=33,
        type_="GraphMethodException")


def missing_permission(oid: str) -> GraphError:
    """What Graph answers for an object the token may not act on: code 100 like
    a missing object, but without subcode 33 (the object may well exist)."""
    return GraphError(
        f"(#100) Object with ID '{oid}' does not exist, cannot be loaded due to "
        "missing permission, or does not support this operation", 100)


def page_permission_error() -> GraphError:
    return GraphError(
        "(#200) If posting to a page, requires both pages_read_engagement and "
        "pages_manage_posts as an admin with sufficient administrative permission",
        200)


def fbtime(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(ts))


def request_token(ctx: Ctx) -> str | None:
    """The access token from the Authorization header, query, form or JSON body."""
    header = ctx.request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("oauth", "bearer") and value.strip():
        return value.strip()
    token = ctx.values().get("access_token")
    return str(token) if token else None


def authenticate(ctx: Ctx, *, allow: tuple[str, ...] = ("page", "user", "app")
                 ) -> dict[str, Any]:
    """Validate the caller's token and return its record (raises GraphError)."""
    token = request_token(ctx)
    ctx.token = token
    if not token:
        raise GraphError("An access token is required to request this resource.",
                         104)
    if token == f"{FB_APP_ID}|{FB_APP_SECRET}":
        rec: dict[str, Any] = {"type": "app", "account_id": FB_APP_ID, "scope": [],
                               "expires_at": None, "issued_at": 0}
    else:
        found, status = ctx.state.check_token("facebook", token)
        if status == "unknown":
            raise GraphError("Invalid OAuth access token - Cannot parse access token",
                             190, subcode=467)
        if status == "expired":
            exp = found["expires_at"] if found else time.time()
            raise GraphError(
                "Error validating access token: Session has expired on "
                f"{time.strftime('%A, %d-%b-%y %H:%M:%S', time.gmtime(exp))} PST. "
                "The current time is "
                f"{time.strftime('%A, %d-%b-%y %H:%M:%S', time.gmtime())} PST.",
                190, subcode=463)
        if status == "revoked":
            raise GraphError(
                "Error validating access token: The session has been invalidated "
                "because the user changed their password or Facebook has changed "
                "the session for security reasons.", 190, subcode=460)
        assert found is not None  # noqa: S101 - status "ok" implies a record
        rec = found
    if rec["type"] not in allow:
        kinds = " or ".join(allow)
        raise GraphError(f"(#210) A {kinds} access token is required to request this "
                         "resource.", 210)
    ctx.token_record = rec
    return rec


def require_page_publisher(ctx: Ctx, page: str) -> dict[str, Any]:
    rec = authenticate(ctx)
    if rec["type"] != "page" or rec["account_id"] != page:
        raise page_permission_error()
    if not PUBLISH_SCOPES.issubset(rec["scope"]):
        raise page_permission_error()
    return rec


def parse_fields(raw: str | None, default: list[str]) -> list[str]:
    """Top-level field names from ``a,b{c,d},reactions.summary(true)``."""
    if not raw:
        return list(default)
    names, depth, current = [], 0, ""
    for ch in raw:
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += ch
    names.append(current)
    out = []
    for name in names:
        name = name.strip()
        for stop in ".{(":
            name = name.split(stop, 1)[0]
        if name:
            out.append(name)
    return out


def usage_headers(ctx: Ctx, resp: Response, *, exhausted: bool = False,
                  regain_minutes: int = 0) -> None:
    """X-App-Usage and X-Business-Use-Case-Usage on every Graph response."""
    now = time.time()
    with ctx.state.lock:
        usage = ctx.state.transient.setdefault("fb_usage", {"start": now, "calls": 0})
        if now - usage["start"] > 3600:
            usage["start"], usage["calls"] = now, 0
        usage["calls"] += 1
        calls = usage["calls"]
    pct = 100 if exhausted else min(99, calls // 48)
    cpu = 100 if exhausted else min(99, calls // 96)
    resp.headers["X-App-Usage"] = json.dumps(
        {"call_count": pct, "total_cputime": cpu, "total_time": cpu})
    rec = ctx.token_record or {}
    business = rec.get("account_id") if rec.get("type") == "page" else FB_APP_ID
    resp.headers["X-Business-Use-Case-Usage"] = json.dumps({business: [{
        "type": "pages", "call_count": pct, "total_cputime": cpu, "total_time": cpu,
        "estimated_time_to_regain_access": regain_minutes}]})


def rate_limited(ctx: Ctx, reset_after: float, params: dict[str, Any] | None = None
                 ) -> Response:
    try:
        rec = authenticate(ctx)
        kind = rec["type"]
    except GraphError:
        kind = "app"
    if kind == "page":
        # A Page token's calls count against the Page's business use case.
        err = GraphError("(#80001) There have been too many calls to this Page "
                         "account. Wait a bit and try again. For more info, please "
                         "refer to https://developers.facebook.com/docs/graph-api/"
                         "overview/rate-limiting.", 80001, transient=True)
    elif kind == "user":
        err = GraphError("(#17) User request limit reached", 17, transient=True)
    else:
        err = GraphError("(#4) Application request limit reached", 4, status=403,
                         transient=True)
    resp = err.response()
    usage_headers(ctx, resp, exhausted=True,
                  regain_minutes=max(1, math.ceil(reset_after / 60)))
    resp.headers["Retry-After"] = str(max(1, math.ceil(reset_after)))
    return resp


def cursor(pid: str) -> str:
    return base64.urlsafe_b64encode(pid.encode()).decode().rstrip("=")


def uncursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise GraphError("(#100) The after cursor is invalid", 100) from exc


def paging_link(ctx: Ctx, replaced: tuple[str, ...], **changes: Any) -> str:
    """This request's URL with the paging parameters ``replaced`` by
    ``changes`` (``None`` values left out)."""
    query = {k: v for k, v in ctx.request.args.items() if k not in replaced}
    query.update({k: v for k, v in changes.items() if v is not None})
    url = f"{ctx.base}/facebook{ctx.request.path[len('/facebook') :]}"
    return f"{url}?{urlencode(query)}"
