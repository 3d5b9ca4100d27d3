"""Mastodon through Mastodon.py, on the instance each account lives on.

A council names the instance when it connects an account; the app is
registered on that instance first (:meth:`MastodonAdapter.register_app`), and
the account keeps its instance from then on.

Every new status carries an ``Idempotency-Key`` made from the account and the
post, so a retry after a lost answer gets the status the first attempt made
(Mastodon remembers a key for an hour) instead of a second one; past that
hour, reconciliation finds it by its marker as on the other platforms.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import nh3
import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonIOError,
    MastodonNetworkError,
    MastodonRatelimitError,
)
from mastodon.utility import url_regex as mastodon_url_regex

from .base import ChannelAdapter, SessionSaver
from .errors import (
    AuthError,
    ChannelError,
    RateLimitedError,
    RejectedError,
    TemporaryError,
    retry_after,
)
from .fitting import fit
from .oauth import check_callback, loopback_http
from .search import contains_marker, newest_first, parse_time
from .session import DEFAULT_TIMEOUT, USER_AGENT, PlatformSession, TimeoutAdapter
from .values import (
    AppRegistration,
    ConnectedAccount,
    Credentials,
    FeedItem,
    FeedMedia,
    Metrics,
    Post,
    PostResult,
    image_problems,
)
from .x_text import stand_in_local_hosts

#: What Council Publishing asks an instance for (granular scopes, Mastodon 3.5+).
SCOPES = ["read:accounts", "read:statuses", "write:statuses", "write:media"]
#: The API the adapter speaks; given so Mastodon.py asks no instance for it.
API_VERSION = "4.3.0"
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
MAX_IMAGES = 4
IMAGE_BYTES = 16 * 1024 * 1024
ALT_TEXT_LIMIT = 1500
PAGE_SIZE = 40  # the most statuses Mastodon gives in one page
LINK_LENGTH = 23  # what every link counts as, whatever its length
_BREAKS = re.compile(r"<br\s*/?>|</p>\s*<p>", re.IGNORECASE)


@functools.lru_cache(maxsize=2048)
def status_length(text: str) -> int:
    """Length as Mastodon counts it: characters as people see them (grapheme
    clusters, so an emoji family or "ŵ" is one), every link 23, and a
    mention of someone elsewhere by its local part only.

    Always the number Mastodon.py's ``get_status_length`` gives. That function
    finds grapheme clusters one character at a time in Python (0.4 ms for a
    council post); in ASCII text without a mention every character is a
    cluster but a CR LF pair, so such a text is counted with the same
    library's link pattern and no cluster search."""
    text = stand_in_local_hosts(text)
    if not text.isascii() or "@" in text:
        return Mastodon.get_status_length(text)
    # As get_status_length does: each link becomes the character before it
    # (its pattern's second group) and 23 characters.
    length = len(text) - text.count("\r\n")
    for link in mastodon_url_regex.finditer(text):
        length += len(link.group(2)) + LINK_LENGTH - len(link.group(0))
    return length


def plain_text(content: str) -> str:
    """A status's HTML ``content`` as the text it was written as."""
    text = _BREAKS.sub(
        lambda m: "\n\n" if m.group(0).startswith("</") else "\n", content
    )
    return html.unescape(nh3.clean(text, tags=set())).strip()


def idempotency_key(account_id: str, post: Post) -> str:
    """The same for every attempt at one post on one account, different for
    anything else (another page, other words or other images)."""
    parts = [account_id, post.marker, post.text]
    parts += [f"{image.path.name}\x1f{image.alt_text}" for image in post.images]
    digest = hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()
    return f"council-publishing-{digest[:40]}"


class MastodonAdapter(ChannelAdapter):
    id = "mastodon"
    name = "Mastodon"
    max_text_length = 500
    fit_measure = staticmethod(status_length)
    counting_rule = (
        "Mastodon counts up to {limit:,} characters as people see them (an "
        "emoji or an accented letter is 1) and every link as 23."
    )
    timeout_errors = (requests.Timeout,)
    chooses_instance = True

    def __init__(self, config: Mapping[str, Any], credentials: Credentials, **kw: Any):
        super().__init__(config, credentials, **kw)
        # The instance the account was connected on; the setting names the one
        # a new account's form suggests.
        self.instance_url = self.instance_of(config, credentials.extra)
        self._client = self._sdk(self.instance_url, config, self.session, self.timeout)

    @staticmethod
    def _sdk(
        url: str,
        config: Mapping[str, Any],
        session: requests.Session,
        timeout: float,
        access_token: str | None = None,
    ) -> Mastodon:
        return Mastodon(
            client_id=config.get("CLIENT_ID") or None,
            client_secret=config.get("CLIENT_SECRET") or None,
            access_token=access_token,
            api_base_url=url,
            request_timeout=timeout,
            session=session,
            # A 429 is the service's to wait out, never a sleep in a worker.
            ratelimit_method="throw",
            mastodon_version=API_VERSION,
            version_check_mode="created",
        )

    @property
    def client(self) -> Mastodon:
        self._client.access_token = self.credentials.access_token
        return self._client

    # Steps ---------------------------------------------------------------------------

    def _publish(
        self, post: Post, on_upload_session: SessionSaver | None = None
    ) -> PostResult:
        media = [
            self.client.media_post(
                str(image.path),
                mime_type=image.content_type,
                description=image.alt_text,
                file_name=image.path.name,
            )
            for image in post.images
        ]
        status = self.client.status_post(
            post.text,
            media_ids=media or None,
            visibility="public",
            idempotency_key=idempotency_key(self.credentials.account_id, post),
        )
        return PostResult(str(status["id"]), status["url"])

    def _update(self, remote_id: str, post: Post) -> PostResult:
        # The edit endpoint keeps the images unless it is told otherwise.
        status = self.client.status_update(remote_id, post.text)
        return PostResult(str(status["id"]), status["url"])

    def _retract(self, remote_id: str) -> None:
        self.client.status_delete(remote_id)

    def _find_by_marker(
        self, marker: str, limit: int, since: datetime | None
    ) -> PostResult | None:
        for status in self._statuses(limit, since):
            card = status.get("card") or {}
            if any(
                contains_marker(text, marker)
                for text in (status.get("content"), card.get("url"))
            ):
                return PostResult(str(status["id"]), status["url"])
        return None

    def _recent_posts(self, limit: int) -> list[FeedItem]:
        return [
            FeedItem(
                remote_id=str(status["id"]),
                text=plain_text(status.get("content") or ""),
                permalink=status["url"],
                created_at=_created(status),
                media=tuple(
                    FeedMedia(
                        url=m.get("url") or m.get("preview_url") or "",
                        alt_text=m.get("description") or "",
                        kind="image" if m.get("type") == "image" else "video",
                    )
                    for m in status.get("media_attachments") or []
                ),
            )
            for status in self._statuses(limit, None, exclude_replies=True)
        ]

    def _metrics(self, remote_id: str) -> Metrics:
        status = self.client.status(remote_id)
        return Metrics(
            likes=status.get("favourites_count"),
            shares=status.get("reblogs_count"),
            comments=status.get("replies_count"),
        )

    @classmethod
    def text_length(cls, text: str) -> int:
        return status_length(text)

    @classmethod
    def fit_text(cls, text: str, link: str) -> str:
        return fit(text, link, cls.max_text_length, cls.fit_measure, cls.name)

    @classmethod
    def profile_path(
        cls, remote_id: str, display_name: str, extra: Mapping[str, str]
    ) -> str:
        return "@" + quote(extra.get("username") or display_name.lstrip("@"))

    @classmethod
    def account_web_url(
        cls, config: Mapping[str, Any], extra: Mapping[str, str]
    ) -> str:
        # An instance shows its accounts on its own site; WEB_URL is the
        # configured instance's.
        instance = cls.instance_of(config, extra)
        if instance != str(config["API_URL"]).rstrip("/"):
            return instance
        return super().account_web_url(config, extra)

    @classmethod
    def validate(cls, post: Post) -> list[str]:
        problems = cls.link_problems(post)
        problems += image_problems(
            post.images,
            platform=cls.name,
            max_count=MAX_IMAGES,
            max_bytes=IMAGE_BYTES,
            types=IMAGE_TYPES,
        )
        problems += [
            f"Alt text for {image.path.name} is over Mastodon's "
            f"{ALT_TEXT_LIMIT:,} characters."
            for image in post.images
            if len(image.alt_text) > ALT_TEXT_LIMIT
        ]
        return problems

    # Errors --------------------------------------------------------------------------

    def classify_error(self, exc: Exception) -> ChannelError | None:
        if isinstance(exc, MastodonNetworkError):
            # Mastodon.py wraps what requests raised; that says which it was.
            return super().classify_error(exc.__context__ or exc) or TemporaryError(
                f"Lost the connection to {self.name}."
            )
        if isinstance(exc, MastodonIOError) and isinstance(exc.__cause__, OSError):
            return super().classify_error(exc.__cause__)
        if isinstance(exc, MastodonRatelimitError):
            reset = self._client.ratelimit_reset
            return RateLimitedError(
                f"{self.name} asks us to slow down.",
                retry_at=datetime.fromtimestamp(reset, UTC) if reset else None,
                status=429,
            )
        if isinstance(exc, MastodonAPIError):
            return self._api_error(exc)
        if isinstance(exc, MastodonIllegalArgumentError):
            return AuthError(f"{self.name} did not accept the sign-in: {exc}")
        if isinstance(exc, MastodonError):
            return TemporaryError(f"{self.name}: {exc}")
        return super().classify_error(exc)

    def _api_error(self, exc: MastodonAPIError) -> ChannelError:
        # Mastodon.py raises (message, status, reason, the body's "error").
        args = exc.args
        if len(args) < 4 or not isinstance(args[1], int):
            # An answer that is not JSON ("Could not parse response as JSON").
            return TemporaryError(
                f"{self.name} sent an unreadable answer (not JSON or cut short)."
            )
        status, reason, words = args[1], args[2], args[3]
        return self.status_error(
            status,
            str(words or reason or f"{self.name} answered HTTP {status}."),
            body=str(words or ""),
        )

    # Plumbing ------------------------------------------------------------------------

    def _statuses(
        self, limit: int, since: datetime | None, **filters: Any
    ) -> Iterator[dict[str, Any]]:
        return newest_first(
            self._status_pages(min(max(limit, 1), PAGE_SIZE), filters),
            limit=limit,
            since=since,
            created=_created,
        )

    def _status_pages(
        self, size: int, filters: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """The account's statuses, newest first, page after page (``max_id``)."""
        max_id = None
        while True:
            page = self.client.account_statuses(
                self.credentials.account_id,
                limit=size,
                max_id=max_id,
                exclude_reblogs=True,
                **filters,
            )
            yield from page
            if len(page) < size:
                return
            max_id = page[-1]["id"]

    # Connecting an account -----------------------------------------------------------

    @classmethod
    def register_app(
        cls,
        config: Mapping[str, Any],
        instance_url: str,
        redirect_uri: str,
        *,
        name: str,
        website: str = "",
    ) -> AppRegistration:
        """Register the app on the instance (``POST /api/v1/apps``, through
        Mastodon.py's ``create_app``) for the scopes the adapter asks for."""
        timeout = float(config.get("TIMEOUT", DEFAULT_TIMEOUT))
        host = urlsplit(instance_url).netloc
        with _RegistrationSession(timeout) as session:
            try:
                client_id, client_secret = Mastodon.create_app(
                    name,
                    scopes=SCOPES,
                    redirect_uris=redirect_uri,
                    website=website or None,
                    api_base_url=instance_url,
                    request_timeout=timeout,
                    session=session,
                    user_agent=USER_AGENT,
                )
            except MastodonNetworkError as exc:
                # create_app wraps whatever the request raised.
                raise _registration_error(exc.__context__, host, timeout) from None
            except (KeyError, TypeError):
                raise RejectedError(
                    f"{host} does not look like a Mastodon server: its answer "
                    "gave no app."
                ) from None
        return AppRegistration(str(client_id), str(client_secret))

    @classmethod
    def begin_connect(
        cls, config: Mapping[str, Any], redirect_uri: str, state: str
    ) -> tuple[str, str]:
        adapter = cls(config, Credentials("", ""))
        url = adapter._classified(
            lambda: adapter._client.auth_request_url(
                redirect_uris=redirect_uri,
                scopes=SCOPES,
                state=state,
                allow_http=loopback_http(adapter.instance_url),
            )
        )
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
        code = check_callback(params, state, cls.name)
        adapter = cls(config, Credentials("", ""))
        client = adapter._client
        token = adapter._classified(
            lambda: client.log_in(
                code=code,
                redirect_uri=redirect_uri,
                scopes=SCOPES,
                allow_http=loopback_http(adapter.instance_url),
            )
        )
        me = adapter._classified(client.account_verify_credentials)
        return [
            ConnectedAccount(
                platform=cls.id,
                remote_id=str(me["id"]),
                display_name=f"@{me['acct']}",
                credentials=Credentials(
                    account_id=str(me["id"]),
                    access_token=token,
                    scopes=tuple(SCOPES),
                    extra={
                        "username": me["username"],
                        "instance_url": adapter.instance_url,
                    },
                ),
            )
        ]


class _RegistrationSession(PlatformSession):
    """The session ``create_app`` posts on. The answer must come from the
    server named (a redirect is not followed), and an HTTP error is raised
    with its status, which ``create_app`` alone would lose."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.headers["User-Agent"] = USER_AGENT
        for prefix in ("http://", "https://"):
            self.mount(prefix, TimeoutAdapter(timeout))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        kwargs["allow_redirects"] = False
        response = super().request(method, url, *args, **kwargs)
        if response.is_redirect:
            raise requests.HTTPError("redirected", response=response)
        response.raise_for_status()
        return response


def _registration_error(
    cause: BaseException | None, host: str, timeout: float
) -> ChannelError:
    """What an app registration that failed with ``cause`` means, in words
    for the person connecting."""
    response = getattr(cause, "response", None)
    if isinstance(cause, requests.HTTPError) and response is not None:
        status = response.status_code
        if response.is_redirect:
            elsewhere = urlsplit(response.headers.get("Location", "")).netloc
            where = f" ({elsewhere})" if elsewhere and elsewhere != host else ""
            return RejectedError(
                f"{host} sends app registrations elsewhere{where}: give the "
                "address of the Mastodon server itself.",
                status=status,
            )
        if status in (404, 405, 410):
            return RejectedError(
                f"{host} does not look like a Mastodon server: it has no app "
                f"registration (HTTP {status}).",
                status=status,
            )
        if status == 429:
            return RateLimitedError(
                f"{host} asks us to wait before registering the app.",
                retry_at=retry_after(response.headers),
                status=status,
            )
        if status >= 500:
            return TemporaryError(
                f"{host} failed to register the app (HTTP {status}); try again "
                "later.",
                status=status,
            )
        try:
            words = response.json().get("error")
        except (ValueError, AttributeError):
            words = None
        if not isinstance(words, str) or not words:
            # Mastodon gives its reason as {"error": "..."}; anything else
            # is some other server's answer.
            return RejectedError(
                f"{host} does not look like a Mastodon server: it refused the "
                f"app registration in words that are not Mastodon's (HTTP {status}).",
                status=status,
            )
        return RejectedError(
            f"{host} refused to register the app: {words}", status=status, body=words
        )
    if isinstance(cause, ValueError):  # not JSON
        return RejectedError(
            f"{host} does not look like a Mastodon server: its answer was not "
            "Mastodon's."
        )
    if isinstance(cause, requests.Timeout):
        return TemporaryError(f"{host} did not answer in {timeout:g}s.")
    return TemporaryError(
        f"Could not reach {host}: check the address, or try again later."
    )


def _created(status: Mapping[str, Any]) -> datetime:
    value = status.get("created_at")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return parse_time(value, "Mastodon", "created_at")
