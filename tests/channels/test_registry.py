"""The explicit adapter registry, read from settings.SOCIAL_CHANNELS."""

from __future__ import annotations

import pytest

from channels import registry
from channels.bluesky import BlueskyAdapter
from channels.errors import ConfigurationError
from channels.facebook import FacebookAdapter
from channels.mastodon import MastodonAdapter
from channels.values import Credentials
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
    assert registry.get("mastodon") is MastodonAdapter
    assert registry.get("bluesky") is BlueskyAdapter
    assert registry.as_choices() == [
        ("facebook", "Facebook"),
        ("x", "X"),
        ("youtube", "YouTube"),
        ("mastodon", "Mastodon"),
        ("bluesky", "Bluesky"),
    ]


def test_an_unconfigured_channel_is_a_configuration_error(settings):
    with pytest.raises(ConfigurationError, match="not configured"):
        registry.get("friendster")


def test_build_configures_the_adapter_from_settings(settings):
    adapter = registry.build("x", Credentials("3000000001", "token"))

    assert isinstance(adapter, XAdapter)
    assert adapter.api_url == settings.SOCIAL_CHANNELS["x"]["API_URL"].rstrip("/")
    assert adapter.timeout == float(settings.SOCIAL_CHANNELS["x"]["TIMEOUT"])


def test_warming_up_parses_youtubes_discovery_document_before_the_first_client(
    settings, monkeypatch
):
    import threading

    from channels import google_api

    parsed = []
    real_document = google_api.discovery_document

    def counting_document(root_url):
        parsed.append(root_url)
        return real_document(root_url)

    monkeypatch.setattr(google_api, "discovery_document", counting_document)
    api_url = str(settings.SOCIAL_CHANNELS["youtube"]["API_URL"]).rstrip("/") + "/"

    def in_a_new_worker_process():
        registry.warm_up()
        assert parsed == [api_url]
        warmed = google_api.build_client(api_url, http=None).shared
        assert set(warmed.resources) == set(google_api.ADAPTER_RESOURCES)
        built = dict(warmed.resources)

        adapter = registry.build(
            "youtube", Credentials(account_id="UCexample", access_token="token")
        )
        assert adapter.youtube.videos() is not None
        assert parsed == [api_url], "the client reused the warmed-up document"
        assert adapter.youtube.shared is warmed
        assert warmed.resources == built, "no resource was built again"

    # A fresh thread has parsed nothing yet, like a new worker process.
    failures = []
    thread = threading.Thread(
        target=lambda: _collect_failure(in_a_new_worker_process, failures)
    )
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def _collect_failure(steps, failures: list) -> None:
    try:
        steps()
    except BaseException as failure:  # noqa: BLE001 - re-raised in the test's thread
        failures.append(failure)


def test_warming_up_prepares_the_weighing_of_x_posts():
    from channels import x_text

    x_text._emoji_alphabet.cache_clear()
    registry.warm_up()

    assert x_text._emoji_alphabet.cache_info().currsize == 1
