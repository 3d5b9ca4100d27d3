"""YouTube through google-api-python-client and google-auth.

The client is built offline from the discovery document that ships inside
google-api-python-client, with its root URL set to ``API_URL``: that is the one
way media uploads follow a non-Google origin (``client_options`` keeps https and
drops the path for uploads). It is built on first use, so an adapter made only
to validate posts costs next to nothing. Uploads are in
:mod:`channels.youtube_upload`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import quote

import google_auth_httplib2
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest

from . import youtube_upload as upload
from .base import ChannelAdapter, SessionSaver
from .errors import AuthError, ChannelError, ConfigurationError, RejectedError
from .google_api import (
    CONNECTION_ERRORS,
    TIMEOUT_ERRORS,
    YouTubeClient,
    authorized_http,
    build_client,
    execute,
    google_credentials,
    http_error,
    synced,
    upload_pages,
    warm_up_client,
)
from .oauth import exchange_code, oauth_session, token_credentials
from .search import contains_marker, newest_first, parse_time
from .values import (
    ConnectedAccount,
    Credentials,
    FeedItem,
    FeedMedia,
    Metrics,
    Post,
    PostResult,
    Video,
)
from .youtube_upload import CHUNK_UNIT, MAX_VIDEO_BYTES, NO_VIDEO

__all__ = ["CHUNK_UNIT", "MAX_VIDEO_BYTES", "NO_VIDEO", "SCOPES", "YouTubeAdapter"]

T = TypeVar("T")

SCOPES = [
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.force-ssl",
]
PAGE_SIZE = 50  # the most items playlistItems.list gives in one page


def missing_scopes(token: Mapping[str, Any]) -> list[str]:
    """The scopes Council Publishing asks for that a token response did not
    grant (Google lets people untick some at consent)."""
    scope = token.get("scope") or ()
    # requests-oauthlib hands the scope back as a list; the wire has a string.
    granted = set(scope.split() if isinstance(scope, str) else scope)
    if not granted:
        return []  # the answer does not say: the first call will
    return [scope for scope in SCOPES if scope not in granted]


def _refuse_if_refused(status: dict[str, Any]) -> None:
    """Raise :class:`RejectedError` with YouTube's reason when ``status`` says
    it rejected the video or failed to process it."""
    refusal = upload.processing_refusal(status)
    if refusal is not None:
        raise RejectedError(refusal, code=status.get("uploadStatus"))


class YouTubeAdapter(ChannelAdapter):
    id = "youtube"
    name = "YouTube"
    max_text_length = 5000
    supports_images = False
    max_title_length = 100  # characters
    counting_rule = (
        "YouTube description: {limit:,} characters; YouTube counts accented "
        "letters as 2 characters and emoji as 4."
    )
    requires_video = True
    refreshes_itself = True
    timeout_errors = TIMEOUT_ERRORS
    connection_errors = CONNECTION_ERRORS
    default_web_url = "https://www.youtube.com"

    @classmethod
    def warm_up(cls, config: Mapping[str, Any]) -> None:
        """Parse the discovery document and build the client's resources (most
        of a client's cost) once, here."""
        warm_up_client(str(config["API_URL"]).rstrip("/") + "/")

    def __init__(self, config: Mapping[str, Any], credentials: Credentials, **kw: Any):
        super().__init__(config, credentials, **kw)
        self.chunk_size = int(self.options.get("chunk_size", 4 * CHUNK_UNIT))
        self.upload_retries = int(self.options.get("upload_retries", 3))
        # How long a publish follows YouTube's processing of the new video
        # before it records the post as still processing (publishing then
        # asks again later: processing_outcome).
        self.processing_wait = float(self.options.get("processing_wait", 0))
        self.retract_policy = self.option(
            "retract_policy", "private", ("private", "delete")
        )
        if self.chunk_size <= 0 or self.chunk_size % CHUNK_UNIT:
            raise ConfigurationError(
                "YouTube: chunk_size must be a multiple of 256 KiB."
            )
        self.google = google_credentials(config, credentials)
        self.http, self.authed_http = authorized_http(self.google, self.timeout)

    @cached_property
    def youtube(self) -> YouTubeClient:
        """The API client, built when first needed (validation needs none)."""
        return build_client(self.api_url + "/", self.authed_http)

    # Steps ---------------------------------------------------------------------------

    def _publish(
        self, post: Post, on_upload_session: SessionSaver | None = None
    ) -> PostResult:
        if post.video is None:
            raise RejectedError(NO_VIDEO)
        request = self._insert_request(post, post.video)
        session_uri = upload.open_session(request)
        if on_upload_session is not None:
            on_upload_session(session_uri)
        return self._uploaded(self._upload(request), post.video)

    def resume_upload(
        self, session_uri: str, post: Post, *, finish: bool = True
    ) -> PostResult | None:
        if post.video is None:
            raise RejectedError(NO_VIDEO)
        request = self._insert_request(post, post.video)
        try:
            created = self._call(lambda: upload.ask_session(request, session_uri))
        except upload.SessionExpired:
            return None
        if created is None:
            if not finish:
                return None
            created = self._call(lambda: self._upload(request))
        return self._uploaded(created, post.video)

    def _insert_request(self, post: Post, video: Video) -> HttpRequest:
        """A resumable videos.insert; nothing is sent until its session opens."""
        return upload.insert_request(self.youtube, post, video, self.chunk_size)

    def _upload(self, request: HttpRequest) -> dict[str, Any]:
        """Send an insert's file, resuming after failed chunks (a few times)."""
        return upload.send(
            request, classify=self.classify_error, retries=self.upload_retries
        )

    def _uploaded(self, created: dict[str, Any], video: Video) -> PostResult:
        """The result of a finished upload, once its captions are added."""
        video_id = str(created["id"])
        status = self._processed(video_id, created.get("status", {}))
        upload.add_captions(self.youtube, self._execute, video_id, video)
        # "uploaded" means YouTube is still processing the video.
        uploaded = status.get("uploadStatus") == "uploaded"
        state = "processing" if uploaded else "posted"
        return PostResult(video_id, self._permalink(video_id), state=state)

    def _processed(self, video_id: str, status: dict[str, Any]) -> dict[str, Any]:
        """The video's status once YouTube has processed it, or once
        ``processing_wait`` has passed. Raises :class:`RejectedError` with
        YouTube's reason for a video it rejected or failed to process."""
        deadline = time.monotonic() + self.processing_wait
        details: dict[str, Any] = {}
        asked = 0
        while status.get("uploadStatus") == "uploaded":
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(upload.poll_interval(details, left, asked))
            status, details = self._processing(video_id)
            asked += 1
        _refuse_if_refused(status)
        return status

    def _processing_outcome(self, remote_id: str) -> str:
        status, _details = self._processing(remote_id)
        _refuse_if_refused(status)
        # "uploaded" means YouTube is still processing the video.
        return "processing" if status.get("uploadStatus") == "uploaded" else "processed"

    def _processing(self, video_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The video's ``status`` and ``processingDetails``, as YouTube has
        them now (one ``videos.list``, 1 quota unit)."""
        item = self._video(video_id, "status,processingDetails")
        return item["status"], item.get("processingDetails", {})

    def _update(self, remote_id: str, post: Post) -> PostResult:
        current = self._video(remote_id, "snippet")["snippet"]
        tags = list(post.video.tags) if post.video else current.get("tags", [])
        category = post.video.category_id if post.video else current.get("categoryId")
        snippet = upload.snippet(post, category or "25", tags)
        if current.get("defaultLanguage"):
            snippet["defaultLanguage"] = current["defaultLanguage"]
        self._execute(
            self.youtube.videos().update(
                part="snippet", body={"id": remote_id, "snippet": snippet}
            )
        )
        return PostResult(remote_id, self._permalink(remote_id))

    def _retract(self, remote_id: str) -> None:
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
            "containsSyntheticMedia",
        )
        body = {k: status[k] for k in writable if k in status}
        body["privacyStatus"] = "private"
        self._execute(
            self.youtube.videos().update(
                part="status", body={"id": remote_id, "status": body}
            )
        )

    def _find_by_marker(
        self, marker: str, limit: int, since: datetime | None
    ) -> PostResult | None:
        for item in self._uploads(limit, since):
            snippet = item.get("snippet", {})
            if contains_marker(snippet.get("description"), marker):
                video_id = snippet["resourceId"]["videoId"]
                # The uploads playlist does not say how processing went (the
                # video may be minutes old, or rejected): it is asked later.
                return PostResult(
                    video_id, self._permalink(video_id), state="processing"
                )
        return None

    def _recent_posts(self, limit: int) -> list[FeedItem]:
        items = []
        for item in self._uploads(limit, None):
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
                    created_at=parse_time(
                        snippet.get("publishedAt"), self.name, "publishedAt"
                    ),
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

    @classmethod
    def text_length(cls, text: str) -> int:
        return len(text.encode())

    @classmethod
    def profile_path(
        cls, remote_id: str, display_name: str, extra: Mapping[str, str]
    ) -> str:
        return f"channel/{quote(remote_id)}"

    @classmethod
    def validate(cls, post: Post) -> list[str]:
        return upload.problems(post)

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
            return http_error(exc, self.status_error)
        return super().classify_error(exc)

    # Plumbing ------------------------------------------------------------------------

    def _call(self, operation: Callable[[], T]) -> T:
        try:
            return super()._call(operation)
        finally:
            self._sync_tokens()

    def _sync_tokens(self) -> None:
        """Hand tokens google-auth refreshed by itself to whoever stores them."""
        fresh = synced(self.google, self.credentials)
        if fresh is None:
            return
        self.credentials = fresh
        if self.on_token_refresh is not None:
            self.on_token_refresh(self.credentials)

    def _execute(self, request: HttpRequest) -> Any:
        return self._classified(lambda: execute(request))

    def _video(self, video_id: str, part: str) -> dict[str, Any]:
        items = self._execute(self.youtube.videos().list(part=part, id=video_id))
        if not items.get("items"):
            raise RejectedError("This video is no longer on YouTube.", status=404)
        return items["items"][0]

    def _uploads(self, limit: int, since: datetime | None) -> Iterator[dict[str, Any]]:
        """The channel's uploads, newest first: at most ``limit``, and with
        ``since`` none published before it."""
        return newest_first(
            upload_pages(self.youtube, min(limit, PAGE_SIZE)),
            limit=limit,
            since=since,
            created=lambda item: parse_time(
                item.get("snippet", {}).get("publishedAt"), self.name, "publishedAt"
            ),
        )

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
        missing = missing_scopes(token)
        if missing:
            raise AuthError(
                "YouTube did not grant every permission Council Publishing needs; "
                f"missing: {', '.join(missing)}. Connect again and leave every "
                "permission ticked."
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
