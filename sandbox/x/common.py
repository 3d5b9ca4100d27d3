"""X API v2: problem bodies, bearer auth and x-rate-limit-* headers."""

from __future__ import annotations

import math
import time
from typing import Any

from werkzeug.wrappers import Response

from ..web import Ctx, Router, json_response

router = Router()
PROBLEM_TYPE = "application/problem+json"
PROBLEMS = "https://api.twitter.com/2/problems/"
WINDOW = 900  # 15-minute rate-limit windows
DAY = 86400  # the 24-hour post caps
DAILY_LIMITS = {"user": 100, "app": 10_000}
LIMITS = {"publish": 200, "delete": 50, "update": 50, "get": 900, "list": 900,
          "me": 75, "media": 500, "token": 300}
DEFAULT_SCOPES = ["tweet.read", "tweet.write", "users.read", "offline.access",
                  "media.write"]


class XError(Exception):
    """Raised inside handlers; rendered as a v2 problem (or legacy) body."""

    def __init__(self, status: int, body: dict[str, Any],
                 content_type: str = PROBLEM_TYPE,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("detail") or body.get("title") or str(status))
        self.status, self.body = status, body
        self.content_type, self.headers = content_type, headers or {}

    def response(self) -> Response:
        return json_response(self.body, self.status, dict(self.headers),
                             content_type=self.content_type)


def problem(status: int, title: str, detail: str, type_: str = "about:blank",
            **extra: Any) -> XError:
    return XError(status, {"title": title, "detail": detail, "type": type_,
                           "status": status, **extra})


def invalid_request(message: str, parameters: dict[str, list[str]] | None = None
                    ) -> XError:
    err: dict[str, Any] = {"message": message}
    if parameters is not None:
        err["parameters"] = parameters
    return XError(400, {"errors": [err], "title": "Invalid Request",
                        "detail": "One or more parameters to your request was "
                                  "invalid.", "type": PROBLEMS + "invalid-request"})


def not_found_problem(resource: str, value: str, parameter: str = "id"
                      ) -> dict[str, Any]:
    label = "tweet" if resource == "tweet" else resource
    return {"value": value, "detail": f"Could not find {label} with {parameter}: "
            f"[{value}].", "title": "Not Found Error", "resource_type": resource,
            "parameter": parameter, "resource_id": value,
            "type": PROBLEMS + "resource-not-found"}


def unauthorized() -> XError:
    return problem(401, "Unauthorized", "Unauthorized")


def bearer(ctx: Ctx) -> str | None:
    header = ctx.request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def authenticate(ctx: Ctx, *scopes: str) -> dict[str, Any]:
    """Validate the OAuth 2.0 user token; check the scopes the endpoint needs."""
    token = bearer(ctx)
    ctx.token = token
    rec, status = ctx.state.check_token("x", token)
    if status != "ok" or rec is None or rec["kind"] != "access":
        raise unauthorized()
    ctx.token_record = rec
    missing = [s for s in scopes if s not in rec["scope"]]
    if missing:
        raise problem(403, "Forbidden", "Missing required OAuth 2.0 scope(s): "
                      + ", ".join(missing))
    return rec


def daily_headers(ctx: Ctx, resp: Response, *, capped_for: float | None = None,
                  capped: str = "app") -> None:
    """x-user-limit-24hour-* and x-app-limit-24hour-* on every post, as X sends
    them: posts counted per user and per app over 24 hours (reported, not
    enforced, unless a fault says the ``capped`` one, "user" or "app", ran
    out for ``capped_for`` s)."""
    now = time.time()
    user = (ctx.token_record or {}).get("account_id") or ctx.request.remote_addr
    with ctx.state.lock:
        days = ctx.state.transient.setdefault("x_days", {})
        for who, key in (("user", f"user:{user}"), ("app", "app")):
            start, used = days.get(key, (now, 0))
            if now - start >= DAY:
                start, used = now, 0
            spent = capped_for is not None and who == capped
            if capped_for is None:
                used += 1
            days[key] = (start, used)
            limit = DAILY_LIMITS[who]
            remaining = 0 if spent else max(0, limit - used)
            reset = int(now + capped_for) if spent else int(start + DAY)
            resp.headers[f"x-{who}-limit-24hour-limit"] = str(limit)
            resp.headers[f"x-{who}-limit-24hour-remaining"] = str(remaining)
            resp.headers[f"x-{who}-limit-24hour-reset"] = str(reset)


def rate_headers(ctx: Ctx, resp: Response, *, exhausted_for: float | None = None
                 ) -> None:
    """x-rate-limit-limit/-remaining/-reset on every response."""
    key_op = ctx.operation or "get"
    limit = LIMITS.get(key_op, 900)
    now = time.time()
    if exhausted_for is not None:
        remaining, reset = 0, int(now + exhausted_for)
    else:
        who = (ctx.token_record or {}).get("account_id") or ctx.request.remote_addr
        key = f"{who}:{ctx.request.method}:{key_op}"
        with ctx.state.lock:
            windows = ctx.state.transient.setdefault("x_windows", {})
            start, used = windows.get(key, (now, 0))
            if now - start >= WINDOW:
                start, used = now, 0
            used += 1
            windows[key] = (start, used)
        remaining, reset = max(0, limit - used), int(start + WINDOW)
    resp.headers["x-rate-limit-limit"] = str(limit)
    resp.headers["x-rate-limit-remaining"] = str(remaining)
    resp.headers["x-rate-limit-reset"] = str(reset)


def rate_limited(ctx: Ctx, reset_after: float, params: dict[str, Any] | None = None
                 ) -> Response:
    params = params or {}
    style = params.get("style")
    if style == "usage_capped":
        period = str(params.get("period", "Daily"))
        err = problem(429, "UsageCapExceeded",
                      f"Usage cap exceeded: {period} product cap",
                      PROBLEMS + "usage-capped", period=period, scope="Product")
    elif style == "legacy":
        # v1.1's body, which some v2 edges still send.
        err = XError(429, {"errors": [{"code": 88, "message": "Rate limit exceeded"}]},
                     content_type="application/json; charset=utf-8")
    else:
        err = problem(429, "Too Many Requests", "Too Many Requests")
    resp = err.response()
    rate_headers(ctx, resp, exhausted_for=reset_after)
    if style in ("daily", "usage_capped") and ctx.operation == "publish":
        # The 15-minute window resets soon; the 24-hour cap much later.
        daily_headers(ctx, resp, capped_for=float(params.get("daily_reset_after",
                                                             DAY)),
                      capped=str(params.get("cap", "app")))
    resp.headers["Retry-After"] = str(max(1, math.ceil(reset_after)))
    return resp


def xtime(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + \
        f".{int(ts * 1000) % 1000:03d}Z"


def csv_param(ctx: Ctx, name: str) -> list[str]:
    return [v for v in (ctx.request.args.get(name) or "").split(",") if v]
