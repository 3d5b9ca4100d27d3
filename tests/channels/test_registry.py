"""The explicit adapter registry, read from settings.SOCIAL_CHANNELS."""

from __future__ import annotations

import pytest

from channels import registry
from channels.base import Credentials
from channels.errors import ConfigurationError
from channels.facebook import FacebookAdapter
from channels.x import XAdapter
from channels.youtube import YouTubeAdapter


@pytest.fixture
def without_backends(settings):
    settings.SOCIAL_CHANNELS = {
        name: {key: value for key, value in conf.items() if key != "BACKEND"}
        for name, conf in settings.SOCIAL_CHANNELS.items()
    }
    return settings


def test_builtin_adapters_need_no_backend_setting(without_backends):
    assert registry.get("facebook") is FacebookAdapter
    assert registry.get("x") is XAdapter
    assert registry.get("youtube") is YouTubeAdapter
    assert registry.as_choices() == [
        ("facebook", "Facebook"),
        ("x", "X"),
        ("youtube", "YouTube"),
    ]


def test_an_unconfigured_channel_is_a_configuration_error(settings):
    with pytest.raises(ConfigurationError, match="not configured"):
        registry.get("mastodon")


def test_build_configures_the_adapter_from_settings(settings):
    adapter = registry.build("x", Credentials("3000000001", "token"))

    assert isinstance(adapter, XAdapter)
    assert adapter.api_url == settings.SOCIAL_CHANNELS["x"]["API_URL"].rstrip("/")
    assert adapter.timeout == float(settings.SOCIAL_CHANNELS["x"]["TIMEOUT"])
