"""Facebook video publishing: simple/file_url uploads, the legacy
``upload_phase`` start/transfer/finish protocol and the Resumable Upload API
(``/{app-id}/uploads`` + ``/upload:{session}``)."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from werkzeug.wrappers import Response

from ..seed import FB_APP_ID
from ..web import Ctx, fetch_url, json_response, read_upload
from .common import GraphError, V, authenticate, require_page_publisher, router
from .content import create_post, store_media

CHUNK = 1024 * 1024  # the end_offset window suggested by upload_phase=start


def _publish_video(ctx: Ctx, page: str, data: bytes, mime: str,
                   values: dict[str, Any]) -> dict[str, Any]:
    title = str(values.get("title") or "")
    description = str(values.get("description") or "")
    meta = store_media(ctx, page, data, mime or "video/mp4", kind="video")
    item = {"id": meta["id"], "type": "video", "alt_text": "", "size": len(data)}
    rec = create_post(ctx, page, text=description, title=title, media=[item],
                      kind="video", extra={"video_id": meta["id"]})
    with ctx.state.lock:
        meta["post_id"] = rec["id"]
    return meta


def _session(ctx: Ctx, sid: str | None, kind: str) -> dict[str, Any]:
    with ctx.state.lock:
        sess = ctx.state.data["uploads"].get(sid or "")
    if not sess or sess["kind"] != kind:
        raise GraphError("(#100) Invalid upload_session_id", 100)
    return sess


@router.add("POST", V + r"/(?P<page>\d+)/videos", "publish")
def videos(ctx: Ctx) -> Response:
    page = ctx.params["page"]
    require_page_publisher(ctx, page)
    values = ctx.values()
    phase = values.get("upload_phase")
    if phase:
        return _phase(ctx, page, str(phase), values)
    upload = ctx.file("source")
    if upload is not None:
        data, mime = read_upload(upload), upload.mimetype
    elif values.get("file_url"):
        try:
            data, mime = fetch_url(str(values["file_url"]))
        except OSError as exc:
            raise GraphError("(#100) Failed to fetch the video from file_url", 100,
                             subcode=1363030) from exc
    elif values.get("fbuploader_video_file_chunk"):
        sess = _handle_session(ctx, str(values["fbuploader_video_file_chunk"]))
        with ctx.state.lock:
            data = ctx.state.blobs.get("upload:" + sess["id"], b"")
        mime = sess.get("file_type") or "video/mp4"
    else:
        raise GraphError("(#100) No file data was provided", 100, subcode=1363019)
    if not data:
        raise GraphError("(#100) The video file is empty", 100, subcode=1363019)
    meta = _publish_video(ctx, page, data, mime, values)
    return json_response({"id": meta["id"]})


def _phase(ctx: Ctx, page: str, phase: str, values: dict[str, Any]) -> Response:
    if phase == "start":
        try:
            size = int(values.get("file_size") or 0)
        except ValueError:
            size = 0
        if size <= 0:
            raise GraphError("(#100) file_size must be a positive integer", 100)
        sid = ctx.state.numeric_id(500_000_000_000_000)
        video_id = ctx.state.numeric_id(700_000_000_000_000)
        with ctx.state.lock:
            ctx.state.data["uploads"][sid] = {"id": sid, "kind": "fb_phase",
                                              "page": page, "size": size,
                                              "video_id": video_id, "received": 0}
            ctx.state.blobs["upload:" + sid] = b""
        ctx.state.mark_dirty()
        return json_response({"video_id": video_id, "upload_session_id": sid,
                              "start_offset": "0", "end_offset": str(min(size, CHUNK))})
    sess = _session(ctx, values.get("upload_session_id"), "fb_phase")
    if phase == "transfer":
        offset = str(values.get("start_offset", ""))
        if offset != str(sess["received"]):
            raise GraphError("(#6001) The start offset does not match the received "
                             "data", 6001, subcode=1363037)
        chunk = read_upload(ctx.file("video_file_chunk"))
        with ctx.state.lock:
            key = "upload:" + sess["id"]
            ctx.state.blobs[key] = ctx.state.blobs.get(key, b"") + chunk
            sess["received"] += len(chunk)
        ctx.state.mark_dirty()
        start = sess["received"]
        return json_response({"start_offset": str(start),
                              "end_offset": str(min(sess["size"], start + CHUNK))})
    if phase == "finish":
        if sess["received"] != sess["size"]:
            raise GraphError("(#6001) The upload is incomplete", 6001,
                             subcode=1363037)
        with ctx.state.lock:
            data = ctx.state.blobs.pop("upload:" + sess["id"], b"")
            ctx.state.data["uploads"].pop(sess["id"], None)
        _publish_video(ctx, page, data, "video/mp4", values)
        return json_response({"success": True})
    raise GraphError("(#100) upload_phase must be one of start, transfer, finish", 100)


def _handle_session(ctx: Ctx, handle: str) -> dict[str, Any]:
    try:
        sid = base64.urlsafe_b64decode(handle.split(":", 1)[1] + "==").decode()
    except (IndexError, ValueError) as exc:
        raise GraphError("(#100) Invalid file handle", 100) from exc
    sess = _session(ctx, sid, "fb_resumable")
    if sess["received"] != sess["size"]:
        raise GraphError("(#100) The uploaded file is incomplete", 100)
    return sess


@router.add("POST", V + r"/(?P<app>\d+)/uploads", "media")
def start_upload(ctx: Ctx) -> Response:
    authenticate(ctx, allow=("user", "page"))
    if ctx.params["app"] != FB_APP_ID:
        raise GraphError("(#100) The app ID does not match the access token", 100)
    values = ctx.values()
    try:
        size = int(values.get("file_length") or 0)
    except ValueError:
        size = 0
    if size <= 0:
        raise GraphError("(#100) file_length must be a positive integer", 100)
    sid = secrets.token_hex(12)
    with ctx.state.lock:
        ctx.state.data["uploads"][sid] = {
            "id": sid, "kind": "fb_resumable", "size": size, "received": 0,
            "file_name": str(values.get("file_name") or ""),
            "file_type": str(values.get("file_type") or "")}
        ctx.state.blobs["upload:" + sid] = b""
    ctx.state.mark_dirty()
    return json_response({"id": f"upload:{sid}"})


def _header_token(ctx: Ctx) -> None:
    header = ctx.request.headers.get("Authorization", "")
    if not header.lower().startswith("oauth "):
        raise GraphError("(#100) The Resumable Upload API requires the header "
                         "'Authorization: OAuth <token>'", 100)
    authenticate(ctx, allow=("user", "page"))


@router.add("POST", V + r"/upload:(?P<sid>[0-9a-f]+)", "media")
def transfer(ctx: Ctx) -> Response:
    _header_token(ctx)
    sess = _session(ctx, ctx.params["sid"], "fb_resumable")
    raw = ctx.request.environ.get("sandbox.raw_headers", {})
    offset = str(raw.get("file_offset") or ctx.request.headers.get("file-offset")
                 or "0").strip()
    if offset != str(sess["received"]):
        raise GraphError(f"(#100) file_offset {offset} does not match the "
                         f"{sess['received']} bytes received", 100)
    data = ctx.request.get_data()
    with ctx.state.lock:
        key = "upload:" + sess["id"]
        ctx.state.blobs[key] = ctx.state.blobs.get(key, b"") + data
        sess["received"] = min(sess["size"], sess["received"] + len(data))
    ctx.state.mark_dirty()
    if sess["received"] < sess["size"]:
        return json_response({"id": f"upload:{sess['id']}",
                              "file_offset": sess["received"]})
    handle = "2:" + base64.urlsafe_b64encode(sess["id"].encode()).decode().rstrip("=")
    return json_response({"h": handle})


@router.add("GET", V + r"/upload:(?P<sid>[0-9a-f]+)", "media")
def upload_status(ctx: Ctx) -> Response:
    _header_token(ctx)
    sess = _session(ctx, ctx.params["sid"], "fb_resumable")
    return json_response({"id": f"upload:{sess['id']}",
                          "file_offset": sess["received"]})
