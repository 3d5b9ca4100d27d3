"""The three OAuth 2.0 flows driven by requests-oauthlib, with the consent pages
approved over HTTP as a browser would."""

from __future__ import annotations

import pytest
import requests
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials
from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session
from requests_oauthlib.compliance_fixes import facebook_compliance_fix

from sandbox.seed import (
    FB_APP_ID,
    FB_APP_SECRET,
    FB_PAGE_COUNCIL,
    GOOGLE_CLIENT_ID,
    GOOGLE_CLIENT_SECRET,
    X_CLIENT_ID,
    X_CLIENT_SECRET,
    X_USERNAME,
)

from .helpers import graph, tweepy_client

CALLBACK = "https://council.example/admin/channels/callback/"


@pytest.fixture(autouse=True)
def _loopback_http(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def consent(auth_url: str, decision: str = "allow") -> str:
    """Load the consent page, press a button, return the redirect target."""
    page = requests.get(auth_url, timeout=5)
    assert page.status_code == 200 and 'name="decision"' in page.text
    resp = requests.post(auth_url, data={"decision": decision},
                         allow_redirects=False, timeout=5)
    assert resp.status_code == 302
    return resp.headers["Location"]


def test_facebook_code_long_lived_and_page_token(sandbox, sandbox_server):
    g = graph(sandbox_server.url)
    session = facebook_compliance_fix(OAuth2Session(
        FB_APP_ID, redirect_uri=CALLBACK,
        scope=["pages_show_list", "pages_manage_posts", "pages_read_engagement"]))
    auth_url, state = session.authorization_url(
        f"{sandbox_server.url}/facebook/v24.0/dialog/oauth")
    callback = consent(auth_url)
    assert callback.startswith(CALLBACK) and f"state={state}" in callback
    token = session.fetch_token(f"{g}/oauth/access_token",
                                client_secret=FB_APP_SECRET,
                                authorization_response=callback,
                                include_client_id=True)
    assert 0 < token["expires_in"] <= 7200
    long_lived = requests.get(f"{g}/oauth/access_token", params={
        "grant_type": "fb_exchange_token", "client_id": FB_APP_ID,
        "client_secret": FB_APP_SECRET, "fb_exchange_token": token["access_token"]},
        timeout=5).json()
    assert long_lived["expires_in"] > 50 * 86400
    pages = requests.get(f"{g}/me/accounts", params={
        "access_token": long_lived["access_token"]}, timeout=5).json()["data"]
    page_token = next(p["access_token"] for p in pages if p["id"] == FB_PAGE_COUNCIL)
    info = requests.get(f"{g}/debug_token", params={
        "input_token": page_token, "access_token": f"{FB_APP_ID}|{FB_APP_SECRET}"},
        timeout=5).json()["data"]
    assert (info["type"], info["expires_at"]) == ("PAGE", 0)
    assert "pages_manage_posts" in info["scopes"]
    posted = requests.post(f"{g}/{FB_PAGE_COUNCIL}/feed", data={
        "message": "Posted with an OAuth page token", "access_token": page_token},
        timeout=5)
    assert posted.status_code == 200
    # Codes are single use, and Basic client auth is accepted as well.
    with pytest.raises(OAuth2Error):
        session.fetch_token(f"{g}/oauth/access_token", client_secret=FB_APP_SECRET,
                            authorization_response=callback)


def test_facebook_denied_and_wrong_secret(sandbox_server):
    g = graph(sandbox_server.url)
    session = OAuth2Session(FB_APP_ID, redirect_uri=CALLBACK, scope=["email"])
    auth_url, _state = session.authorization_url(
        f"{sandbox_server.url}/facebook/v24.0/dialog/oauth")
    assert "error=access_denied" in consent(auth_url, "deny")
    wrong = requests.get(f"{g}/oauth/access_token", params={
        "grant_type": "client_credentials", "client_id": FB_APP_ID,
        "client_secret": "nope"}, timeout=5)
    assert wrong.json()["error"]["code"] == 1


def _x_consent(url: str, scope: list[str]) -> tuple[OAuth2Session, str]:
    session = OAuth2Session(X_CLIENT_ID, redirect_uri=CALLBACK, scope=scope,
                            pkce="S256")
    auth_url, _state = session.authorization_url(f"{url}/x/i/oauth2/authorize")
    assert "code_challenge_method=S256" in auth_url
    return session, consent(auth_url)


def test_x_pkce_and_refresh_rotation(sandbox, sandbox_server):
    url, token_url = sandbox_server.url, f"{sandbox_server.url}/x/2/oauth2/token"
    scope = ["tweet.read", "tweet.write", "users.read", "offline.access"]
    basic = HTTPBasicAuth(X_CLIENT_ID, X_CLIENT_SECRET)
    _session, callback = _x_consent(url, scope)
    impostor = OAuth2Session(X_CLIENT_ID, redirect_uri=CALLBACK, scope=scope)
    with pytest.raises(OAuth2Error) as info:
        impostor.fetch_token(token_url, authorization_response=callback, auth=basic,
                             code_verifier="not-the-verifier-" + "x" * 40)
    assert info.value.error == "invalid_grant"
    session, callback = _x_consent(url, scope)
    token = session.fetch_token(token_url, authorization_response=callback,
                                auth=basic, include_client_id=True)
    assert token["expires_in"] == 7200 and token["refresh_token"]
    me = tweepy_client(url, token["access_token"]).get_me(user_auth=False)
    assert me.data.username == X_USERNAME
    fresh = session.refresh_token(token_url, refresh_token=token["refresh_token"],
                                  auth=basic)
    assert fresh["refresh_token"] != token["refresh_token"]
    with pytest.raises(OAuth2Error):  # the old refresh token was rotated out
        session.refresh_token(token_url, refresh_token=token["refresh_token"],
                              auth=basic)
    revoked = requests.post(f"{url}/x/2/oauth2/revoke", data={
        "token": fresh["refresh_token"], "client_id": X_CLIENT_ID}, timeout=5)
    assert revoked.json() == {"revoked": True}
    with pytest.raises(OAuth2Error):
        session.refresh_token(token_url, refresh_token=fresh["refresh_token"],
                              auth=basic)


def test_x_without_offline_access_has_no_refresh_token(sandbox_server):
    session, callback = _x_consent(sandbox_server.url, ["tweet.read", "users.read"])
    token = session.fetch_token(f"{sandbox_server.url}/x/2/oauth2/token",
                                authorization_response=callback,
                                include_client_id=True, client_secret=None)
    assert "refresh_token" not in token


def _google_consent(url: str, **extra: str) -> tuple[OAuth2Session, str]:
    session = OAuth2Session(GOOGLE_CLIENT_ID, redirect_uri=CALLBACK, scope=[
        "https://www.googleapis.com/auth/youtube.upload",
        "https://www.googleapis.com/auth/youtube"])
    auth_url, _state = session.authorization_url(f"{url}/youtube/o/oauth2/auth",
                                                 access_type="offline", **extra)
    return session, consent(auth_url)


def test_google_offline_consent(sandbox, sandbox_server):
    url, token_url = sandbox_server.url, f"{sandbox_server.url}/youtube/token"
    session, callback = _google_consent(url)
    token = session.fetch_token(token_url, client_secret=GOOGLE_CLIENT_SECRET,
                                authorization_response=callback,
                                include_client_id=True)
    assert token["expires_in"] == 3599 and token["refresh_token"].startswith("1//")
    again, callback = _google_consent(url)
    second = again.fetch_token(token_url, client_secret=GOOGLE_CLIENT_SECRET,
                               authorization_response=callback)  # Basic auth
    assert "refresh_token" not in second  # only the first consent gets one
    forced, callback = _google_consent(url, prompt="consent")
    third = forced.fetch_token(token_url, client_secret=GOOGLE_CLIENT_SECRET,
                               authorization_response=callback,
                               include_client_id=True)
    assert third["refresh_token"]
    creds = Credentials(None, refresh_token=token["refresh_token"],
                        token_uri=token_url, client_id=GOOGLE_CLIENT_ID,
                        client_secret=GOOGLE_CLIENT_SECRET)
    creds.refresh(Request())
    assert creds.token.startswith("ya29.") and creds.valid
    revoke = requests.post(f"{url}/youtube/revoke",
                           params={"token": token["refresh_token"]}, timeout=5)
    assert revoke.status_code == 200
    with pytest.raises(Exception, match="invalid_grant"):
        creds.refresh(Request())
