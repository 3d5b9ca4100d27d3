"""Google upload protocols: resumable sessions, multipart/related and media.

A resumable session remembers which method started it; when the last byte
arrives the method's *finisher* turns the bytes into a resource.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from ..web import Ctx, json_response
from .common import GoogleError, bad_request

Finisher = Callable[[Ctx, dict[str, Any], bytes], Response]
RANGE_RE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")


def parse_related(content_type: str, body: bytes) -> tuple[dict[str, Any], bytes, str]:
    """Split a ``multipart/related`` body into (metadata JSON, media, media type)."""
    raw = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if len(parts) != 2:
        raise bad_request("Multipart uploads need a metadata part and a media part.",
                          "badContent", "global")
    try:
        meta = json.loads(parts[0].get_payload(decode=True) or b"{}")
    except ValueError as exc:
        raise bad_request("Failed to parse the metadata part.", "parseError",
                          "global") from exc
    media = parts[1].get_payload(decode=True) or b""
    return meta, media, parts[1].get_content_type()


def start_session(ctx: Ctx, method: str, payload: dict[str, Any]) -> Response:
    """Open a resumable session (200 + absolute Location, as the client expects)."""
    sid = secrets.token_urlsafe(24)
    total = ctx.request.headers.get("X-Upload-Content-Length")
    with ctx.state.lock:
        ctx.state.data["uploads"][sid] = {
            "id": sid, "kind": "yt_resumable", "method": method, "payload": payload,
            "total": int(total) if total and total.isdigit() else None,
            "received": 0, "result": None,
            "media_type": ctx.request.headers.get("X-Upload-Content-Type", "")}
        ctx.state.blobs["upload:" + sid] = b""
    ctx.state.mark_dirty()
    query = {k: v for k, v in ctx.request.args.items() if k != "upload_id"}
    query["upload_id"] = sid
    resp = json_response({}, 200)
    resp.set_data(b"")
    resp.headers["Location"] = (f"{ctx.base}/youtube{ctx.request.path[8:]}?"
                                f"{urlencode(query)}")
    resp.headers["X-GUploader-UploadID"] = sid
    return resp


def _incomplete(received: int) -> Response:
    resp = Response(b"", status=308)
    if received:
        resp.headers["Range"] = f"bytes=0-{received - 1}"
    resp.headers["X-GUploader-UploadID"] = "resumable"
    return resp


def put_chunk(ctx: Ctx, finishers: dict[str, Finisher]) -> Response:
    """Handle ``PUT <session>``: store a chunk or answer a ``bytes */N`` query."""
    sid = ctx.request.args.get("upload_id", "")
    with ctx.state.lock:
        sess = ctx.state.data["uploads"].get(sid)
    if not sess or sess["kind"] != "yt_resumable" or sess.get("expired"):
        raise GoogleError(404, "Not Found: the upload session does not exist or "
                          "has expired.", "notFound")
    if sess["result"] is not None:  # already complete: replay the final answer
        return json_response(sess["result"])
    data = ctx.request.get_data()
    header = ctx.request.headers.get("Content-Range")
    if header is None:
        first, total = 0, len(data)
        if sess["received"]:
            raise bad_request("Content-Range is required to continue an upload.",
                              "badContent", "global")
    else:
        found = RANGE_RE.fullmatch(header.strip())
        if not found:
            raise bad_request(f"Invalid Content-Range header: {header}", "badContent",
                              "global")
        total = int(found.group(3)) if found.group(3) != "*" else None
        if found.group(1) is None:  # status query
            if total is not None and sess["received"] >= total:
                return _complete(ctx, sess, finishers)
            return _incomplete(sess["received"])
        first, last = int(found.group(1)), int(found.group(2))
        if last - first + 1 != len(data):
            raise bad_request("The Content-Range does not match the body length.",
                              "badContent", "global")
        if first > sess["received"]:
            raise bad_request(
                f"Invalid request. According to the Content-Range header, the upload "
                f"offset is {first} byte(s), which exceeds already uploaded size of "
                f"{sess['received']} byte(s).", "invalidUploadOffset", "global")
        data = data[sess["received"] - first:]  # drop bytes we already hold
    with ctx.state.lock:
        key = "upload:" + sid
        ctx.state.blobs[key] = ctx.state.blobs.get(key, b"") + data
        sess["received"] += len(data)
        if total is not None:
            sess["total"] = total
    ctx.state.mark_dirty()
    if sess["total"] is not None and sess["received"] >= sess["total"]:
        return _complete(ctx, sess, finishers)
    return _incomplete(sess["received"])


def _complete(ctx: Ctx, sess: dict[str, Any], finishers: dict[str, Finisher]
              ) -> Response:
    with ctx.state.lock:
        data = ctx.state.blobs.pop("upload:" + sess["id"], b"")
    resp = finishers[sess["method"]](ctx, sess, data)
    with ctx.state.lock:
        sess["result"] = json.loads(resp.get_data() or b"{}")
    ctx.state.mark_dirty()
    return resp
