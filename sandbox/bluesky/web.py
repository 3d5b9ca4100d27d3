"""Bluesky's public web pages: a profile and a post's own page."""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..web import (
    Ctx,
    ProfileEntry,
    esc,
    html_response,
    not_found_page,
    profile_response,
)
from .common import bsky_time, router
from .xrpc import live


def _account(ctx: Ctx, handle: str) -> tuple[str, dict] | None:
    wanted = handle.lower()
    for did, account in ctx.state.data["accounts"]["bluesky"].items():
        if wanted in (did, account["handle"].lower()):
            return did, account
    return None


@router.add("GET", r"/web/profile/(?P<handle>[\w.:-]+)/?", None)
def web_profile(ctx: Ctx) -> Response:
    found = _account(ctx, ctx.params["handle"])
    if found is None:
        return not_found_page("Profile not found", "Profile not found")
    did, account = found
    entries = [
        ProfileEntry(
            permalink=ctx.state.permalink(p, ctx.base),
            when=bsky_time(p["created_ts"]),
            text=p["text"],
        )
        for p in ctx.state.account_posts("bluesky", did)
    ]
    return profile_response(
        f"{account['name']} (@{account['handle']}) — Bluesky",
        account["name"],
        f"@{account['handle']}",
        entries,
    )


@router.add(
    "GET", r"/web/profile/(?P<handle>[\w.:-]+)/post/(?P<rkey>[a-z2-7]{13})", None
)
def web_post(ctx: Ctx) -> Response:
    found = _account(ctx, ctx.params["handle"])
    rec = live(ctx, found[0], ctx.params["rkey"]) if found else None
    if found is None or rec is None:
        return not_found_page("Post not found", "Post not found")
    _did, account = found
    imgs = "".join(
        f'<img src="{esc(ctx.base)}/bluesky/media/{esc(m["id"])}" '
        f'alt="{esc(m.get("alt_text", ""))}">'
        for m in rec["media"]
    )
    card = (
        f'<p class="card"><a href="{esc(rec["link"])}">{esc(rec["title"])}</a><br>'
        f"{esc(rec['description'])}</p>"
        if rec["title"]
        else ""
    )
    inner = (
        f'<div class="card"><h1>{esc(account["name"])}</h1>'
        f'<p class="meta">@{esc(account["handle"])} · '
        f"{esc(bsky_time(rec['created_ts']))}</p>"
        f'<p class="message">{esc(rec["text"])}</p>{imgs}{card}</div>'
    )
    return html_response(f"{account['name']} on Bluesky", inner)
