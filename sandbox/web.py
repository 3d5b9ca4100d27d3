"""Shared HTTP plumbing: request context, routing table and response helpers."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Request, Response

from .faults import FaultBook
from .multipart import SandboxFormDataParser
from .state import State

JSON_TYPE = "application/json; charset=UTF-8"


class SandboxRequest(Request):
    # Uploads can arrive as plain (non-file) multipart fields; the default 500 kB
    # cap on those would reject ordinary media chunks.
    max_form_memory_size = 64 * 1024 * 1024
    max_form_parts = 10_000
    form_data_parser_class = SandboxFormDataParser


@dataclass
class Ctx:
    """Everything a platform handler needs for one request."""

    request: SandboxRequest
    state: State
    faults: FaultBook
    base: str
    platform: str
    operation: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    token: str | None = None
    token_record: dict[str, Any] | None = None
    #: Set by a write that reads its result back (Graph's read-after-write): the
    #: server runs it after the write as a read of its own, which "get" faults
    #: can fail, and answers with it.
    read_back: Callable[[Ctx], Response] | None = None
    _json: Any = None
    _json_loaded: bool = False

    def json_body(self) -> Any:
        """The parsed JSON body; raises ``ValueError`` when malformed."""
        if not self._json_loaded:
            raw = self.request.get_data(cache=True)
            self._json = json.loads(raw) if raw.strip() else None
            self._json_loaded = True
        return self._json

    def is_json(self) -> bool:
        return (self.request.mimetype or "") == "application/json"

    def values(self) -> dict[str, Any]:
        """Query, form and (when JSON) body parameters merged, body winning."""
        merged: dict[str, Any] = dict(self.request.args.items())
        if self.is_json():
            try:
                body = self.json_body()
            except ValueError:
                body = None
            if isinstance(body, dict):
                merged.update(body)
        else:
            merged.update(self.request.form.items())
        return merged

    def file(self, name: str) -> FileStorage | None:
        return self.request.files.get(name)


Handler = Callable[[Ctx], Response]


@dataclass
class Route:
    methods: tuple[str, ...]
    pattern: re.Pattern[str]
    handler: Handler
    operation: str | None


class Router:
    """Ordered regex routes; the first route whose method and path match wins."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self, methods: str, pattern: str, operation: str | None
    ) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            compiled = re.compile(pattern + r"\Z")
            self.routes.append(Route(tuple(methods.split()), compiled, fn, operation))
            return fn

        return register

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route in self.routes:
            if method not in route.methods and not (
                method == "HEAD" and "GET" in route.methods
            ):
                continue
            found = route.pattern.match(path)
            if found:
                return route, found.groupdict()
        return None, {}


def json_response(
    obj: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    content_type: str = JSON_TYPE,
) -> Response:
    body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return Response(
        body.encode("utf-8"), status=status, headers=headers, content_type=content_type
    )


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


PAGE_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;"
    "padding:0 1rem;color:#1b1b1b}"
    ".card{border:1px solid #ccc;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}"
    ".meta{color:#555;font-size:.9rem}img{max-width:100%}"
    "button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}"
    ".banner{background:#fff3cd;padding:.5rem;border-radius:4px;font-size:.85rem}"
    ".posts{list-style:none;padding:0}"
)


def html_response(title: str, inner_html: str, status: int = 200) -> Response:
    """A small standalone HTML page. ``inner_html`` must already be escaped."""
    doc = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{PAGE_CSS}</style></head><body>"
        '<p class="banner">Local platform sandbox: nothing here is public.</p>'
        f"{inner_html}</body></html>"
    )
    return Response(doc, status=status, content_type="text/html; charset=utf-8")


@dataclass
class ProfileEntry:
    """One post as a profile page lists it."""

    permalink: str
    when: str
    text: str
    title: str = ""


PROFILE_LENGTH = 20  # posts a profile page lists, newest first
EXCERPT = 280  # characters of a post's text shown on a profile page


def profile_response(
    title: str, name: str, handle: str, entries: list[ProfileEntry]
) -> Response:
    """An account's public profile page: its name, then its newest posts, each
    linking to the post's own page."""
    items = []
    for entry in entries[:PROFILE_LENGTH]:
        text = (
            entry.text
            if len(entry.text) <= EXCERPT
            else (entry.text[: EXCERPT - 1].rstrip() + "…")
        )
        heading = f"<h3>{esc(entry.title)}</h3>" if entry.title else ""
        items.append(
            f'<li class="card">{heading}<p class="message">{esc(text)}</p>'
            f'<p class="meta"><a href="{esc(entry.permalink)}">{esc(entry.when)}</a>'
            "</p></li>"
        )
    listing = (
        f'<ol class="posts">{"".join(items)}</ol>'
        if items
        else '<p class="meta">No posts yet.</p>'
    )
    inner = (
        f'<div class="card"><h1>{esc(name)}</h1><p class="meta">{esc(handle)}</p></div>'
        f"<h2>Posts</h2>{listing}"
    )
    return html_response(title, inner)


def not_found_page(title: str, message: str) -> Response:
    return html_response(title, f'<div class="card"><h1>{esc(message)}</h1></div>', 404)


def media_response(ctx: Ctx) -> Response:
    """Serve stored media bytes at ``/<platform>/media/<id>``."""
    mid = ctx.params["mid"]
    with ctx.state.lock:
        meta = ctx.state.data["media"].get(mid)
        blob = ctx.state.blobs.get(mid)
    if meta is None or blob is None or meta.get("platform") != ctx.platform:
        return Response(b"Not Found", status=404, content_type="text/plain")
    resp = Response(blob, content_type=meta.get("mime") or "application/octet-stream")
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


def read_upload(fs: FileStorage | None, limit: int = 512 * 1024 * 1024) -> bytes:
    if fs is None:
        return b""
    return fs.read(limit)


def image_info(data: bytes) -> tuple[str, int, int]:
    """The format ("JPEG", "PNG", "GIF" or "WEBP") and the width and height its
    header declares, as a platform reads them before decoding anything (a
    picture declaring a huge size is taken, as the real ones take it);
    ("", 0, 0) for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return "PNG", _be(data[16:20]), _be(data[20:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return "GIF", _le(data[6:8]), _le(data[8:10])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        return _webp(data)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker, size = data[i + 1], _be(data[i + 2 : i + 4])
            if marker in (0xC0, 0xC1, 0xC2):
                return "JPEG", _be(data[i + 7 : i + 9]), _be(data[i + 5 : i + 7])
            i += 2 + size
    return "", 0, 0


def _webp(data: bytes) -> tuple[str, int, int]:
    """A WEBP's size from its first chunk: lossy, lossless or extended."""
    chunk = data[12:16]
    if chunk == b"VP8 ":
        return "WEBP", _le(data[26:28]) & 0x3FFF, _le(data[28:30]) & 0x3FFF
    if chunk == b"VP8L":
        bits = _le(data[21:25])
        return "WEBP", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return "WEBP", _le(data[24:27]) + 1, _le(data[27:30]) + 1
    return "", 0, 0


def _be(raw: bytes) -> int:
    return int.from_bytes(raw, "big")


def _le(raw: bytes) -> int:
    return int.from_bytes(raw, "little")


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a JPEG, PNG, GIF or WEBP picture; (0, 0) otherwise."""
    _format, width, height = image_info(data)
    return width, height


def fetch_url(url: str, limit: int = 64 * 1024 * 1024) -> tuple[bytes, str]:
    """Download ``url`` the way a platform's scraper would (bounded, 10 s).

    Raises ``OSError`` on any failure so callers can map it to their platform's
    own error.
    """
    import requests

    if not url.lower().startswith(("http://", "https://")):
        raise OSError("unsupported URL scheme")
    try:
        with requests.get(url, timeout=10, stream=True) as resp:
            if resp.status_code != 200:
                raise OSError(f"HTTP {resp.status_code}")
            data = resp.raw.read(limit + 1, decode_content=True)
            mime = resp.headers.get("Content-Type", "application/octet-stream")
    except requests.RequestException as exc:
        raise OSError(str(exc)) from exc
    if len(data) > limit:
        raise OSError("file too large")
    return data, mime.split(";")[0].strip()
