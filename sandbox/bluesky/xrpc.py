"""The XRPC methods Council Publishing calls, as a PDS (with its app view) answers
them: sessions, blobs, ``app.bsky.feed.post`` records, the author feed, posts
and profiles."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import regex
from werkzeug.wrappers import Response

from ..seed import bluesky_tid, post_record
from ..web import Ctx, image_size, json_response
from .common import (
    XrpcError,
    authenticate,
    bsky_time,
    cid_of,
    invalid_request,
    issue_session,
    router,
)

COLLECTION = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_IMAGE_BYTES = 1_000_000
MAX_BLOB_BYTES = 50 * 1024 * 1024
TID_RE = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")
_GRAPHEME = regex.compile(r"\X")


def _body(ctx: Ctx) -> dict[str, Any]:
    try:
        body = ctx.json_body()
    except ValueError as exc:
        raise invalid_request(f"Invalid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise invalid_request("Input must be an object")
    return body


def _account(ctx: Ctx, actor: str | None) -> tuple[str, dict[str, Any]]:
    """The account a DID or handle names."""
    accounts = ctx.state.data["accounts"]["bluesky"]
    for did, account in accounts.items():
        if actor in (did, account["handle"]):
            return did, account
    raise invalid_request("Profile not found")


def _own_repo(ctx: Ctx, token: dict[str, Any], repo: Any) -> str:
    did, _account_rec = _account(ctx, str(repo or ""))
    if did != token["account_id"]:
        raise XrpcError(401, "AuthRequired", "Not authorized to write to this repo")
    return did


def _uri(did: str, rkey: str) -> str:
    return f"at://{did}/{COLLECTION}/{rkey}"


# Sessions ----------------------------------------------------------------------------


@router.add("POST", r"/xrpc/com\.atproto\.server\.createSession", "token")
def create_session(ctx: Ctx) -> Response:
    body = _body(ctx)
    identifier = str(body.get("identifier") or "").lower()
    for did, account in ctx.state.data["accounts"]["bluesky"].items():
        if identifier in (did, account["handle"].lower(), account["email"]):
            if body.get("password") == account["app_password"]:
                session = issue_session(ctx.state, did, f"bsky-{ctx.state.next_seq()}")
                session.pop("expires_in")
                return json_response({**session, "email": account["email"]})
    raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")


@router.add("POST", r"/xrpc/com\.atproto\.server\.refreshSession", "token")
def refresh_session(ctx: Ctx) -> Response:
    rec = authenticate(ctx, kind="refresh")
    with ctx.state.lock:
        rec["revoked"] = True  # rotation: a refresh token works once
    session = issue_session(ctx.state, rec["account_id"], rec.get("family") or "bsky")
    session.pop("expires_in")
    return json_response(session)


@router.add("GET", r"/xrpc/com\.atproto\.server\.getSession", "me")
def get_session(ctx: Ctx) -> Response:
    did = authenticate(ctx)["account_id"]
    account = ctx.state.data["accounts"]["bluesky"][did]
    return json_response({"did": did, "handle": account["handle"], "active": True})


# Blobs and records -------------------------------------------------------------------


@router.add("POST", r"/xrpc/com\.atproto\.repo\.uploadBlob", "media")
def upload_blob(ctx: Ctx) -> Response:
    did = authenticate(ctx)["account_id"]
    data = ctx.request.get_data(cache=False)
    if len(data) > MAX_BLOB_BYTES:
        raise invalid_request("request entity too large", "PayloadTooLarge")
    mime = (ctx.request.mimetype or "application/octet-stream").lower()
    cid = cid_of(data)
    width, height = image_size(data)
    with ctx.state.lock:
        ctx.state.blobs[cid] = data
        ctx.state.data["media"][cid] = {
            "id": cid,
            "platform": "bluesky",
            "type": "photo" if mime.startswith("image/") else "file",
            "mime": mime,
            "size": len(data),
            "owner": did,
            "state": "succeeded",
            "width": width,
            "height": height,
        }
    ctx.state.mark_dirty()
    return json_response(
        {
            "blob": {
                "$type": "blob",
                "ref": {"$link": cid},
                "mimeType": mime,
                "size": len(data),
            }
        }
    )


def _invalid(detail: str) -> XrpcError:
    return invalid_request(f"Invalid {COLLECTION} record: {detail}")


def _blob(ctx: Ctx, did: str, ref: Any, where: str) -> dict[str, Any]:
    """The uploaded blob a record refers to, checked as a post's image."""
    cid = ref.get("ref", {}).get("$link") if isinstance(ref, dict) else None
    meta = ctx.state.data["media"].get(cid or "")
    if meta is None or meta["platform"] != "bluesky" or meta["owner"] != did:
        raise invalid_request(f"Could not find blob: {cid}", "BlobNotFound")
    if not meta["mime"].startswith("image/"):
        raise invalid_request(
            f"Wrong type of file. It is {meta['mime']} but it must match image/*.",
            "InvalidMimeType",
        )
    if meta["size"] > MAX_IMAGE_BYTES:
        raise invalid_request(
            f"This file is too large. It is {meta['size'] / 1000:.2f}KB but the "
            f"maximum size is {MAX_IMAGE_BYTES / 1000:.2f}KB. ({where})",
            "BlobTooLarge",
        )
    return meta


def _check(ctx: Ctx, did: str, record: Any) -> dict[str, Any]:
    """Validate a post record as the PDS does against its lexicon; returns
    what the sandbox keeps of it (text, link, card, images)."""
    if not isinstance(record, dict) or record.get("$type") != COLLECTION:
        raise _invalid("Record/$type must be app.bsky.feed.post")
    text = record.get("text")
    if not isinstance(text, str):
        raise _invalid('Record must have the property "text"')
    if not isinstance(record.get("createdAt"), str):
        raise _invalid('Record must have the property "createdAt"')
    if len(text.encode()) > MAX_BYTES:
        raise _invalid(f"Record/text must not be longer than {MAX_BYTES} characters")
    if len(_GRAPHEME.findall(text)) > MAX_GRAPHEMES:
        raise _invalid(f"Record/text must not be longer than {MAX_GRAPHEMES} graphemes")
    size, links = len(text.encode()), []
    for n, facet in enumerate(record.get("facets") or []):
        index = facet.get("index", {}) if isinstance(facet, dict) else {}
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not (
            isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= size
        ):
            raise _invalid(f"Record/facets/{n}/index is outside the text")
        links += [f["uri"] for f in facet.get("features", []) if "uri" in f]
    kept: dict[str, Any] = {
        "text": text,
        "link": links[0] if links else "",
        "title": "",
        "description": "",
        "media": [],
    }
    embed = record.get("embed") or {}
    kind = embed.get("$type") if isinstance(embed, dict) else None
    if kind == "app.bsky.embed.images":
        images = embed.get("images")
        if not isinstance(images, list) or not 1 <= len(images) <= 4:
            raise _invalid("Record/embed/images must have 1 to 4 items")
        for n, image in enumerate(images):
            if not isinstance(image.get("alt"), str):
                raise _invalid(f'Record/embed/images/{n} must have the property "alt"')
            meta = _blob(ctx, did, image.get("image"), f"Record/embed/images/{n}")
            kept["media"].append(
                {
                    "id": meta["id"],
                    "type": "photo",
                    "alt_text": image["alt"],
                    "size": meta["size"],
                }
            )
    elif kind == "app.bsky.embed.external":
        external = embed.get("external") or {}
        for field in ("uri", "title", "description"):
            if not isinstance(external.get(field), str):
                raise _invalid(
                    f'Record/embed/external must have the property "{field}"'
                )
        if external.get("thumb") is not None:
            _blob(ctx, did, external["thumb"], "Record/embed/external/thumb")
        kept.update(
            link=external["uri"],
            title=external["title"],
            description=external["description"],
        )
    elif kind is not None:
        raise _invalid(f"Record/embed $type {kind} is not supported here")
    return kept


def _store(ctx: Ctx, did: str, rkey: str, record: dict[str, Any]) -> dict[str, Any]:
    kept = _check(ctx, did, record)
    cid = cid_of(json.dumps(record, sort_keys=True).encode())
    rec = post_record(
        "bluesky",
        rkey,
        did,
        time.time(),
        kept["text"],
        link=kept["link"],
        title=kept["title"],
        description=kept["description"],
        media=kept["media"],
        kind="post",
        metrics={"likeCount": 0, "repostCount": 0, "replyCount": 0, "quoteCount": 0},
    )
    rec["extra"] = {"record": record, "cid": cid}
    return rec


def _written(did: str, rec: dict[str, Any]) -> Response:
    cid = rec["extra"]["cid"]
    return json_response(
        {
            "uri": _uri(did, rec["id"]),
            "cid": cid,
            "commit": {"cid": cid_of(cid.encode()), "rev": bluesky_tid(time.time(), 0)},
            "validationStatus": "valid",
        }
    )


def _write_target(ctx: Ctx, *, chosen: bool) -> tuple[str, str, dict[str, Any]]:
    """(repo DID, record key, record) of a createRecord or putRecord body."""
    token = authenticate(ctx)
    body = _body(ctx)
    did = _own_repo(ctx, token, body.get("repo"))
    if body.get("collection") != COLLECTION:
        raise invalid_request(f"Unsupported collection: {body.get('collection')}")
    rkey = body.get("rkey")
    if rkey is None and not chosen:
        rkey = bluesky_tid(time.time(), ctx.state.next_seq())
    if not isinstance(rkey, str) or not TID_RE.fullmatch(rkey):
        raise invalid_request(f"Invalid record key: {rkey!r} is not a TID")
    return did, rkey, body.get("record")


@router.add("POST", r"/xrpc/com\.atproto\.repo\.createRecord", "publish")
def create_record(ctx: Ctx) -> Response:
    did, rkey, record = _write_target(ctx, chosen=False)
    rec = _store(ctx, did, rkey, record)
    with ctx.state.lock:
        existing = ctx.state.posts("bluesky").get(rkey)
        if existing is not None and not existing["deleted"]:
            raise invalid_request(f"Record already exists: {_uri(did, rkey)}")
        ctx.state.add_post(rec)
    return _written(did, rec)


@router.add("POST", r"/xrpc/com\.atproto\.repo\.putRecord", "update")
def put_record(ctx: Ctx) -> Response:
    did, rkey, record = _write_target(ctx, chosen=True)
    rec = _store(ctx, did, rkey, record)
    with ctx.state.lock:
        existing = ctx.state.posts("bluesky").get(rkey)
        if existing is not None and not existing["deleted"]:
            for key in ("text", "link", "title", "description", "media", "extra"):
                existing[key] = rec[key]
            existing["updated_ts"], existing["edits"] = (
                time.time(),
                existing["edits"] + 1,
            )
            rec = existing
        else:
            ctx.state.add_post(rec)
    ctx.state.mark_dirty()
    return _written(did, rec)


@router.add("POST", r"/xrpc/com\.atproto\.repo\.deleteRecord", "delete")
def delete_record(ctx: Ctx) -> Response:
    token = authenticate(ctx)
    body = _body(ctx)
    did = _own_repo(ctx, token, body.get("repo"))
    with ctx.state.lock:
        rec = ctx.state.posts("bluesky").get(str(body.get("rkey")))
        # Deleting a record that is not there succeeds, as on a PDS.
        if rec is not None and rec["account_id"] == did and not rec["deleted"]:
            rec["deleted"], rec["deleted_ts"] = True, time.time()
    ctx.state.mark_dirty()
    return json_response(
        {
            "commit": {
                "cid": cid_of(str(time.time()).encode()),
                "rev": bluesky_tid(time.time(), 0),
            }
        }
    )


def live(ctx: Ctx, did: str, rkey: str) -> dict[str, Any] | None:
    rec = ctx.state.posts("bluesky").get(rkey)
    if rec is None or rec["deleted"] or rec["account_id"] != did:
        return None
    return rec


@router.add("GET", r"/xrpc/com\.atproto\.repo\.getRecord", "get")
def get_record(ctx: Ctx) -> Response:
    args = ctx.request.args
    did, _account_rec = _account(ctx, args.get("repo"))
    rkey = args.get("rkey") or ""
    rec = live(ctx, did, rkey) if args.get("collection") == COLLECTION else None
    if rec is None:
        raise invalid_request(
            f"Could not locate record: at://{did}/{args.get('collection')}/{rkey}",
            "RecordNotFound",
        )
    return json_response(
        {
            "uri": _uri(did, rkey),
            "cid": rec["extra"]["cid"],
            "value": rec["extra"]["record"],
        }
    )


# The app view ------------------------------------------------------------------------


def _media_url(ctx: Ctx, cid: str) -> str:
    return f"{ctx.base}/bluesky/media/{cid}"


def post_view(ctx: Ctx, rec: dict[str, Any]) -> dict[str, Any]:
    """``app.bsky.feed.defs#postView``."""
    account = ctx.state.data["accounts"]["bluesky"][rec["account_id"]]
    view: dict[str, Any] = {
        "uri": _uri(rec["account_id"], rec["id"]),
        "cid": rec["extra"]["cid"],
        "author": {
            "did": rec["account_id"],
            "handle": account["handle"],
            "displayName": account["name"],
        },
        "record": rec["extra"]["record"],
        "replyCount": rec["metrics"].get("replyCount", 0),
        "repostCount": rec["metrics"].get("repostCount", 0),
        "likeCount": rec["metrics"].get("likeCount", 0),
        "quoteCount": rec["metrics"].get("quoteCount", 0),
        "indexedAt": bsky_time(rec["created_ts"]),
        "labels": [],
    }
    if ctx.faults.scenario("bluesky", "omit_timestamps"):
        view["indexedAt"] = ""
    if rec["media"]:
        view["embed"] = {
            "$type": "app.bsky.embed.images#view",
            "images": [
                {
                    "thumb": _media_url(ctx, m["id"]),
                    "fullsize": _media_url(ctx, m["id"]),
                    "alt": m.get("alt_text", ""),
                }
                for m in rec["media"]
            ],
        }
    elif rec["title"]:
        view["embed"] = {
            "$type": "app.bsky.embed.external#view",
            "external": {
                "uri": rec["link"],
                "title": rec["title"],
                "description": rec["description"],
            },
        }
    return view


def _cursor(rec: dict[str, Any]) -> str:
    return f"{rec['created_ts']:.6f}::{rec['id']}"


@router.add("GET", r"/xrpc/app\.bsky\.feed\.getAuthorFeed", "list")
def get_author_feed(ctx: Ctx) -> Response:
    authenticate(ctx)
    args = ctx.request.args
    did, _account_rec = _account(ctx, args.get("actor"))
    try:
        limit = int(args.get("limit", 50))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise invalid_request("Error: limit must be between 1 and 100")
    cursor = args.get("cursor")
    wanted = args.get("filter", "posts_with_replies")
    page: list[dict[str, Any]] = []
    more = False
    for rec in ctx.state.account_posts("bluesky", did):
        if cursor and _cursor(rec) >= cursor:
            continue
        if wanted != "posts_with_replies" and rec["extra"]["record"].get("reply"):
            continue
        if len(page) == limit:
            more = True
            break
        page.append(rec)
    body: dict[str, Any] = {"feed": [{"post": post_view(ctx, r)} for r in page]}
    if more:
        body["cursor"] = _cursor(page[-1])
    return json_response(body)


@router.add("GET", r"/xrpc/app\.bsky\.feed\.getPosts", "get")
def get_posts(ctx: Ctx) -> Response:
    authenticate(ctx)
    uris = ctx.request.args.getlist("uris")
    if len(uris) > 25:
        raise invalid_request("Error: uris must not have more than 25 elements")
    views = []
    for uri in uris:
        repo, _, rest = uri.removeprefix("at://").partition("/")
        collection, _, rkey = rest.partition("/")
        rec = live(ctx, repo, rkey) if collection == COLLECTION else None
        if rec is not None:
            views.append(post_view(ctx, rec))
    return json_response({"posts": views})


@router.add("GET", r"/xrpc/app\.bsky\.actor\.getProfile", "get")
def get_profile(ctx: Ctx) -> Response:
    authenticate(ctx)
    did, account = _account(ctx, ctx.request.args.get("actor"))
    return json_response(
        {
            "did": did,
            "handle": account["handle"],
            "displayName": account["name"],
            "description": account["description"],
            "followersCount": account["followers"],
            "followsCount": 12,
            "postsCount": len(ctx.state.account_posts("bluesky", did)),
            "indexedAt": account["created_at"],
            "createdAt": account["created_at"],
        }
    )
