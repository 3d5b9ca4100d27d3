"""The HTTP plumbing every adapter shares: one keep-alive ``requests`` session
per thread with a timeout and our User-Agent (and one ``httpx`` client per
thread for the SDKs built on httpx), the origin rewrite some clients need,
reading a JSON answer, and the log filter that keeps tokens out of logs."""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
from collections.abc import Callable
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import requests
from requests.adapters import HTTPAdapter

from .errors import TemporaryError

T = TypeVar("T")

USER_AGENT = "CouncilPublishing/1.0 (+https://github.com/council-publishing)"
DEFAULT_TIMEOUT = 10.0

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
    threads, but fine to reuse within one.

    A forked child (a Celery prefork pool process) starts with none: what the
    parent made holds the parent's sockets, which two processes must not share.
    """
    holder = {"local": threading.local()}
    os.register_at_fork(after_in_child=lambda: holder.update(local=threading.local()))

    @functools.wraps(build)
    def cached(*args: Any, **kwargs: Any) -> T:
        made: dict = holder["local"].__dict__.setdefault("made", {})
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


@per_thread
def shared_http_client(timeout: float) -> httpx.Client:
    """This thread's keep-alive ``httpx`` client for ``timeout``, for the SDKs
    built on httpx (atproto's, for Bluesky).

    As :func:`shared_session`: every adapter a thread builds shares it, so a
    delivery reuses the open connection, and no client is made per delivery
    (making one loads the CA bundle, about 25 ms of CPU). Nothing
    account-specific lives on it: the SDK sends its tokens on each request,
    and cookies are refused. One per thread: callers must never hand it to
    another thread, nor close it.
    """
    return httpx.Client(
        follow_redirects=True,
        timeout=timeout,
        cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
    )


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
