"""Connecting, reconnecting and disconnecting accounts in the admin, through the
real OAuth flow against the sandbox's consent pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from channels.facebook import FacebookAdapter
from channels.registry import channel_config
from publishing.models import ChannelAccount, CrossPost

from .conftest import (
    ACCOUNTS,
    FACEBOOK_PAGE,
    X_USER,
    YOUTUBE_CHANNEL,
    consent,
    message_text,
)

State = CrossPost.State



def start(client, platform):
    response = client.get(reverse("publishing_admin:connect", args=[platform]))
    assert response.status_code == 302
    return response["Location"]



def stored_ciphertext(account) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token FROM publishing_channelaccount WHERE id = %s",
            [account.pk],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def comms(client, people):
    client.force_login(people["comms"])
    return people["comms"]


@pytest.mark.parametrize(
    ("platform", "remote_id"), [("x", X_USER), ("youtube", YOUTUBE_CHANNEL)]
)
def test_connecting_creates_the_account_with_encrypted_tokens(
    client, comms, sandbox, platform, remote_id
):
    callback = consent(start(client, platform))

    response = client.get(callback)

    assert response.status_code == 302 and response["Location"] == ACCOUNTS
    account = ChannelAccount.objects.get(platform=platform, remote_id=remote_id)
    assert account.status == ChannelAccount.Status.CONNECTED
    assert account.connected_by == comms
    assert account.access_token and account.refresh_token
    assert account.access_token not in stored_ciphertext(account)
    assert "is connected" in message_text(response)

    listing = client.get(ACCOUNTS).content.decode()
    assert account.display_name in listing
    assert account.access_token not in listing
    assert account.refresh_token not in listing


def test_facebook_lets_the_user_pick_which_pages_to_connect(client, comms, sandbox):
    callback = consent(start(client, "facebook"))

    response = client.get(callback)

    assert response["Location"] == reverse("publishing_admin:account_choose")
    form = client.get(response["Location"]).content.decode()
    assert "Exampleshire County Council" in form and "Exampleshire Libraries" in form
    session_dump = str(dict(client.session))
    assert not ChannelAccount.objects.exists()

    response = client.post(response["Location"], {"accounts": [FACEBOOK_PAGE]})

    assert response["Location"] == ACCOUNTS
    account = ChannelAccount.objects.get()
    assert (account.platform, account.remote_id) == ("facebook", FACEBOOK_PAGE)
    assert account.access_token not in form and account.access_token not in (
        session_dump
    )
    info = FacebookAdapter.check_token(channel_config("facebook"), account.access_token)
    assert info["type"] == "PAGE"
    assert "publishing.connect_choice" not in client.session


def test_choosing_no_page_is_a_form_error(client, comms, sandbox):
    choose = client.get(consent(start(client, "facebook")))["Location"]

    response = client.post(choose, {})

    assert response.status_code == 200
    assert "Choose at least one Page" in response.content.decode()
    assert not ChannelAccount.objects.exists()


def test_tampered_state_is_refused_with_a_message(client, comms, sandbox):
    callback = consent(start(client, "x"))
    path, query = callback.split("?")
    params = dict(parse_qsl(query))
    params["state"] = "forged-" + params["state"]

    response = client.get(path, params)

    assert response.status_code == 302 and response["Location"] == ACCOUNTS
    assert "state did not match" in message_text(response)
    assert not ChannelAccount.objects.exists()


def test_a_callback_is_used_once(client, comms, sandbox):
    callback = consent(start(client, "x"))
    client.get(callback)

    response = client.get(callback)

    assert "expired or was already used" in message_text(response)
    assert ChannelAccount.objects.count() == 1


def test_access_denied_becomes_a_message(client, comms, sandbox):
    callback = consent(start(client, "youtube"), decision="deny")

    response = client.get(callback)

    assert response["Location"] == ACCOUNTS
    assert "access was not granted" in message_text(response)
    assert not ChannelAccount.objects.exists()


def test_platform_down_becomes_a_message(client, comms, sandbox):
    callback = consent(start(client, "x"))
    sandbox.add_fault("x", "token", "server_error", count=5)

    response = client.get(callback)

    assert response.status_code == 302 and response["Location"] == ACCOUNTS
    message = message_text(response)
    assert "X was not connected" in message
    assert not ChannelAccount.objects.exists()


def test_reconnect_updates_the_account_and_resumes_waiting_posts(
    client, comms, sandbox, site
):
    account = ChannelAccount.objects.create(
        platform="x",
        display_name="@OldName",
        remote_id=X_USER,
        access_token="revoked-token",  # noqa: S106
        status=ChannelAccount.Status.NEEDS_RECONNECT,
        status_message="X refused the token.",
    )
    row = CrossPost.objects.create(
        account=account,
        platform="x",
        idempotency_key="waiting",
        page_title="Road closures",
        text="Road closures https://council.example/roads/",
        link="https://council.example/roads/",
        marker="https://council.example/roads/",
        content_hash="h",
        state=State.NEEDS_RECONNECT,
        last_error="needs reconnecting",
    )
    response = client.get(reverse("publishing_admin:reconnect", args=[account.pk]))
    callback = consent(response["Location"])

    response = client.get(callback)

    assert ChannelAccount.objects.count() == 1
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.CONNECTED
    assert account.access_token != "revoked-token"  # noqa: S105
    assert account.status_message == ""
    row.refresh_from_db()
    assert row.state == State.PENDING and row.last_error == ""
    assert "1 waiting post will now be sent" in message_text(response)


def test_disconnect_blanks_tokens_and_explains_waiting_posts(client, comms, db):
    account = ChannelAccount.objects.create(
        platform="x",
        display_name="@ExampleshireCC",
        remote_id=X_USER,
        access_token="live-token",  # noqa: S106
        refresh_token="refresh-token",  # noqa: S106
        token_expires_at=timezone.now() + timedelta(hours=2),
    )
    waiting = CrossPost.objects.create(
        account=account,
        platform="x",
        idempotency_key="k",
        page_title="Library hours",
        text="t",
        link="https://council.example/a/",
        marker="https://council.example/a/",
        content_hash="h",
        state=State.PENDING,
    )
    url = reverse("publishing_admin:disconnect", args=[account.pk])
    assert "1 post is waiting" in client.get(url).content.decode()

    response = client.post(url)

    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.DISCONNECTED
    assert account.access_token == "" and account.refresh_token == ""
    waiting.refresh_from_db()
    assert waiting.state == State.NEEDS_RECONNECT
    assert "was disconnected by" in waiting.last_error
    assert "Reconnect it under Social > Accounts" in waiting.last_error
    assert "1 waiting post will be sent if you reconnect it" in message_text(response)


def test_unknown_platform_is_a_message(client, comms, db):
    response = client.get(reverse("publishing_admin:connect", args=["myspace"]))
    assert response["Location"] == ACCOUNTS
    assert "no channel called" in message_text(response)


def test_the_listing_says_what_each_token_allows_and_when_it_expires(client, comms, db):
    ChannelAccount.objects.create(
        platform="facebook",
        display_name="Exampleshire County Council",
        remote_id="page-1",
        scopes=["pages_show_list", "pages_manage_posts", "pages_read_engagement"],
    )
    ChannelAccount.objects.create(
        platform="youtube",
        display_name="Exampleshire CC videos",
        remote_id="channel-1",
        scopes=[
            "https://www.googleapis.com/auth/youtube.upload",
            "https://www.googleapis.com/auth/youtube.force-ssl",
            "https://www.googleapis.com/auth/yt-analytics.readonly",
        ],
        token_expires_at=datetime(2026, 12, 4, 16, 30, tzinfo=UTC),
    )
    ChannelAccount.objects.create(
        platform="x",
        display_name="@Gone",
        remote_id="x-1",
        status=ChannelAccount.Status.DISCONNECTED,
    )

    html = client.get(ACCOUNTS).content.decode()

    assert "list the Pages, publish to the Page, read posts and reactions" in html
    assert "upload videos, manage videos and captions, yt-analytics.readonly" in html
    assert "https://" not in html.split("<tbody", 1)[1]
    assert "Does not expire" in html  # the Facebook Page token
    assert '<time datetime="2026-12-04T16:30:00+00:00">4 Dec 2026, 16:30</time>' in html
    assert "No token" in html  # the disconnected account


@pytest.mark.parametrize(
    ("platform", "scopes", "words"),
    [
        (
            "mastodon",
            ["read:accounts", "read:statuses", "write:statuses", "write:media"],
            "read the profile, read posts, publish posts, upload images",
        ),
        ("mastodon", ["read", "write"], "read the account and its posts, publish "
         "posts and media"),
        ("bluesky", ["com.atproto.appPass"], "publish with an app password"),
    ],
)
def test_mastodon_and_bluesky_grants_are_in_plain_words(
    client, comms, db, platform, scopes, words
):
    ChannelAccount.objects.create(
        platform=platform, display_name="Exampleshire", remote_id="a-1", scopes=scopes
    )

    listing = client.get(ACCOUNTS).content.decode().split("<tbody", 1)[1]

    assert words in listing
    assert ", ".join(scopes) not in listing


def test_a_comms_manager_gives_an_account_its_picture(client, comms, db):
    account = ChannelAccount.objects.create(
        platform="x", display_name="@ExampleshireCC", remote_id="x-1"
    )
    picture = get_image_model().objects.create(
        title="Council crest", file=get_test_image_file()
    )
    url = reverse("publishing_admin:picture", args=[account.pk])
    assert url in client.get(ACCOUNTS).content.decode()
    assert "Choose an image" in client.get(url).content.decode()

    refused = client.post(url, {"picture": "999999"})
    response = client.post(url, {"picture": picture.pk})

    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    assert response["Location"] == ACCOUNTS
    assert "picture of X: @ExampleshireCC is saved" in message_text(response)
    account.refresh_from_db()
    assert account.picture == picture
