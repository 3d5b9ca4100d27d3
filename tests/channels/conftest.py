"""Helpers of the channel tests: each platform's settings pointed at the
sandbox, for the adapters' own tests and those that share a session."""

from __future__ import annotations

from typing import Any

from .contract import TIMEOUT


def bluesky_config(url: str, *, timeout: float = TIMEOUT, **options: Any) -> dict:
    """Bluesky's settings on the sandbox at ``url``."""
    return {
        "API_URL": f"{url}/bluesky",
        "WEB_URL": f"{url}/bluesky/web",
        "TIMEOUT": timeout,
        "OPTIONS": options,
    }


def mastodon_config(url: str, *, timeout: float = TIMEOUT, **options: Any) -> dict:
    """Mastodon's settings on the sandbox at ``url``, its app registered."""
    return {
        "API_URL": f"{url}/mastodon",
        "WEB_URL": f"{url}/mastodon",
        "CLIENT_ID": "sandbox-mastodon-client-id",
        "CLIENT_SECRET": "sandbox-mastodon-client-secret",
        "TIMEOUT": timeout,
        "OPTIONS": options,
    }
