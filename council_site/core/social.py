"""Links to the council's accounts and videos on the platforms.

The site never loads a platform's widgets; it links out, and builds a video
player's address only when a visitor asks to play the video. In development
every channel's ``WEB_URL`` points at the local sandbox, so these links open
the sandbox's pages.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings

from channels import registry

YOUTUBE_HOSTS = ("youtube.com", "www.youtube.com")
#: YouTube's privacy-enhanced player: no cookies until the visitor plays.
NOCOOKIE_EMBED = "https://www.youtube-nocookie.com/embed/"
VIDEO_ID = re.compile(r"^[\w-]{1,64}$")


def web_url(platform: str) -> str:
    """Where people see the platform: ``WEB_URL`` or the adapter's default."""
    config = settings.SOCIAL_CHANNELS.get(platform, {})
    url = config.get("WEB_URL") or registry.get(platform).default_web_url
    return str(url).rstrip("/")


def profile_url(account) -> str:
    """The public page of a connected account, where its adapter says it is
    (a Mastodon account on another instance than the configured one is seen
    on its own instance)."""
    adapter_class = registry.get(account.platform)
    config = settings.SOCIAL_CHANNELS.get(account.platform, {})
    path = adapter_class.profile_path(
        account.remote_id, account.display_name, account.extra
    )
    return f"{adapter_class.account_web_url(config, account.extra)}/{path}"


def youtube_player_url(video_id: str) -> str:
    """The player to load once a visitor presses play ("" for a bad id).

    Against real YouTube this is the youtube-nocookie embed; when ``WEB_URL``
    is elsewhere (the sandbox) it is that site's page for the video.
    """
    if not VIDEO_ID.match(video_id or ""):
        return ""
    base = web_url("youtube")
    if urlsplit(base).hostname in YOUTUBE_HOSTS:
        return f"{NOCOOKIE_EMBED}{video_id}?autoplay=1"
    return f"{base}/watch?v={video_id}"


def youtube_player_origin() -> str:
    """The origin the player is framed from, for the Content-Security-Policy."""
    parts = urlsplit(youtube_player_url("x"))
    return f"{parts.scheme}://{parts.netloc}"
