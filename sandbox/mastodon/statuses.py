"""Mastodon statuses and media: post (with ``Idempotency-Key``), edit,
delete, read, an account's statuses (``Link`` paging) and media upload."""

from __future__ import annotations

import html
import time
from typing import Any

import grapheme
from werkzeug.wrappers import Response

from ..seed import mastodon_snowflake, post_record
from ..state import URL_RE
from ..web import Ctx, image_size, json_response, read_upload
from .common import MastodonError, authenticate, iso_ms, not_found, router

LIMIT = 500  # characters, as a stock instance counts them
URL_WEIGHT = 23  # every link counts 23, however long
MAX_MEDIA = 4
IMAGE_LIMIT = 16 * 1024 * 1024
DESCRIPTION_LIMIT = 1500
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
#: Mastodon keeps an Idempotency-Key (per account) for an hour.
IDEMPOTENCY_TTL = 3600
PAGE_DEFAULT, PAGE_MAX = 20, 40


def status_length(text: str) -> int:
    """Grapheme clusters, with every link counting 23 (Mastodon's
    ``StatusLengthValidator``)."""
    return grapheme.length(URL_RE.sub("x" * URL_WEIGHT, text))


def _html(text: str) -> str:
    """The status text as Mastodon renders ``content``: paragraphs, line
    breaks and links."""

    def linked(part: str) -> str:
        out, end = [], 0
        for match in URL_RE.finditer(part):
            url = match.group(0)
            out.append(html.escape(part[end : match.start()]))
            scheme, _, rest = url.partition("//")
            # The scheme is hidden, not left out: copying the text keeps it.
            out.append(
                f'<a href="{html.escape(url)}" target="_blank" '
                f'rel="nofollow noopener" translate="no">'
                f'<span class="invisible">{html.escape(scheme)}//</span>'
                f'<span class="">{html.escape(rest)}</span></a>'
            )
            end = match.end()
        out.append(html.escape(part[end:]))
        return "".join(out).replace("\n", "<br />")

    paragraphs = [p for p in text.strip().split("\n\n") if p.strip()]
    return "".join(f"<p>{linked(p)}</p>" for p in paragraphs)


def account_entity(ctx: Ctx, account_id: str) -> dict[str, Any]:
    acct = ctx.state.data["accounts"]["mastodon"][account_id]
    return {
        "id": account_id,
        "username": acct["username"],
        "acct": acct["username"],
        "display_name": acct["display_name"],
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": acct["created_at"],
        "note": f"<p>{html.escape(acct['note'])}</p>",
        "url": f"{ctx.base}/mastodon/@{acct['username']}",
        "uri": f"{ctx.base}/mastodon/users/{acct['username']}",
        "avatar": f"{ctx.base}/mastodon/media/{acct['avatar']}",
        "avatar_static": f"{ctx.base}/mastodon/media/{acct['avatar']}",
        "header": "",
        "header_static": "",
        "followers_count": 4210,
        "following_count": 87,
        "statuses_count": len(ctx.state.account_posts("mastodon", account_id)),
        "last_status_at": None,
        "emojis": [],
        "fields": [],
    }


def _media_entity(ctx: Ctx, mid: str) -> dict[str, Any]:
    meta = ctx.state.data["media"][mid]
    url = f"{ctx.base}/mastodon/media/{mid}"
    return {
        "id": mid,
        "type": "image",
        "url": url,
        "preview_url": url,
        "remote_url": None,
        "meta": {"original": {"width": meta["width"], "height": meta["height"]}},
        "description": meta.get("alt_text") or None,
        "blurhash": None,
    }


def status_entity(ctx: Ctx, rec: dict[str, Any]) -> dict[str, Any]:
    entity = _status_entity(ctx, rec)
    if ctx.faults.scenario("mastodon", "omit_timestamps"):
        entity["created_at"] = None
    return entity


def _status_entity(ctx: Ctx, rec: dict[str, Any]) -> dict[str, Any]:
    acct = ctx.state.data["accounts"]["mastodon"][rec["account_id"]]
    metrics = rec["metrics"]
    return {
        "id": rec["id"],
        "created_at": iso_ms(rec["created_ts"]),
        "edited_at": iso_ms(rec["updated_ts"]) if rec["edits"] else None,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": rec["privacy"],
        "language": rec["extra"].get("language") or "en",
        "uri": f"{ctx.base}/mastodon/users/{acct['username']}/statuses/{rec['id']}",
        "url": ctx.state.permalink(rec, ctx.base),
        "replies_count": metrics.get("replies_count", 0),
        "reblogs_count": metrics.get("reblogs_count", 0),
        "favourites_count": metrics.get("favourites_count", 0),
        "content": _html(rec["text"]),
        "reblog": None,
        "application": {"name": rec["extra"].get("application") or "Web"},
        "account": account_entity(ctx, rec["account_id"]),
        "media_attachments": [_media_entity(ctx, m["id"]) for m in rec["media"]],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
    }


def _list(values: dict[str, Any], name: str) -> list[str]:
    raw = values.get(name)
    if raw is None:
        raw = values.get(f"{name}[]")
    if raw is None:
        return []
    return [str(v) for v in (raw if isinstance(raw, list) else [raw])]


def _params(ctx: Ctx) -> tuple[dict[str, Any], list[str]]:
    """The body's values and its media ids (form ``media_ids[]`` or JSON)."""
    values = ctx.values()
    ids = _list(values, "media_ids")
    if not ctx.is_json():
        ids = ctx.request.form.getlist("media_ids[]") or ids
    return values, ids


def _attach(ctx: Ctx, ids: list[str], owner: str) -> list[dict[str, Any]]:
    if len(ids) > MAX_MEDIA:
        raise MastodonError(
            422, f"Validation failed: Media attachments can't be more than {MAX_MEDIA}"
        )
    items = []
    with ctx.state.lock:
        for mid in ids:
            meta = ctx.state.data["media"].get(mid)
            if not meta or meta["platform"] != "mastodon" or meta["owner"] != owner:
                raise MastodonError(
                    422, "Validation failed: Media attachments are invalid"
                )
            items.append(
                {
                    "id": mid,
                    "type": "photo",
                    "alt_text": meta.get("alt_text", ""),
                    "size": meta["size"],
                }
            )
    return items


def _check_text(text: str, items: list[dict[str, Any]]) -> None:
    if not text.strip() and not items:
        raise MastodonError(422, "Validation failed: Text can't be blank")
    if status_length(text) > LIMIT:
        raise MastodonError(
            422, f"Validation failed: Text character limit of {LIMIT} exceeded"
        )


def _remembered(ctx: Ctx, key: str) -> dict[str, Any] | None:
    """The live status an earlier request with this key created, if within
    the hour; a deleted one is forgotten, so the key posts anew."""
    with ctx.state.lock:
        keys = ctx.state.data.setdefault("idempotency", {})
        seen = keys.get(key)
        if seen is None:
            return None
        rec = ctx.state.posts("mastodon").get(seen["id"])
        if time.time() - seen["ts"] > IDEMPOTENCY_TTL or rec is None or rec["deleted"]:
            del keys[key]
            return None
        return rec


@router.add("POST", r"/api/v1/statuses", "publish")
def create(ctx: Ctx) -> Response:
    token = authenticate(ctx, "write:statuses")
    owner = token["account_id"]
    header = ctx.request.headers.get("Idempotency-Key", "")
    key = f"{owner}:{header}" if header else ""
    values, ids = _params(ctx)
    text = str(values.get("status") or "")
    visibility = str(values.get("visibility") or "public")
    if visibility not in ("public", "unlisted", "private", "direct"):
        raise MastodonError(
            422, "Validation failed: Visibility is not included in the list"
        )
    # Held across the check and the write: two requests with one key that
    # arrive together still make one status.
    with ctx.state.lock:
        earlier = _remembered(ctx, key) if key else None
        if earlier is not None:
            return json_response(status_entity(ctx, earlier))
        items = _attach(ctx, ids, owner)
        _check_text(text, items)
        now = time.time()
        sid = mastodon_snowflake(now, ctx.state.next_seq())
        rec = post_record(
            "mastodon",
            sid,
            owner,
            now,
            text,
            media=items,
            privacy=visibility,
            kind="status",
            metrics={"replies_count": 0, "reblogs_count": 0, "favourites_count": 0},
        )
        rec["extra"] = {
            "language": values.get("language"),
            "idempotency_key": header or None,
        }
        ctx.state.add_post(rec)
        if key:
            ctx.state.data.setdefault("idempotency", {})[key] = {"id": sid, "ts": now}
    return json_response(status_entity(ctx, rec))


def _own(ctx: Ctx, sid: str, owner: str) -> dict[str, Any]:
    rec = ctx.state.posts("mastodon").get(sid)
    if rec is None or rec["deleted"] or rec["account_id"] != owner:
        raise not_found()
    return rec


@router.add("PUT", r"/api/v1/statuses/(?P<sid>\d{1,20})", "update")
def edit(ctx: Ctx) -> Response:
    owner = authenticate(ctx, "write:statuses")["account_id"]
    values, ids = _params(ctx)
    text = str(values.get("status") or "")
    with ctx.state.lock:
        rec = _own(ctx, ctx.params["sid"], owner)
        # Media stay unless the edit names them (UpdateStatusService).
        items = _attach(ctx, ids, owner) if ids else rec["media"]
        _check_text(text, items)
        for change in values.get("media_attributes") or []:
            meta = ctx.state.data["media"].get(str(change.get("id")))
            if meta is not None and "description" in change:
                meta["alt_text"] = str(change["description"])
                for item in items:
                    if item["id"] == str(change["id"]):
                        item["alt_text"] = meta["alt_text"]
        rec["text"], rec["media"] = text, items
        rec["updated_ts"], rec["edits"] = time.time(), rec["edits"] + 1
    ctx.state.mark_dirty()
    return json_response(status_entity(ctx, rec))


@router.add("DELETE", r"/api/v1/statuses/(?P<sid>\d{1,20})", "delete")
def delete(ctx: Ctx) -> Response:
    owner = authenticate(ctx, "write:statuses")["account_id"]
    with ctx.state.lock:
        rec = _own(ctx, ctx.params["sid"], owner)
        rec["deleted"], rec["deleted_ts"] = True, time.time()
    ctx.state.mark_dirty()
    # Mastodon answers with the deleted status and its source text, so a
    # client can offer "delete and redraft".
    return json_response({**status_entity(ctx, rec), "text": rec["text"]})


@router.add("GET", r"/api/v1/statuses/(?P<sid>\d{1,20})", "get")
def get_one(ctx: Ctx) -> Response:
    authenticate(ctx, "read:statuses")
    rec = ctx.state.posts("mastodon").get(ctx.params["sid"])
    if rec is None or rec["deleted"]:
        raise not_found()
    return json_response(status_entity(ctx, rec))


def _id_arg(ctx: Ctx, name: str) -> int | None:
    raw = ctx.request.args.get(name)
    return int(raw) if raw and raw.isdigit() else None


@router.add("GET", r"/api/v1/accounts/(?P<aid>\d{1,20})/statuses", "list")
def account_statuses(ctx: Ctx) -> Response:
    """Newest first, ``limit`` (default 20, at most 40) a page, paged by
    ``max_id``/``since_id``/``min_id`` with a ``Link`` header as Mastodon does."""
    authenticate(ctx, "read:statuses")
    aid = ctx.params["aid"]
    if aid not in ctx.state.data["accounts"]["mastodon"]:
        raise not_found()
    raw = ctx.request.args.get("limit")
    limit = (
        min(int(raw), PAGE_MAX)
        if raw and raw.isdigit() and int(raw)
        else (PAGE_DEFAULT)
    )
    statuses = ctx.state.account_posts("mastodon", aid)
    max_id, since_id = _id_arg(ctx, "max_id"), _id_arg(ctx, "since_id")
    min_id = _id_arg(ctx, "min_id")
    if max_id is not None:
        statuses = [s for s in statuses if int(s["id"]) < max_id]
    if since_id is not None:
        statuses = [s for s in statuses if int(s["id"]) > since_id]
    if min_id is not None:  # the page just after min_id, still newest first
        statuses = [s for s in statuses if int(s["id"]) > min_id][-limit:]
    page = statuses[:limit]
    resp = json_response([status_entity(ctx, s) for s in page])
    if page:
        url = f"{ctx.base}/mastodon/api/v1/accounts/{aid}/statuses?limit={limit}"
        resp.headers["Link"] = (
            f'<{url}&max_id={page[-1]["id"]}>; rel="next", '
            f'<{url}&min_id={page[0]["id"]}>; rel="prev"'
        )
    return resp


@router.add("POST", r"/api/v2/media", "media")
def upload_media(ctx: Ctx) -> Response:
    owner = authenticate(ctx, "write:media")["account_id"]
    upload = ctx.file("file")
    if upload is None:
        raise MastodonError(422, "Validation failed: File can't be blank")
    data = read_upload(upload, IMAGE_LIMIT + 1)
    mime = (upload.mimetype or "").lower()
    if mime not in IMAGE_TYPES:
        raise MastodonError(
            422,
            f"Validation failed: File content type is invalid, File is "
            f"invalid ({mime or 'unknown'})",
        )
    if len(data) > IMAGE_LIMIT:
        raise MastodonError(
            422, "Validation failed: File file size must be less than 16 MB"
        )
    description = str(ctx.request.form.get("description") or "")
    if len(description) > DESCRIPTION_LIMIT:
        raise MastodonError(
            422,
            "Validation failed: Description is too long "
            f"(maximum is {DESCRIPTION_LIMIT} characters)",
        )
    width, height = image_size(data)
    mid = str(ctx.state.numeric_id(110_000_000_000_000_000))
    with ctx.state.lock:
        ctx.state.blobs[mid] = data
        ctx.state.data["media"][mid] = {
            "id": mid,
            "platform": "mastodon",
            "type": "photo",
            "mime": mime,
            "size": len(data),
            "alt_text": description,
            "owner": owner,
            "state": "succeeded",
            "width": width,
            "height": height,
        }
    ctx.state.mark_dirty()
    # A small image is processed at once (200); a large one answers 202.
    return json_response(_media_entity(ctx, mid))


@router.add("GET", r"/api/v1/media/(?P<mid>\d{1,20})", "get")
def get_media(ctx: Ctx) -> Response:
    owner = authenticate(ctx, "read")["account_id"]
    meta = ctx.state.data["media"].get(ctx.params["mid"])
    if meta is None or meta["platform"] != "mastodon" or meta["owner"] != owner:
        raise not_found()
    return json_response(_media_entity(ctx, ctx.params["mid"]))
