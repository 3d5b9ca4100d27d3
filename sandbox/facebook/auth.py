"""Facebook Login and token endpoints: dialog, access_token, debug_token,
/me and /me/accounts (page tokens)."""

from __future__ import annotations

import time
from typing import Any

from werkzeug.wrappers import Response

from .. import oauth
from ..seed import FB_APP_ID, FB_APP_SECRET, FB_USER_ID
from ..web import Ctx, json_response
from .common import (
    LONG_LIVED,
    SHORT_LIVED,
    TASKS,
    GraphError,
    V,
    authenticate,
    cursor,
    paging_link,
    parse_fields,
    router,
    uncursor,
)


def _scopes(raw: str | None) -> list[str]:
    return [s for s in (raw or "").replace(",", " ").split() if s]


@router.add("GET POST", V + r"/dialog/oauth", None)
def dialog(ctx: Ctx) -> Response:
    args = ctx.request.values
    if args.get("client_id") != FB_APP_ID:
        return oauth.error_page("Invalid App ID: the app ID is not valid.")
    redirect_uri = args.get("redirect_uri")
    if not redirect_uri:
        return oauth.error_page("URL blocked: redirect_uri is required.")
    scopes = _scopes(args.get("scope"))
    if ctx.request.method == "GET":
        user = ctx.state.data["accounts"]["facebook"][FB_USER_ID]
        return oauth.consent_page(ctx, service="Facebook",
                                  app_name="Council Publishing",
                                  account_name=user["name"], scopes=scopes)
    state = args.get("state")
    if ctx.request.form.get("decision") != "allow":
        return oauth.redirect(redirect_uri, {
            "error": "access_denied", "error_code": "200",
            "error_description": "Permissions error", "error_reason": "user_denied",
            "state": state})
    code = oauth.issue_code(ctx.state, "facebook", client_id=FB_APP_ID,
                            redirect_uri=redirect_uri, scope=scopes,
                            account_id=FB_USER_ID)
    return oauth.redirect(redirect_uri, {"code": code, "state": state})


def _token_json(token: str, expires_in: int | None) -> Response:
    body: dict[str, Any] = {"access_token": token, "token_type": "bearer"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    return json_response(body)


def _check_client(ctx: Ctx) -> None:
    cid, secret, _basic = oauth.client_credentials(ctx)
    if cid != FB_APP_ID:
        raise GraphError("Error validating application. Invalid application ID.", 101)
    if not oauth.same_secret(secret, FB_APP_SECRET):
        raise GraphError("Error validating client secret.", 1)


@router.add("GET POST", V + r"/oauth/access_token", "token")
def access_token(ctx: Ctx) -> Response:
    values = ctx.values()
    grant = values.get("grant_type") or ("authorization_code" if values.get("code")
                                         else "")
    _check_client(ctx)
    if grant == "client_credentials":
        token = ctx.state.issue_token("facebook", account_id=FB_APP_ID, scope=[],
                                      client_id=FB_APP_ID, subject="app",
                                      prefix=f"{FB_APP_ID}|")
        return _token_json(token, None)
    if grant == "fb_exchange_token":
        short = values.get("fb_exchange_token")
        rec, status = ctx.state.check_token("facebook", short)
        if status == "expired":
            raise GraphError("Error validating access token: Session has expired.",
                             190, subcode=463)
        if status != "ok" or rec is None or rec["type"] != "user":
            raise GraphError("Invalid OAuth access token - Cannot parse access token",
                             190, subcode=467)
        token = ctx.state.issue_token(
            "facebook", account_id=rec["account_id"], scope=rec["scope"],
            client_id=FB_APP_ID, subject="user", expires_in=LONG_LIVED,
            prefix="EAA", long_lived=True, family=rec.get("family"))
        return _token_json(token, LONG_LIVED)
    if grant == "authorization_code":
        code = oauth.redeem_code(ctx.state, "facebook", values.get("code"))
        if code is None:
            raise GraphError("Invalid verification code format.", 100, subcode=36007)
        if code["redirect_uri"] != values.get("redirect_uri"):
            raise GraphError(
                "Error validating verification code. Please make sure your "
                "redirect_uri is identical to the one you used in the OAuth dialog "
                "request", 100, subcode=36008)
        family = f"fb-{ctx.state.next_seq()}"
        token = ctx.state.issue_token(
            "facebook", account_id=code["account_id"], scope=code["scope"],
            client_id=FB_APP_ID, subject="user", expires_in=SHORT_LIVED,
            prefix="EAA", family=family)
        return _token_json(token, SHORT_LIVED)
    raise GraphError("(#100) Unsupported grant_type", 100)


@router.add("GET", V + r"/debug_token", "token")
def debug_token(ctx: Ctx) -> Response:
    authenticate(ctx)
    token = ctx.values().get("input_token")
    rec, status = ctx.state.check_token("facebook", token)
    if rec is None:
        return json_response({"data": {"error": {
            "code": 190, "message": "Invalid OAuth access token."},
            "is_valid": False, "scopes": []}})
    kind = {"page": "PAGE", "user": "USER", "app": "APP"}.get(rec["type"], "USER")
    data: dict[str, Any] = {
        "app_id": FB_APP_ID, "type": kind, "application": "Council Publishing",
        "data_access_expires_at": int(rec["issued_at"] + 90 * 86400),
        "expires_at": int(rec["expires_at"] or 0), "is_valid": status == "ok",
        "issued_at": int(rec["issued_at"]), "scopes": list(rec["scope"]),
        "granular_scopes": [{"scope": s} for s in rec["scope"]],
        "user_id": rec.get("user_id", rec["account_id"]),
    }
    if rec["type"] == "page":
        data["profile_id"] = rec["account_id"]
    if status != "ok":
        data["error"] = {"code": 190, "subcode": 463 if status == "expired" else 460,
                         "message": f"The access token is {status}."}
    return json_response({"data": data})


def page_token_for(ctx: Ctx, user_rec: dict[str, Any], page: str) -> str:
    """The page token derived from the calling user token (reused while valid).

    Derived from a long-lived user token it never expires (debug_token shows
    ``expires_at: 0``); otherwise it lives as long as the user token.
    """
    user_token = ctx.token or ""
    with ctx.state.lock:
        derived = user_rec.setdefault("page_tokens", {})
        existing = derived.get(page)
        if existing:
            _rec, status = ctx.state.check_token("facebook", existing)
            if status == "ok":
                return str(existing)
        expires = user_rec["expires_at"]
        expires_in = (None if user_rec.get("long_lived") or expires is None
                      else max(1.0, expires - time.time()))
        token = ctx.state.issue_token(
            "facebook", account_id=page, scope=user_rec["scope"], client_id=FB_APP_ID,
            subject="page", expires_in=expires_in, prefix="EAA",
            user_id=user_rec["account_id"], family=user_rec.get("family"),
            parent=user_token[:12])
        derived[page] = token
    ctx.state.mark_dirty()
    return token


def render_page(ctx: Ctx, page: str, fields: list[str]) -> dict[str, Any]:
    acct = ctx.state.data["accounts"]["facebook"][page]
    rec = ctx.token_record or {}
    out: dict[str, Any] = {}
    for name in fields:
        if name == "id":
            out["id"] = page
        elif name == "name":
            out["name"] = acct["name"]
        elif name == "category":
            out["category"] = acct["category"]
        elif name in ("fan_count", "followers_count"):
            out[name] = acct["fan_count"]
        elif name == "link":
            out["link"] = f"{ctx.base}/facebook/web/{page}"
        elif name == "tasks":
            out["tasks"] = list(TASKS)
        elif name == "access_token":
            if rec.get("type") == "page" and rec.get("account_id") == page:
                out["access_token"] = ctx.token
            elif rec.get("type") == "user" and _manages(ctx, rec, page):
                out["access_token"] = page_token_for(ctx, rec, page)
            else:
                raise GraphError(
                    "(#200) Provide valid app ID", 200) if rec.get("type") == "app" \
                    else GraphError("(#190) This method must be called with a Page "
                                    "Access Token or a User Access Token of a Page "
                                    "admin", 190)
    return out


def _manages(ctx: Ctx, user_rec: dict[str, Any], page: str) -> bool:
    user = ctx.state.data["accounts"]["facebook"].get(user_rec["account_id"], {})
    return page in user.get("pages", []) and "pages_show_list" in user_rec["scope"]


@router.add("GET", V + r"/me", "me")
def me(ctx: Ctx) -> Response:
    rec = authenticate(ctx)
    fields = parse_fields(ctx.values().get("fields"), ["name", "id"])
    if rec["type"] == "page":
        return json_response(render_page(ctx, rec["account_id"], fields))
    if rec["type"] == "app":
        raise GraphError("An active access token must be used to query information "
                         "about the current user.", 2500)
    user = ctx.state.data["accounts"]["facebook"][rec["account_id"]]
    out = {k: v for k, v in (("id", rec["account_id"]), ("name", user["name"]))
           if k in fields}
    return json_response(out)


@router.add("GET", V + r"/(?P<uid>me|\d+)/accounts", "me")
def accounts(ctx: Ctx) -> Response:
    rec = authenticate(ctx)
    uid = ctx.params["uid"]
    if rec["type"] != "user" or uid not in ("me", rec["account_id"]):
        raise GraphError("(#100) Tried accessing nonexisting field (accounts) on node "
                         "type (Page)", 100)
    user = ctx.state.data["accounts"]["facebook"][rec["account_id"]]
    pages = list(user["pages"]) if "pages_show_list" in rec["scope"] else []
    values = ctx.values()
    size = int(values.get("limit") or ctx.faults.scenario("facebook",
                                                          "accounts_page_size"))
    after = uncursor(str(values["after"])) if values.get("after") else None
    start = (pages.index(after) + 1 if after in pages
             else len(pages) if after else 0)
    data = []
    for page in pages[start:start + size]:
        acct = ctx.state.data["accounts"]["facebook"][page]
        data.append({
            "access_token": page_token_for(ctx, rec, page),
            "category": acct["category"],
            "category_list": [{"id": "2235", "name": acct["category"]}],
            "name": acct["name"], "id": page, "tasks": list(TASKS)})
    if not data:
        return json_response({"data": []})
    paging: dict[str, Any] = {"cursors": {"before": cursor(data[0]["id"]),
                                          "after": cursor(data[-1]["id"])}}
    if start + size < len(pages):
        paging["next"] = paging_link(ctx, ("after",), limit=str(size),
                                     after=cursor(data[-1]["id"]))
    return json_response({"data": data, "paging": paging})
