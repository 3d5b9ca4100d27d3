"""Which addresses a platform may send us: the links we render and the pictures
we fetch.

A platform's answer is input like any other. A ``permalink_url`` of
``javascript:...`` or a picture at ``http://169.254.169.254/`` must not become
a link on our pages or a request from our workers, so every URL a platform
gives is checked here against its channel's allow-list in settings
(``SOCIAL_CHANNELS[platform]["LINK_HOSTS"]`` and ``["MEDIA_HOSTS"]``): https
on one of those hosts, or anything on one of ``SANDBOX_HOSTS`` (the local
sandbox, in development and tests only).
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from django.conf import settings

LINK_HOSTS = "LINK_HOSTS"
MEDIA_HOSTS = "MEDIA_HOSTS"


def allowed_url(platform: str, url: str, hosts: str = LINK_HOSTS) -> str:
    """``url`` if ``platform`` may send it (``hosts`` names the allow-list:
    :data:`LINK_HOSTS` or :data:`MEDIA_HOSTS`), else ""."""
    parts = _parts(url)
    if parts is None:
        return ""
    patterns = settings.SOCIAL_CHANNELS.get(platform, {}).get(hosts, [])
    if is_sandbox(parts):
        return url if parts.netloc in patterns else ""
    if parts.scheme != "https" or parts.port not in (None, 443):
        return ""
    return url if host_matches(parts.hostname or "", patterns) else ""


def is_sandbox(parts: SplitResult) -> bool:
    """Whether ``parts`` is on the local sandbox (never in production)."""
    return parts.scheme in {"http", "https"} and parts.netloc in settings.SANDBOX_HOSTS


def host_matches(hostname: str, patterns: list[str]) -> bool:
    """Whether ``hostname`` is one of ``patterns``; ``*.example.com`` takes
    every subdomain of example.com (not example.com itself)."""
    hostname = hostname.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern.startswith("*."):
            if hostname.endswith(pattern[1:]):
                return True
        elif hostname == pattern:
            return True
    return False


def _parts(url: str) -> SplitResult | None:
    # A backslash or a user name makes browsers and urlsplit disagree about
    # the host (https://evil.example\@x.com); such URLs are never genuine.
    if not url or "\\" in url or any(ord(c) < 33 for c in url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return None
    if parts.username is not None or not parts.hostname:
        return None
    return parts
