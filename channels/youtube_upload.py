"""YouTube video uploads: the metadata YouTube accepts, and the resumable upload.

A video goes up as a resumable ``videos.insert``: the upload session is opened
first and its address handed to the caller before any byte of the file goes,
every chunk but the last is a multiple of 256 KiB, and after a failed chunk the
session is asked how much arrived so the upload goes on from there. A later
attempt (after a lost answer or a stopped worker) asks the same session: a
finished one answers with the video, so nothing is uploaded twice. Captions
follow the video as a second, small upload.

Everything here is a function of the post, the video file and a built API
client; the adapter in :mod:`channels.youtube` decides when to call them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from googleapiclient.errors import HttpError, ResumableUploadError
from googleapiclient.http import HttpRequest, MediaFileUpload

from . import media_check
from .errors import ChannelError, TemporaryError
from .google_api import YouTubeClient
from .values import Post, Video

log = logging.getLogger("channels.youtube")

NO_VIDEO = (
    "YouTube needs a video: this page has no video file, so it will not be sent "
    "to YouTube."
)
MAX_VIDEO_BYTES = 256 * 1024**3  # YouTube's upload limit
MAX_VIDEO_SECONDS = 12 * 60 * 60  # YouTube's longest upload
MAX_DESCRIPTION_BYTES = 5000
MAX_TITLE_LENGTH = 100
CHUNK_UNIT = 256 * 1024  # resumable chunks must be multiples of 256 KiB


# What YouTube accepts ----------------------------------------------------------------


def description(post: Post) -> str:
    """The video's description; it carries the link reconciliation looks for."""
    text = (post.video.description if post.video else "") or post.text
    return text if post.link in text else f"{text}\n\n{post.link}".strip()


def snippet(post: Post, category: str, tags: list[str]) -> dict[str, Any]:
    title = (post.video.title if post.video else "") or post.title
    return {
        "title": title,
        "description": description(post),
        "tags": tags,
        "categoryId": category,
    }


def problems(post: Post) -> list[str]:
    """What YouTube would refuse about ``post``, checked without the network."""
    video = post.video
    if video is None:
        return [NO_VIDEO]
    title, captions = video.title or post.title, video.captions_path
    checks = [
        (not title.strip(), "YouTube videos need a title."),
        (
            len(title) > MAX_TITLE_LENGTH,
            f"YouTube titles can be {MAX_TITLE_LENGTH} characters, not {len(title)}.",
        ),
        ("<" in title or ">" in title, "YouTube titles cannot contain < or >."),
        (
            len(description(post).encode()) > MAX_DESCRIPTION_BYTES,
            "The YouTube description is over 5,000 bytes.",
        ),
        (not video.path.is_file(), f"The video file {video.path.name} is missing."),
        (
            video.path.is_file() and video.path.stat().st_size > MAX_VIDEO_BYTES,
            f"{video.path.name} is larger than YouTube's 256 GB limit.",
        ),
        (
            captions is not None and not captions.is_file(),
            "The captions file is missing.",
        ),
    ]
    found = [message for failed, message in checks if failed]
    if video.path.is_file():
        found += movie_problems(video.path)
    return found


def movie_problems(path: Path) -> list[str]:
    """What YouTube would refuse about the file itself, known by its content:
    a container YouTube takes, a video stream FFmpeg can read, at most 12
    hours."""
    found = media_check.movie(path)
    if found is None:
        return [
            f"{path.name} is not a video file YouTube can take (MP4, MOV or WebM), "
            "whatever its name says."
        ]
    if not found.codec:
        return [f"{path.name} has no video in it, only sound or data."]
    if found.duration and found.duration > MAX_VIDEO_SECONDS:
        return [
            f"{path.name} runs {found.duration / 3600:.1f} hours; YouTube takes "
            "videos of up to 12 hours."
        ]
    return []


#: YouTube's reasons for rejecting a video or failing to process it, in words.
REASONS = {
    "claim": "a copyright claim",
    "copyright": "copyright",
    "duplicate": "it duplicates a video already on the channel",
    "inappropriate": "inappropriate content",
    "legal": "a legal reason",
    "length": "its length",
    "termsOfUse": "YouTube's terms of use",
    "trademark": "a trademark",
    "uploaderAccountClosed": "the channel is closed",
    "uploaderAccountSuspended": "the channel is suspended",
    "codec": "its video or audio codec",
    "conversion": "it could not be converted",
    "emptyFile": "the file is empty",
    "invalidFile": "it is not a video file YouTube can read",
    "tooSmall": "the file is too small",
    "uploadAborted": "the upload was stopped",
}


def processing_refusal(status: dict[str, Any]) -> str | None:
    """Why YouTube rejected the video or failed to process it, in YouTube's
    words (``rejectionReason``, ``failureReason``); ``None`` otherwise."""
    outcome = status.get("uploadStatus")
    reason = status.get(
        {"rejected": "rejectionReason", "failed": "failureReason"}.get(outcome, "")
    )
    if outcome == "rejected":
        return f"YouTube rejected the video: {REASONS.get(reason, reason)} ({reason})."
    if outcome == "failed":
        return (
            f"YouTube could not process the video: {REASONS.get(reason, reason)} "
            f"({reason})."
        )
    return None


def poll_interval(details: dict[str, Any], left: float, asked: int = 0) -> float:
    """How long to wait before asking again how processing goes: YouTube's own
    estimate (``processingProgress.timeLeftMs``) within 1 to 30 seconds; with
    none, 1 second before the first ask (a short video is often done by then,
    and the answer carries the estimate), doubling after each ask up to 10.
    Never past the ``left`` seconds the caller will wait."""
    estimate = details.get("processingProgress", {}).get("timeLeftMs")
    if str(estimate or "").isdigit():
        wait = int(estimate) / 1000
    else:
        wait = min(2.0**asked, 10.0)
    return max(0.0, min(max(wait, 1.0), 30.0, left))


# Sending -----------------------------------------------------------------------------


def insert_request(
    youtube: YouTubeClient, post: Post, video: Video, chunk_size: int
) -> HttpRequest:
    """A resumable ``videos.insert``; nothing is sent until its first chunk."""
    body = {
        "snippet": snippet(post, video.category_id, list(video.tags)),
        "status": {
            "privacyStatus": video.privacy,
            "selfDeclaredMadeForKids": video.made_for_kids,
        },
    }
    media = MediaFileUpload(
        str(video.path),
        mimetype=video.content_type,
        chunksize=chunk_size,
        resumable=True,
    )
    return youtube.videos().insert(part="snippet,status", body=body, media_body=media)


def open_session(request: HttpRequest) -> str:
    """Open the insert's resumable session and return its address; no byte of
    the file is sent. (The client library would open it and send the first
    chunk in one call, leaving no moment to keep the address first.)"""
    start_headers = {
        **request.headers,
        "X-Upload-Content-Type": request.resumable.mimetype(),
        "X-Upload-Content-Length": str(request.resumable.size()),
        "content-length": str(request.body_size),
    }
    resp, content = request.http.request(
        request.uri, method=request.method, body=request.body, headers=start_headers
    )
    if resp.status != 200 or "location" not in resp:
        raise ResumableUploadError(resp, content)
    request.resumable_uri = resp["location"]
    return request.resumable_uri


class SessionExpired(Exception):
    """The upload session is gone (404 or 410): it cannot tell how it ended."""


def ask_session(request: HttpRequest, session_uri: str) -> dict[str, Any] | None:
    """Ask the session an earlier attempt opened how far its upload got
    (``PUT`` with ``Content-Range: bytes */SIZE``).

    Returns the video when the upload finished; else ``None``, with ``request``
    set to go on from the last byte the session confirmed. Raises
    :class:`SessionExpired` for a session YouTube no longer knows, and the
    library's ``HttpError`` for any other error answer.
    """
    size = request.resumable.size()
    headers = {"Content-Range": f"bytes */{size}", "content-length": "0"}
    resp, content = request.http.request(session_uri, "PUT", headers=headers)
    if resp.status in (404, 410):
        raise SessionExpired(session_uri)
    if resp.status in (200, 201):
        return request.postproc(resp, content)
    if resp.status != 308:
        raise HttpError(resp, content, uri=session_uri)
    confirmed = resp.get("range", "")  # "bytes=0-N", absent when none arrived
    request.resumable_uri = session_uri
    request.resumable_progress = (
        int(confirmed.rpartition("-")[2]) + 1 if confirmed else 0
    )
    return None


def send(
    request: HttpRequest,
    *,
    classify: Callable[[Exception], ChannelError | None],
    retries: int,
) -> dict[str, Any]:
    """Send the file chunk by chunk and return the created video.

    After a chunk fails with what ``classify`` calls a ``TemporaryError``, the
    next call asks the server how much arrived and goes on from there, at most
    ``retries`` times. Any other failure is raised as it came.
    """
    failures, response = 0, None
    while response is None:
        try:
            _progress, response = request.next_chunk(num_retries=0)
        except Exception as exc:
            error = classify(exc)
            if not isinstance(error, TemporaryError) or failures >= retries:
                raise
            failures += 1
            log.warning("YouTube upload interrupted (%s); resuming.", error)
    return response


def add_captions(
    youtube: YouTubeClient,
    execute: Callable[[HttpRequest], Any],
    video_id: str,
    video: Video,
) -> None:
    """Add the captions file, if the video has one.

    The video is already up, so a failure is logged rather than raised: a retry
    of the publish would upload the video again.
    """
    if not video.captions_path:
        return
    details = {"videoId": video_id, "language": video.captions_language, "name": ""}
    request = youtube.captions().insert(
        part="snippet",
        body={"snippet": details},
        media_body=MediaFileUpload(
            str(video.captions_path), mimetype="application/octet-stream"
        ),
    )
    try:
        execute(request)
    except ChannelError as error:
        log.warning("Captions for YouTube video %s not added: %s", video_id, error)
