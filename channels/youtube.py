"""YouTube through google-api-python-client and google-auth.

The client is built offline from the discovery document that ships inside
google-api-python-client, with its root URL set to ``API_URL``: that is the one
way media uploads follow a non-Google origin (``client_options`` keeps https and
drops the path for uploads).
"""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any, TypeVar

import google.oauth2.credentials
import google_auth_httplib2
import httplib2
from google.auth.exceptions import RefreshError
from googleapiclient.discovery import Resource, build_from_document
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest, MediaFileUpload, build_http

from .base import (
    ChannelAdapter,
    ConnectedAccount,
    Credentials,
    FeedItem,
    FeedMedia,
    Metrics,
    Post,
    PostResult,
    Video,
    contains_marker,
    exchange_code,
    oauth_session,
    parse_time,
    token_credentials,
)
from .errors import (
    AuthError,
    ChannelError,
    ConfigurationError,
    RejectedError,
    TemporaryError,
)
from .google_api import discovery_document, http_error

log = logging.getLogger(__name__)
T = TypeVar("T")

SCOPES = [
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.force-ssl",
]
NO_VIDEO = (
    "YouTube needs a video: this page has no video file, so it will not be sent "
    "to YouTube."
)
MAX_VIDEO_BYTES = 256 * 1024**3  # YouTube's upload limit
CHUNK_UNIT = 256 * 1024  # resumable chunks must be multiples of 256 KiB


class YouTubeAdapter(ChannelAdapter):
    id = "youtube"
    name = "YouTube"
    max_text_length = 5000
    requires_video = True
    refreshes_itself = True
    default_web_url = "https://www.youtube.com"

    def __init__(self, config: Mapping[str, Any], credentials: Credentials, **kw: Any):
        super().__init__(config, credentials, **kw)
        self.chunk_size = int(self.options.get("chunk_size", 4 * CHUNK_UNIT))
        self.upload_retries = int(self.options.get("upload_retries", 3))
        self.retract_policy = self.option(
            "retract_policy", "private", ("private", "delete")
        )
        if self.chunk_size <= 0 or self.chunk_size % CHUNK_UNIT:
            raise ConfigurationError(
                "YouTube: chunk_size must be a multiple of 256 KiB."
            )
        expiry = credentials.expires_at
        self.google = google.oauth2.credentials.Credentials(
            credentials.access_token,
            refresh_token=credentials.refresh_token or None,
            token_uri=config.get("TOKEN_URL") or "https://oauth2.googleapis.com/token",
            client_id=config.get("CLIENT_ID"),
            client_secret=config.get("CLIENT_SECRET"),
            # google-auth compares naive UTC datetimes.
            expiry=expiry.astimezone(UTC).replace(tzinfo=None) if expiry else None,
        )
        # build_http() keeps 308 out of httplib2's redirects (resumable uploads).
        self.http = build_http()
        self.http.timeout = self.timeout
        # google-auth refreshes and retries once by itself on a 401.
        authed = google_auth_httplib2.AuthorizedHttp(
            self.google, http=self.http, max_refresh_attempts=1
        )
        self.youtube: Resource = build_from_document(
            discovery_document(self.api_url + "/"), http=authed
        )

    # Steps ---------------------------------------------------------------------------

    def _publish(self, post: Post) -> PostResult:
        if post.video is None:
            raise RejectedError(NO_VIDEO)
        created = self._upload(self._insert_request(post, post.video))
        video_id = str(created["id"])
        self._captions(video_id, post.video)
        uploaded = created.get("status", {}).get("uploadStatus") == "uploaded"
        # "uploaded" means YouTube is still processing the video.
        state = "processing" if uploaded else "posted"
        return PostResult(video_id, self._permalink(video_id), state=state)

    def _insert_request(self, post: Post, video: Video) -> HttpRequest:
        """A resumable videos.insert; nothing is sent until its first chunk."""
        status = {
            "privacyStatus": video.privacy,
            "selfDeclaredMadeForKids": video.made_for_kids,
        }
        body = {
            "snippet": self._snippet(post, video.category_id, list(video.tags)),
            "status": status,
        }
        media = MediaFileUpload(
            str(video.path),
            mimetype=video.content_type,
            chunksize=self.chunk_size,
            resumable=True,
        )
        return self.youtube.videos().insert(
            part="snippet,status", body=body, media_body=media
        )

    def _update(self, remote_id: str, post: Post) -> PostResult:
        current = self._video(remote_id, "snippet")["snippet"]
        tags = list(post.video.tags) if post.video else current.get("tags", [])
        category = post.video.category_id if post.video else current.get("categoryId")
        snippet = self._snippet(post, category or "25", tags)
        if current.get("defaultLanguage"):
            snippet["defaultLanguage"] = current["defaultLanguage"]
        self._execute(
            self.youtube.videos().update(
                part="snippet", body={"id": remote_id, "snippet": snippet}
            )
        )
        return PostResult(remote_id, self._permalink(remote_id))

    def _retract(self, remote_id: str) -> None:
        try:
            if self.retract_policy == "delete":
                self._execute(self.youtube.videos().delete(id=remote_id))
                return
            status = self._video(remote_id, "status")["status"]
            # Updating "status" resets what is omitted, so send the writable
            # fields back with only the privacy changed.
            writable = (
                "embeddable",
                "license",
                "publicStatsViewable",
                "selfDeclaredMadeForKids",
            )
            body = {k: status[k] for k in writable if k in status}
            body["privacyStatus"] = "private"
            self._execute(
                self.youtube.videos().update(
                    part="status", body={"id": remote_id, "status": body}
                )
            )
        except RejectedError as exc:
            if exc.status != 404:
                raise

    def _find_by_marker(self, marker: str, limit: int) -> PostResult | None:
        for item in self._uploads(limit):
            snippet = item.get("snippet", {})
            if contains_marker(snippet.get("description"), marker):
                video_id = snippet["resourceId"]["videoId"]
                return PostResult(video_id, self._permalink(video_id))
        return None

    def _recent_posts(self, limit: int) -> list[FeedItem]:
        items = []
        for item in self._uploads(limit):
            if item.get("status", {}).get("privacyStatus", "public") != "public":
                continue
            snippet = item["snippet"]
            video_id = snippet["resourceId"]["videoId"]
            thumbs = snippet.get("thumbnails", {})
            thumb = next(
                (thumbs[k] for k in ("high", "medium", "default") if k in thumbs), None
            )
            items.append(
                FeedItem(
                    remote_id=video_id,
                    text=snippet.get("description", ""),
                    permalink=self._permalink(video_id),
                    created_at=parse_time(snippet.get("publishedAt")),
                    media=(FeedMedia(thumb["url"], snippet.get("title", "")),)
                    if thumb
                    else (),
                    title=snippet.get("title", ""),
                )
            )
        return items

    def _metrics(self, remote_id: str) -> Metrics:
        stats = self._video(remote_id, "statistics").get("statistics", {})

        def count(key: str) -> int | None:
            return int(stats[key]) if key in stats else None

        return Metrics(
            likes=count("likeCount"),
            comments=count("commentCount"),
            views=count("viewCount"),
        )

    def validate(self, post: Post) -> list[str]:
        video = post.video
        if video is None:
            return [NO_VIDEO]
        title, captions = video.title or post.title, video.captions_path
        checks = [
            (not title.strip(), "YouTube videos need a title."),
            (
                len(title) > 100,
                f"YouTube titles can be 100 characters, not {len(title)}.",
            ),
            ("<" in title or ">" in title, "YouTube titles cannot contain < or >."),
            (
                len(self._description(post).encode()) > self.max_text_length,
                "The YouTube description is over 5,000 bytes.",
            ),
            (
                not video.content_type.startswith("video/"),
                f"{video.path.name} is not a video file.",
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
        return [message for failed, message in checks if failed]

    def refresh(self) -> Credentials:
        try:
            self.google.refresh(google_auth_httplib2.Request(self.http))
        except RefreshError:
            raise AuthError("YouTube would not renew the sign-in; reconnect.") from None
        self._sync_tokens()
        return self.credentials

    def classify_error(self, exc: Exception) -> ChannelError | None:
        if isinstance(exc, RefreshError):
            return AuthError(
                "YouTube would not renew the sign-in; reconnect the channel."
            )
        if isinstance(exc, HttpError):
            return http_error(exc)
        if isinstance(exc, json.JSONDecodeError):
            return TemporaryError("YouTube sent an unreadable answer (cut short?).")
        if isinstance(exc, TimeoutError):
            return TemporaryError(f"YouTube did not answer in {self.timeout:g}s.")
        if isinstance(
            exc, ConnectionError | http.client.HTTPException | httplib2.HttpLib2Error
        ):
            return TemporaryError("Lost the connection to YouTube.")
        return super().classify_error(exc)

    # Plumbing ------------------------------------------------------------------------

    def _call(self, operation: Callable[[], T]) -> T:
        try:
            return super()._call(operation)
        finally:
            self._sync_tokens()

    def _sync_tokens(self) -> None:
        """Hand tokens google-auth refreshed by itself to whoever stores them."""
        if not self.google.token or self.google.token == self.credentials.access_token:
            return
        expiry = self.google.expiry
        self.credentials = self.credentials.with_tokens(
            access_token=self.google.token,
            refresh_token=self.google.refresh_token or self.credentials.refresh_token,
            expires_at=expiry.replace(tzinfo=UTC) if expiry else None,
        )
        if self.on_token_refresh is not None:
            self.on_token_refresh(self.credentials)

    def _execute(self, request: HttpRequest) -> Any:
        try:
            body = request.execute(num_retries=0)
        except HttpError as exc:
            raise http_error(exc) from exc
        # The client hands back the raw text when a body is not valid JSON.
        if isinstance(body, str) and body:
            raise TemporaryError("YouTube sent an unreadable answer (cut short?).")
        return body

    def _upload(self, request: HttpRequest) -> dict[str, Any]:
        """Send the file chunk by chunk; after a failed chunk, ask the server
        how much arrived and go on from there (a bounded number of times)."""
        failures, response = 0, None
        while response is None:
            try:
                _progress, response = request.next_chunk(num_retries=0)
            except Exception as exc:
                error = self.classify_error(exc)
                if (
                    not isinstance(error, TemporaryError)
                    or failures >= self.upload_retries
                ):
                    raise
                failures += 1
                log.warning("YouTube upload interrupted (%s); resuming.", error)
        return response

    def _captions(self, video_id: str, video: Video) -> None:
        """Add the captions file. The video is already up, so a failure is
        logged rather than raised: a retry would upload the video again."""
        if not video.captions_path:
            return
        snippet = {"videoId": video_id, "language": video.captions_language, "name": ""}
        try:
            self._execute(
                self.youtube.captions().insert(
                    part="snippet",
                    body={"snippet": snippet},
                    media_body=MediaFileUpload(
                        str(video.captions_path), mimetype="application/octet-stream"
                    ),
                )
            )
        except ChannelError as error:
            log.warning("Captions for YouTube video %s not added: %s", video_id, error)

    def _snippet(self, post: Post, category: str, tags: list[str]) -> dict[str, Any]:
        title = (post.video.title if post.video else "") or post.title
        return {
            "title": title,
            "description": self._description(post),
            "tags": tags,
            "categoryId": category,
        }

    def _description(self, post: Post) -> str:
        # The marker link in the description is what reconciliation looks for.
        text = (post.video.description if post.video else "") or post.text
        return text if post.link in text else f"{text}\n\n{post.link}".strip()

    def _video(self, video_id: str, part: str) -> dict[str, Any]:
        items = self._execute(self.youtube.videos().list(part=part, id=video_id))
        if not items.get("items"):
            raise RejectedError("This video is no longer on YouTube.", status=404)
        return items["items"][0]

    def _uploads(self, limit: int) -> list[dict[str, Any]]:
        """The newest items of the channel's uploads playlist."""
        channels = self._execute(
            self.youtube.channels().list(part="contentDetails", mine=True)
        )
        if not channels.get("items"):
            return []
        playlist = channels["items"][0]["contentDetails"]["relatedPlaylists"]["uploads"]
        items: list[dict[str, Any]] = []
        token = None
        while len(items) < limit:
            page = self._execute(
                self.youtube.playlistItems().list(
                    part="snippet,status",
                    playlistId=playlist,
                    maxResults=min(limit - len(items), 50),
                    pageToken=token,
                )
            )
            items += page.get("items", [])
            token = page.get("nextPageToken")
            if not token:
                break
        return items[:limit]

    def _permalink(self, video_id: str) -> str:
        return f"{self.web_url}/watch?v={video_id}"

    # Connecting a channel ------------------------------------------------------------

    @classmethod
    def begin_connect(
        cls, config: Mapping[str, Any], redirect_uri: str, state: str
    ) -> tuple[str, str]:
        oauth = oauth_session(config, redirect_uri, state=state, scope=SCOPES)
        # Google issues a refresh token only for offline access with consent.
        url = oauth.authorization_url(
            config["AUTHORIZE_URL"], access_type="offline", prompt="consent"
        )[0]
        return url, ""

    @classmethod
    def complete_connect(
        cls,
        config: Mapping[str, Any],
        redirect_uri: str,
        params: Mapping[str, str],
        state: str,
        code_verifier: str,
    ) -> list[ConnectedAccount]:
        token = exchange_code(
            config,
            redirect_uri,
            params,
            state,
            "YouTube",
            client_secret=config["CLIENT_SECRET"],
            include_client_id=True,
        )
        adapter = cls(config, token_credentials(token, Credentials("", "")))
        found = adapter._call(
            lambda: adapter._execute(
                adapter.youtube.channels().list(part="snippet", mine=True)
            )
        )
        return [
            ConnectedAccount(
                platform=cls.id,
                remote_id=item["id"],
                display_name=item.get("snippet", {}).get("title", ""),
                credentials=adapter.credentials.with_tokens(account_id=item["id"]),
            )
            for item in found.get("items", [])
        ]
