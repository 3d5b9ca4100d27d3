"""YouTube Data API: Google error JSON, bearer auth and quota accounting."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from typing import Any

from werkzeug.wrappers import Response

from ..state import State
from ..web import Ctx, Router, json_response

router = Router()
SCOPE = "https://www.googleapis.com/auth/"
UPLOAD_SCOPES = {SCOPE + s for s in ("youtube.upload", "youtube", "youtube.force-ssl",
                                     "youtubepartner")}
MANAGE_SCOPES = {SCOPE + s for s in ("youtube", "youtube.force-ssl", "youtubepartner")}
READ_SCOPES = MANAGE_SCOPES | {SCOPE + "youtube.readonly", SCOPE + "youtube.upload"}
DEFAULT_SCOPES = [SCOPE + "youtube.upload", SCOPE + "youtube"]
# Per-method unit costs from the quota table; videos.insert has its own bucket.
COSTS = {"list": 1, "update": 50, "delete": 50, "thumbnails": 50, "captions": 400}
DEFAULT_LIMITS = {"units": 10_000, "inserts": 100, "uploads": 100}
STATUS_TEXT = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED",
               403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
               500: "INTERNAL", 503: "UNAVAILABLE"}


class GoogleError(Exception):
    def __init__(self, status: int, message: str, reason: str,
                 domain: str = "global", *, location: str | None = None,
                 location_type: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.reason, self.domain = (status, message,
                                                               reason, domain)
        self.location, self.location_type = location, location_type
        self.headers = headers or {}

    def response(self) -> Response:
        item: dict[str, Any] = {"message": self.message, "domain": self.domain,
                                "reason": self.reason}
        if self.location:
            item.update(location=self.location, locationType=self.location_type)
        body: dict[str, Any] = {"code": self.status, "message": self.message,
                                "errors": [item]}
        if self.status in STATUS_TEXT:
            body["status"] = STATUS_TEXT[self.status]
        return json_response({"error": body}, self.status, dict(self.headers))


def bad_request(message: str, reason: str, domain: str = "youtube.video",
                status: int = 400) -> GoogleError:
    return GoogleError(status, message, reason, domain)


def video_not_found(status: int = 404) -> GoogleError:
    return GoogleError(status, "The video identified by the <code>id</code> "
                       "parameter could not be found.", "videoNotFound",
                       "youtube.video", location="id", location_type="parameter")


def bearer(ctx: Ctx) -> str | None:
    header = ctx.request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return ctx.request.args.get("access_token")


def authenticate(ctx: Ctx, scopes: set[str], *, allow_key: bool = False
                 ) -> dict[str, Any] | None:
    """The caller's token record, or None for an API-key read (``key=``)."""
    token = bearer(ctx)
    ctx.token = token
    if token is None and allow_key and ctx.request.args.get("key"):
        return None
    rec, status = ctx.state.check_token("youtube", token)
    if status == "missing":
        raise GoogleError(401, "The request uses the <code>mine</code> parameter but "
                          "is not properly authorized.", "required",
                          location="Authorization", location_type="header")
    if status != "ok" or rec is None or rec["kind"] != "access":
        raise GoogleError(
            401, "Request had invalid authentication credentials. Expected OAuth 2 "
            "access token, login cookie or other valid authentication credential. "
            "See https://developers.google.com/identity/sign-in/web/devconsole-"
            "project.", "authError", location="Authorization",
            location_type="header",
            headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/'
                     '", error="invalid_token"'})
    ctx.token_record = rec
    if not scopes.intersection(rec["scope"]):
        raise GoogleError(403, "Request had insufficient authentication scopes.",
                          "insufficientPermissions")
    return rec


def _pacific_day() -> str:
    try:
        from zoneinfo import ZoneInfo
        zone: dt.tzinfo = ZoneInfo("America/Los_Angeles")
    except Exception:  # noqa: BLE001 - no tz database: fall back to UTC-8
        zone = dt.timezone(dt.timedelta(hours=-8))
    return dt.datetime.now(zone).date().isoformat()


def quota(ctx: Ctx) -> dict[str, Any]:
    return quota_for(ctx.state)


def quota_for(state: State) -> dict[str, Any]:
    """Today's counters (reset at midnight Pacific time, like the real quota)."""
    with state.lock:
        q = state.data["quota"].setdefault("youtube", {})
        day = _pacific_day()
        if q.get("day") != day:
            q.update(day=day, units=0, inserts=0, uploads=0)
        q.setdefault("limits", dict(DEFAULT_LIMITS))
        return q


def charge(ctx: Ctx, *, units: int = 0, inserts: int = 0) -> None:
    """Spend quota or raise 403 quotaExceeded (nothing is spent then)."""
    with ctx.state.lock:
        q = quota(ctx)
        if (q["units"] + units > q["limits"]["units"]
                or q["inserts"] + inserts > q["limits"]["inserts"]):
            raise GoogleError(403, "The request cannot be completed because you have "
                              "exceeded your <a href=\"/youtube/v3/getting-started"
                              "#quota\">quota</a>.", "quotaExceeded", "youtube.quota")
        q["units"] += units
        q["inserts"] += inserts
    ctx.state.mark_dirty()


def etag(*parts: Any) -> str:
    return hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()[:27]


def rate_limited(ctx: Ctx, reset_after: float, params: dict[str, Any] | None = None
                 ) -> Response:
    status = int((params or {}).get("status", 403))
    if status == 429:
        err = GoogleError(429, "Resource has been exhausted (e.g. check quota).",
                          "rateLimitExceeded")
    else:
        err = GoogleError(403, "The request cannot be completed because you have "
                          "exceeded your quota.", "rateLimitExceeded",
                          "youtube.quota")
    resp = err.response()
    resp.headers["Retry-After"] = str(max(1, math.ceil(reset_after)))
    return resp
