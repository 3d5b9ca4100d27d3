"""Connecting the platforms that ask for something first, in the admin: Bluesky
with a handle and an app password, Mastodon on the instance the account lives
on (with the council's app registered there). Against the sandbox."""

from __future__ import annotations

import copy
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.urls import reverse

from publishing.models import ChannelAccount, CrossPost, InstanceApp
from sandbox.seed import (
    BSKY_APP_PASSWORD,
    BSKY_DID,
    BSKY_HANDLE,
    MASTODON_ACCOUNT_ID,
    MASTODON_CLIENT_ID,
)

from .conftest import ACCOUNTS, consent, make_row, message_text

CONNECT_BLUESKY = reverse("publishing_admin:connect", args=["bluesky"])
CONNECT_MASTODON = reverse("publishing_admin:connect", args=["mastodon"])


@pytest.fixture
def comms(client, people):
    client.force_login(people["comms"])
    return people["comms"]


def row_of(account) -> str:
    """Every column of the account's row as stored, tokens as ciphertext."""
    table = connection.ops.quote_name(ChannelAccount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [account.pk])  # noqa: S608
        return repr(cursor.fetchone())


# Bluesky: a handle and an app password ----------------------------------------------


def test_connect_bluesky_asks_for_a_handle_and_an_app_password(client, comms, db):
    response = client.get(CONNECT_BLUESKY)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="identifier"' in html
    assert 'type="password" name="app_password"' in html
    assert "Settings &gt; Privacy and security &gt; App passwords" in html
    assert "is not stored" in html


def test_a_wrong_app_password_is_a_form_error(client, comms, sandbox):
    response = client.post(
        CONNECT_BLUESKY,
        {"identifier": BSKY_HANDLE, "app_password": "wrong-pass-word-here"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Bluesky did not accept that handle and app password" in html
    assert "Invalid identifier or password" in html
    assert "wrong-pass-word-here" not in html  # never drawn again
    assert BSKY_HANDLE in html  # the handle is kept to correct
    assert not ChannelAccount.objects.exists()


def test_bluesky_down_is_a_form_error_saying_so(client, comms, sandbox):
    sandbox.add_fault("bluesky", "token", "server_error", count=5)

    response = client.post(
        CONNECT_BLUESKY,
        {"identifier": BSKY_HANDLE, "app_password": BSKY_APP_PASSWORD},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Bluesky is not answering at the moment" in html
    assert "Nothing was connected" in html
    assert BSKY_APP_PASSWORD not in html
    assert not ChannelAccount.objects.exists()


def test_an_app_password_connects_bluesky_keeping_only_encrypted_tokens(
    client, comms, sandbox, caplog
):
    caplog.set_level(logging.DEBUG)

    response = client.post(
        CONNECT_BLUESKY,
        {"identifier": f"@{BSKY_HANDLE}", "app_password": BSKY_APP_PASSWORD},
    )

    assert response.status_code == 302 and response["Location"] == ACCOUNTS
    assert "Bluesky: @exampleshire.bsky.social is connected." in message_text(response)
    account = ChannelAccount.objects.get(platform="bluesky")
    assert (account.remote_id, account.connected_by) == (BSKY_DID, comms)
    assert account.extra["handle"] == BSKY_HANDLE
    assert account.access_token and account.refresh_token
    stored = row_of(account)
    assert account.access_token not in stored
    assert account.refresh_token not in stored
    assert BSKY_APP_PASSWORD not in stored
    assert BSKY_APP_PASSWORD not in repr(dict(client.session))
    assert BSKY_APP_PASSWORD not in caplog.text


def test_reconnecting_bluesky_refuses_a_sign_in_for_another_account(
    client, comms, sandbox
):
    other = ChannelAccount.objects.create(
        platform="bluesky",
        display_name="@libraries.bsky.social",
        remote_id="did:plc:exampleshirelibraries0",
        access_token="revoked",  # noqa: S106
        status=ChannelAccount.Status.NEEDS_RECONNECT,
        extra={"handle": "libraries.bsky.social"},
    )
    url = reverse("publishing_admin:reconnect", args=[other.pk])
    assert 'value="libraries.bsky.social"' in client.get(url).content.decode()

    response = client.post(
        url, {"identifier": BSKY_HANDLE, "app_password": BSKY_APP_PASSWORD}
    )

    assert response.status_code == 200
    assert "That sign-in does not manage Bluesky: @libraries.bsky.social" in (
        response.content.decode()
    )
    assert list(ChannelAccount.objects.values_list("remote_id", flat=True)) == [
        other.remote_id
    ]
    other.refresh_from_db()
    assert other.access_token == "revoked"  # noqa: S105
    assert other.status == ChannelAccount.Status.NEEDS_RECONNECT


def test_reconnecting_bluesky_with_its_own_app_password_resumes_its_posts(
    client, comms, sandbox
):
    account = ChannelAccount.objects.create(
        platform="bluesky",
        display_name=f"@{BSKY_HANDLE}",
        remote_id=BSKY_DID,
        access_token="revoked",  # noqa: S106
        status=ChannelAccount.Status.NEEDS_RECONNECT,
    )
    waiting = make_row(account, CrossPost.State.NEEDS_RECONNECT)

    response = client.post(
        reverse("publishing_admin:reconnect", args=[account.pk]),
        {"identifier": BSKY_HANDLE, "app_password": BSKY_APP_PASSWORD},
    )

    assert response["Location"] == ACCOUNTS
    assert "1 waiting post will now be sent" in message_text(response)
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.CONNECTED
    assert account.access_token != "revoked"  # noqa: S105
    waiting.refresh_from_db()
    assert waiting.state == CrossPost.State.PENDING


# Mastodon: the instance, and the app registered on it -------------------------------


@pytest.fixture
def no_configured_app(settings):
    """No app configured for the default instance (MASTODON_CLIENT_ID unset):
    the app is registered on whichever instance the account is on."""
    channels = copy.deepcopy(settings.SOCIAL_CHANNELS)
    channels["mastodon"]["CLIENT_ID"] = channels["mastodon"]["CLIENT_SECRET"] = ""
    settings.SOCIAL_CHANNELS = channels
    return channels["mastodon"]


def client_id_asked_for(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return parse_qs(urlsplit(response["Location"]).query)["client_id"][0]


def test_connect_mastodon_suggests_the_configured_instance(client, comms, settings):
    response = client.get(CONNECT_MASTODON)

    html = response.content.decode()
    assert response.status_code == 200
    configured = settings.SOCIAL_CHANNELS["mastodon"]["API_URL"]
    assert f'name="instance" value="{configured}"' in html


def test_the_configured_instance_uses_the_configured_app(client, comms, sandbox):
    instance = f"{sandbox.url}/mastodon"

    response = client.post(CONNECT_MASTODON, {"instance": instance})

    assert client_id_asked_for(response) == MASTODON_CLIENT_ID
    assert not InstanceApp.objects.exists()
    client.get(consent(response["Location"]))
    account = ChannelAccount.objects.get(platform="mastodon")
    assert account.extra["instance_url"] == instance


def test_the_app_is_registered_on_the_instance_once_and_used_again(
    client, comms, sandbox, no_configured_app
):
    instance = f"{sandbox.url}/mastodon"

    first = client.post(CONNECT_MASTODON, {"instance": f"{instance}/"})

    app = InstanceApp.objects.get()
    assert (app.platform, app.instance_url) == ("mastodon", instance)
    assert app.redirect_uri == "http://testserver" + reverse(
        "publishing_admin:account_callback"
    )
    assert client_id_asked_for(first) == app.client_id != MASTODON_CLIENT_ID
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT client_secret FROM publishing_instanceapp WHERE id = %s", [app.pk]
        )
        assert app.client_secret not in cursor.fetchone()[0]
    client.get(consent(first["Location"]))
    account = ChannelAccount.objects.get(platform="mastodon")
    assert (account.remote_id, account.extra["instance_url"]) == (
        MASTODON_ACCOUNT_ID,
        instance,
    )
    # Registering again would fail now: the second connect does not register.
    sandbox.add_fault("mastodon", "token", "server_error", count=1)

    second = client.post(CONNECT_MASTODON, {"instance": instance})

    assert client_id_asked_for(second) == app.client_id
    assert InstanceApp.objects.count() == 1


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("{sandbox}/facebook", "does not look like a Mastodon server"),
        ("http://mastodon.example", "must start with https://"),
        ("http://127.0.0.1:9/mastodon", "is not a server on the internet"),
        ("https://169.254.169.254", "is not a server on the internet"),
        ("https://no-such-instance.invalid", "is not a server on the internet"),
    ],
)
def test_an_instance_that_cannot_be_used_is_a_form_error(
    client, comms, sandbox, no_configured_app, typed, words
):
    response = client.post(
        CONNECT_MASTODON, {"instance": typed.format(sandbox=sandbox.url)}
    )

    assert response.status_code == 200
    assert words in response.content.decode()
    assert not InstanceApp.objects.exists()
    assert "publishing.connect" not in client.session


@pytest.mark.parametrize(
    ("fault", "params", "words"),
    [
        ("server_error", {}, "failed to register the app (HTTP 503)"),
        ("error", {"status": 403, "error": "Sign-ups are closed"}, "Sign-ups are"),
    ],
)
def test_an_instance_that_fails_or_refuses_the_app_is_a_form_error(
    client, comms, sandbox, no_configured_app, fault, params, words
):
    sandbox.add_fault("mastodon", "token", fault, count=1, **params)

    response = client.post(CONNECT_MASTODON, {"instance": f"{sandbox.url}/mastodon"})

    assert response.status_code == 200
    assert words in response.content.decode()
    assert not InstanceApp.objects.exists()


def test_reconnecting_mastodon_signs_in_on_the_accounts_own_instance(
    client, comms, sandbox, no_configured_app
):
    instance = f"{sandbox.url}/mastodon"
    account = ChannelAccount.objects.create(
        platform="mastodon",
        display_name="@exampleshire",
        remote_id=MASTODON_ACCOUNT_ID,
        status=ChannelAccount.Status.NEEDS_RECONNECT,
        extra={"username": "exampleshire", "instance_url": instance},
    )

    response = client.get(reverse("publishing_admin:reconnect", args=[account.pk]))

    assert response["Location"].startswith(f"{instance}/oauth/authorize?")
    assert client_id_asked_for(response) == InstanceApp.objects.get().client_id
    client.get(consent(response["Location"]))
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.CONNECTED
