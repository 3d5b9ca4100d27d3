"""Bluesky (AT Protocol XRPC): error bodies, session tokens (JWTs) and the
``ratelimit-*`` headers every answer carries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from werkzeug.wrappers import Response

from ..state import State
from ..web import Ctx, Router, json_response

router = Router()
#: The PDS's general limit: 3,000 calls per 5 minutes (reported, not enforced).
WINDOW = 300
LIMIT = 3000
ACCESS_TTL = 7200  # an access token (accessJwt) lives two hours
REFRESH_TTL = 90 * 86400  # a refresh token (refreshJwt) ninety days
_SIGNING_KEY = secrets.token_bytes(32)  # the sandbox's own; nothing verifies it


class XrpcError(Exception):
    """Raised inside handlers; rendered as XRPC's ``{"error", "message"}``."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message

    def response(self) -> Response:
        return json_response(
            {"error": self.error, "message": self.message}, self.status
        )


def invalid_request(message: str, error: str = "InvalidRequest") -> XrpcError:
    return XrpcError(400, error, message)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(claims: dict[str, Any]) -> str:
    header = _b64(json.dumps({"typ": claims.pop("typ"), "alg": "HS256"}).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(
        _SIGNING_KEY, f"{header}.{payload}".encode(), hashlib.sha256
    ).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def issue_session(
    state: State, did: str, family: str, expires_in: float | None = ACCESS_TTL
) -> dict[str, Any]:
    """A new session for ``did``: an access and a refresh JWT, as
    ``createSession`` and ``refreshSession`` answer them."""
    now = int(time.time())
    access_ttl = ACCESS_TTL if expires_in is None else expires_in
    tokens = {}
    for kind, typ, scope, ttl in (
        ("access", "at+jwt", "com.atproto.appPass", access_ttl),
        ("refresh", "refresh+jwt", "com.atproto.refresh", REFRESH_TTL),
    ):
        value = _jwt(
            {
                "typ": typ,
                "scope": scope,
                "sub": did,
                "aud": "did:web:sandbox.bsky.invalid",
                "iat": now,
                "exp": int(now + ttl),
                "jti": secrets.token_urlsafe(16),
            }
        )
        state.issue_token(
            "bluesky",
            account_id=did,
            scope=[scope],
            kind=kind,
            expires_in=ttl,
            family=family,
            value=value,
        )
        tokens[kind] = value
    account = state.data["accounts"]["bluesky"][did]
    return {
        "accessJwt": tokens["access"],
        "refreshJwt": tokens["refresh"],
        "handle": account["handle"],
        "did": did,
        "active": True,
        "expires_in": int(access_ttl),
    }


def bearer(ctx: Ctx) -> str | None:
    header = ctx.request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def authenticate(ctx: Ctx, kind: str = "access") -> dict[str, Any]:
    """The caller's token record, refused as the PDS refuses it: an expired or
    revoked token is ``400 ExpiredToken``, a missing one ``401``."""
    token = bearer(ctx)
    ctx.token = token
    rec, status = ctx.state.check_token("bluesky", token)
    if status == "missing":
        raise XrpcError(401, "AuthenticationRequired", "Authentication Required")
    if status == "expired":
        raise XrpcError(400, "ExpiredToken", "Token has expired")
    if status == "revoked":
        raise XrpcError(400, "ExpiredToken", "Token has been revoked")
    if rec is None:
        raise XrpcError(401, "InvalidToken", "Token could not be verified")
    if rec["kind"] != kind:
        raise XrpcError(400, "InvalidToken", "Bad token scope")
    ctx.token_record = rec
    return rec


def rate_headers(
    ctx: Ctx, resp: Response, *, exhausted_for: float | None = None
) -> None:
    """``ratelimit-limit/-remaining/-reset/-policy`` on every answer, as the
    PDS sends them (the reset in seconds since 1970)."""
    now = time.time()
    if exhausted_for is not None:
        remaining, reset = 0, int(now + exhausted_for)
    else:
        who = (ctx.token_record or {}).get("account_id") or ctx.request.remote_addr
        with ctx.state.lock:
            windows = ctx.state.transient.setdefault("bluesky_windows", {})
            start, used = windows.get(who, (now, 0))
            if now - start >= WINDOW:
                start, used = now, 0
            used += 1
            windows[who] = (start, used)
        remaining, reset = max(0, LIMIT - used), int(start + WINDOW)
    resp.headers["ratelimit-limit"] = str(LIMIT)
    resp.headers["ratelimit-remaining"] = str(remaining)
    resp.headers["ratelimit-reset"] = str(reset)
    resp.headers["ratelimit-policy"] = f"{LIMIT};w={WINDOW}"


def rate_limited(
    ctx: Ctx, reset_after: float, params: dict[str, Any] | None = None
) -> Response:
    resp = XrpcError(429, "RateLimitExceeded", "Rate Limit Exceeded").response()
    rate_headers(ctx, resp, exhausted_for=reset_after)
    return resp


def bsky_time(ts: float) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
        + f".{int(ts * 1000) % 1000:03d}Z"
    )


def cid_of(data: bytes) -> str:
    """A CID-looking content address (raw codec, sha-256, base32)."""
    digest = base64.b32encode(hashlib.sha256(data).digest()).decode().lower()
    return "bafkrei" + digest.rstrip("=")[:52]
