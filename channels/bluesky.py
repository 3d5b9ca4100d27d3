"""Bluesky through the AT Protocol SDK (``atproto``), signed in with an app password.

A post is an ``app.bsky.feed.post`` record in the account's repository. Its
record key is chosen here (a TID, as the PDS would choose it) and kept by the
caller before ``createRecord`` is sent (``on_upload_session``), so an attempt
whose answer is lost is settled by reading that one record back
(:meth:`BlueskyAdapter.resume_upload`) rather than by a search.

The SDK's client would refresh the session by itself shortly before the access
token expires, spending the rotating refresh token where the caller cannot
coordinate it; here it never does, and the base class's "refresh once on an
auth error" rule applies as on every other platform.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from atproto import Client, Session, models
from atproto_client.exceptions import (
    InvokeTimeoutError,
    NetworkError,
    RequestErrorBase,
)
from atproto_client.models.common import XrpcError
from atproto_client.request import Request, RequestBase, Response
from atproto_server.auth.jwt import get_jwt_payload

from .base import ChannelAdapter, SessionSaver
from .bluesky_text import (
    MAX_GRAPHEMES,
    facets,
    fit_bluesky,
    grapheme_length,
    weight,
)
from .errors import (
    AuthError,
    ChannelError,
    ConfigurationError,
    RejectedError,
    TemporaryError,
)
from .search import contains_marker, newest_first, parse_time
from .session import shared_http_client
from .values import (
    ConnectedAccount,
    Credentials,
    FeedItem,
    FeedMedia,
    Image,
    Metrics,
    Post,
    PostResult,
    image_problems,
)

COLLECTION = "app.bsky.feed.post"
#: XRPC error names that mean the session is no good; the PDS sends some of
#: them with HTTP 400 (an expired access token is ``400 ExpiredToken``).
AUTH_ERRORS = frozenset(
    {"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"}
)
GONE_ERRORS = frozenset({"RecordNotFound"})
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
MAX_IMAGE_BYTES = 1_000_000  # app.bsky.embed.images: maxSize 1000000
MAX_ALT_GRAPHEMES = 2000  # what the Bluesky app lets people write
UPDATE_POLICIES = ("leave", "repost")
PAGE_SIZE = 100  # getAuthorFeed's limit is 1 to 100
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def next_tid() -> str:
    """A record key as AT Protocol TIDs are made: microseconds since 1970 and
    a random 10-bit clock id, in 13 characters of sortable base 32."""
    value = (time.time_ns() // 1000) << 10 | secrets.randbelow(1024)
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


class UnreadableAnswer(Exception):
    """A body that claims to be JSON and is not (cut short, or a proxy's page)."""


class _Request(Request):
    """The SDK's HTTP layer on this thread's shared keep-alive client
    (:func:`~channels.session.shared_http_client`), telling an unreadable
    answer from a bug. The session's headers stay on this object, one per
    adapter; only the connections are shared."""

    def __init__(self, timeout: float) -> None:
        RequestBase.__init__(self)  # not Request's: it makes a client of its own
        self._client_kwargs = {"timeout": timeout}
        self._client = shared_http_client(timeout)

    def close(self) -> None:
        """Nothing to close: the client is the thread's, not this request's."""

    def get(self, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().get(*args, **kwargs)
        except ValueError as error:
            raise UnreadableAnswer(str(error)) from error

    def post(self, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(*args, **kwargs)
        except ValueError as error:
            raise UnreadableAnswer(str(error)) from error


class _Client(Client):
    """The SDK's client, refreshing the session only when the adapter does."""

    def _should_refresh_session(self) -> bool:
        return False


class BlueskyAdapter(ChannelAdapter):
    id = "bluesky"
    name = "Bluesky"
    max_text_length = MAX_GRAPHEMES
    fit_measure = staticmethod(weight)
    counting_rule = (
        "Bluesky allows {limit:,} characters as people see them: an emoji, a "
        "flag or an accented letter is one, and a link counts in full."
    )
    supports_update = False
    default_web_url = "https://bsky.app"
    connects_with = "app_password"
    connect_help = (
        "Make one for the council in Bluesky: Settings > Privacy and security > "
        "App passwords > Add App Password."
    )
    timeout_errors = (InvokeTimeoutError, httpx.TimeoutException)
    connection_errors = (NetworkError, httpx.TransportError)

    def __init__(self, config: Mapping[str, Any], credentials: Credentials, **kw: Any):
        super().__init__(config, credentials, **kw)
        self.update_policy = self.option("update_policy", "repost", UPDATE_POLICIES)
        self._handle = credentials.extra.get("handle", "")
        self._client = _Client(self.api_url, request=_Request(timeout=self.timeout))

    @property
    def client(self) -> Client:
        """The SDK client on the current session, including one just refreshed."""
        current = self._client._session
        if current is None or current.access_jwt != self.credentials.access_token:
            session = Session(
                handle=self._handle or self.credentials.account_id,
                did=self.credentials.account_id,
                access_jwt=self.credentials.access_token,
                refresh_jwt=self.credentials.refresh_token,
                pds_endpoint=self.api_url,
            )
            self._client.login(
                session_string=session.encode(), fetch_bsky_profile=False
            )
        return self._client

    @property
    def did(self) -> str:
        return self.credentials.account_id

    # Steps ---------------------------------------------------------------------------

    def _publish(
        self, post: Post, on_upload_session: SessionSaver | None = None
    ) -> PostResult:
        record = self._record(post)
        rkey = next_tid()
        if on_upload_session is not None:
            on_upload_session(self._uri(rkey))
        self.client.com.atproto.repo.create_record(
            models.ComAtprotoRepoCreateRecord.Data(
                repo=self.did, collection=COLLECTION, rkey=rkey, record=record
            )
        )
        return PostResult(rkey, self._permalink(rkey))

    def resume_upload(
        self, session_uri: str, post: Post, *, finish: bool = True
    ) -> PostResult | None:
        """Settle a publish that left no answer by reading its record back.

        A record is written whole or not at all, so there is nothing to
        finish: the record found is the post; none means that attempt made
        none (``find_by_marker`` then agrees).
        """
        repo, collection, rkey = _parse_uri(session_uri)
        if (repo, collection) != (self.did, COLLECTION):
            return None
        try:
            self._call(
                lambda: self.client.com.atproto.repo.get_record(
                    models.ComAtprotoRepoGetRecord.Params(
                        repo=repo, collection=collection, rkey=rkey
                    )
                )
            )
        except RejectedError as error:
            if self.is_gone(error):
                return None
            raise
        return PostResult(rkey, self._permalink(rkey))

    @property
    def updates_by_reposting(self) -> bool:
        return self.update_policy == "repost"

    def _update(self, remote_id: str, post: Post) -> PostResult:
        # The protocol would take a changed record (putRecord), but Bluesky's
        # app keeps showing a post as first written: under "repost" the caller
        # deletes it and posts anew, under "leave" it stays as it is.
        return PostResult(remote_id, self._permalink(remote_id))

    def _retract(self, remote_id: str) -> None:
        # deleteRecord succeeds for a record that is already gone.
        self.client.com.atproto.repo.delete_record(
            models.ComAtprotoRepoDeleteRecord.Data(
                repo=self.did, collection=COLLECTION, rkey=remote_id
            )
        )

    def _find_by_marker(
        self, marker: str, limit: int, since: datetime | None
    ) -> PostResult | None:
        for view in self._feed(limit, since):
            record = view.record
            links = [
                feature.uri
                for facet in getattr(record, "facets", None) or []
                for feature in facet.features
                if getattr(feature, "uri", None)
            ]
            external = getattr(getattr(record, "embed", None), "external", None)
            if external is not None:
                links.append(external.uri)
            texts = [getattr(record, "text", ""), *links]
            if any(contains_marker(text, marker) for text in texts):
                rkey = _parse_uri(view.uri)[2]
                return PostResult(rkey, self._permalink(rkey))
        return None

    def _recent_posts(self, limit: int) -> list[FeedItem]:
        items = []
        for view in self._feed(limit, None):
            rkey = _parse_uri(view.uri)[2]
            images = getattr(view.embed, "images", None) or []
            items.append(
                FeedItem(
                    remote_id=rkey,
                    text=getattr(view.record, "text", ""),
                    permalink=self._permalink(rkey),
                    created_at=parse_time(view.indexed_at, "Bluesky", "indexedAt"),
                    media=tuple(
                        FeedMedia(url=image.fullsize, alt_text=image.alt)
                        for image in images
                    ),
                )
            )
        return items

    def _metrics(self, remote_id: str) -> Metrics:
        found = self.client.app.bsky.feed.get_posts(
            models.AppBskyFeedGetPosts.Params(uris=[self._uri(remote_id)])
        ).posts
        if not found:
            raise RejectedError(
                f"The Bluesky post {remote_id} no longer exists.",
                status=404,
                code="RecordNotFound",
            )
        view = found[0]
        return Metrics(
            likes=view.like_count or 0,
            shares=(view.repost_count or 0) + (view.quote_count or 0),
            comments=view.reply_count or 0,
        )

    @classmethod
    def text_length(cls, text: str) -> int:
        return grapheme_length(text)

    @classmethod
    def fit_text(cls, text: str, link: str) -> str:
        return fit_bluesky(text, link, cls.max_text_length)

    @classmethod
    def profile_path(
        cls, remote_id: str, display_name: str, extra: Mapping[str, str]
    ) -> str:
        return "profile/" + quote(extra.get("handle") or display_name.lstrip("@"))

    @classmethod
    def validate(cls, post: Post) -> list[str]:
        problems = cls.link_problems(post)
        problems += image_problems(
            post.images,
            platform=cls.name,
            max_count=4,
            max_bytes=MAX_IMAGE_BYTES,
            types=IMAGE_TYPES,
        )
        problems += [
            f"Alt text for {image.path.name} is over Bluesky's 2,000 characters."
            for image in post.images
            if grapheme_length(image.alt_text) > MAX_ALT_GRAPHEMES
        ]
        return problems

    def refresh(self) -> Credentials:
        """A new session from the refresh token (``refreshSession``). Bluesky
        rotates it: the old refresh token stops working once used."""
        self.client  # noqa: B018 - the session the SDK sends the request on
        body = self._client.com.atproto.server.refresh_session(
            headers={"Authorization": f"Bearer {self.credentials.refresh_token}"},
            ignore_session_check=True,
        )
        self._handle = body.handle
        return _session_credentials(body, self.credentials)

    def classify_error(self, exc: Exception) -> ChannelError | None:
        if isinstance(exc, UnreadableAnswer):
            return TemporaryError(
                f"{self.name} sent an unreadable answer (not JSON or cut short)."
            )
        if isinstance(exc, RequestErrorBase) and exc.response is not None:
            return self._error(exc.response)
        return super().classify_error(exc)

    def retry_at(self, headers: Mapping[str, str]) -> datetime | None:
        """When the window of Bluesky's rate limit resets (``ratelimit-reset``,
        in seconds since 1970), else the standard ``Retry-After``."""
        reset = str(headers.get("ratelimit-reset", ""))
        if reset.isdigit():
            return datetime.fromtimestamp(int(reset), UTC)
        return super().retry_at(headers)

    def is_gone(self, error: RejectedError) -> bool:
        return error.code in GONE_ERRORS or super().is_gone(error)

    # Plumbing ------------------------------------------------------------------------

    def _record(self, post: Post) -> models.AppBskyFeedPost.Record:
        """The post's record: text with its facets, and its pictures with
        their alt text, or else a card for the page's link."""
        embed: Any = None
        if post.images:
            embed = models.AppBskyEmbedImages.Main(
                images=[
                    models.AppBskyEmbedImages.Image(
                        alt=image.alt_text, image=self._upload(image)
                    )
                    for image in post.images
                ]
            )
        elif post.link:
            description = post.text.replace(post.link, "").strip()
            embed = models.AppBskyEmbedExternal.Main(
                external=models.AppBskyEmbedExternal.External(
                    uri=post.link,
                    title=post.title or post.link,
                    description=description[:MAX_GRAPHEMES],
                )
            )
        return models.AppBskyFeedPost.Record(
            text=post.text,
            created_at=self._client.get_current_time_iso(),
            facets=facets(post.text, post.link) or None,
            embed=embed,
            langs=["en-GB"],
        )

    def _upload(self, image: Image) -> Any:
        with image.path.open("rb") as fh:
            data = fh.read()
        return self.client.com.atproto.repo.upload_blob(
            data, headers={"Content-Type": image.content_type}
        ).blob

    def _error(self, response: Response) -> ChannelError:
        status = response.status_code
        content = response.content
        name = content.error if isinstance(content, XrpcError) else None
        message = (
            (content.message or content.error)
            if isinstance(content, XrpcError)
            else f"Bluesky answered HTTP {status}."
        )
        body = (
            f"{content.error}: {content.message}"
            if isinstance(content, XrpcError)
            else content
        )
        if name in AUTH_ERRORS:
            return AuthError(message, status=status, code=name, body=body)
        return self.status_error(
            status, message, headers=response.headers, code=name, body=body
        )

    def _uri(self, rkey: str) -> str:
        return f"at://{self.did}/{COLLECTION}/{rkey}"

    def _permalink(self, rkey: str) -> str:
        if not self._handle:
            self._handle = self.client.app.bsky.actor.get_profile(
                models.AppBskyActorGetProfile.Params(actor=self.did)
            ).handle
        return f"{self.web_url}/profile/{self._handle}/post/{rkey}"

    def _feed(self, limit: int, since: datetime | None) -> Iterator[Any]:
        """The account's own posts (no replies, no reposts), newest first: at
        most ``limit``, and with ``since`` none indexed before it."""
        return newest_first(
            self._feed_pages(min(max(limit, 1), PAGE_SIZE)),
            limit=limit,
            since=since,
            created=lambda view: parse_time(view.indexed_at, "Bluesky", "indexedAt"),
        )

    def _feed_pages(self, size: int) -> Iterator[Any]:
        cursor = None
        while True:
            page = self.client.app.bsky.feed.get_author_feed(
                models.AppBskyFeedGetAuthorFeed.Params(
                    actor=self.did, limit=size, cursor=cursor, filter="posts_no_replies"
                )
            )
            for item in page.feed:
                if item.reason is None and item.post.author.did == self.did:
                    yield item.post
            cursor = page.cursor
            if not cursor or not page.feed:
                return

    # Connecting an account -----------------------------------------------------------

    @classmethod
    def begin_connect(
        cls, config: Mapping[str, Any], redirect_uri: str, state: str
    ) -> tuple[str, str]:
        raise ConfigurationError(
            "Bluesky accounts are connected with an app password (Bluesky: "
            "Settings > Privacy and security > App passwords), not a sign-in page."
        )

    @classmethod
    def connect_with_app_password(
        cls, config: Mapping[str, Any], identifier: str, app_password: str
    ) -> list[ConnectedAccount]:
        """Sign in with the account's handle (or email) and an app password.

        The password is spent here on a session (``createSession``) and not
        kept: the session's tokens are what is stored, and a revoked app
        password ends them, so the account then asks to be connected again.
        Raises ``AuthError`` for a wrong handle or password.
        """
        adapter = cls(config, Credentials("", ""))
        body = adapter._classified(
            lambda: adapter._client.com.atproto.server.create_session(
                models.ComAtprotoServerCreateSession.Data(
                    identifier=identifier.strip().lstrip("@"), password=app_password
                ),
                ignore_session_check=True,
            )
        )
        credentials = _session_credentials(body, Credentials(body.did, ""))
        return [
            ConnectedAccount(
                platform=cls.id,
                remote_id=body.did,
                display_name=f"@{body.handle}",
                credentials=credentials,
            )
        ]


def _session_credentials(body: Any, current: Credentials) -> Credentials:
    """Credentials from a ``createSession``/``refreshSession`` answer: the
    access token's expiry is in the token itself (a JWT)."""
    try:
        exp = get_jwt_payload(body.access_jwt).exp
    except Exception:  # noqa: BLE001 - an opaque token just has no known expiry
        exp = None
    return current.with_tokens(
        access_token=body.access_jwt,
        refresh_token=body.refresh_jwt,
        expires_at=datetime.fromtimestamp(exp, UTC) if exp else None,
        extra={**current.extra, "handle": body.handle},
    )


def _parse_uri(uri: str) -> tuple[str, str, str]:
    """(repo, collection, record key) of an ``at://`` URI."""
    repo, _, rest = uri.removeprefix("at://").partition("/")
    collection, _, rkey = rest.partition("/")
    return repo, collection, rkey
