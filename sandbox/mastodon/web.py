"""Mastodon's public web pages: an account's profile and a status's page."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..web import (
    Ctx,
    ProfileEntry,
    esc,
    html_response,
    media_response,
    not_found_page,
    profile_response,
)
from .common import iso_ms, router

router.add("GET", r"/media/(?P<mid>\d+)", None)(media_response)


def _account(ctx: Ctx, username: str) -> tuple[str, dict[str, Any]] | None:
    wanted = username.lower()
    for aid, account in ctx.state.data["accounts"]["mastodon"].items():
        if account["username"].lower() == wanted:
            return aid, account
    return None


@router.add("GET", r"/@(?P<user>\w{1,30})/?", None)
def web_profile(ctx: Ctx) -> Response:
    found = _account(ctx, ctx.params["user"])
    if found is None:
        return not_found_page(
            "The page you are looking for isn't here.",
            "The page you are looking for isn't here.",
        )
    aid, account = found
    entries = [
        ProfileEntry(
            permalink=ctx.state.permalink(p, ctx.base),
            when=iso_ms(p["created_ts"]),
            text=p["text"],
        )
        for p in ctx.state.account_posts("mastodon", aid)
    ]
    return profile_response(
        f"{account['display_name']} (@{account['username']})",
        account["display_name"],
        f"@{account['username']}",
        entries,
    )


@router.add("GET", r"/@(?P<user>\w{1,30})/(?P<sid>\d{1,20})", None)
def web_status(ctx: Ctx) -> Response:
    found = _account(ctx, ctx.params["user"])
    rec = ctx.state.posts("mastodon").get(ctx.params["sid"])
    if (
        found is None
        or rec is None
        or rec["deleted"]
        or (rec["account_id"] != found[0])
    ):
        return not_found_page(
            "The page you are looking for isn't here.",
            "The page you are looking for isn't here.",
        )
    account = found[1]
    imgs = "".join(
        f'<img src="{esc(ctx.base)}/mastodon/media/{esc(m["id"])}" '
        f'alt="{esc(m.get("alt_text", ""))}">'
        for m in rec["media"]
    )
    inner = (
        f'<div class="card"><h1>{esc(account["display_name"])}</h1>'
        f'<p class="meta">@{esc(account["username"])} · '
        f"{esc(iso_ms(rec['created_ts']))}</p>"
        f'<p class="message">{esc(rec["text"])}</p>{imgs}</div>'
    )
    return html_response(f"{account['display_name']}: {rec['text'][:40]}", inner)
