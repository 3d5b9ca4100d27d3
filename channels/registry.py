"""The explicit list of channel adapters.

The built-in adapters are listed by name in :data:`BUILTIN` at the bottom, not
discovered by import side effects, so what is available is visible in one place.
They are imported on first use: an adapter module may then import anything in
``channels`` without a cycle.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .base import ChannelAdapter, TokenRefresher, TokenSaver
from .errors import ConfigurationError
from .values import Credentials

_adapters: dict[str, type[ChannelAdapter]] = {}


def register(adapter: type[ChannelAdapter]) -> type[ChannelAdapter]:
    _adapters[adapter.id] = adapter
    return adapter


def get(platform: str) -> type[ChannelAdapter]:
    """The adapter class for ``platform``, as configured in ``SOCIAL_CHANNELS``."""
    config = channel_config(platform)
    backend = config.get("BACKEND")
    if backend:
        return import_string(backend)
    if platform not in _adapters and platform in BUILTIN:
        register(import_string(BUILTIN[platform]))
    try:
        return _adapters[platform]
    except KeyError:
        raise ConfigurationError(f"No adapter registered for {platform!r}.") from None


def channel_config(platform: str) -> dict:
    try:
        return settings.SOCIAL_CHANNELS[platform]
    except KeyError:
        raise ConfigurationError(f"Channel {platform!r} is not configured.") from None


def warm_up() -> None:
    """Import every configured adapter and let each do its one-off set-up, so
    the first post a process sends costs no more than the rest."""
    for platform in platforms():
        get(platform).warm_up(channel_config(platform))


def platforms() -> list[str]:
    """The id of every configured channel, in the order of ``SOCIAL_CHANNELS``:
    the one list of platforms that everything else asks."""
    return list(settings.SOCIAL_CHANNELS)


def as_choices() -> list[tuple[str, str]]:
    """(id, name) pairs for every configured channel, for model and form
    fields (a callable ``choices``, so migrations never list platforms)."""
    return [(platform, get(platform).name) for platform in platforms()]


def display_name(platform: str) -> str:
    """The channel's name for people; its id when it is no longer configured
    (rows and accounts outlive a channel's settings)."""
    try:
        return get(platform).name
    except ConfigurationError:
        return platform


def build(
    platform: str,
    credentials: Credentials,
    *,
    on_token_refresh: TokenSaver | None = None,
    token_refresher: TokenRefresher | None = None,
) -> ChannelAdapter:
    """An adapter for one account, configured from settings."""
    adapter_class = get(platform)
    return adapter_class(
        channel_config(platform),
        credentials,
        on_token_refresh=on_token_refresh,
        token_refresher=token_refresher,
    )


# The adapters that ship with the project, imported lazily by get().
BUILTIN: dict[str, str] = {
    "facebook": "channels.facebook.FacebookAdapter",
    "x": "channels.x.XAdapter",
    "youtube": "channels.youtube.YouTubeAdapter",
    "mastodon": "channels.mastodon.MastodonAdapter",
    "bluesky": "channels.bluesky.BlueskyAdapter",
}
