"""Feed pictures: fetched only from the platforms' CDNs, however the answer
tries to aim the worker elsewhere. The CDN here is a real loopback server put
on the allow-list (as the sandbox is); what it redirects to is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings

from publishing import feeds
from publishing.fetching import FetchRefused, fetch_image, is_public

from .hostile_server import PICTURE, hostile_server, image, redirect


@pytest.fixture
def cdn(settings, tmp_path):
    """A hostile 'Facebook CDN' on the allow-list, and an inside service that
    is not; pictures are stored in a folder of the test's own.

    A picture is kept under a digest of its address, and a copy already kept is
    never fetched again. The CDN's port is the system's choice, and a later
    test (or run) may be given a port an earlier one had: sharing the media
    folder, it would find the earlier test's picture at its own address
    instead of asking its CDN."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with hostile_server() as cdn, hostile_server() as inside:
        settings.SANDBOX_HOSTS = [*django_settings.SANDBOX_HOSTS, cdn.netloc]
        channels = {**settings.SOCIAL_CHANNELS}
        channels["facebook"] = {**channels["facebook"], "MEDIA_HOSTS": [cdn.netloc]}
        settings.SOCIAL_CHANNELS = channels
        inside.routes["/secret.png"] = image()
        cdn.inside = inside
        yield cdn


def stored_pictures() -> set[Path]:
    folder = Path(django_settings.MEDIA_ROOT) / "feeds" / "facebook"
    return set(folder.glob("*")) if folder.exists() else set()


def test_a_picture_from_the_cdn_is_copied(cdn):
    cdn.routes["/p.png"] = image()

    src = feeds.download_image("facebook", f"{cdn.url}/p.png")

    assert src.startswith(django_settings.MEDIA_URL + "feeds/facebook/")
    path = Path(django_settings.MEDIA_ROOT) / src[len(django_settings.MEDIA_URL) :]
    assert path.read_bytes() == PICTURE


def test_a_redirect_to_another_loopback_service_is_not_followed(cdn):
    cdn.routes["/p.png"] = redirect(f"{cdn.inside.url}/secret.png")
    before = stored_pictures()

    assert feeds.download_image("facebook", f"{cdn.url}/p.png") == ""

    assert cdn.inside.seen == []
    assert stored_pictures() == before


def test_a_redirect_to_the_cloud_metadata_address_is_refused(cdn):
    cdn.routes["/p.png"] = redirect("http://169.254.169.254/latest/meta-data/")

    with pytest.raises(FetchRefused, match="169.254.169.254"):
        fetch_image("facebook", f"{cdn.url}/p.png")


def test_a_host_off_the_allow_list_is_not_asked(settings):
    with hostile_server() as elsewhere:
        elsewhere.routes["/p.png"] = image()
        settings.SANDBOX_HOSTS = [*django_settings.SANDBOX_HOSTS, elsewhere.netloc]

        assert feeds.download_image("facebook", f"{elsewhere.url}/p.png") == ""

        assert elsewhere.seen == []


def test_an_allowed_name_that_resolves_to_loopback_is_refused(settings):
    channels = {**settings.SOCIAL_CHANNELS}
    channels["x"] = {**channels["x"], "MEDIA_HOSTS": ["localhost"]}
    settings.SOCIAL_CHANNELS = channels

    with pytest.raises(FetchRefused, match="resolves to"):
        fetch_image("x", "https://localhost/p.png")


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "100.64.0.1",
     "::1", "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "0.0.0.0", "224.0.0.1"],  # noqa: S104
)  # fmt: skip
def test_inward_addresses_are_not_public(address):
    assert not is_public(address)


def test_a_public_address_is_public():
    assert is_public("157.240.1.35") and is_public("2a03:2880:f12f:83:face:b00c::25de")


def test_a_slow_picture_is_given_up_at_the_deadline(cdn, settings):
    """Each byte comes well within a read timeout; the whole would take 3.5 s."""
    settings.FEED_MEDIA_DEADLINE_SECONDS = 0.5
    cdn.routes["/slow.png"] = lambda handler: cdn.trickle(handler, PICTURE, 0.05)

    assert feeds.download_image("facebook", f"{cdn.url}/slow.png") == ""
    assert not cdn.finished.is_set()


def test_an_answer_that_is_not_an_image_is_refused(cdn):
    cdn.routes["/p.png"] = image(content_type="text/html")

    assert feeds.download_image("facebook", f"{cdn.url}/p.png") == ""


def test_a_picture_over_the_size_cap_is_refused(cdn, settings):
    settings.FEED_MEDIA_MAX_BYTES = len(PICTURE) - 1
    cdn.routes["/p.png"] = image()

    assert feeds.download_image("facebook", f"{cdn.url}/p.png") == ""


def test_the_environments_proxy_and_netrc_are_not_used(cdn, monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login council password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    cdn.routes["/p.png"] = image()

    assert feeds.download_image("facebook", f"{cdn.url}/p.png")

    ((_path, headers),) = cdn.seen
    assert "Authorization" not in headers
