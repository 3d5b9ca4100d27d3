"""Control API, seed data, duplicate accounting, persistence and concurrency."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from sandbox.control import SandboxControl
from sandbox.seed import FB_PAGE_COUNCIL, FB_PAGE_LIBRARIES, X_USER_ID, YT_CHANNEL_ID

from .helpers import graph

ROOT = Path(__file__).resolve().parents[2]


def test_seed_accounts_have_history_and_media(sandbox):
    posts = sandbox.posts()
    per_account = Counter(p["account_id"] for p in posts)
    for account in (FB_PAGE_COUNCIL, FB_PAGE_LIBRARIES, X_USER_ID, YT_CHANNEL_ID):
        assert 3 <= per_account[account] <= 5
    with_alt = [p for p in posts if p["media"] and p["media"][0]["alt_text"]]
    assert len(with_alt) >= 3
    image = requests.get(f"{sandbox.url}/facebook/media/"
                         f"{with_alt[0]['media'][0]['id']}", timeout=5)
    assert image.headers["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


def test_urls_and_times_created(sandbox):
    token = sandbox.mint_token("facebook")["access_token"]
    g = graph(sandbox.url)
    data = {"message": "Read more: https://council.example/news/1?utm=fb.",
            "link": "https://council.example/news/1", "access_token": token}
    first = requests.post(f"{g}/{FB_PAGE_COUNCIL}/feed", data=data, timeout=5).json()
    requests.delete(f"{g}/{first['id']}", params={"access_token": token}, timeout=5)
    requests.post(f"{g}/{FB_PAGE_COUNCIL}/feed", data=data, timeout=5)
    live = [p for p in sandbox.posts("facebook") if p["link"] == data["link"]]
    assert len(live) == 1 and live[0]["times_created"] == 2
    assert live[0]["urls"] == ["https://council.example/news/1?utm=fb",
                               "https://council.example/news/1"]
    every = [p for p in sandbox.posts("facebook", include_deleted=True)
             if p["link"] == data["link"]]
    assert [p["deleted"] for p in every] == [True, False]


def test_reset_restores_the_seed(sandbox):
    token = sandbox.mint_token("x")["access_token"]
    requests.post(f"{sandbox.url}/x/2/tweets", json={"text": "temporary"},
                  headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert len(sandbox.posts("x")) == 5 and sandbox.requests_log("x")
    sandbox.reset()
    assert len(sandbox.posts("x")) == 4 and sandbox.requests_log() == []
    assert requests.get(f"{sandbox.url}/x/2/users/me", headers={
        "Authorization": f"Bearer {token}"}, timeout=5).status_code == 401


def test_control_validation_errors(sandbox):
    bad = requests.post(f"{sandbox.url}/_sandbox/tokens", json={"platform": "myspace"},
                        timeout=5)
    assert bad.status_code == 400 and "platform" in bad.json()["error"]
    assert requests.get(f"{sandbox.url}/_sandbox/nope", timeout=5).status_code == 404


def test_scenarios_are_checked_and_last_until_reset(sandbox):
    assert sandbox.set_scenario("youtube", playlist_lag_seconds=60)[
        "playlist_lag_seconds"] == 60
    for bad in ({"playlist_lag": 60}, {"playlist_lag_seconds": "soon"},
                {"processing_outcome": "lost"}):
        answer = requests.post(f"{sandbox.url}/_sandbox/scenarios",
                               json={"platform": "youtube", **bad}, timeout=5)
        assert answer.status_code == 400
    sandbox.clear_faults()
    assert sandbox.set_scenario("youtube")["playlist_lag_seconds"] == 60
    sandbox.reset()
    assert sandbox.set_scenario("youtube")["playlist_lag_seconds"] == 0


def test_hundred_concurrent_connections(sandbox):
    token = sandbox.mint_token("x")["access_token"]
    sandbox.set_latency("x", 300)

    def call(_n: int) -> int:
        return requests.get(f"{sandbox.url}/x/2/users/me", headers={
            "Authorization": f"Bearer {token}"}, timeout=10).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(pool.map(call, range(100)))
    assert statuses == [200] * 100
    assert time.perf_counter() - started < 3.0  # serial would take 30 s


def _start(state: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--state", str(state)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("Sandbox listening on http://127.0.0.1:")
    return proc, line.rsplit(" ", 1)[1]


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def test_state_file_round_trip(tmp_path):
    state = tmp_path / "sandbox-state.json"
    proc, url = _start(state)
    try:
        control = SandboxControl(url)
        tokens = control.mint_token("youtube")
        x_token = control.mint_token("x")["access_token"]
        created = requests.post(f"{url}/x/2/tweets", json={"text": "Survives restart"},
                                headers={"Authorization": f"Bearer {x_token}"},
                                timeout=5)
        assert created.status_code == 201
    finally:
        _stop(proc)
    assert state.exists() and "Survives restart" in state.read_text()
    proc, url = _start(state)
    try:
        control = SandboxControl(url)
        assert "Survives restart" in [p["text"] for p in control.posts("x")]
        me = requests.get(f"{url}/x/2/users/me", headers={
            "Authorization": f"Bearer {x_token}"}, timeout=5)
        assert me.status_code == 200
        refreshed = requests.post(f"{url}/youtube/token", data={
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
            "client_id": "sandbox-google-client-id.apps.googleusercontent.com",
            "client_secret": "sandbox-google-client-secret"}, timeout=5)
        assert refreshed.status_code == 200
    finally:
        _stop(proc)
