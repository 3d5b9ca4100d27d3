"""Facebook Page reads: the posts/feed edges with cursor paging, and the
public permalink page."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from ..web import Ctx, esc, html_response, json_response
from .common import GraphError, V, authenticate, fbtime, not_exist, parse_fields, router
from .content import POST_DEFAULT_FIELDS, _page_exists, media_url, render_post


def _cursor(pid: str) -> str:
    return base64.urlsafe_b64encode(pid.encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise GraphError("(#100) The after cursor is invalid", 100) from exc


@router.add("GET", V + r"/(?P<page>\d+)/(?P<edge>posts|feed|published_posts)", "list")
def list_posts(ctx: Ctx) -> Response:
    page = ctx.params["page"]
    authenticate(ctx)
    if not _page_exists(ctx, page):
        raise not_exist(page)
    values = ctx.values()
    try:
        limit = max(1, min(100, int(values.get("limit") or 25)))
    except ValueError as exc:
        raise GraphError("(#100) param limit must be a number", 100) from exc
    posts = [p for p in ctx.state.account_posts("facebook", page)
             if p["extra"].get("published", True)]
    ids = [p["id"] for p in posts]
    start = 0
    if values.get("after"):
        anchor = _uncursor(str(values["after"]))
        start = ids.index(anchor) + 1 if anchor in ids else len(ids)
    elif values.get("before"):
        anchor = _uncursor(str(values["before"]))
        start = max(0, (ids.index(anchor) if anchor in ids else 0) - limit)
    window = posts[start:start + limit]
    fields = parse_fields(values.get("fields"), POST_DEFAULT_FIELDS)
    body: dict[str, Any] = {"data": [render_post(ctx, p, fields) for p in window]}
    if window:
        cursors = {"before": _cursor(window[0]["id"]),
                   "after": _cursor(window[-1]["id"])}
        paging: dict[str, Any] = {"cursors": cursors}
        query = {k: v for k, v in ctx.request.args.items()
                 if k not in ("after", "before")}
        url = f"{ctx.base}/facebook{ctx.request.path[len('/facebook'):]}"
        if start + limit < len(posts):
            paging["next"] = f"{url}?{urlencode({**query, 'after': cursors['after']})}"
        if start > 0:
            paging["previous"] = (
                f"{url}?{urlencode({**query, 'before': cursors['before']})}")
        body["paging"] = paging
    return json_response(body)


@router.add("GET", r"/web/(?P<page>\d+)/posts/(?P<post>\d+)", None)
def web_post(ctx: Ctx) -> Response:
    pid = f"{ctx.params['page']}_{ctx.params['post']}"
    rec = ctx.state.posts("facebook").get(pid)
    if rec is None or rec["deleted"]:
        return html_response("Content not found", "<div class=\"card\"><h1>This "
                             "content isn't available right now</h1></div>", 404)
    page = ctx.state.data["accounts"]["facebook"][rec["account_id"]]
    parts = [f"<div class=\"card\"><h1>{esc(page['name'])}</h1>",
             f"<p class=\"meta\">{esc(fbtime(rec['created_ts']))}</p>"]
    if rec["title"]:
        parts.append(f"<h2>{esc(rec['title'])}</h2>")
    parts.append(f"<p class=\"message\">{esc(rec['text'])}</p>")
    if rec["link"]:
        parts.append(f"<p><a href=\"{esc(rec['link'])}\">{esc(rec['link'])}</a></p>")
    for item in rec["media"]:
        if item["type"] == "photo":
            parts.append(f"<img src=\"{esc(media_url(ctx, item['id']))}\" "
                         f"alt=\"{esc(item.get('alt_text', ''))}\">")
    parts.append("</div>")
    return html_response(f"{page['name']} | Facebook", "".join(parts))
