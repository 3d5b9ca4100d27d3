"""X OAuth 2.0 (authorisation code with PKCE): consent page, token, revoke.

Access tokens live 7200 s. Refresh tokens are issued only with ``offline.access``
and rotate: each refresh returns a new one and the old one stops working.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from .. import oauth
from ..seed import X_CLIENT_ID, X_CLIENT_SECRET, X_USER_ID
from ..state import State
from ..web import Ctx, json_response
from .common import router

ACCESS_TTL = 7200


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def response(self) -> Response:
        return json_response({"error": self.error,
                              "error_description": self.description}, self.status)


@router.add("GET POST", r"/i/oauth2/authorize", None)
def authorize(ctx: Ctx) -> Response:
    args = ctx.request.values
    if args.get("client_id") != X_CLIENT_ID:
        return oauth.error_page("Something went wrong: the client_id is not valid.")
    if args.get("response_type") != "code" or not args.get("redirect_uri"):
        return oauth.error_page("response_type=code and redirect_uri are required.")
    if not args.get("code_challenge") or (args.get("code_challenge_method") or
                                          "plain") not in ("S256", "plain"):
        return oauth.error_page("A PKCE code_challenge (S256 or plain) is required.")
    scopes = (args.get("scope") or "").split()
    if ctx.request.method == "GET":
        user = ctx.state.data["accounts"]["x"][X_USER_ID]
        return oauth.consent_page(ctx, service="X", app_name="Council Publishing",
                                  account_name="@" + user["username"], scopes=scopes)
    if ctx.request.form.get("decision") != "allow":
        return oauth.redirect(args["redirect_uri"], {"error": "access_denied",
                                                     "state": args.get("state")})
    code = oauth.issue_code(
        ctx.state, "x", client_id=X_CLIENT_ID, redirect_uri=args["redirect_uri"],
        scope=scopes, challenge=args["code_challenge"],
        method=args.get("code_challenge_method") or "plain", account_id=X_USER_ID)
    return oauth.redirect(args["redirect_uri"], {"state": args.get("state"),
                                                 "code": code})


def _client(ctx: Ctx) -> str:
    cid, secret, basic = oauth.client_credentials(ctx)
    if basic and (cid != X_CLIENT_ID or not oauth.same_secret(secret,
                                                              X_CLIENT_SECRET)):
        raise OAuthError("unauthorized_client", "Missing valid authorization header",
                         401)
    body_cid = ctx.request.form.get("client_id")
    if (cid or body_cid) != X_CLIENT_ID:
        raise OAuthError("unauthorized_client", "Missing valid authorization header",
                         401)
    return X_CLIENT_ID


def issue_pair(state: State, account: str, scope: list[str], family: str,
               expires_in: float | None = ACCESS_TTL) -> dict[str, Any]:
    access = state.issue_token("x", account_id=account, scope=scope,
                                   client_id=X_CLIENT_ID, expires_in=expires_in,
                                   family=family)
    body: dict[str, Any] = {"token_type": "bearer", "expires_in": int(expires_in or 0),
                            "access_token": access, "scope": " ".join(scope)}
    if "offline.access" in scope:
        body["refresh_token"] = state.issue_token(
            "x", account_id=account, scope=scope, client_id=X_CLIENT_ID,
            kind="refresh", family=family)
    return body


@router.add("POST", r"/2/oauth2/token", "token")
def token(ctx: Ctx) -> Response:
    try:
        client = _client(ctx)
        form = ctx.request.form
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = oauth.redeem_code(ctx.state, "x", form.get("code"))
            if (code is None or code["client_id"] != client
                    or code["redirect_uri"] != form.get("redirect_uri")):
                raise OAuthError("invalid_request", "Value passed for the "
                                 "authorization code was invalid.")
            if not oauth.pkce_matches(form.get("code_verifier"), code["challenge"],
                                      code["method"]):
                raise OAuthError("invalid_grant", "Value passed for the code "
                                 "verifier did not match the code challenge.")
            family = f"x-{ctx.state.next_seq()}"
            return json_response(issue_pair(ctx.state, code["account_id"],
                                            code["scope"], family))
        if grant == "refresh_token":
            old = form.get("refresh_token")
            rec, status = ctx.state.check_token("x", old)
            if status != "ok" or rec is None or rec["kind"] != "refresh":
                raise OAuthError("invalid_request", "Value passed for the token was "
                                 "invalid.")
            with ctx.state.lock:
                rec["revoked"] = True  # rotation: a refresh token works once
            return json_response(issue_pair(ctx.state, rec["account_id"], rec["scope"],
                                            rec.get("family") or "x"))
        raise OAuthError("unsupported_grant_type", "Grant type is not supported.")
    except OAuthError as exc:
        return exc.response()


@router.add("POST", r"/2/oauth2/revoke", "token")
def revoke(ctx: Ctx) -> Response:
    try:
        _client(ctx)
    except OAuthError as exc:
        return exc.response()
    value = ctx.request.form.get("token")
    rec, _status = ctx.state.check_token("x", value)
    if rec is not None:
        with ctx.state.lock:
            rec["revoked"] = True
        ctx.state.mark_dirty()
    return json_response({"revoked": True})
