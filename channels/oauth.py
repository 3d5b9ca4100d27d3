"""OAuth 2.0 helpers for the adapters' connect flows (requests-oauthlib):
the client session, checking the callback, exchanging the code, turning a
token response into :class:`~channels.values.Credentials`, and reading the
address of the server a person connects on (:func:`server_address`)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from .errors import AuthError, TemporaryError
from .session import DEFAULT_TIMEOUT, USER_AGENT, TimeoutAdapter
from .values import Credentials

#: An account's full handle, ``@name@host``: the host is the server.
_FULL_HANDLE = re.compile(r"^@?[^@\s/]+@([^@\s/]+)$")


def allow_loopback_http(*urls: str) -> None:
    """Let oauthlib talk plain HTTP, but only to a loopback sandbox.

    oauthlib refuses any ``http://`` authorization or token URL. Development and
    tests point the channels at a local platform sandbox without TLS, so the
    check is relaxed when, and only when, every URL involved is loopback HTTP.
    A real platform (https) never turns this on.
    """
    if loopback_http(*urls):
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


def loopback_http(*urls: str) -> bool:
    """Whether every one of ``urls`` is plain HTTP to this machine (a sandbox)."""
    parts = [urlsplit(url) for url in urls if url]
    return bool(parts) and all(
        p.scheme == "http" and p.hostname in {"127.0.0.1", "localhost", "::1"}
        for p in parts
    )


def server_address(typed: str) -> str:
    """The address of a server (a Mastodon instance) as a person may type it:
    ``https://host[:port][/path]``, a bare host, or an account's full handle
    (``@council@host``); a profile's address loses its ``/@name``.

    Plain http is taken only to this machine (a sandbox), as
    :func:`allow_loopback_http` allows it. Raises ``ValueError`` saying, in
    plain words, what is wrong.
    """
    text = typed.strip()
    handle = _FULL_HANDLE.match(text)
    if handle:
        text = handle.group(1)
    if "://" not in text:
        text = f"https://{text}"
    example = "Give the server's address, such as mastodon.social."
    if "\\" in text or any(ord(c) < 33 for c in text):
        raise ValueError(f"That is not a web address. {example}")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(f"That is not a web address. {example}") from None
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
    ):
        raise ValueError(example)
    if parts.scheme == "http" and not loopback_http(text):
        raise ValueError("The address must start with https://.")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = f"{host}:{port}" if port else host
    path = parts.path.split("/@", 1)[0].rstrip("/")
    return urlunsplit((parts.scheme, netloc, path, "", ""))


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
