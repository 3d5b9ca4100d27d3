"""The demo council's social accounts, already connected to the platform sandbox.

The tokens are the sandbox's published demo grants (see sandbox/README.md): a
fresh or reset sandbox accepts them, and no real platform ever issued them. Each
account is recorded the way a comms manager's connect flow records it
(``channels.*.complete_connect`` and ``publishing.views.connecting``), so the
demo behaves like a real connection: the Page token never expires, the X and
Google access tokens expire and are refreshed with their refresh tokens (X's
rotate), and the comms user can disconnect and reconnect them to practise.

The values are the sandbox's own (``sandbox.seed``), so the two never drift
apart. Data and one check only; ``seed_demo`` creates the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sandbox import seed

# The platform sandbox's path for each platform's API (sandbox/README.md).
SANDBOX_PATHS = {
    "facebook": "/facebook",
    "x": "/x",
    "youtube": "/youtube",
    "bluesky": "/bluesky",
}


@dataclass(frozen=True)
class DemoAccount:
    platform: str
    remote_id: str
    display_name: str
    access_token: str
    refresh_token: str = ""
    #: Seconds the access token lives from when it was granted; None: never expires.
    lifetime: float | None = None
    scopes: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)


DEMO_ACCOUNTS = (
    # A Page token derived from a long-lived user token: no expiry, and the
    # connect flow records neither scopes nor a refresh token for it.
    DemoAccount(
        platform="facebook",
        remote_id=seed.FB_PAGE_COUNCIL,
        display_name="Exampleshire County Council",
        access_token=seed.DEMO_FB_PAGE_TOKEN,
    ),
    DemoAccount(
        platform="x",
        remote_id=seed.X_USER_ID,
        display_name=f"@{seed.X_USERNAME}",
        access_token=seed.DEMO_X_ACCESS_TOKEN,
        refresh_token=seed.DEMO_X_REFRESH_TOKEN,
        lifetime=seed.X_ACCESS_TTL,
        scopes=tuple(seed.DEMO_X_SCOPES),
        extra={"username": seed.X_USERNAME},
    ),
    DemoAccount(
        platform="youtube",
        remote_id=seed.YT_CHANNEL_ID,
        display_name="Exampleshire County Council",
        access_token=seed.DEMO_YT_ACCESS_TOKEN,
        refresh_token=seed.DEMO_YT_REFRESH_TOKEN,
        lifetime=seed.GOOGLE_ACCESS_TTL,
        scopes=tuple(seed.DEMO_YT_SCOPES),
    ),
    # An app password's session: the access token expires, the refresh token
    # rotates, as after connecting with a handle and app password.
    DemoAccount(
        platform="bluesky",
        remote_id=seed.BSKY_DID,
        display_name=f"@{seed.BSKY_HANDLE}",
        access_token=seed.DEMO_BSKY_ACCESS_TOKEN,
        refresh_token=seed.DEMO_BSKY_REFRESH_TOKEN,
        lifetime=seed.BSKY_ACCESS_TTL,
        scopes=tuple(seed.BSKY_SCOPES),
        extra={"handle": seed.BSKY_HANDLE},
    ),
)


def sandbox_url(channels: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The sandbox's base URL when every platform is configured to use it.

    True only when each platform's API and token URLs lie under the sandbox's
    path for that platform (``<base>/facebook``, ``<base>/x``, ``<base>/youtube``)
    on one common base, as the dev and test settings make them. Real platform URLs
    (graph.facebook.com, api.twitter.com, youtube.googleapis.com...) never do, so
    demo tokens are never stored for an installation that talks to the real ones.
    """
    base = None
    for platform, path in SANDBOX_PATHS.items():
        config = channels.get(platform) or {}
        api_url = str(config.get("API_URL") or "").rstrip("/")
        token_url = str(config.get("TOKEN_URL") or "")
        if not api_url.endswith(path):
            return None
        candidate = api_url[: -len(path)]
        if base is None:
            base = candidate
        if (
            candidate != base
            or urlsplit(base).scheme not in ("http", "https")
            or not urlsplit(base).netloc
            # Bluesky has no token endpoint: sessions come from its API.
            or ("TOKEN_URL" in config and not token_url.startswith(f"{base}{path}/"))
        ):
            return None
    return base
