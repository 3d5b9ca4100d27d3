"""OAuth 2.0 pieces shared by the three platforms: consent page, codes, PKCE."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Response

from .state import State
from .web import Ctx, esc, html_response

CODE_TTL = 600.0


def consent_page(ctx: Ctx, *, service: str, app_name: str, account_name: str,
                 scopes: list[str], granular: bool = False) -> Response:
    """A consent screen that posts the original query back with a decision.

    ``granular`` (Google's) lets the person untick scopes: the form then sends
    ``granular=1`` and a ``granted`` field per scope left ticked."""
    hidden = "".join(
        f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">'
        for k, v in ctx.request.args.items(multi=True))
    if granular:
        hidden += '<input type="hidden" name="granular" value="1">'
        items = "".join(
            f'<li><label><input type="checkbox" name="granted" value="{esc(s)}" '
            f'checked> {esc(s)}</label></li>' for s in scopes if s)
    else:
        items = "".join(f"<li>{esc(s)}</li>" for s in scopes if s)
    inner = (
        f"<div class=\"card\"><h1>{esc(service)}</h1>"
        f"<p><strong>{esc(app_name)}</strong> wants to act as "
        f"<strong>{esc(account_name)}</strong> and will be able to:</p>"
        f"<form method=\"post\"><ul>{items}</ul>{hidden}"
        "<button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">"
        "Allow</button>"
        "<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">"
        "Cancel</button></form></div>")
    return html_response(f"{service}: authorise {app_name}", inner)


def error_page(message: str, status: int = 400) -> Response:
    return html_response("Authorisation error",
                         f"<div class=\"card\"><h1>Something went wrong</h1>"
                         f"<p>{esc(message)}</p></div>", status)


def redirect(uri: str, params: dict[str, Any]) -> Response:
    """302 to ``uri`` with ``params`` appended to its query string."""
    parts = urlsplit(uri)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    location = urlunsplit((parts.scheme, parts.netloc, parts.path, query,
                           parts.fragment))
    resp = Response("", status=302)
    resp.headers["Location"] = location
    return resp


def issue_code(state: State, platform: str, **info: Any) -> str:
    code = secrets.token_urlsafe(24)
    with state.lock:
        state.data["codes"][code] = {"platform": platform,
                                     "expires_at": time.time() + CODE_TTL, **info}
    state.mark_dirty()
    return code


def redeem_code(state: State, platform: str, code: str | None) -> dict[str, Any] | None:
    """Consume an authorisation code (single use). None when unknown/expired."""
    if not code:
        return None
    with state.lock:
        rec = state.data["codes"].pop(code, None)
    state.mark_dirty()
    if not rec or rec["platform"] != platform or rec["expires_at"] < time.time():
        return None
    return rec


def pkce_matches(verifier: str | None, challenge: str | None,
                 method: str | None) -> bool:
    if not challenge:
        return True
    if not verifier:
        return False
    if (method or "plain").upper() == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        expected = verifier
    return hmac.compare_digest(expected, challenge)


def client_credentials(ctx: Ctx) -> tuple[str | None, str | None, bool]:
    """(client_id, client_secret, used_basic) from HTTP Basic or body/query."""
    header = ctx.request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            raw = base64.b64decode(header[6:].strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None, True
        cid, _, secret = raw.partition(":")
        return unquote_plus(cid), unquote_plus(secret), True
    values = ctx.values()
    return values.get("client_id"), values.get("client_secret"), False


def same_secret(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given, expected)
