"""Google API plumbing for the YouTube adapter: google-auth credentials and
their HTTP transport, the API client built from the bundled discovery document,
running a request, and the translation of whatever goes wrong into the channel
error hierarchy."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import google.oauth2.credentials
import google_auth_httplib2
import httplib2
from googleapiclient.discovery import Resource, build_from_document
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest, build_http

from .errors import (
    AuthError,
    ChannelError,
    RateLimitedError,
    TemporaryError,
    retry_after,
)
from .session import per_thread
from .values import Credentials

QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
THROTTLE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
PACIFIC = ZoneInfo("America/Los_Angeles")  # YouTube quotas reset at midnight here
GOOGLE_REFRESH_URL = "https://oauth2.googleapis.com/token"


# Credentials and transport -----------------------------------------------------------


def google_credentials(
    config: Mapping[str, Any], credentials: Credentials
) -> google.oauth2.credentials.Credentials:
    """google-auth credentials that can refresh themselves from ``config``."""
    expiry = credentials.expires_at
    return google.oauth2.credentials.Credentials(
        credentials.access_token,
        refresh_token=credentials.refresh_token or None,
        token_uri=config.get("TOKEN_URL") or GOOGLE_REFRESH_URL,
        client_id=config.get("CLIENT_ID"),
        client_secret=config.get("CLIENT_SECRET"),
        # google-auth compares naive UTC datetimes.
        expiry=expiry.astimezone(UTC).replace(tzinfo=None) if expiry else None,
    )


def authorized_http(
    google: google.oauth2.credentials.Credentials, timeout: float
) -> tuple[httplib2.Http, google_auth_httplib2.AuthorizedHttp]:
    """The plain transport (for token refreshes) and the authorised one.

    The plain transport is this thread's, shared by every adapter the thread
    builds, so its open connections serve the next delivery too (see
    ``channels.base.shared_session``). The credentials live on the authorised
    wrapper, one per adapter; httplib2 keeps no cookies.
    """
    plain = _shared_http(timeout)
    # google-auth refreshes and retries once by itself on a 401.
    authed = google_auth_httplib2.AuthorizedHttp(
        google, http=plain, max_refresh_attempts=1
    )
    return plain, authed


@per_thread
def _shared_http(timeout: float) -> httplib2.Http:
    # build_http() keeps 308 out of httplib2's redirects (resumable uploads).
    http = build_http()
    http.timeout = timeout
    return http


def synced(
    google: google.oauth2.credentials.Credentials, credentials: Credentials
) -> Credentials | None:
    """``credentials`` with the tokens google-auth refreshed by itself; ``None``
    when it has not refreshed them."""
    if not google.token or google.token == credentials.access_token:
        return None
    expiry = google.expiry
    return credentials.with_tokens(
        access_token=google.token,
        refresh_token=google.refresh_token or credentials.refresh_token,
        expires_at=expiry.replace(tzinfo=UTC) if expiry else None,
    )


# Requests and errors -----------------------------------------------------------------


def execute(request: HttpRequest) -> Any:
    """Run one API request (the adapter retries, never the client library).

    An error answer is raised as the library's ``HttpError``, for the adapter
    to classify (:func:`http_error`)."""
    body = request.execute(num_retries=0)
    # The client hands back the raw text when a body is not valid JSON.
    if isinstance(body, str) and body:
        raise TemporaryError("YouTube sent an unreadable answer (cut short?).")
    return body


def upload_pages(youtube: YouTubeClient, size: int) -> Iterator[dict[str, Any]]:
    """Every item of the signed-in channel's uploads playlist, newest first,
    fetched ``size`` at a time as they are consumed.

    The playlist takes no time filter: callers stop reading where they want.
    """
    channels = execute(youtube.channels().list(part="contentDetails", mine=True))
    if not channels.get("items"):
        return
    playlist = channels["items"][0]["contentDetails"]["relatedPlaylists"]["uploads"]
    token = None
    while True:
        page = execute(
            youtube.playlistItems().list(
                part="snippet,status",
                playlistId=playlist,
                maxResults=size,
                pageToken=token,
            )
        )
        yield from page.get("items", [])
        token = page.get("nextPageToken")
        if not token or not page.get("items"):
            return


#: What httplib2 raises for a platform that does not answer in time, and for a
#: connection that fails (the adapter's ``timeout_errors``/``connection_errors``).
TIMEOUT_ERRORS: tuple[type[Exception], ...] = (TimeoutError,)
CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    ConnectionError,
    http.client.HTTPException,
    httplib2.HttpLib2Error,
)


class StatusError(Protocol):
    """The adapter's shared mapping of an HTTP status (``status_error``)."""

    def __call__(
        self,
        status: int,
        message: str,
        *,
        headers: Mapping[str, str] | None = ...,
        code: str | int | None = ...,
        body: str | bytes | None = ...,
    ) -> ChannelError: ...


def http_error(exc: HttpError, by_status: StatusError) -> ChannelError:
    """The channel error for a Google API error response.

    YouTube's reason codes come first (quotas, throttling, auth answered with
    a 403); anything else goes by its HTTP status through ``by_status``.
    """
    status = int(exc.resp.status)
    try:
        error = json.loads(exc.content).get("error", {})
    except (ValueError, AttributeError):
        error = {}
    reasons = {e.get("reason") for e in error.get("errors", []) if isinstance(e, dict)}
    message = error.get("message") or f"YouTube answered HTTP {status}."
    info = {"status": status, "code": next(iter(reasons), None), "body": exc.content}
    if reasons & QUOTA_REASONS:
        return RateLimitedError(message, retry_at=_next_pacific_midnight(), **info)
    if "uploadLimitExceeded" in reasons:
        return RateLimitedError(
            message, retry_at=datetime.now(UTC) + timedelta(hours=24), **info
        )
    if reasons & THROTTLE_REASONS:
        return RateLimitedError(message, retry_at=retry_after(exc.resp), **info)
    if "authError" in reasons:
        return AuthError(message, **info)
    if "insufficientPermissions" in reasons:
        # The sign-in lacks a permission (a scope unticked at consent): not
        # the content's fault, and only connecting again can grant it.
        return AuthError(
            f"{message} The channel's connection lacks a permission YouTube "
            "needs for this; connect it again and allow everything asked.",
            **info,
        )
    return by_status(
        status, message, headers=exc.resp, code=info["code"], body=exc.content
    )


def _next_pacific_midnight() -> datetime:
    now = datetime.now(PACIFIC)
    midnight = datetime.combine(now.date() + timedelta(days=1), time(), PACIFIC)
    return midnight.astimezone(UTC)


# The API client --------------------------------------------------------------------


@lru_cache(maxsize=1)
def _bundled_document() -> str:
    documents = resources.files("googleapiclient.discovery_cache") / "documents"
    return (documents / "youtube.v3.json").read_text(encoding="utf-8")


def discovery_document(root_url: str) -> dict[str, Any]:
    """A freshly parsed copy of the bundled discovery document, aimed at
    ``root_url``."""
    document = json.loads(_bundled_document())
    document["rootUrl"] = document["baseUrl"] = root_url
    document.pop("mtlsRootUrl", None)  # a client certificate must never divert calls
    return document


def build_client(root_url: str, http: httplib2.Http | Any) -> YouTubeClient:
    """The YouTube Data API client for ``root_url``, sending through ``http``.

    Building the library's client and its resources (``videos()`` and the
    like) is costly: each resource writes out a description of every method,
    and the library builds a new one on every call. So each thread keeps one
    client per root URL, with its resources built once, and this returns a
    light view of it that sends every request it makes through ``http``, the
    calling adapter's own authorised transport.

    The shared parts stay within their thread: the library keeps references
    into the parsed discovery document and rewrites parts of it in place while
    it builds a resource, and two threads doing that at once could each see
    the other's half-made change.
    """
    return YouTubeClient(_thread_client(root_url), http)


class YouTubeClient:
    """The library's client as the adapters use it (``client.videos().insert(
    ...)`` builds a request), except that every request goes out through the
    adapter's transport rather than the shared client's."""

    def __init__(self, shared: _SharedClient, http: httplib2.Http | Any) -> None:
        self.shared = shared  # this thread's client, which the view shares
        self._http = http

    def __getattr__(self, name: str) -> Callable[[], _BoundResource]:
        if name.startswith("_"):
            raise AttributeError(name)
        resource = self.shared.resource(name)
        return lambda: _BoundResource(resource, self._http)


class _BoundResource:
    """One of the client's resources whose requests use a given transport."""

    def __init__(self, resource: Resource, http: httplib2.Http | Any) -> None:
        self._resource = resource
        self._http = http

    def __getattr__(self, name: str) -> Callable[..., HttpRequest]:
        if name.startswith("_"):
            raise AttributeError(name)
        method = getattr(self._resource, name)

        def build_request(*args: Any, **kwargs: Any) -> HttpRequest:
            request = method(*args, **kwargs)
            request.http = self._http  # the transport it will be sent through
            return request

        return build_request


class _NoTransport:
    """The shared client's own transport, which nothing may use: a request
    must go through the account's transport that the view gives it."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("A YouTube request was built without an account.")


class _SharedClient:
    """A thread's client for one root URL and the resources built from it."""

    def __init__(self, root_url: str) -> None:
        self.client = build_from_document(
            parsed_document(root_url), http=_NoTransport()
        )
        self.resources: dict[str, Resource] = {}

    def resource(self, name: str) -> Resource:
        if name not in self.resources:
            self.resources[name] = getattr(self.client, name)()
        return self.resources[name]


@per_thread
def _thread_client(root_url: str) -> _SharedClient:
    return _SharedClient(root_url)


#: The API resources the YouTube adapter uses.
ADAPTER_RESOURCES = ("videos", "captions", "channels", "playlistItems")


def warm_up_client(root_url: str) -> None:
    """Build this thread's client for ``root_url`` and the resources the adapter
    uses, so that a worker does it once before it forks its pool processes
    (each inherits them) rather than in every process on its first upload."""
    shared = _thread_client(root_url)
    for name in ADAPTER_RESOURCES:
        shared.resource(name)


@per_thread
def parsed_document(root_url: str) -> dict[str, Any]:
    """This thread's parsed discovery document for ``root_url`` (see
    :func:`build_client` for why it is per thread)."""
    return discovery_document(root_url)
