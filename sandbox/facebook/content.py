"""Facebook Page content: feed posts, photos, edits, deletes, reads, paging."""

from __future__ import annotations

import hashlib
import time
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from ..seed import post_record
from ..web import Ctx, fetch_url, image_size, json_response
from ..web import read_upload as read_file
from .auth import render_page
from .common import (
    GraphError,
    V,
    authenticate,
    fbtime,
    missing_permission,
    not_exist,
    parse_fields,
    require_page_publisher,
    router,
)

DUPLICATE_WINDOW = 86400.0
DEPRECATED_FIELDS = {
    "caption",
    "description",
    "link",
    "name",
    "object_id",
    "source",
    "type",
}
POST_DEFAULT_FIELDS = ["created_time", "message", "id"]


def page_exists(ctx: Ctx, page: str) -> bool:
    acct = ctx.state.data["accounts"]["facebook"].get(page)
    return bool(acct and acct["type"] == "page")


def create_post(
    ctx: Ctx,
    page: str,
    *,
    text: str = "",
    link: str = "",
    title: str = "",
    media: list[dict[str, Any]] | None = None,
    kind: str = "status",
    published: bool = True,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    pid = f"{page}_{ctx.state.numeric_id(900_000_000_000_000)}"
    now = time.time()
    rec = post_record(
        "facebook",
        pid,
        page,
        now,
        text,
        link=link,
        title=title,
        description=title and text,
        media=media or [],
        kind=kind,
        metrics={"reactions": 0, "shares": 0, "comments": 0},
    )
    rec["extra"] = {"published": published, **(extra or {})}
    return ctx.state.add_post(rec)


def _check_duplicate(ctx: Ctx, page: str, text: str, link: str) -> None:
    """(#506) for a repeat of a live post within 24 h; (#368) once it persists."""
    cutoff = time.time() - DUPLICATE_WINDOW
    with ctx.state.lock:
        dup = any(
            p["account_id"] == page
            and not p["deleted"]
            and p["created_ts"] >= cutoff
            and p["text"].strip() == text.strip()
            and p["link"] == link
            and p["kind"] in ("status", "link")
            for p in ctx.state.posts("facebook").values()
        )
        if not dup:
            return
        key = page + ":" + hashlib.sha256(f"{text}\0{link}".encode()).hexdigest()[:24]
        tries = ctx.state.data["duplicates"].get(key, 0) + 1
        ctx.state.data["duplicates"][key] = tries
    ctx.state.mark_dirty()
    if tries >= 3:
        raise GraphError(
            "(#368) The action attempted has been deemed abusive or is otherwise "
            "disallowed",
            368,
            subcode=1390008,
            user_title="You Can't Post This Right Now",
            user_msg="You've already posted this. Posting the same content repeatedly "
            "on Facebook isn't allowed.",
        )
    raise GraphError("(#506) Duplicate status message", 506)


def _flag(value: Any, default: bool = True) -> bool:
    if value is None or value == "":
        return default
    return str(value).lower() not in ("false", "0", "no")


@router.add("POST", V + r"/(?P<page>\d+)/feed", "publish")
def feed(ctx: Ctx) -> Response:
    page = ctx.params["page"]
    require_page_publisher(ctx, page)
    if not page_exists(ctx, page):
        raise not_exist(page)
    values = ctx.values()
    text, link = str(values.get("message") or ""), str(values.get("link") or "")
    attached = _attached_media(ctx, values, page)
    if not text and not link and not attached:
        raise GraphError("(#100) Missing message or attachment", 100)
    if link and not link.lower().startswith(("http://", "https://")):
        raise GraphError("(#100) link URL is not properly formatted", 100)
    if len(text) > 63206:
        raise GraphError("(#100) Message is too long", 100)
    _check_duplicate(ctx, page, text, link)
    kind = "photo" if attached else ("link" if link else "status")
    rec = create_post(
        ctx,
        page,
        text=text,
        link=link,
        media=attached,
        kind=kind,
        published=_flag(values.get("published")),
    )
    with ctx.state.lock:
        for item in attached:
            ctx.state.data["media"][item["id"]]["post_id"] = rec["id"]
    return written(ctx, rec["id"], {"id": rec["id"]})


def written(ctx: Ctx, oid: str, answer: dict[str, Any]) -> Response:
    """The answer to a write: ``answer``, or with ``fields`` (read-after-write)
    those fields of the object written, read back as ``GET /{oid}`` would."""
    if ctx.values().get("fields"):

        def read(read_ctx: Ctx) -> Response:
            read_ctx.params = {**read_ctx.params, "oid": oid}
            return get_object(read_ctx)

        ctx.read_back = read
    return json_response(answer)


def _attached_media(
    ctx: Ctx, values: dict[str, Any], page: str
) -> list[dict[str, Any]]:
    import json

    items = []
    for key in sorted(k for k in values if k.startswith("attached_media")):
        raw = values[key]
        try:
            ref = raw if isinstance(raw, dict) else json.loads(raw)
            fbid = str(ref["media_fbid"])
        except (ValueError, KeyError, TypeError) as exc:
            raise GraphError(
                "(#100) param attached_media must be an array of "
                "objects with media_fbid",
                100,
            ) from exc
        meta = ctx.state.data["media"].get(fbid)
        if not meta or meta["owner"] != page or meta.get("post_id"):
            raise GraphError(f"(#100) Invalid media_fbid {fbid}", 100)
        items.append(
            {
                "id": fbid,
                "type": "photo",
                "alt_text": meta["alt_text"],
                "size": meta["size"],
            }
        )
    if isinstance(values.get("attached_media"), list):  # JSON bodies
        raise GraphError("(#100) attached_media must use attached_media[N] keys", 100)
    return items


def store_media(
    ctx: Ctx,
    page: str,
    data: bytes,
    mime: str,
    *,
    kind: str,
    alt: str = "",
    **extra: Any,
) -> dict[str, Any]:
    mid = ctx.state.numeric_id(700_000_000_000_000)
    width, height = image_size(data) if kind == "photo" else (0, 0)
    meta = {
        "id": mid,
        "platform": "facebook",
        "type": kind,
        "mime": mime,
        "size": len(data),
        "alt_text": alt,
        "owner": page,
        "state": "succeeded",
        "width": width,
        "height": height,
        **extra,
    }
    with ctx.state.lock:
        ctx.state.data["media"][mid] = meta
        ctx.state.blobs[mid] = data
    ctx.state.mark_dirty()
    return meta


@router.add("POST", V + r"/(?P<page>\d+)/photos", "publish")
def photos(ctx: Ctx) -> Response:
    page = ctx.params["page"]
    require_page_publisher(ctx, page)
    values = ctx.values()
    upload = ctx.file("source")
    if upload is not None:
        data, mime = read_file(upload), upload.mimetype or "image/jpeg"
    elif values.get("url"):
        try:
            data, mime = fetch_url(str(values["url"]))
        except OSError as exc:
            raise GraphError("(#324) Missing or invalid image file", 324) from exc
    else:
        raise GraphError("(#324) Requires upload file", 324)
    if not data or image_size(data) == (0, 0):
        raise GraphError("(#324) Missing or invalid image file", 324)
    text = str(values.get("caption") or values.get("message") or "")
    alt = str(values.get("alt_text_custom") or "")
    meta = store_media(ctx, page, data, mime, kind="photo", alt=alt)
    if not _flag(values.get("published")) or _flag(values.get("temporary"), False):
        return written(ctx, meta["id"], {"id": meta["id"]})
    item = {"id": meta["id"], "type": "photo", "alt_text": alt, "size": len(data)}
    rec = create_post(ctx, page, text=text, media=[item], kind="photo")
    with ctx.state.lock:
        meta["post_id"] = rec["id"]
    return written(ctx, meta["id"], {"id": meta["id"], "post_id": rec["id"]})


def find_post(ctx: Ctx, oid: str) -> dict[str, Any] | None:
    """A live post by post id, or by the id of its photo/video."""
    with ctx.state.lock:
        rec = ctx.state.posts("facebook").get(oid)
        if rec is None:
            meta = ctx.state.data["media"].get(oid)
            if meta and meta["platform"] == "facebook" and meta.get("post_id"):
                rec = ctx.state.posts("facebook").get(meta["post_id"])
    return None if rec is None or rec["deleted"] else rec


@router.add("POST", V + r"/(?P<oid>\d+_\d+|\d+)", "update")
def edit(ctx: Ctx) -> Response:
    oid = ctx.params["oid"]
    authenticate(ctx)
    rec = find_post(ctx, oid)
    if rec is None:
        raise not_exist(oid)
    require_page_publisher(ctx, rec["account_id"])
    values = ctx.values()
    with ctx.state.lock:
        if "message" in values or "description" in values:
            rec["text"] = str(values.get("message", values.get("description")) or "")
            if rec["kind"] == "video":
                rec["description"] = rec["text"]
        if "title" in values and rec["kind"] == "video":
            rec["title"] = str(values["title"])
        rec["edits"] += 1
        rec["updated_ts"] = time.time()
    ctx.state.mark_dirty()
    return written(ctx, oid, {"success": True})


@router.add("DELETE", V + r"/(?P<oid>\d+_\d+|\d+)", "delete")
def delete(ctx: Ctx) -> Response:
    oid = ctx.params["oid"]
    authenticate(ctx)
    rec = find_post(ctx, oid)
    if rec is None:
        raise not_exist(oid)
    try:
        require_page_publisher(ctx, rec["account_id"])
    except GraphError:
        raise missing_permission(oid) from None
    with ctx.state.lock:
        rec["deleted"], rec["deleted_ts"] = True, time.time()
    ctx.state.mark_dirty()
    return json_response({"success": True})


def media_url(ctx: Ctx, mid: str) -> str:
    return f"{ctx.base}/facebook/media/{mid}"


def shimmed(link: str) -> str:
    """The link as Graph gives it: through Facebook's l.facebook.com redirect."""
    digest = hashlib.sha256(link.encode()).hexdigest()[:20]
    return "https://l.facebook.com/l.php?" + urlencode({"u": link, "h": digest})


def _attachments(ctx: Ctx, rec: dict[str, Any]) -> dict[str, Any]:
    media = ctx.state.data["media"]
    subs = []
    for item in rec["media"]:
        meta = media.get(item["id"], {})
        if item["type"] == "video":
            subs.append(
                {
                    "media_type": "video",
                    "type": "video_inline",
                    "title": rec["title"],
                    "description": rec["text"],
                    "media": {"source": media_url(ctx, item["id"])},
                    "target": {"id": item["id"]},
                    "url": ctx.state.permalink(rec, ctx.base),
                }
            )
        else:
            subs.append(
                {
                    "media_type": "photo",
                    "type": "photo",
                    "description": item.get("alt_text") or rec["text"],
                    "media": {
                        "image": {
                            "src": media_url(ctx, item["id"]),
                            "width": meta.get("width", 0),
                            "height": meta.get("height", 0),
                        }
                    },
                    "target": {
                        "id": item["id"],
                        "url": ctx.state.permalink(rec, ctx.base),
                    },
                    "url": ctx.state.permalink(rec, ctx.base),
                }
            )
    if len(subs) > 1:
        return {
            "data": [
                {
                    "media_type": "album",
                    "type": "album",
                    "subattachments": {"data": subs},
                    "url": ctx.state.permalink(rec, ctx.base),
                }
            ]
        }
    if subs:
        return {"data": subs}
    if rec["link"]:
        return {
            "data": [
                {
                    "media_type": "link",
                    "type": "share",
                    "url": shimmed(rec["link"]),
                    "unshimmed_url": rec["link"],
                    "title": rec["link"],
                    "target": {"url": shimmed(rec["link"])},
                }
            ]
        }
    return {"data": []}


def render_post(ctx: Ctx, rec: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    bad = DEPRECATED_FIELDS.intersection(fields)
    if bad:
        raise GraphError(
            "(#12) deprecate_post_aggregated_fields_for_attachement is "
            "deprecated for versions v3.3 and higher",
            12,
        )
    page = ctx.state.data["accounts"]["facebook"][rec["account_id"]]
    metrics = rec["metrics"]
    photos = [m for m in rec["media"] if m["type"] == "photo"]
    status_type = {
        "photo": "added_photos",
        "video": "added_video",
        "link": "shared_story",
    }.get(rec["kind"], "mobile_status_update")
    available: dict[str, Any] = {
        "id": rec["id"],
        "created_time": fbtime(rec["created_ts"]),
        "updated_time": fbtime(rec["updated_ts"]),
        "permalink_url": ctx.state.permalink(rec, ctx.base),
        "from": {"name": page["name"], "id": rec["account_id"]},
        "status_type": status_type,
        "is_published": rec["extra"].get("published", True),
        "is_hidden": False,
        "attachments": _attachments(ctx, rec),
        "reactions": {
            "data": [],
            "summary": {
                "total_count": metrics.get("reactions", 0),
                "viewer_reaction": "NONE",
            },
        },
        "likes": {
            "data": [],
            "summary": {
                "total_count": metrics.get("reactions", 0),
                "can_like": True,
                "has_liked": False,
            },
        },
        "comments": {
            "data": [],
            "summary": {
                "order": "ranked",
                "total_count": metrics.get("comments", 0),
                "can_comment": True,
            },
        },
    }
    if rec["text"]:
        available["message"] = rec["text"]
    if photos:
        available["full_picture"] = media_url(ctx, photos[0]["id"])
    if metrics.get("shares"):
        available["shares"] = {"count": metrics["shares"]}
    if ctx.faults.scenario("facebook", "omit_timestamps"):
        del available["created_time"], available["updated_time"]
    return {k: available[k] for k in fields if k in available}


@router.add("GET", V + r"/(?P<oid>\d+_\d+|\d+)", "get")
def get_object(ctx: Ctx) -> Response:
    oid = ctx.params["oid"]
    rec_token = authenticate(ctx)
    raw = ctx.values().get("fields")
    accounts = ctx.state.data["accounts"]["facebook"]
    if oid in accounts:
        acct = accounts[oid]
        if acct["type"] == "page":
            fields = parse_fields(raw, ["name", "id"])
            return json_response(render_page(ctx, oid, fields))
        if rec_token["type"] == "user" and rec_token["account_id"] == oid:
            return json_response({"id": oid, "name": acct["name"]})
        raise not_exist(oid)
    meta = ctx.state.data["media"].get(oid)
    if meta and meta["platform"] == "facebook" and meta["type"] in ("photo", "video"):
        return json_response(_render_media(ctx, meta, parse_fields(raw, ["id"])))
    rec = find_post(ctx, oid)
    if rec is None:
        raise not_exist(oid)
    return json_response(render_post(ctx, rec, parse_fields(raw, POST_DEFAULT_FIELDS)))


def _render_media(ctx: Ctx, meta: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    rec = ctx.state.posts("facebook").get(meta.get("post_id") or "")
    if rec is not None and rec["deleted"]:
        raise not_exist(meta["id"])
    out: dict[str, Any] = {
        "id": meta["id"],
        "alt_text": meta["alt_text"],
        "source": media_url(ctx, meta["id"]),
        "images": [
            {
                "src": media_url(ctx, meta["id"]),
                "width": meta.get("width", 0),
                "height": meta.get("height", 0),
            }
        ],
    }
    if rec is not None:
        out.update(
            {
                "created_time": fbtime(rec["created_ts"]),
                "post_id": rec["id"],
                "permalink_url": ctx.state.permalink(rec, ctx.base),
                "page_story_id": rec["id"],
                "name": rec["text"],
                "title": rec["title"],
                "description": rec["text"],
                "status": {"video_status": "ready"},
            }
        )
    return {k: out[k] for k in fields if k in out}
