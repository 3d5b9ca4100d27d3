"""Connecting accounts: the OAuth flows against the sandbox's consent pages."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from channels.errors import AuthError
from channels.facebook import FacebookAdapter
from channels.oauth import server_address
from channels.values import Credentials
from channels.x import XAdapter
from channels.youtube import YouTubeAdapter
from sandbox.seed import FB_PAGE_LIBRARIES
from tests.sandbox_fixtures import answer_consent

from .contract import (
    FACEBOOK_PAGE,
    X_USER,
    YOUTUBE_CHANNEL,
    facebook_config,
    x_config,
    youtube_config,
)

REDIRECT = "http://testserver/admin/channels/callback/"
STATE = "state-4f1c2e"


def consent(url: str, decision: str = "allow") -> dict[str, str]:
    """Answer the platform's consent page; the query it sends back to us."""
    location = answer_consent(url, decision)
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return dict(parse_qsl(location.query))


PLATFORMS = {
    "facebook": (FacebookAdapter, facebook_config),
    "x": (XAdapter, x_config),
    "youtube": (YouTubeAdapter, youtube_config),
}


@pytest.fixture(params=sorted(PLATFORMS))
def flow(request, sandbox, sandbox_server):
    adapter_class, make_config = PLATFORMS[request.param]
    return request.param, adapter_class, make_config(sandbox_server.url)


def test_connect_finds_the_accounts_with_usable_tokens(flow):
    platform, adapter_class, config = flow
    url, verifier = adapter_class.begin_connect(config, REDIRECT, STATE)
    params = consent(url)

    accounts = adapter_class.complete_connect(config, REDIRECT, params, STATE, verifier)

    expected = {"facebook": FACEBOOK_PAGE, "x": X_USER, "youtube": YOUTUBE_CHANNEL}[
        platform
    ]
    assert expected in [a.remote_id for a in accounts]
    account = next(a for a in accounts if a.remote_id == expected)
    assert account.platform == platform and account.display_name
    assert account.credentials.account_id == expected
    # What the token allows is kept for the accounts screen: for a Facebook
    # Page, the permissions the person granted the app.
    asked = dict(parse_qsl(urlsplit(url).query))["scope"].replace(",", " ").split()
    assert account.credentials.scopes
    assert set(account.credentials.scopes) <= set(asked)
    if platform == "facebook":
        assert (
            FacebookAdapter.check_token(config, account.credentials.access_token)[
                "type"
            ]
            == "PAGE"
        )
    else:
        assert account.credentials.refresh_token
    adapter = adapter_class(config, account.credentials)
    assert isinstance(adapter.recent_posts(limit=2), list)


def test_authorization_url_asks_for_what_each_platform_needs(flow):
    platform, adapter_class, config = flow
    url, verifier = adapter_class.begin_connect(config, REDIRECT, STATE)
    query = dict(parse_qsl(urlsplit(url).query))

    assert query["state"] == STATE and query["redirect_uri"] == REDIRECT
    if platform == "x":
        assert query["code_challenge_method"] == "S256" and len(verifier) >= 43
        assert set(query["scope"].split()) >= {"offline.access", "media.write"}
    else:
        assert verifier == ""
    if platform == "youtube":
        assert (query["access_type"], query["prompt"]) == ("offline", "consent")


def test_a_forged_state_is_refused_before_the_code_is_used(flow, sandbox):
    platform, adapter_class, config = flow
    url, verifier = adapter_class.begin_connect(config, REDIRECT, STATE)
    params = consent(url)

    with pytest.raises(AuthError, match="state"):
        adapter_class.complete_connect(
            config, REDIRECT, {**params, "state": "forged"}, STATE, verifier
        )
    # The code was not spent: the genuine callback still works.
    assert adapter_class.complete_connect(config, REDIRECT, params, STATE, verifier)


def test_a_refused_consent_is_an_auth_error(flow):
    platform, adapter_class, config = flow
    url, verifier = adapter_class.begin_connect(config, REDIRECT, STATE)
    params = consent(url, decision="deny")

    with pytest.raises(AuthError, match="not granted"):
        adapter_class.complete_connect(config, REDIRECT, params, STATE, verifier)


def test_a_tampered_pkce_verifier_is_refused(sandbox_server, sandbox):
    config = x_config(sandbox_server.url)
    url, verifier = XAdapter.begin_connect(config, REDIRECT, STATE)
    params = consent(url)

    # Another last character: a verifier that already ended in "x" was left as
    # it was, one run in 64.
    tampered = verifier[:-1] + ("y" if verifier.endswith("x") else "x")
    assert tampered != verifier
    with pytest.raises(AuthError, match="X did not accept"):
        XAdapter.complete_connect(config, REDIRECT, params, STATE, tampered)


def test_x_refresh_rotates_the_refresh_token(sandbox_server, sandbox):
    token = sandbox.mint_token("x", account_id=X_USER)
    old = Credentials(
        X_USER, token["access_token"], refresh_token=token["refresh_token"]
    )
    adapter = XAdapter(x_config(sandbox_server.url), old)

    new = adapter.refresh()

    assert new.refresh_token and new.refresh_token != old.refresh_token
    assert new.access_token != old.access_token and new.expires_at is not None
    with pytest.raises(AuthError):  # a rotated refresh token works only once
        XAdapter(x_config(sandbox_server.url), old).refresh()


def test_youtube_refresh_never_stores_an_empty_refresh_token(sandbox_server, sandbox):
    token = sandbox.mint_token("youtube", account_id=YOUTUBE_CHANNEL)
    old = Credentials(
        YOUTUBE_CHANNEL, token["access_token"], refresh_token=token["refresh_token"]
    )
    saved: list[Credentials] = []
    adapter = YouTubeAdapter(
        youtube_config(sandbox_server.url), old, on_token_refresh=saved.append
    )

    new = adapter.refresh()

    assert new.access_token != old.access_token
    assert new.refresh_token  # Google sends none on refresh: the old one is kept
    assert saved == [new]


def test_youtube_connect_names_the_permissions_left_unticked(sandbox, sandbox_server):
    config = youtube_config(sandbox_server.url)
    url, verifier = YouTubeAdapter.begin_connect(config, REDIRECT, STATE)
    fields = dict(parse_qsl(urlsplit(url).query))
    upload_only = "https://www.googleapis.com/auth/youtube.upload"
    answer = requests.post(
        url,
        data={**fields, "decision": "allow", "granular": "1", "granted": upload_only},
        allow_redirects=False,
        timeout=5,
    )
    params = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))

    with pytest.raises(AuthError) as caught:
        YouTubeAdapter.complete_connect(config, REDIRECT, params, STATE, verifier)

    assert "missing: https://www.googleapis.com/auth/youtube.force-ssl" in str(
        caught.value
    )


def test_facebook_connect_offers_pages_beyond_the_first_page_of_accounts(
    sandbox, sandbox_server
):
    # One Page to a page of me/accounts: the second Page is on the next one.
    sandbox.set_scenario("facebook", accounts_page_size=1)
    config = facebook_config(sandbox_server.url)
    url, verifier = FacebookAdapter.begin_connect(config, REDIRECT, STATE)
    params = consent(url)

    accounts = FacebookAdapter.complete_connect(
        config, REDIRECT, params, STATE, verifier
    )

    assert [a.remote_id for a in accounts] == [FACEBOOK_PAGE, FB_PAGE_LIBRARIES]
    exchanges = [
        r["method"]
        for r in sandbox.requests_log("facebook")
        if r["path"].endswith("/oauth/access_token")
        and "fb_exchange_token" in str(r["query"])
    ]
    assert exchanges == ["GET"]  # as Meta documents the exchange


def test_facebook_connects_without_its_scopes_when_facebook_cannot_say_them(
    sandbox, sandbox_server, caplog
):
    config = facebook_config(sandbox_server.url)
    url, _verifier = FacebookAdapter.begin_connect(config, REDIRECT, STATE)
    [page, *_others] = FacebookAdapter.complete_connect(
        config, REDIRECT, consent(url), STATE, ""
    )
    token = page.credentials.access_token
    # debug_token refuses an app token with the wrong secret (code 190).
    refused = {**config, "CLIENT_SECRET": "not-the-app-secret"}

    assert FacebookAdapter._granted_scopes(config, token) == page.credentials.scopes
    assert FacebookAdapter._granted_scopes(refused, token) == ()
    assert "did not say what the app was granted" in caplog.text


@pytest.mark.parametrize(
    ("typed", "address"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("  https://Social.Example.gov.uk/  ", "https://social.example.gov.uk"),
        ("@council@social.example.gov.uk", "https://social.example.gov.uk"),
        ("council@social.example.gov.uk", "https://social.example.gov.uk"),
        ("https://mastodon.social/@exampleshire", "https://mastodon.social"),
        ("https://mastodon.social:8443", "https://mastodon.social:8443"),
        ("http://127.0.0.1:8700/mastodon/", "http://127.0.0.1:8700/mastodon"),
    ],
)
def test_a_server_address_is_read_as_people_type_it(typed, address):
    assert server_address(typed) == address


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("http://mastodon.social", "must start with https://"),
        ("ftp://mastodon.social", "Give the server's address"),
        ("https://mastodon.social/?next=/admin", "Give the server's address"),
        ("https://user:pass@mastodon.social", "Give the server's address"),
        ("https://mastodon .social", "not a web address"),
        ("https://mastodon.social:99999", "not a web address"),
        ("", "Give the server's address"),
    ],
)
def test_a_server_address_that_is_not_one_is_refused_in_plain_words(typed, words):
    with pytest.raises(ValueError, match=words):
        server_address(typed)
