"""The one interface every platform adapter implements.

An adapter is built for one connected account (its :class:`Credentials`) and one
channel configuration (a dict from ``settings.SOCIAL_CHANNELS``). It speaks HTTP to
the platform and nothing else: it knows no Wagtail page, no Celery and no database.
Whatever goes wrong is raised as one of :mod:`channels.errors`.

Subclasses set the identity and capability class attributes and fill in the
``_publish``/``_update``/... steps; the base class owns the plumbing: the HTTP
session with its timeout and User-Agent, error classification and the
"refresh the token once, then give up" rule.

The base also maps HTTP failures to errors once for every platform
(:meth:`ChannelAdapter.status_error`) and treats a post that is already gone as
retracted; adapters override only their platform's quirks.

The values adapters take and return live in :mod:`channels.values`, the HTTP
session in :mod:`channels.session`, the OAuth helpers in :mod:`channels.oauth`
and the feed-reading helpers in :mod:`channels.search`; the names the
publishing service uses are re-exported here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

import requests

from .compose import DEFAULT_TEMPLATE
from .errors import (
    AuthError,
    ChannelError,
    ConfigurationError,
    RateLimitedError,
    RejectedError,
    TemporaryError,
    retry_after,
)
from .search import CLOCK_SKEW, MAX_SCAN
from .session import DEFAULT_TIMEOUT, shared_session
from .values import (
    AppRegistration,
    ConnectedAccount,
    Credentials,
    FeedItem,
    Metrics,
    Post,
    PostResult,
)

__all__ = [
    "ChannelAdapter",
    "Credentials",
    "PostResult",
    "SessionSaver",
    "TokenRefresher",
    "TokenSaver",
]

T = TypeVar("T")

TokenSaver = Callable[[Credentials], None]
#: Keeps an upload session's address (it can carry credentials: store it
#: encrypted) before any byte is sent; see :meth:`ChannelAdapter.publish`.
SessionSaver = Callable[[str], None]
#: Coordinates a refresh for the caller (e.g. under a database lock, so two
#: workers never spend the same rotating refresh token); returns the tokens to use.
TokenRefresher = Callable[["ChannelAdapter"], Credentials]


class ChannelAdapter:
    """Base class of the platform adapters.

    Class attributes describe the platform; instances talk to it for one account.
    Every public method raises only :class:`channels.errors.ChannelError`
    subclasses:

    * ``AuthError`` once a token refresh has been tried and did not help;
    * ``RejectedError`` for content the platform refuses (final);
    * ``RateLimitedError`` with ``retry_at`` when the platform says when;
    * ``TemporaryError`` for 5xx, timeouts and dropped connections.
    """

    id: ClassVar[str]
    name: ClassVar[str]
    max_text_length: ClassVar[int]
    #: How the platform counts, for the editor's counter ({limit} is filled in).
    counting_rule: ClassVar[str] = "Up to {limit:,} characters."
    #: ``update`` changes the post in place; when False it leaves it as it is.
    supports_update: ClassVar[bool] = True
    #: Posts carry the page's images (YouTube posts a video instead).
    supports_images: ClassVar[bool] = True
    requires_video: ClassVar[bool] = False
    #: The message template a site uses for this platform until it sets its own.
    default_template: ClassVar[str] = DEFAULT_TEMPLATE
    #: The client library refreshes an expired token by itself (google-auth does
    #: on a 401), so the base class must not try a second time.
    refreshes_itself: ClassVar[bool] = False
    #: Where people see posts; ``WEB_URL`` overrides it (the sandbox's pages).
    default_web_url: ClassVar[str] = ""
    #: What the client library raises when the platform does not answer in time,
    #: and when the connection fails: both are worth trying again.
    timeout_errors: ClassVar[tuple[type[Exception], ...]] = (requests.Timeout,)
    connection_errors: ClassVar[tuple[type[Exception], ...]] = (
        requests.ConnectionError,
    )
    #: Time-bounded searches: the margin before ``since`` and the cap on posts read.
    clock_skew: ClassVar[timedelta] = CLOCK_SKEW
    max_scan: ClassVar[int] = MAX_SCAN
    #: How a person connects an account: ``"oauth"`` on the platform's consent
    #: page (:meth:`begin_connect`, :meth:`complete_connect`), or
    #: ``"app_password"`` with a handle and an app password typed into the
    #: admin (:meth:`connect_with_app_password`).
    connects_with: ClassVar[str] = "oauth"
    #: What the connect form says of the platform's own part (where it makes
    #: app passwords).
    connect_help: ClassVar[str] = ""
    #: Accounts live on servers of their own (Mastodon instances): the person
    #: names the server when connecting, the council's app is registered there
    #: (:meth:`register_app`) and the account keeps it
    #: (``Credentials.extra["instance_url"]``, see :meth:`instance_of`).
    chooses_instance: ClassVar[bool] = False

    def __init__(
        self,
        config: Mapping[str, Any],
        credentials: Credentials,
        *,
        on_token_refresh: TokenSaver | None = None,
        token_refresher: TokenRefresher | None = None,
    ) -> None:
        if not config.get("API_URL"):
            raise ConfigurationError(f"{self.name}: API_URL is not configured.")
        self.config = config
        self.options: Mapping[str, Any] = config.get("OPTIONS", {})
        self.web_url = self.account_web_url(config, credentials.extra)
        self.timeout = float(config.get("TIMEOUT", DEFAULT_TIMEOUT))
        self.credentials = credentials
        self.on_token_refresh = on_token_refresh
        self.token_refresher = token_refresher
        self.session = shared_session(self.timeout)

    @property
    def api_url(self) -> str:
        return str(self.config["API_URL"]).rstrip("/")

    @property
    def updates_by_reposting(self) -> bool:
        """Whether an edited page changes this channel's post by taking it down
        and posting anew. The caller does the two steps (:meth:`retract`, then
        :meth:`publish`), so that the new post, like any first post, is sent
        exactly once; :meth:`update` is then not called."""
        return False

    def option(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        """A policy from ``OPTIONS``, refused early when it is not one we know."""
        value = str(self.options.get(name, default))
        if value not in choices:
            raise ConfigurationError(f"{self.name}: unknown {name} {value!r}.")
        return value

    # Public contract ---------------------------------------------------------------

    def publish(
        self, post: Post, *, on_upload_session: SessionSaver | None = None
    ) -> PostResult:
        """Create the post. Raises ``RejectedError`` for content problems.

        A platform that takes media in a resumable session (YouTube) calls
        ``on_upload_session`` with the session's address once it is open and
        before any byte of the file goes: an attempt whose answer is lost can
        then be settled by :meth:`resume_upload`, where a search of the
        account's posts may miss a post that exists.
        """
        return self._call(lambda: self._publish(post, on_upload_session))

    def resume_upload(
        self, session_uri: str, post: Post, *, finish: bool = True
    ) -> PostResult | None:
        """Settle an attempt that opened the upload session ``session_uri`` and
        left no answer: the session is asked how far the upload got. A finished
        upload gives its post; an unfinished one is finished from the last byte
        the platform confirmed, if ``finish`` (``post`` must then carry the
        file that attempt sent). ``None`` when the session has expired (or the
        platform has no sessions), or is unfinished and not to be finished:
        then only :meth:`find_by_marker` can tell.
        """
        return None

    def update(self, remote_id: str, post: Post) -> PostResult:
        """Change a published post's text or metadata in place."""
        return self._call(lambda: self._update(remote_id, post))

    def retract(self, remote_id: str) -> None:
        """Delete or hide the post, following the channel's retract policy.

        A post that is already gone counts as retracted (see :meth:`is_gone`):
        a retry after a lost answer, or a person who deleted it by hand first.
        """
        try:
            self._call(lambda: self._retract(remote_id))
        except RejectedError as error:
            if not self.is_gone(error):
                raise

    def find_by_marker(
        self, marker: str, *, limit: int = 50, since: datetime | None = None
    ) -> PostResult | None:
        """Look among the account's posts for the newest one carrying ``marker``.

        Used before retrying a publish whose outcome is unknown, so that a post
        created by a lost request is adopted instead of created twice.

        Without ``since``, the newest ``limit`` posts are searched. With
        ``since`` (an aware datetime, such as when the work was queued) every
        post the account made from ``since`` minus :data:`CLOCK_SKEW` onwards is
        searched, page after page however many there are, and ``limit`` is
        ignored; only the safety cap :data:`MAX_SCAN` bounds it. Reaching the cap
        raises ``RejectedError``: the row fails for a person to check, rather
        than being sent again unchecked.
        """
        if since is None:
            return self._call(lambda: self._find_by_marker(marker, limit, None))
        if since.tzinfo is None:
            raise ValueError("find_by_marker needs an aware datetime for since.")
        # Whole seconds: Facebook and YouTube give post times to the second.
        cutoff = (since - self.clock_skew).astimezone(UTC).replace(microsecond=0)
        return self._call(lambda: self._find_by_marker(marker, self.max_scan, cutoff))

    def recent_posts(self, limit: int = 10) -> list[FeedItem]:
        """The account's latest posts, newest first, for the public feeds."""
        return self._call(lambda: self._recent_posts(limit))

    def metrics(self, remote_id: str) -> Metrics:
        """Likes, shares, comments and views where the platform offers them."""
        return self._call(lambda: self._metrics(remote_id))

    def processing_outcome(self, remote_id: str) -> str:
        """How the platform's processing of the post ``remote_id`` (one whose
        :class:`PostResult` said ``"processing"``) has gone: ``"processed"``,
        or ``"processing"`` while it goes on (ask again later).

        Raises ``RejectedError`` with the platform's reason, in words, when it
        refused the post after making it (YouTube rejects a video, or fails to
        process it, after the upload) or the post is gone; the other errors as
        any call. A platform that does not process posts answers
        ``"processed"`` without a call.
        """
        return self._call(lambda: self._processing_outcome(remote_id))

    @classmethod
    def warm_up(cls, config: Mapping[str, Any]) -> None:
        """Do the one-off work of a first call ahead of time (a worker calls
        this before it forks its pool, so every pool process starts warm)."""

    @classmethod
    def validate(cls, post: Post) -> list[str]:
        """Problems the platform would reject, in words an editor understands.

        A class method: the checks depend on the post and the platform's fixed
        limits only, so they need no account, client or network, and
        ``registry.get(platform).validate(post)`` works as well as
        ``adapter.validate(post)``.
        """
        return []

    @classmethod
    def counting_rule_text(cls) -> str:
        """:attr:`counting_rule` with the platform's limit filled in, as the
        editor's counter, the approval screen and the settings say it."""
        return cls.counting_rule.format(limit=cls.max_text_length)

    @classmethod
    def text_length(cls, text: str) -> int:
        """``text``'s length as the platform counts it against ``max_text_length``."""
        return len(text)

    @classmethod
    def fit_text(cls, text: str, link: str) -> str:
        """``text`` as it will be sent: a platform that shortens over-long text
        to fit (X) does it here, keeping ``link``. Raises ``ValueError`` when it
        cannot fit. The default sends the text as it is."""
        return text

    #: How :meth:`fit_text` measures a text against ``max_text_length``, for a
    #: platform that shortens text to fit; ``None`` for one that sends it as
    #: it is. (Bluesky fits by a measure of its own, not :meth:`text_length`.)
    fit_measure: ClassVar[Callable[[str], int] | None] = None

    @classmethod
    def link_problems(cls, post: Post) -> list[str]:
        """Why :meth:`fit_text` cannot fit ``post``'s text around its link, or
        nothing. Fitting fails only when the link alone is over the limit, so
        the link is measured first, and the text is fitted only then: every
        post is checked, and the link is quicker to measure than the text."""
        measure = cls.fit_measure
        if measure is None or measure(post.link) <= cls.max_text_length:
            return []
        try:
            cls.fit_text(post.text, post.link)
        except ValueError:
            return [
                f"The link is too long for {cls.name}'s {cls.max_text_length} "
                "characters."
            ]
        return []

    @classmethod
    def profile_path(
        cls, remote_id: str, display_name: str, extra: Mapping[str, str]
    ) -> str:
        """The path of an account's public page under the platform's web URL."""
        return quote(remote_id)

    def refresh(self) -> Credentials:
        """Get fresh tokens. Raises ``AuthError`` when the account must reconnect."""
        raise AuthError(f"{self.name} tokens cannot be refreshed; please reconnect.")

    # Connecting an account, no request or session objects involved -----------------

    @classmethod
    def begin_connect(
        cls, config: Mapping[str, Any], redirect_uri: str, state: str
    ) -> tuple[str, str]:
        """Start an OAuth flow.

        Returns the platform's authorization URL to send the browser to and a
        PKCE code verifier ("" when the platform does not use PKCE). The caller
        keeps ``state`` and the verifier in the user's session.
        """
        raise NotImplementedError

    @classmethod
    def complete_connect(
        cls,
        config: Mapping[str, Any],
        redirect_uri: str,
        params: Mapping[str, str],
        state: str,
        code_verifier: str,
    ) -> list[ConnectedAccount]:
        """Finish an OAuth flow from the callback's query ``params``.

        Returns the accounts the user can publish to, with long-lived tokens.
        Raises ``AuthError`` when the state does not match (checked first), the
        user refused, or the code or verifier is not accepted.
        """
        raise NotImplementedError

    @classmethod
    def connect_with_app_password(
        cls, config: Mapping[str, Any], identifier: str, app_password: str
    ) -> list[ConnectedAccount]:
        """Sign in with an account's handle (or email) and an app password, on
        a platform that ``connects_with = "app_password"``.

        The password is spent on a session and never kept: the session's
        tokens are what the caller stores. Raises ``AuthError`` for a wrong
        handle or password, ``TemporaryError`` or ``RateLimitedError`` when
        the platform does not answer or asks us to wait.
        """
        raise NotImplementedError

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
        """Register the council's app, called ``name``, on the server at
        ``instance_url``, sending people back to ``redirect_uri`` (a platform
        that ``chooses_instance``).

        Raises ``TemporaryError`` when the server cannot be reached or fails,
        ``RateLimitedError`` when it asks us to wait, and ``RejectedError``
        when it is not such a server or refuses the app.
        """
        raise NotImplementedError

    @classmethod
    def on_instance(
        cls,
        config: Mapping[str, Any],
        instance_url: str,
        app: AppRegistration | None = None,
    ) -> dict[str, Any]:
        """``config`` for the server at ``instance_url``, with the app
        registered there (``None``: the configured one): what
        :meth:`begin_connect` and :meth:`complete_connect` take to connect an
        account on that server."""
        changed: dict[str, Any] = {"API_URL": instance_url}
        if app is not None:
            changed |= {"CLIENT_ID": app.client_id, "CLIENT_SECRET": app.client_secret}
        return {**config, **changed}

    @classmethod
    def instance_of(cls, config: Mapping[str, Any], extra: Mapping[str, str]) -> str:
        """The server an account lives on: the one it was connected on, else
        the configured one."""
        return str(extra.get("instance_url") or config["API_URL"]).rstrip("/")

    @classmethod
    def account_web_url(
        cls, config: Mapping[str, Any], extra: Mapping[str, str]
    ) -> str:
        """Where people see the account's posts and profile: ``WEB_URL`` or
        the platform's own site."""
        return str(config.get("WEB_URL") or cls.default_web_url).rstrip("/")

    # Steps for subclasses ------------------------------------------------------------

    def _publish(
        self, post: Post, on_upload_session: SessionSaver | None
    ) -> PostResult:
        raise NotImplementedError

    def _update(self, remote_id: str, post: Post) -> PostResult:
        raise NotImplementedError

    def _retract(self, remote_id: str) -> None:
        raise NotImplementedError

    def _find_by_marker(
        self, marker: str, limit: int, since: datetime | None
    ) -> PostResult | None:
        """Search at most ``limit`` posts, newest first, none created before
        ``since`` (already widened by the clock-skew margin) when it is given."""
        raise NotImplementedError

    def _recent_posts(self, limit: int) -> list[FeedItem]:
        raise NotImplementedError

    def _metrics(self, remote_id: str) -> Metrics:
        return Metrics()

    def _processing_outcome(self, remote_id: str) -> str:
        return "processed"

    def classify_error(self, exc: Exception) -> ChannelError | None:
        """Turn a client library's exception into a ``ChannelError``.

        Handles what every platform shares: timeouts, dropped connections and
        unreadable answers are temporary; a media file that cannot be read is a
        rejection. An adapter maps its client's HTTP errors through
        :meth:`status_error` and returns ``super().classify_error(exc)`` for the
        rest. Return ``None`` for exceptions that are not the platform's doing
        (bugs), which then propagate unchanged.
        """
        if isinstance(exc, self.timeout_errors):
            return TemporaryError(f"{self.name} did not answer in {self.timeout:g}s.")
        if isinstance(exc, self.connection_errors):
            return TemporaryError(f"Lost the connection to {self.name}.")
        if isinstance(exc, json.JSONDecodeError | requests.JSONDecodeError):
            # An HTML error page or a body cut short: a proxy or an overloaded
            # platform, worth trying again.
            return TemporaryError(
                f"{self.name} sent an unreadable answer (not JSON or cut short)."
            )
        if isinstance(exc, FileNotFoundError | IsADirectoryError | PermissionError):
            # A media file deleted or moved after the page was published: sending
            # again cannot help, and sending without it would drop it unseen.
            name = Path(exc.filename).name if exc.filename else "a media file"
            return RejectedError(
                f"The file {name} that this post carries cannot be read, so it was "
                f"not sent to {self.name}. Upload it again, then publish the page "
                "again."
            )
        return None

    def status_error(
        self,
        status: int,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        code: str | int | None = None,
        subcode: int | None = None,
        body: str | bytes | None = None,
    ) -> ChannelError:
        """The error for an HTTP failure, by its status alone.

        401 is an auth error; 429 is rate limited, until :meth:`retry_at` reads
        from ``headers``; 5xx is temporary; anything else is a refusal. Adapters
        check their platform's own error codes first and come here for the rest.
        """
        info: dict[str, Any] = {
            "status": status,
            "code": code,
            "subcode": subcode,
            "body": body,
        }
        if status == 401:
            return AuthError(message, **info)
        if status == 429:
            return RateLimitedError(
                message, retry_at=self.retry_at(headers or {}), **info
            )
        if status >= 500:
            return TemporaryError(message, **info)
        return RejectedError(message, **info)

    def retry_at(self, headers: Mapping[str, str]) -> datetime | None:
        """When a rate-limited account may call again: the standard
        ``Retry-After`` header unless the platform has its own."""
        return retry_after(headers)

    def is_gone(self, error: RejectedError) -> bool:
        """Whether ``error`` says the post does not exist (any more): a 404
        unless the platform words it its own way."""
        return error.status == 404

    # Plumbing ------------------------------------------------------------------------

    def _call(self, operation: Callable[[], T]) -> T:
        """Run ``operation``; on an auth error refresh the token once and retry."""
        try:
            return self._classified(operation)
        except AuthError:
            if self.refreshes_itself or not self.credentials.refresh_token:
                raise
            if self.token_refresher is not None:
                refresher = self.token_refresher
                self.credentials = self._classified(lambda: refresher(self))
            else:
                self.credentials = self._classified(self.refresh)
                if self.on_token_refresh is not None:
                    self.on_token_refresh(self.credentials)
            return self._classified(operation)

    def _classified(self, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except ChannelError:
            raise
        except Exception as exc:
            error = self.classify_error(exc)
            if error is None:
                raise
            raise error from exc
