"""Every fault kind, matching rules and latency."""

from __future__ import annotations

import io
import json
import threading
import time

import pytest
import requests
import tweepy
from googleapiclient.http import MediaIoBaseUpload

from sandbox.seed import FB_PAGE_COUNCIL
from tests.worker_fixtures import wait_for

from .helpers import graph, tweepy_client, youtube_client


@pytest.fixture
def x_auth(sandbox):
    return {"Authorization": f"Bearer {sandbox.mint_token('x')['access_token']}"}


def _tweet(url: str, auth: dict, text: str, **kw) -> requests.Response:
    return requests.post(f"{url}/x/2/tweets", json={"text": text}, headers=auth,
                         timeout=kw.pop("timeout", 5), **kw)


def _texts(sandbox) -> list[str]:
    return [p["text"] for p in sandbox.posts("x")]


def test_server_error_shapes(sandbox, sandbox_server, x_auth):
    url = sandbox_server.url
    sandbox.add_fault("*", "publish", "server_error", count=3)
    x_resp = _tweet(url, x_auth, "never stored")
    assert x_resp.status_code == 503 and x_resp.json()["title"] == \
        "Service Unavailable"
    token = sandbox.mint_token("facebook")["access_token"]
    fb = requests.post(f"{graph(url)}/{FB_PAGE_COUNCIL}/feed", data={
        "message": "m", "access_token": token}, timeout=5)
    assert fb.status_code == 500 and fb.json()["error"]["code"] == 2
    assert fb.json()["error"]["is_transient"] is True
    yt = requests.post(f"{url}/youtube/upload/youtube/v3/videos", timeout=5)
    assert yt.status_code == 503 and yt.json()["error"]["code"] == 503
    assert "never stored" not in _texts(sandbox)
    assert _tweet(url, x_auth, "stored").status_code == 201  # count used up
    assert sandbox.faults() == []


def test_custom_status(sandbox, sandbox_server, x_auth):
    sandbox.add_fault("x", "publish", "server_error", count=1, status=500)
    assert _tweet(sandbox_server.url, x_auth, "a").status_code == 500


def test_hang_times_out_then_reset_releases(sandbox, sandbox_server, x_auth):
    sandbox.add_fault("x", "publish", "hang", hang_seconds=5)
    with pytest.raises(requests.ReadTimeout):
        _tweet(sandbox_server.url, x_auth, "hung", timeout=0.5)
    results: list[int] = []
    worker = threading.Thread(target=lambda: results.append(
        _tweet(sandbox_server.url, x_auth, "hung again", timeout=10).status_code))
    started = time.monotonic()
    worker.start()
    wait_for(lambda: sandbox.faults()[0]["fired"] == 2)  # the second one hangs
    sandbox.reset()
    worker.join(timeout=5)
    assert results == [503] and time.monotonic() - started < 2.5
    assert "hung" not in _texts(sandbox) and "hung again" not in _texts(sandbox)


def test_drop_after_create_posts_but_client_sees_connection_error(
        sandbox, sandbox_server, x_auth):
    sandbox.add_fault("x", "publish", "drop_after_create", count=1)
    client = tweepy_client(sandbox_server.url, x_auth["Authorization"][7:])
    with pytest.raises(requests.ConnectionError):
        client.create_tweet(text="Posted exactly once?", user_auth=False)
    assert _texts(sandbox).count("Posted exactly once?") == 1
    log = sandbox.requests_log("x")
    assert log[-1]["fault"] == "drop_after_create" and log[-1]["status"] is None
    token = sandbox.mint_token("facebook")["access_token"]
    sandbox.add_fault("facebook", "publish", "drop_after_create", count=1)
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{graph(sandbox_server.url)}/{FB_PAGE_COUNCIL}/feed",
                      data={"message": "FB once", "access_token": token}, timeout=5)
    assert [p["times_created"] for p in sandbox.posts("facebook")
            if p["text"] == "FB once"] == [1]


def test_html_error_and_truncated_json(sandbox, sandbox_server, x_auth):
    client = tweepy_client(sandbox_server.url, x_auth["Authorization"][7:])
    sandbox.add_fault("x", "publish", "html_error", count=1)
    with pytest.raises(tweepy.TwitterServerError) as info:
        client.create_tweet(text="html", user_auth=False)
    assert info.value.response.status_code == 502
    assert info.value.response.headers["Content-Type"].startswith("text/html")
    sandbox.add_fault("x", "publish", "truncated_json", count=1)
    resp = _tweet(sandbox_server.url, x_auth, "cut short")
    assert resp.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(resp.text)
    assert "cut short" in _texts(sandbox)  # the operation itself happened


def test_expire_token_fault_per_platform(sandbox, sandbox_server, x_auth):
    url = sandbox_server.url
    sandbox.add_fault("*", "*", "expire_token", count=2)
    assert requests.get(f"{url}/x/2/users/me", headers=x_auth,
                        timeout=5).status_code == 401
    page = sandbox.mint_token("facebook")["access_token"]
    fb = requests.get(f"{graph(url)}/me", params={"access_token": page}, timeout=5)
    assert (fb.json()["error"]["code"], fb.json()["error"]["error_subcode"]) == (
        190, 463)
    # google-api-python-client refreshes and retries on its own.
    yt_token = sandbox.mint_token("youtube")
    yt, creds = youtube_client(url, yt_token)
    sandbox.add_fault("youtube", "me", "expire_token", count=1)
    assert yt.channels().list(part="id", mine=True).execute()["items"]
    assert creds.token != yt_token["access_token"]
    assert [r["status"] for r in sandbox.requests_log("youtube")] == [401, 200, 200]


def test_youtube_rate_limit_and_custom_error(sandbox, sandbox_server):
    yt, _creds = youtube_client(sandbox_server.url, sandbox.mint_token("youtube"))
    sandbox.add_fault("youtube", "get", "rate_limit", count=1, reset_after=30)
    resp = requests.get(f"{sandbox_server.url}/youtube/youtube/v3/videos",
                        params={"part": "id", "id": "exCouncil01", "key": "k"},
                        timeout=5)
    assert resp.status_code == 403 and resp.headers["Retry-After"] == "30"
    assert resp.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    sandbox.add_fault("youtube", "publish", "error", count=1, status=403,
                      reason="forbidden", message="Nope")
    with pytest.raises(Exception, match="Nope"):
        yt.videos().insert(part="snippet", body={"snippet": {"title": "t"}},
                           media_body=MediaIoBaseUpload(io.BytesIO(b"v"),
                                                        mimetype="video/mp4",
                                                        resumable=True)).execute()


def test_rate_and_count_matching(sandbox, sandbox_server, x_auth):
    never = sandbox.add_fault("x", "me", "server_error", rate=0.0)
    for _ in range(3):
        assert requests.get(f"{sandbox_server.url}/x/2/users/me", headers=x_auth,
                            timeout=5).status_code == 200
    assert sandbox.remove_fault(never)
    sandbox.add_fault("x", "me", "server_error", rate=1.0)
    assert requests.get(f"{sandbox_server.url}/x/2/users/me", headers=x_auth,
                        timeout=5).status_code == 503
    assert _tweet(sandbox_server.url, x_auth, "other op").status_code == 201
    assert sandbox.faults()[0]["fired"] == 1
    sandbox.clear_faults()
    assert sandbox.faults() == []
    with pytest.raises(Exception, match="unknown fault kind"):
        sandbox.add_fault("x", "me", "gremlins")


def test_latency_applies_per_platform(sandbox, sandbox_server, x_auth):
    sandbox.set_latency("x", 150, jitter_ms=20)
    started = time.perf_counter()
    requests.get(f"{sandbox_server.url}/x/2/users/me", headers=x_auth, timeout=5)
    assert time.perf_counter() - started >= 0.15
    started = time.perf_counter()
    requests.get(f"{sandbox_server.url}/youtube/web/watch?v=exCouncil01", timeout=5)
    assert time.perf_counter() - started < 0.15
