"""Google OAuth 2.0: consent page, token endpoint (code incl. PKCE, refresh) and
revoke. Refresh tokens are returned only on the first offline consent (or with
``prompt=consent``); access tokens live 3599 s."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from .. import oauth
from ..seed import GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, YT_CHANNEL_ID
from ..state import State
from ..web import Ctx, json_response
from .common import router

ACCESS_TTL = 3599
EXPIRED = "Token has been expired or revoked."


def _fail(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


@router.add("GET POST", r"/o/oauth2(?:/v2)?/auth", None)
def consent(ctx: Ctx) -> Response:
    args = ctx.request.values
    if args.get("client_id") != GOOGLE_CLIENT_ID:
        return oauth.error_page("Error 401: invalid_client. The OAuth client was not "
                                "found.", 401)
    if args.get("response_type") != "code" or not args.get("redirect_uri"):
        return oauth.error_page("Error 400: invalid_request. response_type=code and "
                                "redirect_uri are required.")
    scopes = (args.get("scope") or "").split()
    if ctx.request.method == "GET":
        account = ctx.state.data["accounts"]["youtube"][YT_CHANNEL_ID]
        return oauth.consent_page(ctx, service="Sign in with Google",
                                  app_name="Council Publishing",
                                  account_name=account["title"], scopes=scopes,
                                  granular=True)
    if ctx.request.form.get("granular"):
        # Granular consent: only the scopes the person left ticked are granted.
        ticked = set(ctx.request.form.getlist("granted"))
        scopes = [s for s in scopes if s in ticked]
    if ctx.request.form.get("decision") != "allow":
        return oauth.redirect(args["redirect_uri"], {"error": "access_denied",
                                                     "state": args.get("state")})
    code = oauth.issue_code(
        ctx.state, "youtube", client_id=GOOGLE_CLIENT_ID,
        redirect_uri=args["redirect_uri"], scope=scopes,
        challenge=args.get("code_challenge"),
        method=args.get("code_challenge_method"),
        offline=args.get("access_type") == "offline",
        force=("consent" in (args.get("prompt") or "")), account_id=YT_CHANNEL_ID)
    return oauth.redirect(args["redirect_uri"], {"state": args.get("state"),
                                                 "code": code,
                                                 "scope": " ".join(scopes)})


def issue(state: State, account: str, scope: list[str], family: str, *,
          refresh: bool, expires_in: float | None = ACCESS_TTL) -> dict[str, Any]:
    access = state.issue_token("youtube", account_id=account, scope=scope,
                                   client_id=GOOGLE_CLIENT_ID, expires_in=expires_in,
                                   prefix="ya29.", family=family)
    body: dict[str, Any] = {"access_token": access, "expires_in": int(expires_in or 0),
                            "scope": " ".join(scope), "token_type": "Bearer"}
    if refresh:
        body["refresh_token"] = state.issue_token(
            "youtube", account_id=account, scope=scope, client_id=GOOGLE_CLIENT_ID,
            kind="refresh", prefix="1//", family=family)
    return body


@router.add("POST", r"/token", "token")
def token(ctx: Ctx) -> Response:
    cid, secret, _basic = oauth.client_credentials(ctx)
    if cid != GOOGLE_CLIENT_ID:
        return _fail("invalid_client", "The OAuth client was not found.", 401)
    if not oauth.same_secret(secret, GOOGLE_CLIENT_SECRET):
        return _fail("invalid_client", "Unauthorized", 401)
    form = ctx.request.form
    grant = form.get("grant_type")
    if grant == "authorization_code":
        code = oauth.redeem_code(ctx.state, "youtube", form.get("code"))
        if code is None or code["redirect_uri"] != form.get("redirect_uri"):
            return _fail("invalid_grant", "Bad Request")
        if not oauth.pkce_matches(form.get("code_verifier"), code["challenge"],
                                  code["method"]):
            return _fail("invalid_grant", "Invalid code verifier.")
        key = f"{GOOGLE_CLIENT_ID}:{code['account_id']}"
        with ctx.state.lock:
            first = key not in ctx.state.data["consents"]
            ctx.state.data["consents"][key] = True
        refresh = code["offline"] and (first or code["force"])
        family = f"g-{ctx.state.next_seq()}"
        return json_response(issue(ctx.state, code["account_id"], code["scope"], family,
                                   refresh=refresh))
    if grant == "refresh_token":
        rec, status = ctx.state.check_token("youtube", form.get("refresh_token"))
        if status != "ok" or rec is None or rec["kind"] != "refresh" \
                or rec["client_id"] != cid:
            return _fail("invalid_grant", EXPIRED)
        return json_response(issue(ctx.state, rec["account_id"], rec["scope"],
                                   rec.get("family") or "g", refresh=False))
    return _fail("unsupported_grant_type", f"Invalid grant_type: {grant}")


@router.add("POST GET", r"/(?:o/oauth2/)?revoke", "token")
def revoke(ctx: Ctx) -> Response:
    value = ctx.values().get("token")
    rec, status = ctx.state.check_token("youtube", value)
    if rec is None or status == "revoked":
        return _fail("invalid_token", "Token expired or revoked")
    ctx.state.revoke_tokens("youtube", value)
    return json_response({})
