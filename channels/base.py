"""The one interface every platform adapter implements.

An adapter is built for one connected account (its :class:`Credentials`) and one
channel configuration (a dict from ``settings.SOCIAL_CHANNELS``). It speaks HTTP to
the platform and nothing else: it knows no Wagtail page, no Celery and no database.
Whatever goes wrong is raised as one of :mod:`channels.errors`.

Subclasses set the identity and capability class attributes and fill in the
``_publish``/``_update``/... steps; the base class owns the plumbing: the HTTP
session with its timeout and User-Agent, error classification and the
"refresh the token once, then give up" rule.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import requests
from oauthlib.oauth2 import OAuth2Error
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth2Session

from .errors import (
    AuthError,
    ChannelError,
    ConfigurationError,
    RejectedError,
    TemporaryError,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

USER_AGENT = "CouncilPublishing/1.0 (+https://github.com/council-publishing)"
DEFAULT_TIMEOUT = 10.0
#: How far before ``since`` a time-bounded search still looks: the clocks of this
#: server, the database and the platform are never quite the same.
CLOCK_SKEW = timedelta(minutes=5)
#: The most posts one time-bounded search reads, a safety cap (20 pages of 100 on
#: Facebook and X, 40 of 50 on YouTube) far above what a council posts in a day.
MAX_SCAN = 2000


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
    state: str = "posted"  # or "processing" (e.g. a video still being encoded)


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


TokenSaver = Callable[[Credentials], None]
#: Coordinates a refresh for the caller (e.g. under a database lock, so two
#: workers never spend the same rotating refresh token); returns the tokens to use.
TokenRefresher = Callable[["ChannelAdapter"], Credentials]


# Shared plumbing -------------------------------------------------------------------

_SECRET_PATTERNS = (
    re.compile(r"(?i)\b((?:Bearer|OAuth|Basic)\s+)[^\s'\",}]+"),
    re.compile(
        r"(?i)\b((?:access_token|refresh_token|input_token|fb_exchange_token|"
        r"client_secret|code|code_verifier)=)[^&\s'\"]+"
    ),
    re.compile(
        r"(?i)([\"'](?:access_token|refresh_token|client_secret)[\"']\s*:\s*)"
        r"[\"'][^\"']*[\"']"
    ),
)


class RedactSecrets(logging.Filter):
    """Rewrites log records of HTTP libraries so no token reaches a log.

    tweepy and requests-oauthlib dump request headers and token responses at
    DEBUG level, and urllib3 logs query strings; this filter masks them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = message
        for pattern in _SECRET_PATTERNS:
            masked = pattern.sub(r"\1<hidden>", masked)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


for _logger in (
    "tweepy.client",
    "requests_oauthlib.oauth2_session",
    "urllib3.connectionpool",
    "googleapiclient.http",
):
    logging.getLogger(_logger).addFilter(RedactSecrets())


class TimeoutAdapter(HTTPAdapter):
    """A transport that gives every request a timeout and may rewrite its origin.

    Some clients (tweepy's ``Client``) take no timeout and hard-code the
    platform's host; mounting this adapter on their session fixes both.
    """

    def __init__(
        self, timeout: float, *, rewrite: tuple[str, str] | None = None
    ) -> None:
        super().__init__()
        self.timeout = timeout
        self.rewrite = rewrite

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        if self.rewrite and request.url and request.url.startswith(self.rewrite[0]):
            request.url = self.rewrite[1] + request.url[len(self.rewrite[0]) :]
        return super().send(request, **kwargs)


class PlatformSession(requests.Session):
    """A ``requests.Session`` that reads the environment once per origin.

    Left to itself, requests looks up the proxy variables (``HTTPS_PROXY``,
    ``NO_PROXY`` and the rest), the CA bundle variables and ``~/.netrc`` again
    on every call: about a quarter of the CPU a call costs the worker. This
    session applies the same proxy and CA bundle settings, read once per origin
    for the life of the process, and never takes credentials from
    ``~/.netrc``: an entry there for a platform's host would replace the token
    the adapter sends.
    """

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False  # the environment is applied below instead
        self.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE")
            or os.environ.get("CURL_CA_BUNDLE")
            or True
        )
        self._proxies_by_origin: dict[str, dict[str, str]] = {}

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("proxies") is None:
            kwargs["proxies"] = self.environment_proxies(url)
        return super().request(method, url, *args, **kwargs)

    def environment_proxies(self, url: str) -> dict[str, str]:
        """The proxies the environment gives ``url``'s origin (none if
        ``NO_PROXY`` covers it), as requests itself would choose them."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._proxies_by_origin:
            found = requests.utils.get_environ_proxies(url)
            self._proxies_by_origin[origin] = found
        return self._proxies_by_origin[origin]


def per_thread(build: Callable[..., T]) -> Callable[..., T]:
    """Memoise ``build`` for each thread and each set of (hashable) arguments:
    for client objects that are costly to make and not safe to share between
    threads, but fine to reuse within one."""
    local = threading.local()

    @functools.wraps(build)
    def cached(*args: Any, **kwargs: Any) -> T:
        made: dict = local.__dict__.setdefault("made", {})
        key = (args, tuple(sorted(kwargs.items())))
        if key not in made:
            made[key] = build(*args, **kwargs)
        return made[key]

    return cached


@per_thread
def shared_session(
    timeout: float, rewrite: tuple[str, str] | None = None
) -> requests.Session:
    """This thread's keep-alive session for ``timeout`` (and origin ``rewrite``).

    Every adapter a thread builds shares it, so a worker's next delivery reuses
    the open connection instead of connecting (and, against the real platforms,
    negotiating TLS) again. Nothing account-specific lives on it: tokens travel
    on each request, and cookies are refused, so no account's cookie can ride
    along with another's request. One per thread, as a ``requests.Session`` is
    not safe to share between threads.
    """
    session = PlatformSession()
    session.headers["User-Agent"] = USER_AGENT
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    # requests has no session-wide timeout: the transport adds one to every call.
    for prefix in ("http://", "https://"):
        session.mount(prefix, TimeoutAdapter(timeout))
    if rewrite:
        session.mount(rewrite[0], TimeoutAdapter(timeout, rewrite=rewrite))
    return session


def json_body(response: requests.Response, platform: str) -> Any:
    """The response's JSON; a TemporaryError when it is cut short or not JSON.

    An HTML error page or a truncated body usually comes from a proxy or an
    overloaded platform, so it is worth retrying.
    """
    if response.status_code == 204 or not response.content:
        return {}
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        raise TemporaryError(
            f"{platform} sent an unreadable answer (HTTP {response.status_code}, "
            f"not JSON or cut short).",
            status=response.status_code,
            body=response.content,
        ) from None


def contains_marker(text: str | None, marker: str) -> bool:
    """Whether ``text`` carries ``marker`` as a whole URL or URL prefix.

    ``https://x.gov.uk/news/a/`` matches itself followed by a query or fragment
    (UTM tags) but not ``https://x.gov.uk/news/a/b/``.
    """
    if not text or not marker:
        return False
    pattern = re.escape(marker.rstrip("/")) + r"/?(?=$|[?#\s)\]\"'<>,;!]|\.(?!\w))"
    return re.search(pattern, text) is not None


def retry_after(headers: Mapping[str, str]) -> datetime | None:
    """When to retry according to a standard ``Retry-After`` header."""
    value = headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return datetime.now(UTC) + timedelta(seconds=int(value))
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def parse_time(value: str | None) -> datetime:
    """A platform timestamp (ISO 8601, "Z" or "+0000") as an aware datetime."""
    if not value:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def newest_first(
    items: Iterable[T],
    *,
    limit: int,
    since: datetime | None,
    created: Callable[[T], datetime],
) -> Iterator[T]:
    """``items`` (newest first) up to ``limit`` of them, stopping at the first one
    created before ``since``.

    ``items`` is usually a generator fetching page after page; stopping here
    means no further page is asked for.
    """
    for count, item in enumerate(items, start=1):
        if since is not None and created(item) < since:
            return
        yield item
        if count >= limit:
            if since is not None:
                # "Not found" would send the post again, perhaps a second time:
                # a person has to look instead.
                log.warning(
                    "Stopped a search back to %s after %d posts.",
                    since.isoformat(),
                    limit,
                )
                raise RejectedError(
                    f"Could not check whether an earlier attempt already posted "
                    f"this: the account has made over {limit} posts since. Look "
                    f"for it on the account, and retry only if it is not there."
                )
            return


def image_problems(
    images: tuple[Image, ...],
    *,
    platform: str,
    max_count: int,
    max_bytes: int,
    types: frozenset[str],
) -> list[str]:
    """Plain-words problems with a post's images against a platform's limits."""
    problems: list[str] = []
    if len(images) > max_count:
        problems.append(
            f"{platform} takes at most {max_count} image(s); "
            f"this page has {len(images)}."
        )
    for image in images:
        name = image.path.name
        if not image.alt_text.strip():
            problems.append(f"The image {name} has no alt text.")
        if image.content_type not in types:
            allowed = ", ".join(sorted(t.split("/")[1].upper() for t in types))
            problems.append(f"{platform} accepts {allowed} images; {name} is not one.")
        if not image.path.is_file():
            problems.append(f"The image file {name} is missing.")
        elif image.path.stat().st_size > max_bytes:
            problems.append(
                f"The image {name} is larger than {platform}'s limit of "
                f"{max_bytes // (1024 * 1024)} MB."
            )
    return problems


def allow_loopback_http(*urls: str) -> None:
    """Let oauthlib talk plain HTTP, but only to a loopback sandbox.

    oauthlib refuses any ``http://`` authorization or token URL. Development and
    tests point the channels at a local platform sandbox without TLS, so the
    check is relaxed when, and only when, every URL involved is loopback HTTP.
    A real platform (https) never turns this on.
    """
    parts = [urlsplit(url) for url in urls if url]
    if parts and all(
        p.scheme == "http" and p.hostname in {"127.0.0.1", "localhost", "::1"}
        for p in parts
    ):
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


def oauth_session(
    config: Mapping[str, Any],
    redirect_uri: str,
    *,
    state: str,
    scope: list[str] | None = None,
) -> OAuth2Session:
    """An OAuth 2.0 client session for a connect flow, with timeouts."""
    allow_loopback_http(config["AUTHORIZE_URL"], config["TOKEN_URL"])
    session = OAuth2Session(
        config["CLIENT_ID"], redirect_uri=redirect_uri, scope=scope, state=state
    )
    session.headers["User-Agent"] = USER_AGENT
    timeout = float(config.get("TIMEOUT", DEFAULT_TIMEOUT))
    for prefix in ("http://", "https://"):
        session.mount(prefix, TimeoutAdapter(timeout))
    return session


def fetch_token(
    session: OAuth2Session, config: Mapping[str, Any], platform: str, **kwargs: Any
) -> dict[str, Any]:
    """Exchange an authorization code; ``AuthError`` when the platform refuses."""
    try:
        return dict(session.fetch_token(config["TOKEN_URL"], **kwargs))
    except OAuth2Error as exc:
        reason = exc.description or exc.error
        raise AuthError(f"{platform} did not accept the sign-in: {reason}") from None
    except requests.RequestException:
        raise TemporaryError(f"{platform} did not answer the sign-in.") from None


def exchange_code(
    config: Mapping[str, Any],
    redirect_uri: str,
    params: Mapping[str, str],
    state: str,
    platform: str,
    **kwargs: Any,
) -> dict[str, Any]:
    """Check an OAuth callback (state first) and exchange its code for tokens."""
    code = check_callback(params, state, platform)
    session = oauth_session(config, redirect_uri, state=state)
    return fetch_token(session, config, platform, code=code, **kwargs)


def token_credentials(token: Mapping[str, Any], old: Credentials) -> Credentials:
    """``old`` with the tokens of an OAuth token response.

    Refresh tokens may rotate; when the response carries none, the old one is
    kept, so an account never ends up with an empty refresh token.
    """
    expires_in = token.get("expires_in")
    scope = token.get("scope") or ()
    return old.with_tokens(
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token") or old.refresh_token,
        expires_at=datetime.now(UTC) + timedelta(seconds=float(expires_in))
        if expires_in
        else None,
        scopes=tuple(scope.split() if isinstance(scope, str) else scope),
    )


def check_callback(params: Mapping[str, str], state: str, platform: str) -> str:
    """Validate an OAuth callback and return its authorization code.

    The state is compared first, so a forged callback is refused before its
    other parameters are believed.
    """
    if not state or params.get("state") != state:
        raise AuthError(f"{platform} connection refused: the state did not match.")
    if params.get("error"):
        if params["error"] == "access_denied":
            raise AuthError(f"{platform} access was not granted.")
        description = params.get("error_description") or params["error"]
        raise AuthError(f"{platform} connection failed: {description}")
    code = params.get("code")
    if not code:
        raise AuthError(f"{platform} did not return an authorization code.")
    return code


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
    supports_update: ClassVar[bool] = True
    supports_images: ClassVar[bool] = True
    requires_video: ClassVar[bool] = False
    #: The client library refreshes an expired token by itself (google-auth does
    #: on a 401), so the base class must not try a second time.
    refreshes_itself: ClassVar[bool] = False
    #: Where people see posts; ``WEB_URL`` overrides it (the sandbox's pages).
    default_web_url: ClassVar[str] = ""
    #: Time-bounded searches: the margin before ``since`` and the cap on posts read.
    clock_skew: ClassVar[timedelta] = CLOCK_SKEW
    max_scan: ClassVar[int] = MAX_SCAN

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
        self.web_url = str(config.get("WEB_URL") or self.default_web_url).rstrip("/")
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

    def publish(self, post: Post) -> PostResult:
        """Create the post. Raises ``RejectedError`` for content problems."""
        return self._call(lambda: self._publish(post))

    def update(self, remote_id: str, post: Post) -> PostResult:
        """Change a published post's text or metadata in place."""
        return self._call(lambda: self._update(remote_id, post))

    def retract(self, remote_id: str) -> None:
        """Delete or hide the post, following the channel's retract policy.

        A post that is already gone counts as retracted.
        """
        self._call(lambda: self._retract(remote_id))

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

    def refresh(self) -> Credentials:
        """Get fresh tokens. Raises ``AuthError`` when the account must reconnect."""
        raise AuthError(f"{self.name} tokens cannot be refreshed; please reconnect.")

    # Connecting an account (OAuth), no request or session objects involved --------

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

    # Steps for subclasses ------------------------------------------------------------

    def _publish(self, post: Post) -> PostResult:
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

    def classify_error(self, exc: Exception) -> ChannelError | None:
        """Turn a client library's exception into a ``ChannelError``.

        Return ``None`` for exceptions that are not the platform's doing (bugs),
        which then propagate unchanged.
        """
        if isinstance(exc, requests.Timeout):
            return TemporaryError(f"{self.name} did not answer in {self.timeout:g}s.")
        if isinstance(exc, requests.ConnectionError):
            return TemporaryError(f"Lost the connection to {self.name}.")
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
