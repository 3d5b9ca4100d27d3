"""X's public web pages: a user's profile and a post's status page."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..web import (
    Ctx,
    ProfileEntry,
    esc,
    html_response,
    not_found_page,
    profile_response,
)
from .common import router, xtime
from .tweets import live


def _user(ctx: Ctx, username: str) -> tuple[str, dict[str, Any]] | None:
    """The account with ``username``; X matches usernames in any case."""
    wanted = username.lower()
    for uid, account in ctx.state.data["accounts"]["x"].items():
        if account["username"].lower() == wanted:
            return uid, account
    return None


@router.add("GET", r"/web/(?P<user>\w{1,15})/?", None)
def web_profile(ctx: Ctx) -> Response:
    """A user's profile: name, @username and their newest posts."""
    found = _user(ctx, ctx.params["user"])
    if found is None:
        return not_found_page("Page not found", "This account doesn't exist")
    uid, account = found
    entries = [
        ProfileEntry(
            permalink=ctx.state.permalink(p, ctx.base),
            when=xtime(p["created_ts"]),
            text=p["text"],
        )
        for p in ctx.state.account_posts("x", uid)
    ]
    return profile_response(
        f"{account['name']} (@{account['username']}) on X",
        account["name"],
        f"@{account['username']}",
        entries,
    )


@router.add("GET", r"/web/(?P<user>\w+)/status/(?P<tid>\d{1,19})", None)
def web_status(ctx: Ctx) -> Response:
    rec = live(ctx, ctx.params["tid"])
    if rec is None:
        return not_found_page("Page not found", "Hmm...this page doesn't exist.")
    acct = ctx.state.data["accounts"]["x"][rec["account_id"]]
    imgs = "".join(
        f'<img src="{esc(ctx.base)}/x/media/{esc(m["id"])}" '
        f'alt="{esc(m.get("alt_text", ""))}">'
        for m in rec["media"]
        if m["type"] == "photo"
    )
    inner = (
        f'<div class="card"><h1>{esc(acct["name"])}</h1>'
        f'<p class="meta">@{esc(acct["username"])} · '
        f"{esc(xtime(rec['created_ts']))}</p>"
        f'<p class="message">{esc(rec["text"])}</p>{imgs}</div>'
    )
    return html_response(f"{acct['name']} on X", inner)
