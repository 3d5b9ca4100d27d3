"""Mastodon's OAuth: app registration (``POST /api/v1/apps``), the consent
page, the code grant, revocation and ``verify_credentials``.

An instance registers each app itself and hands it a client id and secret;
access tokens never expire (until revoked) and no refresh token is issued.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from werkzeug.wrappers import Response

from .. import oauth
from ..seed import MASTODON_ACCOUNT_ID
from ..state import State
from ..web import Ctx, json_response
from .common import MastodonError, authenticate, router
from .statuses import account_entity


def _apps(ctx: Ctx) -> dict[str, Any]:
    return ctx.state.data.setdefault("mastodon_apps", {})


def _scopes(raw: str | None) -> list[str]:
    return (raw or "").split() or ["read"]


@router.add("POST", r"/api/v1/apps", "token")
def register_app(ctx: Ctx) -> Response:
    values = ctx.values()
    name = str(values.get("client_name") or "").strip()
    uris = values.get("redirect_uris") or values.get("redirect_uris[]") or ""
    uris = uris if isinstance(uris, list) else str(uris).split()
    if not name or not uris:
        raise MastodonError(
            422,
            "Validation failed: Application name can't be blank, "
            "Redirect URI can't be blank",
        )
    client_id = secrets.token_urlsafe(32)
    app = {
        "name": name,
        "website": values.get("website"),
        "redirect_uris": uris,
        "scopes": _scopes(values.get("scopes")),
        "client_secret": secrets.token_urlsafe(32),
    }
    with ctx.state.lock:
        _apps(ctx)[client_id] = app
    ctx.state.mark_dirty()
    return json_response(
        {
            "id": str(ctx.state.next_seq()),
            "name": name,
            "website": app["website"],
            "scopes": app["scopes"],
            "redirect_uri": "\n".join(uris),
            "redirect_uris": uris,
            "client_id": client_id,
            "client_secret": app["client_secret"],
        }
    )


@router.add("GET", r"/\.well-known/oauth-authorization-server", None)
def server_metadata(ctx: Ctx) -> Response:
    base = f"{ctx.base}/mastodon"
    return json_response(
        {
            "issuer": f"{base}/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "scopes_supported": ["read", "write", "profile", "push"],
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
        }
    )


@router.add("GET POST", r"/oauth/authorize", None)
def authorize(ctx: Ctx) -> Response:
    args = ctx.request.values
    app = _apps(ctx).get(args.get("client_id") or "")
    if app is None:
        return oauth.error_page(
            "Client authentication failed due to unknown client, no client "
            "authentication included, or unsupported authentication method."
        )
    redirect_uri = args.get("redirect_uri") or ""
    if redirect_uri not in app["redirect_uris"]:
        return oauth.error_page("The redirect uri included is not valid.")
    scopes = _scopes(args.get("scope"))
    # A granular scope ("write:media") is within its family ("write").
    if any({s, s.split(":")[0]}.isdisjoint(app["scopes"]) for s in scopes):
        return oauth.error_page(
            "The requested scope is invalid, unknown, or malformed."
        )
    account = ctx.state.data["accounts"]["mastodon"][MASTODON_ACCOUNT_ID]
    if ctx.request.method == "GET":
        return oauth.consent_page(
            ctx,
            service="Mastodon",
            app_name=app["name"],
            account_name="@" + account["username"],
            scopes=scopes,
        )
    if ctx.request.form.get("decision") != "allow":
        return oauth.redirect(
            redirect_uri, {"error": "access_denied", "state": args.get("state")}
        )
    code = oauth.issue_code(
        ctx.state,
        "mastodon",
        client_id=args["client_id"],
        redirect_uri=redirect_uri,
        scope=scopes,
        challenge=None,
        method=None,
        account_id=MASTODON_ACCOUNT_ID,
    )
    return oauth.redirect(redirect_uri, {"code": code, "state": args.get("state")})


def issue(
    state: State, account: str, scope: list[str], client_id: str, family: str
) -> dict[str, Any]:
    """An access token as Mastodon grants it: no expiry, no refresh token."""
    token = state.issue_token(
        "mastodon", account_id=account, scope=scope, client_id=client_id, family=family
    )
    return {
        "access_token": token,
        "token_type": "Bearer",
        "scope": " ".join(scope),
        "created_at": int(time.time()),
    }


def _client(ctx: Ctx) -> str:
    cid, secret, _basic = oauth.client_credentials(ctx)
    app = _apps(ctx).get(cid or "")
    if app is None or not oauth.same_secret(secret, app["client_secret"]):
        raise MastodonError(
            401,
            "invalid_client",
            error_description="Client authentication failed due to unknown "
            "client, no client authentication included, or unsupported "
            "authentication method.",
        )
    return str(cid)


@router.add("POST", r"/oauth/token", "token")
def token(ctx: Ctx) -> Response:
    client = _client(ctx)
    values = ctx.values()
    if values.get("grant_type") != "authorization_code":
        raise MastodonError(
            400,
            "unsupported_grant_type",
            error_description="The authorization grant type is not supported "
            "by the authorization server.",
        )
    code = oauth.redeem_code(ctx.state, "mastodon", values.get("code"))
    if (
        code is None
        or code["client_id"] != client
        or code["redirect_uri"] != values.get("redirect_uri")
    ):
        raise MastodonError(
            400,
            "invalid_grant",
            error_description="The provided authorization grant is invalid, "
            "expired, revoked, does not match the redirection URI used in the "
            "authorization request, or was issued to another client.",
        )
    family = f"mastodon-{ctx.state.next_seq()}"
    return json_response(
        issue(ctx.state, code["account_id"], code["scope"], client, family)
    )


@router.add("POST", r"/oauth/revoke", "token")
def revoke(ctx: Ctx) -> Response:
    _client(ctx)
    rec, _status = ctx.state.check_token("mastodon", ctx.values().get("token"))
    if rec is not None:
        with ctx.state.lock:
            rec["revoked"] = True
        ctx.state.mark_dirty()
    return json_response({})


@router.add("GET", r"/api/v1/accounts/verify_credentials", "me")
def verify_credentials(ctx: Ctx) -> Response:
    rec = authenticate(ctx, "read:accounts")
    return json_response(account_entity(ctx, rec["account_id"]))
