"""The values that travel between the publishing service and the adapters.

Plain frozen dataclasses: what to post (:class:`Post` with its :class:`Image`
and :class:`Video`), what came of it (:class:`PostResult`), what an account shows
(:class:`FeedItem`, :class:`Metrics`) and the tokens an adapter uses
(:class:`Credentials`, :class:`ConnectedAccount`, :class:`AppRegistration`).
No HTTP, no platform.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from . import media_check


@dataclass(frozen=True)
class Image:
    """An image to attach, with the alt text the council's guidelines require."""

    path: Path
    alt_text: str
    content_type: str = "image/jpeg"


@dataclass(frozen=True)
class Video:
    """A video file and its YouTube-style metadata."""

    path: Path
    title: str
    description: str = ""
    tags: tuple[str, ...] = ()
    category_id: str = "25"  # YouTube's "News & Politics"
    privacy: str = "public"
    made_for_kids: bool = False
    content_type: str = "video/mp4"
    captions_path: Path | None = None
    captions_language: str = "en-GB"


@dataclass(frozen=True)
class Post:
    """What one channel should publish for one page.

    ``text`` is already composed for this channel (see :mod:`channels.compose`).
    ``marker`` is what reconciliation searches for; it is the page's canonical URL
    and appears in the published text, link or description.
    """

    text: str
    link: str
    marker: str
    title: str = ""
    images: tuple[Image, ...] = ()
    video: Video | None = None


@dataclass(frozen=True)
class PostResult:
    """Where a post now lives on the platform."""

    remote_id: str
    permalink: str
    #: "posted", or "processing": the platform had not finished processing the
    #: post when it answered (YouTube encodes a video after its upload), or
    #: does not say, and may still refuse it; ask with
    #: :meth:`~channels.base.ChannelAdapter.processing_outcome`.
    state: str = "posted"


@dataclass(frozen=True)
class FeedMedia:
    url: str
    alt_text: str = ""
    kind: str = "image"


@dataclass(frozen=True)
class FeedItem:
    """One post of the account's public feed, normalised across platforms."""

    remote_id: str
    text: str
    permalink: str
    created_at: datetime
    media: tuple[FeedMedia, ...] = ()
    title: str = ""


@dataclass(frozen=True)
class Metrics:
    """Engagement figures; ``None`` where the platform does not offer one."""

    likes: int | None = None
    shares: int | None = None
    comments: int | None = None
    views: int | None = None


@dataclass(frozen=True)
class Credentials:
    """An account's tokens as the adapter needs them. Never logged or rendered."""

    account_id: str
    access_token: str
    refresh_token: str = ""
    expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # keep tokens out of tracebacks and logs
        return f"Credentials(account_id={self.account_id!r}, tokens=<hidden>)"

    def with_tokens(self, **changes: Any) -> Credentials:
        return replace(self, **changes)


@dataclass(frozen=True)
class ConnectedAccount:
    """An account found at the end of an OAuth connect flow."""

    platform: str
    remote_id: str
    display_name: str
    credentials: Credentials


@dataclass(frozen=True)
class AppRegistration:
    """The council's app as one server registered it (a Mastodon instance's
    ``POST /api/v1/apps``): the client id and secret its OAuth flow uses."""

    client_id: str
    client_secret: str

    def __repr__(self) -> str:  # keep the secret out of tracebacks and logs
        return f"AppRegistration(client_id={self.client_id!r}, secret=<hidden>)"


def image_problems(
    images: tuple[Image, ...],
    *,
    platform: str,
    max_count: int,
    max_bytes: int,
    types: frozenset[str],
    max_side: int | None = None,
) -> list[str]:
    """Plain-words problems with a post's images against a platform's limits,
    each image known by its content (:func:`channels.media_check.picture`)."""
    problems: list[str] = []
    if len(images) > max_count:
        problems.append(
            f"{platform} takes at most {max_count} "
            f"{'image' if max_count == 1 else 'images'}; this page has {len(images)}."
        )
    allowed = ", ".join(sorted(t.split("/")[1].upper() for t in types))
    for image in images:
        name = image.path.name
        if not image.alt_text.strip():
            problems.append(f"The image {name} has no alt text.")
        size = _file_size(image.path)
        if size is None:
            problems.append(f"The image file {name} is missing.")
            continue
        # What the file holds, not what its name or upload says it is.
        found = media_check.picture(image.path)
        if found is None:
            problems.append(f"The image {name} is not a picture {platform} can read.")
        elif found.content_type not in types:
            kind = found.content_type.split("/")[1].upper()
            problems.append(f"{platform} accepts {allowed} images; {name} is a {kind}.")
        elif max_side and max(found.width, found.height) > max_side:
            problems.append(
                f"The image {name} is {found.width} × {found.height} pixels; "
                f"{platform} takes at most {max_side} on a side."
            )
        if size > max_bytes:
            problems.append(
                f"The image {name} is larger than {platform}'s limit of "
                f"{_megabytes(max_bytes)} MB."
            )
    return problems


def _file_size(path: Path) -> int | None:
    """The size of the file at ``path``; ``None`` when there is no file there.
    One ``stat`` answers both, and a publish asks once per channel."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_size if stat.S_ISREG(found.st_mode) else None


def _megabytes(size: int) -> str:
    """A limit in MB as its platform states it: 5 MiB is "5" (X), and
    1,000,000 bytes is "1" too (Bluesky), not "0"."""
    mebibytes, megabytes = size / (1024 * 1024), size / 1_000_000
    return f"{mebibytes:g}" if mebibytes.is_integer() else f"{megabytes:g}"
