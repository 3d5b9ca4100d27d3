"""YouTube channels.list, playlistItems.list, and the public channel and watch
pages."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from werkzeug.wrappers import Response

from ..state import iso
from ..web import (
    Ctx,
    ProfileEntry,
    esc,
    html_response,
    json_response,
    not_found_page,
    profile_response,
)
from .common import READ_SCOPES, GoogleError, authenticate, charge, etag, router
from .videos import requested_parts, thumbnails


@router.add("GET", r"/youtube/v3/channels", "me")
def list_channels(ctx: Ctx) -> Response:
    token = authenticate(
        ctx, READ_SCOPES, allow_key=ctx.request.args.get("mine") != "true"
    )
    parts = requested_parts(ctx)
    charge(ctx, units=1)
    accounts = ctx.state.data["accounts"]["youtube"]
    if ctx.request.args.get("mine") == "true":
        ids = [token["account_id"]] if token else []
    elif ctx.request.args.get("id"):
        ids = [i for i in ctx.request.args["id"].split(",") if i in accounts]
    elif ctx.request.args.get("forHandle"):
        handle = ctx.request.args["forHandle"].lstrip("@").lower()
        ids = [k for k, v in accounts.items() if v["customUrl"][1:] == handle]
    else:
        raise GoogleError(
            400,
            "No filter selected. Expected one of: mine, id, "
            "forHandle, forUsername, managedByMe, categoryId",
            "missingRequiredParameter",
            "youtube.parameter",
        )
    items = []
    for cid in ids:
        acct = accounts[cid]
        item: dict[str, Any] = {"kind": "youtube#channel", "etag": etag(cid), "id": cid}
        if "snippet" in parts:
            item["snippet"] = {
                "title": acct["title"],
                "description": acct["description"],
                "customUrl": acct["customUrl"],
                "publishedAt": "2011-02-01T10:00:00Z",
                "thumbnails": {},
                "country": "GB",
                "localized": {
                    "title": acct["title"],
                    "description": acct["description"],
                },
            }
        if "contentDetails" in parts:
            item["contentDetails"] = {
                "relatedPlaylists": {"likes": "", "uploads": acct["uploads"]}
            }
        if "statistics" in parts:
            count = len(ctx.state.account_posts("youtube", cid))
            item["statistics"] = {
                "viewCount": "182340",
                "subscriberCount": "2410",
                "hiddenSubscriberCount": False,
                "videoCount": str(count),
            }
        items.append(item)
    body: dict[str, Any] = {
        "kind": "youtube#channelListResponse",
        "etag": etag(ids),
        "pageInfo": {"totalResults": len(items), "resultsPerPage": 5},
    }
    if items:
        body["items"] = items
    return json_response(body)


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        return int(raw.removeprefix("o:"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise GoogleError(
            400,
            "The request specifies an invalid page token.",
            "invalidPageToken",
            "youtube.parameter",
        ) from exc


@router.add("GET", r"/youtube/v3/playlistItems", "list")
def list_playlist_items(ctx: Ctx) -> Response:
    token = authenticate(ctx, READ_SCOPES, allow_key=True)
    parts = requested_parts(ctx)
    charge(ctx, units=1)
    playlist = ctx.request.args.get("playlistId", "")
    owner = next(
        (
            k
            for k, v in ctx.state.data["accounts"]["youtube"].items()
            if v["uploads"] == playlist
        ),
        None,
    )
    if owner is None:
        raise GoogleError(
            404,
            "The playlist identified with the request's "
            "<code>playlistId</code> parameter cannot be found.",
            "playlistNotFound",
            "youtube.playlistItem",
            location="playlistId",
            location_type="parameter",
        )
    try:
        limit = max(0, min(50, int(ctx.request.args.get("maxResults", 5))))
    except ValueError as exc:
        raise GoogleError(
            400, "Invalid value for maxResults", "invalidParameter", "youtube.parameter"
        ) from exc
    # Like YouTube's, the uploads playlist can lag minutes or hours behind
    # videos.insert: a new video exists before it is listed.
    listed_before = time.time() - ctx.faults.scenario("youtube", "playlist_lag_seconds")
    videos = [
        v
        for v in ctx.state.account_posts("youtube", owner)
        if (v["privacy"] != "private" or (token and token["account_id"] == owner))
        and v["created_ts"] <= listed_before
    ]
    start = (
        _offset(ctx.request.args["pageToken"])
        if ctx.request.args.get("pageToken")
        else 0
    )
    window = videos[start : start + limit]
    account = ctx.state.data["accounts"]["youtube"][owner]
    items = []
    for pos, rec in enumerate(window, start=start):
        item: dict[str, Any] = {
            "kind": "youtube#playlistItem",
            "etag": etag(rec["id"], pos),
            "id": base64.b64encode(f"{playlist}.{rec['id']}".encode()).decode(),
        }
        if "snippet" in parts:
            item["snippet"] = {
                "publishedAt": iso(rec["created_ts"]),
                "channelId": owner,
                "title": rec["title"],
                "description": rec["description"],
                "thumbnails": thumbnails(ctx, rec),
                "channelTitle": account["title"],
                "playlistId": playlist,
                "position": pos,
                "resourceId": {"kind": "youtube#video", "videoId": rec["id"]},
                "videoOwnerChannelTitle": account["title"],
                "videoOwnerChannelId": owner,
            }
            if ctx.faults.scenario("youtube", "omit_timestamps"):
                del item["snippet"]["publishedAt"]
        if "contentDetails" in parts:
            item["contentDetails"] = {
                "videoId": rec["id"],
                "videoPublishedAt": iso(rec["created_ts"]),
            }
        if "status" in parts:
            item["status"] = {"privacyStatus": rec["privacy"]}
        items.append(item)
    body: dict[str, Any] = {
        "kind": "youtube#playlistItemListResponse",
        "etag": etag(playlist, start, len(videos)),
        "items": items,
        "pageInfo": {"totalResults": len(videos), "resultsPerPage": limit},
    }
    if start + limit < len(videos):
        body["nextPageToken"] = _page_token(start + limit)
    if start > 0:
        body["prevPageToken"] = _page_token(max(0, start - limit))
    return json_response(body)


@router.add("GET", r"/web/watch", None)
def watch(ctx: Ctx) -> Response:
    rec = ctx.state.posts("youtube").get(ctx.request.args.get("v", ""))
    if rec is None or rec["deleted"]:
        return html_response(
            "YouTube",
            '<div class="card"><h1>Video unavailable'
            "</h1><p>This video isn't available any more.</p></div>",
            404,
        )
    account = ctx.state.data["accounts"]["youtube"][rec["account_id"]]
    thumb = thumbnails(ctx, rec)["high"]["url"]
    tags = " ".join(f"#{esc(t)}" for t in rec["tags"])
    inner = (
        f'<div class="card"><img src="{esc(thumb)}" alt="">'
        f"<h1>{esc(rec['title'])}</h1>"
        f'<p class="meta">{esc(account["title"])} · {esc(rec["privacy"])} · '
        f"{esc(iso(rec['created_ts']))}</p>"
        f'<p class="message">{esc(rec["description"])}</p>'
        f'<p class="meta">{tags}</p></div>'
    )
    return html_response(f"{rec['title']} - YouTube", inner)


@router.add("GET", r"/web/channel/(?P<cid>[\w-]+)/?", None)
def channel_page(ctx: Ctx) -> Response:
    """A channel's public page: its title, handle and newest public videos."""
    account = ctx.state.data["accounts"]["youtube"].get(ctx.params["cid"])
    if account is None:
        return not_found_page("YouTube", "This channel does not exist.")
    entries = [
        ProfileEntry(
            permalink=ctx.state.permalink(rec, ctx.base),
            when=iso(rec["created_ts"]) or "",
            text=rec["description"],
            title=rec["title"],
        )
        for rec in ctx.state.account_posts("youtube", ctx.params["cid"])
        if rec["privacy"] == "public"
    ]
    return profile_response(
        f"{account['title']} - YouTube",
        account["title"],
        account["customUrl"],
        entries,
    )
