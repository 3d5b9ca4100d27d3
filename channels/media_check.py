"""What a media file is, read from its content, never from its name.

A picture is what Pillow makes of its bytes (format, and the size it decodes
to); a video is known by its container's signature (ISO media or Matroska/WebM)
and probed with PyAV (FFmpeg's libraries) for its duration and video codec. A
PDF renamed ``.mp4`` is not a video, whatever its name says.

Each file is read once per version: the answers are kept by path, size and
modification time, since a publish asks about the same picture and video once
per channel, and again at each update.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import av
import PIL.Image


@dataclass(frozen=True)
class Picture:
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class Movie:
    container: str
    #: Seconds, when the probe could tell.
    duration: float | None
    #: FFmpeg's name for the first video stream's codec; "" without one.
    codec: str


def _version(path: Path) -> tuple[int, int] | None:
    """What tells one version of a file from another: its size and
    modification time (``None`` when it cannot be read)."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_size, found.st_mtime_ns


def picture(path: Path) -> Picture | None:
    """The picture in ``path`` (its content type as Pillow knows its format),
    or ``None`` when Pillow cannot decode all of it."""
    version = _version(path)
    return None if version is None else _picture(path, version)


@lru_cache(maxsize=512)
def _picture(path: Path, version: tuple[int, int]) -> Picture | None:
    try:
        with PIL.Image.open(path) as image:
            image.verify()  # reads the whole file: a cut-off one fails here
        with PIL.Image.open(path) as image:  # verify() leaves it unusable
            content_type = PIL.Image.MIME.get(image.format or "")
            width, height = image.size
    except (OSError, SyntaxError, ValueError, PIL.Image.DecompressionBombError):
        return None
    if content_type is None:
        return None
    return Picture(content_type, width, height)


def container(path: Path) -> str:
    """The video container its first bytes announce: ``"mp4"`` (ISO media,
    QuickTime included), ``"webm"`` (Matroska), or ``""``."""
    with path.open("rb") as fh:
        head = fh.read(12)
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return ""


def movie(path: Path) -> Movie | None:
    """The video in ``path``, or ``None`` when its container is not one of a
    video, or FFmpeg cannot read it."""
    version = _version(path)
    if version is None:
        container(path)  # raises, naming the file
    return _movie(path, version)


@lru_cache(maxsize=512)
def _movie(path: Path, version: tuple[int, int] | None) -> Movie | None:
    kind = container(path)
    if not kind:
        return None
    try:
        with av.open(str(path)) as media:
            streams = media.streams.video
            duration = media.duration / av.time_base if media.duration else None
            codec = streams[0].codec_context.name if streams else ""
    except (av.FFmpegError, ValueError):
        return None
    return Movie(kind, duration, codec)
