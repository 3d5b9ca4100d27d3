"""The seeded demo grants: accepted after a reset, bound to their accounts and
scopes, and living like the tokens the OAuth flows mint."""

from __future__ import annotations

import json
import time

import pytest
import requests
from requests.auth import HTTPBasicAuth

from sandbox import seed
from sandbox.seed import (
    DEMO_FB_PAGE_TOKEN,
    DEMO_X_ACCESS_TOKEN,
    DEMO_X_REFRESH_TOKEN,
    DEMO_YT_ACCESS_TOKEN,
    DEMO_YT_REFRESH_TOKEN,
    FB_APP_ID,
    FB_APP_SECRET,
    FB_PAGE_COUNCIL,
    FB_PAGE_LIBRARIES,
    GOOGLE_CLIENT_ID,
    GOOGLE_CLIENT_SECRET,
    X_CLIENT_ID,
    X_CLIENT_SECRET,
    X_USER_ID,
    X_USERNAME,
    YT_CHANNEL_ID,
)
from sandbox.state import State
from sandbox.x import auth as x_auth
from sandbox.youtube import auth as google_auth

from .helpers import graph


def _x_refresh(url: str, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{url}/x/2/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": X_CLIENT_ID,
        },
        auth=HTTPBasicAuth(X_CLIENT_ID, X_CLIENT_SECRET),
        timeout=5,
    )


def _x_me(url: str, token: str) -> requests.Response:
    return requests.get(
        f"{url}/x/2/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )


def _google_refresh(url: str, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{url}/youtube/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": GOOGLE_CLIENT_ID,
            "client_secret": GOOGLE_CLIENT_SECRET,
        },
        timeout=5,
    )


def _my_channel(url: str, token: str) -> requests.Response:
    return requests.get(
        f"{url}/youtube/youtube/v3/channels",
        params={"part": "id,snippet", "mine": "true"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


def test_facebook_demo_page_token_is_a_never_expiring_council_page_token(
    sandbox, sandbox_server
):
    g = graph(sandbox_server.url)
    info = requests.get(
        f"{g}/debug_token",
        params={
            "input_token": DEMO_FB_PAGE_TOKEN,
            "access_token": f"{FB_APP_ID}|{FB_APP_SECRET}",
        },
        timeout=5,
    ).json()["data"]
    assert info["is_valid"] is True
    assert info["type"] == "PAGE"
    assert info["profile_id"] == FB_PAGE_COUNCIL
    assert info["expires_at"] == 0  # a Page token from a long-lived user token
    assert sorted(info["scopes"]) == sorted(
        ["pages_show_list", "pages_manage_posts", "pages_read_engagement"]
    )

    posted = requests.post(
        f"{g}/{FB_PAGE_COUNCIL}/feed",
        data={"message": "Demo token check", "access_token": DEMO_FB_PAGE_TOKEN},
        timeout=5,
    )
    assert posted.status_code == 200, posted.text
    assert posted.json()["id"].startswith(f"{FB_PAGE_COUNCIL}_")
    # Bound to its Page: another Page the user manages refuses it.
    other = requests.post(
        f"{g}/{FB_PAGE_LIBRARIES}/feed",
        data={"message": "Wrong page", "access_token": DEMO_FB_PAGE_TOKEN},
        timeout=5,
    )
    assert other.status_code in (400, 403)
    assert other.json()["error"]["code"] == 200


def test_facebook_demo_page_token_outlives_a_long_time():
    """The seed's record has no expiry at all, seeded now or 90 days ago."""
    long_ago = time.time() - 90 * 86400
    doc, _blobs = seed.build_seed(long_ago)
    record = doc["tokens"][DEMO_FB_PAGE_TOKEN]
    assert record["expires_at"] is None
    state = State()
    state.data = doc
    assert state.check_token("facebook", DEMO_FB_PAGE_TOKEN)[1] == "ok"


def test_x_demo_tokens_work_and_the_refresh_token_rotates(sandbox, sandbox_server):
    url = sandbox_server.url
    me = _x_me(url, DEMO_X_ACCESS_TOKEN)
    assert me.status_code == 200, me.text
    assert me.json()["data"]["id"] == X_USER_ID
    assert me.json()["data"]["username"] == X_USERNAME

    # It expires like any access token; its refresh token then gets a new pair.
    sandbox.expire_tokens("x", DEMO_X_ACCESS_TOKEN)
    assert _x_me(url, DEMO_X_ACCESS_TOKEN).status_code == 401
    fresh = _x_refresh(url, DEMO_X_REFRESH_TOKEN)
    assert fresh.status_code == 200, fresh.text
    body = fresh.json()
    assert body["expires_in"] == x_auth.ACCESS_TTL
    assert body["scope"].split() == [
        "tweet.read",
        "tweet.write",
        "users.read",
        "offline.access",
        "media.write",
    ]
    assert body["refresh_token"] not in (DEMO_X_REFRESH_TOKEN, "")
    assert _x_me(url, body["access_token"]).json()["data"]["id"] == X_USER_ID

    # Rotation: the seeded refresh token worked once.
    again = _x_refresh(url, DEMO_X_REFRESH_TOKEN)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_request"
    assert _x_refresh(url, body["refresh_token"]).status_code == 200


def test_a_reset_restores_used_up_demo_grants(sandbox, sandbox_server):
    url = sandbox_server.url
    assert _x_refresh(url, DEMO_X_REFRESH_TOKEN).status_code == 200
    sandbox.revoke_tokens("youtube", DEMO_YT_REFRESH_TOKEN)
    assert _my_channel(url, DEMO_YT_ACCESS_TOKEN).status_code == 401
    sandbox.reset()
    assert _x_refresh(url, DEMO_X_REFRESH_TOKEN).status_code == 200
    assert _my_channel(url, DEMO_YT_ACCESS_TOKEN).status_code == 200


def test_google_demo_tokens_work_and_refresh(sandbox, sandbox_server):
    url = sandbox_server.url
    found = _my_channel(url, DEMO_YT_ACCESS_TOKEN)
    assert found.status_code == 200, found.text
    assert [item["id"] for item in found.json()["items"]] == [YT_CHANNEL_ID]

    sandbox.expire_tokens("youtube", DEMO_YT_ACCESS_TOKEN)
    assert _my_channel(url, DEMO_YT_ACCESS_TOKEN).status_code == 401
    fresh = _google_refresh(url, DEMO_YT_REFRESH_TOKEN)
    assert fresh.status_code == 200, fresh.text
    body = fresh.json()
    assert body["expires_in"] == google_auth.ACCESS_TTL
    assert "refresh_token" not in body  # Google keeps the refresh token
    assert _my_channel(url, body["access_token"]).status_code == 200
    assert _google_refresh(url, DEMO_YT_REFRESH_TOKEN).status_code == 200

    # One grant: revoking the refresh token revokes what it minted too.
    sandbox.revoke_tokens("youtube", DEMO_YT_REFRESH_TOKEN)
    assert _my_channel(url, body["access_token"]).status_code == 401
    assert _google_refresh(url, DEMO_YT_REFRESH_TOKEN).status_code == 400


@pytest.mark.parametrize(
    ("token", "platform", "lifetime"),
    [
        (DEMO_X_ACCESS_TOKEN, "x", x_auth.ACCESS_TTL),
        (DEMO_YT_ACCESS_TOKEN, "youtube", google_auth.ACCESS_TTL),
    ],
)
def test_seeded_access_tokens_have_the_usual_lifetime(token, platform, lifetime):
    now = 1_700_000_000.0
    doc, _blobs = seed.build_seed(now)
    record = doc["tokens"][token]
    assert record["platform"] == platform
    assert record["expires_at"] - now == lifetime
    state = State()
    state.data = doc
    status = state.check_token(platform, token)[1]
    assert status == "expired"  # seeded long ago, so its lifetime has passed


def test_a_state_file_without_demo_grants_gets_them_and_keeps_used_ones(tmp_path):
    path = tmp_path / "state.json"
    doc, _blobs = seed.build_seed()
    tokens = doc["tokens"]
    tokens.pop(DEMO_FB_PAGE_TOKEN)  # written before the demo grants existed
    tokens[DEMO_X_REFRESH_TOKEN]["revoked"] = True  # already rotated out
    path.write_text(json.dumps(doc))

    state = State(path)
    try:
        assert state.check_token("facebook", DEMO_FB_PAGE_TOKEN)[1] == "ok"
        assert state.check_token("x", DEMO_X_REFRESH_TOKEN)[1] == "revoked"
        assert state.check_token("x", DEMO_X_ACCESS_TOKEN)[1] == "ok"
    finally:
        state.close()
    saved = json.loads(path.read_text())
    assert DEMO_FB_PAGE_TOKEN in saved["tokens"]
