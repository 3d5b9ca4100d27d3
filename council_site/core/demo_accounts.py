"""The demo council's social accounts, already connected to the platform sandbox.

The tokens are the sandbox's published demo grants (see sandbox/README.md): a
fresh or reset sandbox accepts them, and no real platform ever issued them. Each
account is recorded the way a comms manager's connect flow records it
(``channels.*.complete_connect`` and ``publishing.views.connecting``), so the
demo behaves like a real connection: the Page and Mastodon tokens never
expire, the X and Google access tokens expire and are refreshed with their
refresh tokens (X's rotate), and the comms user can disconnect and reconnect
them to practise.

The values are settings (``DEMO_SOCIAL_ACCOUNTS``): the app reaches the sandbox
only over HTTP and imports nothing of it, and a test checks that the two publish
the same grants. Data and one check only; ``seed_demo`` creates the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

# The platform sandbox's path for each platform's API (sandbox/README.md).
SANDBOX_PATHS = {
    "facebook": "/facebook",
    "x": "/x",
    "youtube": "/youtube",
    "mastodon": "/mastodon",
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


def demo_accounts() -> tuple[DemoAccount, ...]:
    """The demo accounts of ``settings.DEMO_SOCIAL_ACCOUNTS``, one per platform."""
    return tuple(
        DemoAccount(
            **{
                **entry,
                "scopes": tuple(entry.get("scopes", ())),
                "extra": dict(entry.get("extra", {})),
            }
        )
        for entry in settings.DEMO_SOCIAL_ACCOUNTS
    )


def sandbox_url(channels: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The sandbox's base URL when every platform is configured to use it.

    True only when each platform's API and token URLs lie under the sandbox's
    path for that platform (``<base>/facebook``, ``<base>/x``, ``<base>/youtube``,
    ``<base>/mastodon``) on one common base, as the dev and test settings make
    them. Real platform URLs (graph.facebook.com, api.twitter.com,
    youtube.googleapis.com...) never do, so demo tokens are never stored for an
    installation that talks to the real ones.
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
            # A platform that signs in on its API's own host (Mastodon) has no
            # separate token URL to check.
            or (token_url and not token_url.startswith(f"{base}{path}/"))
        ):
            return None
    return base
