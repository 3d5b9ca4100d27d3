"""Facebook Page reads: the posts/feed edges with cursor or time-based paging,
and the public pages (a Page's profile and a post's permalink)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Response

from ..web import (
    Ctx,
    ProfileEntry,
    esc,
    html_response,
    json_response,
    not_found_page,
    profile_response,
)
from .common import (
    GraphError,
    V,
    authenticate,
    cursor,
    fbtime,
    not_exist,
    paging_link,
    parse_fields,
    router,
    uncursor,
)
from .content import POST_DEFAULT_FIELDS, media_url, page_exists, render_post


def _time_param(values: dict[str, Any], name: str) -> float | None:
    """``since``/``until``: a unix timestamp or a date (the strtotime forms a
    client sends: ``2024-05-01``, ``2024-05-01T10:00:00+0000``)."""
    raw = str(values.get(name) or "").strip()
    if not raw:
        return None
    if raw.lstrip("-").isdigit():
        return float(raw)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise GraphError(
            f"(#100) The parameter {name} must be a unix timestamp or a date", 100
        ) from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


@router.add("GET", V + r"/(?P<page>\d+)/(?P<edge>posts|feed|published_posts)", "list")
def list_posts(ctx: Ctx) -> Response:
    """Newest first. ``since``/``until`` bound the posts' creation times (both
    ends included, to the second) and switch to time-based paging, whose next
    link carries ``until`` and a ``__paging_token``; otherwise cursors."""
    page = ctx.params["page"]
    authenticate(ctx)
    if not page_exists(ctx, page):
        raise not_exist(page)
    values = ctx.values()
    try:
        limit = max(1, min(100, int(values.get("limit") or 25)))
    except ValueError as exc:
        raise GraphError("(#100) param limit must be a number", 100) from exc
    since, until = _time_param(values, "since"), _time_param(values, "until")
    posts = [
        p
        for p in ctx.state.account_posts("facebook", page)
        if p["extra"].get("published", True)
        and (since is None or int(p["created_ts"]) >= since)
        and (until is None or int(p["created_ts"]) <= until)
    ]
    if (since is not None or until is not None) and not (
        values.get("after") or values.get("before")
    ):
        return _time_page(ctx, values, posts, limit)
    ids = [p["id"] for p in posts]
    start = 0
    if values.get("after"):
        anchor = uncursor(str(values["after"]))
        start = ids.index(anchor) + 1 if anchor in ids else len(ids)
    elif values.get("before"):
        anchor = uncursor(str(values["before"]))
        start = max(0, (ids.index(anchor) if anchor in ids else 0) - limit)
    window = posts[start : start + limit]
    body: dict[str, Any] = {"data": _render(ctx, values, window)}
    if window:
        cursors = {
            "before": cursor(window[0]["id"]),
            "after": cursor(window[-1]["id"]),
        }
        paging: dict[str, Any] = {"cursors": cursors}
        if start + limit < len(posts):
            paging["next"] = paging_link(
                ctx, ("after", "before"), after=cursors["after"]
            )
        if start > 0:
            paging["previous"] = paging_link(
                ctx, ("after", "before"), before=cursors["before"]
            )
        body["paging"] = paging
    return json_response(body)


TIME_KEYS = ("since", "until", "__paging_token", "__previous")


def _time_page(
    ctx: Ctx, values: dict[str, Any], posts: list[dict[str, Any]], limit: int
) -> Response:
    """One page of time-based paging over ``posts`` (already within the range).

    A ``__paging_token`` names the last post already seen, so posts sharing a
    second with it are neither repeated nor skipped; with ``__previous`` the
    page is the posts just newer than it.
    """
    ids = [p["id"] for p in posts]
    start = 0
    token = values.get("__paging_token")
    anchor = uncursor(str(token)) if token else None
    if anchor in ids:
        at = ids.index(anchor)
        start = max(0, at - limit) if values.get("__previous") else at + 1
    window = posts[start : start + limit]
    body: dict[str, Any] = {"data": _render(ctx, values, window)}
    if window:
        paging: dict[str, Any] = {}
        first, last = window[0], window[-1]
        if start + limit < len(posts):
            paging["next"] = paging_link(
                ctx,
                TIME_KEYS,
                since=values.get("since"),
                until=int(last["created_ts"]),
                __paging_token=cursor(last["id"]),
            )
        if start > 0:
            paging["previous"] = paging_link(
                ctx,
                TIME_KEYS,
                since=int(first["created_ts"]),
                until=values.get("until"),
                __paging_token=cursor(first["id"]),
                __previous=1,
            )
        body["paging"] = paging
    return json_response(body)


def _render(
    ctx: Ctx, values: dict[str, Any], window: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    fields = parse_fields(values.get("fields"), POST_DEFAULT_FIELDS)
    return [render_post(ctx, p, fields) for p in window]


@router.add("GET", r"/web/(?P<page>\d+)/posts/(?P<post>\d+)", None)
def web_post(ctx: Ctx) -> Response:
    pid = f"{ctx.params['page']}_{ctx.params['post']}"
    rec = ctx.state.posts("facebook").get(pid)
    if rec is None or rec["deleted"]:
        return html_response(
            "Content not found",
            '<div class="card"><h1>This content isn\'t available right now</h1></div>',
            404,
        )
    page = ctx.state.data["accounts"]["facebook"][rec["account_id"]]
    parts = [
        f'<div class="card"><h1>{esc(page["name"])}</h1>',
        f'<p class="meta">{esc(fbtime(rec["created_ts"]))}</p>',
    ]
    if rec["title"]:
        parts.append(f"<h2>{esc(rec['title'])}</h2>")
    parts.append(f'<p class="message">{esc(rec["text"])}</p>')
    if rec["link"]:
        parts.append(f'<p><a href="{esc(rec["link"])}">{esc(rec["link"])}</a></p>')
    for item in rec["media"]:
        if item["type"] == "photo":
            parts.append(
                f'<img src="{esc(media_url(ctx, item["id"]))}" '
                f'alt="{esc(item.get("alt_text", ""))}">'
            )
    parts.append("</div>")
    return html_response(f"{page['name']} | Facebook", "".join(parts))


@router.add("GET", r"/web/(?P<page>\d+)/?", None)
def web_page(ctx: Ctx) -> Response:
    """A Page's public profile: its name and its newest published posts."""
    page = ctx.params["page"]
    if not page_exists(ctx, page):
        return not_found_page(
            "Content not found", "This content isn't available right now"
        )
    account = ctx.state.data["accounts"]["facebook"][page]
    entries = [
        ProfileEntry(
            permalink=ctx.state.permalink(p, ctx.base),
            when=fbtime(p["created_ts"]),
            text=p["text"],
            title=p["title"],
        )
        for p in ctx.state.account_posts("facebook", page)
        if p["extra"].get("published", True)
    ]
    return profile_response(
        f"{account['name']} | Facebook", account["name"], "Facebook Page", entries
    )
