"""X API v2 media upload: one-shot, initialize/append/finalize, status, alt text."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from werkzeug.wrappers import Response

from ..web import Ctx, image_info, image_size, json_response, read_upload
from .common import authenticate, invalid_request, router

EXPIRES = 86400
ONE_SHOT_CATEGORIES = {"tweet_image", "dm_image", "subtitles"}
CATEGORIES = {"amplify_video", "tweet_gif", "tweet_image", "tweet_video", "dm_gif",
              "dm_image", "dm_video", "subtitles"}
CONFIG_FIELDS = {"additional_owners", "media_category", "media_type", "shared",
                 "total_bytes"}


def _kind(media_type: str, category: str) -> str:
    if "gif" in category or media_type == "image/gif":
        return "animated_gif" if "gif" in category else "photo"
    if media_type.startswith("video/") or "video" in category:
        return "video"
    return "photo"


def _payload(ctx: Ctx, body: dict[str, Any] | None) -> bytes:
    """The media bytes from a multipart file/field or a base64 JSON field."""
    if body is not None:
        raw = body.get("media")
        if not isinstance(raw, str):
            raise invalid_request("media is required", {"media": []})
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise invalid_request("media must be base64 encoded",
                                  {"media": ["<invalid>"]}) from exc
    upload = ctx.file("media")
    if upload is not None:
        return read_upload(upload)
    if "media" in ctx.request.form:
        return ctx.request.form["media"].encode("latin-1")
    if "media_data" in ctx.request.form:
        return base64.b64decode(ctx.request.form["media_data"])
    raise invalid_request("media is required", {"media": []})


def _body(ctx: Ctx) -> dict[str, Any] | None:
    if not ctx.is_json():
        return None
    try:
        body = ctx.json_body()
    except ValueError as exc:
        raise invalid_request(f"Request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise invalid_request("Request body must be a JSON object.")
    return body


def _new_media(ctx: Ctx, owner: str, **fields: Any) -> dict[str, Any]:
    mid = str(1_900_000_000_000_000_000 + ctx.state.next_seq())
    meta = {"id": mid, "platform": "x", "owner": owner, "alt_text": "",
            "created": time.time(), **fields}
    meta["media_key"] = ("3_" if meta["type"] == "photo" else
                         "16_" if meta["type"] == "animated_gif" else "7_") + mid
    with ctx.state.lock:
        ctx.state.data["media"][mid] = meta
    ctx.state.mark_dirty()
    return meta


def _status(meta: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"id": meta["id"], "media_key": meta["media_key"],
                            "expires_after_secs": EXPIRES}
    if meta["state"] == "succeeded":
        data["size"] = meta["size"]
    if meta["state"] in ("pending", "in_progress") or meta["type"] != "photo":
        data["processing_info"] = {"state": meta["state"]}
        if meta["state"] != "succeeded":
            data["processing_info"]["check_after_secs"] = 1
    # The OpenAPI document lists "meta" as required on media responses.
    return {"data": data, "meta": {}}


def _owned(ctx: Ctx, mid: str | None, owner: str) -> dict[str, Any]:
    with ctx.state.lock:
        meta = ctx.state.data["media"].get(mid or "")
    if not meta or meta["platform"] != "x" or meta["owner"] != owner:
        raise invalid_request("Invalid media_id", {"media_id": [str(mid)]})
    return meta


@router.add("POST", r"/2/media/upload", "media")
def one_shot(ctx: Ctx) -> Response:
    owner = authenticate(ctx, "media.write")["account_id"]
    body = _body(ctx)
    values = body if body is not None else dict(ctx.request.form.items())
    command = str(values.get("command") or "").upper()
    if command:  # the pre-2025 command= form of the same endpoint
        return _legacy_command(ctx, owner, command, values, body)
    category = str(values.get("media_category") or "")
    if category not in ONE_SHOT_CATEGORIES:
        raise invalid_request("media_category must be one of tweet_image, dm_image, "
                              "subtitles", {"media_category": [category]})
    data = _payload(ctx, body)
    image_format, width, height = image_info(data)
    if category != "subtitles" and not width:
        raise invalid_request("The media could not be processed as an image",
                              {"media": ["<binary>"]})
    if category != "subtitles" and image_format == "GIF":
        # X takes JPEG, PNG and WEBP in one shot; a GIF goes through the
        # chunked upload as tweet_gif.
        raise invalid_request("GIF media must be uploaded with the chunked upload "
                              "and media_category tweet_gif",
                              {"media_category": [category]})
    meta = _new_media(ctx, owner, type="photo", mime=str(values.get("media_type")
                      or "image/png"), size=len(data), state="succeeded",
                      width=width, height=height, category=category)
    with ctx.state.lock:
        ctx.state.blobs[meta["id"]] = data
    return json_response(_status(meta))


def _initialize(ctx: Ctx, owner: str, config: dict[str, Any]) -> dict[str, Any]:
    media_type = str(config.get("media_type") or "")
    category = str(config.get("media_category") or "tweet_image")
    if category not in CATEGORIES:
        raise invalid_request("Invalid media_category", {"media_category": [category]})
    if "/" not in media_type:
        raise invalid_request("media_type is required", {"media_type": [media_type]})
    try:
        total = int(config.get("total_bytes") or 0)
    except (TypeError, ValueError):
        total = -1
    if total <= 0:
        raise invalid_request("total_bytes must be a positive integer",
                              {"total_bytes": [str(config.get("total_bytes"))]})
    return _new_media(ctx, owner, type=_kind(media_type, category), mime=media_type,
                      size=0, total=total, state="initialized", next_segment=0,
                      category=category, width=0, height=0)


@router.add("POST", r"/2/media/upload/initialize", "media")
def initialize(ctx: Ctx) -> Response:
    owner = authenticate(ctx, "media.write")["account_id"]
    body = _body(ctx)
    if body is None:
        raise invalid_request("Requests with bodies must have content-type of "
                              "application/json.")
    unknown = sorted(set(body) - CONFIG_FIELDS)
    if unknown:
        raise invalid_request(f"The following fields are not allowed: {unknown}")
    return json_response(_status(_initialize(ctx, owner, body)))


def _append(ctx: Ctx, meta: dict[str, Any], segment: Any, data: bytes) -> None:
    try:
        index = int(segment)
    except (TypeError, ValueError):
        index = -1
    expected = meta.get("next_segment", 0)
    if meta["state"] != "initialized" or not 0 <= index <= 999:
        raise invalid_request("Invalid segment_index or upload state",
                              {"segment_index": [str(segment)]})
    with ctx.state.lock:
        key = "seg:" + meta["id"]
        segments = ctx.state.transient.setdefault(key, [])
        if index == expected:
            segments.append(data)
            meta["next_segment"] = expected + 1
        elif index == expected - 1 and segments:  # resending the last segment
            segments[-1] = data
        else:
            raise invalid_request(f"Segment {index} is out of order; expected segment "
                                  f"{expected}", {"segment_index": [str(segment)]})
        meta["size"] = sum(len(s) for s in segments)
        if meta["size"] > meta["total"]:
            raise invalid_request("Uploaded bytes exceed total_bytes",
                                  {"segment_index": [str(segment)]})
    ctx.state.mark_dirty()


@router.add("POST", r"/2/media/upload/(?P<mid>\d{1,19})/append", "media")
def append(ctx: Ctx) -> Response:
    owner = authenticate(ctx, "media.write")["account_id"]
    meta = _owned(ctx, ctx.params["mid"], owner)
    body = _body(ctx)
    segment = (body or ctx.request.form).get("segment_index")
    _append(ctx, meta, segment, _payload(ctx, body))
    return json_response({"data": {"expires_at": int(time.time()) + EXPIRES},
                          "meta": {}})


def _finalize(ctx: Ctx, meta: dict[str, Any]) -> dict[str, Any]:
    if meta["state"] == "succeeded":
        return _status(meta)
    if meta["size"] != meta["total"]:
        raise invalid_request("Segments do not add up to the provided total file "
                              "size.", {"media_id": [meta["id"]]})
    with ctx.state.lock:
        data = b"".join(ctx.state.transient.pop("seg:" + meta["id"], []))
        ctx.state.blobs[meta["id"]] = data
        # GIFs and videos are processed after finalize, as on X: the
        # status says when to ask again.
        meta["state"] = "succeeded" if meta["type"] == "photo" else "pending"
        meta["width"], meta["height"] = image_size(data)
    ctx.state.mark_dirty()
    return _status(meta)


@router.add("POST", r"/2/media/upload/(?P<mid>\d{1,19})/finalize", "media")
def finalize(ctx: Ctx) -> Response:
    owner = authenticate(ctx, "media.write")["account_id"]
    return json_response(_finalize(ctx, _owned(ctx, ctx.params["mid"], owner)))


@router.add("GET", r"/2/media/upload", "media")
def status(ctx: Ctx) -> Response:
    owner = authenticate(ctx, "media.write")["account_id"]
    if (ctx.request.args.get("command") or "STATUS").upper() != "STATUS":
        raise invalid_request("command must be STATUS", {"command": [
            ctx.request.args.get("command", "")]})
    meta = _owned(ctx, ctx.request.args.get("media_id"), owner)
    with ctx.state.lock:
        if meta["state"] in ("pending", "in_progress"):
            meta["state"] = "succeeded"  # processed by the time it is asked
    return json_response(_status(meta))


def _legacy_command(ctx: Ctx, owner: str, command: str, values: dict[str, Any],
                    body: dict[str, Any] | None) -> Response:
    if command == "INIT":
        return json_response(_status(_initialize(ctx, owner, values)))
    meta = _owned(ctx, str(values.get("media_id") or ""), owner)
    if command == "APPEND":
        _append(ctx, meta, values.get("segment_index"), _payload(ctx, body))
        return json_response({"data": {"expires_at": int(time.time()) + EXPIRES},
                              "meta": {}})
    if command == "FINALIZE":
        return json_response(_finalize(ctx, meta))
    raise invalid_request("command must be INIT, APPEND or FINALIZE",
                          {"command": [command]})


@router.add("POST", r"/2/media/metadata(?:/create)?", "media")
def metadata(ctx: Ctx) -> Response:
    owner = authenticate(ctx, "media.write")["account_id"]
    body = _body(ctx)
    if body is None:
        raise invalid_request("Requests with bodies must have content-type of "
                              "application/json.")
    mid = body.get("id") or body.get("media_id")
    alt = (body.get("metadata") or {}).get("alt_text") or body.get("alt_text") or {}
    text = alt.get("text") if isinstance(alt, dict) else None
    if not isinstance(text, str):
        raise invalid_request("metadata.alt_text.text is required",
                              {"metadata.alt_text.text": []})
    if len(text) > 1000:
        raise invalid_request("Alt text must be 1000 characters or fewer",
                              {"metadata.alt_text.text": [text[:40]]})
    meta = _owned(ctx, str(mid or ""), owner)
    with ctx.state.lock:
        meta["alt_text"] = text
        for post in ctx.state.posts("x").values():  # keep attached copies in step
            for item in post["media"]:
                if item["id"] == meta["id"]:
                    item["alt_text"] = text
    ctx.state.mark_dirty()
    return json_response({"data": {"id": meta["id"], "associated_metadata": {
        "alt_text": {"text": text}}}})
