"""Handlers for the ``/_sandbox/`` control API (JSON in, JSON out).

See README.md for the reference. The platform handlers never see these routes;
faults and latency do not apply to them.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from . import PLATFORMS
from .bluesky.common import issue_session
from .facebook.common import LONG_LIVED
from .faults import FaultError
from .mastodon.auth import issue as issue_mastodon
from .mastodon.common import DEFAULT_SCOPES as MASTODON_SCOPES
from .seed import (
    BSKY_DID,
    FB_APP_ID,
    FB_PAGE_COUNCIL,
    FB_USER_ID,
    MASTODON_ACCOUNT_ID,
    MASTODON_CLIENT_ID,
    X_USER_ID,
    YT_CHANNEL_ID,
)
from .web import SandboxRequest, json_response
from .x.auth import issue_pair
from .x.common import DEFAULT_SCOPES as X_SCOPES
from .youtube.auth import issue as issue_google
from .youtube.common import DEFAULT_SCOPES as YT_SCOPES
from .youtube.common import quota_for

if TYPE_CHECKING:
    from .server import SandboxApp

STARTED = time.time()


class ControlError(ValueError):
    pass


def _scope_list(raw: Any, default: list[str]) -> list[str]:
    if raw is None:
        return list(default)
    if isinstance(raw, str):
        return [s for s in raw.replace(",", " ").split() if s]
    return [str(s) for s in raw]


def _platform(body: dict[str, Any], *, allow_all: bool = False) -> str:
    name = body.get("platform")
    if name in PLATFORMS or (allow_all and name == "*"):
        return str(name)
    raise ControlError(f"platform must be one of {list(PLATFORMS)}")


def mint_token(app: SandboxApp, body: dict[str, Any]) -> dict[str, Any]:
    """Issue a ready-to-use token without the browser consent dance."""
    state = app.state
    platform = _platform(body)
    expires_in = body.get("expires_in")
    family = f"mint-{state.next_seq()}"
    accounts = state.data["accounts"][platform]
    if platform == "facebook":
        kind = body.get("kind") or "page"
        if kind not in ("page", "user"):
            raise ControlError("facebook kind must be 'page' or 'user'")
        account = str(body.get("account_id") or (FB_PAGE_COUNCIL if kind == "page"
                                                  else FB_USER_ID))
        if accounts.get(account, {}).get("type") != kind:
            raise ControlError(f"{account} is not a facebook {kind}")
        scope = _scope_list(body.get("scope"), state.data["fb_scopes"])
        if kind == "user" and expires_in is None:
            expires_in = LONG_LIVED
        token = state.issue_token(
            "facebook", account_id=account, scope=scope, client_id=FB_APP_ID,
            subject=kind, expires_in=expires_in, prefix="EAA", family=family,
            long_lived=True, user_id=FB_USER_ID)
        return {"access_token": token, "expires_in": expires_in,
                "account_id": account, "scope": ",".join(scope)}
    if platform == "mastodon":
        return _mint_mastodon(state, accounts, body, family)
    if platform == "bluesky":
        account = str(body.get("account_id") or BSKY_DID)
        if account not in accounts:
            raise ControlError(f"unknown bluesky account {account}")
        session = issue_session(state, account, family, expires_in)
        return {"access_token": session["accessJwt"],
                "refresh_token": session["refreshJwt"],
                "expires_in": session["expires_in"], "account_id": account,
                "scope": "com.atproto.appPass", "handle": session["handle"]}
    default_account = X_USER_ID if platform == "x" else YT_CHANNEL_ID
    account = str(body.get("account_id") or default_account)
    if account not in accounts:
        raise ControlError(f"unknown {platform} account {account}")
    if platform == "x":
        scope = _scope_list(body.get("scope"), X_SCOPES)
        if "offline.access" not in scope:
            scope.append("offline.access")  # the control API always returns a pair
        out = issue_pair(state, account, scope, family,
                         7200 if expires_in is None else expires_in)
    else:
        scope = _scope_list(body.get("scope"), YT_SCOPES)
        out = issue_google(state, account, scope, family, refresh=True,
                           expires_in=3599 if expires_in is None else expires_in)
        with state.lock:
            state.data["consents"][f"sandbox:{account}"] = True
    return {"access_token": out["access_token"], "refresh_token": out["refresh_token"],
            "expires_in": out["expires_in"], "account_id": account,
            "scope": out["scope"]}


def _mint_mastodon(
    state: Any, accounts: dict[str, Any], body: dict[str, Any], family: str
) -> dict[str, Any]:
    """A Mastodon token: it never expires and comes without a refresh token."""
    account = str(body.get("account_id") or MASTODON_ACCOUNT_ID)
    if account not in accounts:
        raise ControlError(f"unknown mastodon account {account}")
    scope = _scope_list(body.get("scope"), MASTODON_SCOPES)
    out = issue_mastodon(state, account, scope, MASTODON_CLIENT_ID, family)
    return {"access_token": out["access_token"], "refresh_token": "",
            "expires_in": None, "account_id": account, "scope": out["scope"]}


def _quota(app: SandboxApp, body: dict[str, Any] | None) -> dict[str, Any]:
    with app.state.lock:
        q = quota_for(app.state)
        limits = q["limits"]
        for key in ("units", "inserts", "uploads"):
            if body and f"{key}_used" in body:
                q[key] = int(body[f"{key}_used"])
            if body and f"{key}_limit" in body:
                limits[key] = int(body[f"{key}_limit"])
    app.state.mark_dirty()
    return json.loads(json.dumps(q))


def handle(app: SandboxApp, request: SandboxRequest) -> Response:
    try:
        return _route(app, request)
    except (ControlError, FaultError, ValueError, TypeError) as exc:
        return json_response({"error": str(exc)}, 400)


def _route(app: SandboxApp, request: SandboxRequest) -> Response:
    path = request.path.rstrip("/").removeprefix("/_sandbox")
    method = request.method
    body: dict[str, Any] = {}
    if method in ("POST", "PUT") and request.get_data():
        parsed = json.loads(request.get_data())
        if not isinstance(parsed, dict):
            raise ControlError("body must be a JSON object")
        body = parsed
    base = request.host_url.rstrip("/")
    state, faults = app.state, app.faults
    if path == "/health" and method == "GET":
        return json_response({"status": "ok", "platforms": list(PLATFORMS),
                              "uptime_s": round(time.time() - STARTED, 1)})
    if path == "/reset" and method == "POST":
        faults.clear()
        state.reset()
        return json_response({"ok": True})
    if path == "/tokens" and method == "POST":
        return json_response(mint_token(app, body), 201)
    if path == "/tokens/expire" and method == "POST":
        count = state.expire_tokens(_platform(body), body.get("access_token"))
        return json_response({"expired": count})
    if path == "/tokens/revoke" and method == "POST":
        count = state.revoke_tokens(_platform(body), body.get("token"))
        return json_response({"revoked": count})
    if path == "/faults":
        if method == "GET":
            return json_response({"faults": faults.list()})
        if method == "DELETE":
            faults.clear(latency=False)
            return json_response({"ok": True})
        if method == "POST":
            params = {k: v for k, v in body.items() if k not in (
                "platform", "operation", "kind", "rate", "count")}
            fault = faults.add(_platform(body, allow_all=True),
                               str(body.get("operation") or "*"),
                               str(body.get("kind")), rate=body.get("rate"),
                               count=body.get("count"), **params)
            return json_response({"id": fault.id}, 201)
    if path.startswith("/faults/") and method == "DELETE":
        removed = faults.remove(path.rsplit("/", 1)[1])
        return json_response({"removed": removed}, 200 if removed else 404)
    if path == "/latency":
        if method == "POST":
            faults.set_latency(_platform(body, allow_all=True),
                               float(body.get("fixed_ms", 0)),
                               float(body.get("jitter_ms", 0)))
        return json_response({"latency": faults.latency()})
    if path == "/scenarios":
        if method == "POST":
            settings = {k: v for k, v in body.items() if k != "platform"}
            faults.set_scenario(_platform(body), **settings)
        return json_response({"scenarios": faults.scenarios()})
    if path == "/uploads/expire" and method == "POST":
        return json_response({"expired": state.expire_upload_sessions()})
    if path == "/posts" and method == "GET":
        platform = request.args.get("platform") or None
        if platform and platform not in PLATFORMS:
            raise ControlError(f"unknown platform {platform}")
        include = request.args.get("include_deleted", "") in ("1", "true", "yes")
        return json_response({"posts": state.export_posts(base, platform, include)})
    if path == "/requests" and method == "GET":
        return json_response({"requests": state.requests_log(
            request.args.get("platform") or None)})
    if path == "/quota" and method in ("GET", "POST"):
        return json_response(_quota(app, body if method == "POST" else None))
    if path == "/state" and method == "POST":
        state.flush()
        return json_response({"saved": str(state.path) if state.path else None})
    return json_response({"error": f"no control endpoint {method} {request.path}"},
                         404)
