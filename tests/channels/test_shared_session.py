"""Adapters of one thread share keep-alive connections, and nothing else; their
session takes proxies from the environment and credentials never."""

from __future__ import annotations

import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from channels import google_api, registry
from channels.bluesky import BlueskyAdapter
from channels.mastodon import MastodonAdapter
from channels.session import PlatformSession, shared_http_client, shared_session
from channels.values import Credentials, Post
from sandbox.seed import BSKY_DID
from sandbox.seed import MASTODON_ACCOUNT_ID as MASTODON_ACCOUNT

from .contract import bluesky_config, mastodon_config


class CookieSettingHandler(BaseHTTPRequestHandler):
    """Sets a cookie on every answer and reports the cookie it was sent."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the platforms answer

    def do_GET(self):  # noqa: N802 - the http.server naming
        body = (self.headers.get("Cookie") or "none").encode()
        self.send_response(200)
        self.send_header("Set-Cookie", "session=account-a; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.peers.add(self.client_address)

    def log_message(self, *args):
        pass


@pytest.fixture
def cookie_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), CookieSettingHandler)
    server.peers = set()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def credentials(account_id: str) -> Credentials:
    return Credentials(account_id=account_id, access_token=f"token-{account_id}")


def test_adapters_in_one_thread_share_a_session_and_its_connections(cookie_server):
    first = registry.build("facebook", credentials("1"))
    second = registry.build("facebook", credentials("2"))
    url = f"http://127.0.0.1:{cookie_server.server_port}/"

    first.session.get(url)
    second.session.get(url)

    assert first.session is second.session
    assert len(cookie_server.peers) == 1, "the second request reused the connection"


def test_no_cookie_one_account_received_travels_with_another_accounts_request(
    cookie_server,
):
    first = registry.build("facebook", credentials("1"))
    second = registry.build("x", credentials("2"))
    url = f"http://127.0.0.1:{cookie_server.server_port}/"

    assert first.session.get(url).text == "none"
    assert second.session.get(url).text == "none"
    assert second.client.session.get(url).text == "none"
    assert len(first.session.cookies) == 0


def test_each_thread_has_its_own_session_and_google_transport():
    found = []
    both_built = threading.Barrier(2)  # both alive at once, so neither is reused

    def build():
        both_built.wait()
        found.append(
            (
                shared_session(5.0),
                google_api.authorized_http(
                    google_api.google_credentials({}, credentials("UC1")), 5.0
                )[0],
            )
        )
        both_built.wait()

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (session_a, http_a), (session_b, http_b) = found

    assert session_a is not session_b
    assert http_a is not http_b
    assert shared_session(5.0) is shared_session(5.0)


# A timeout no other test uses, so each test below starts with a client of its
# own and counts every connection that client opens.
UNUSED_TIMEOUT = 7.125


@pytest.fixture
def accepted(sandbox_server, monkeypatch):
    """Connections the sandbox accepts from now on, as a list of peers."""
    server = sandbox_server.server
    peers = []
    real_accept = server.get_request

    def counting_accept():
        connection, peer = real_accept()
        peers.append(peer)
        return connection, peer

    monkeypatch.setattr(server, "get_request", counting_accept)
    return peers


def _post(number: int) -> Post:
    link = f"https://www.exampleshire.gov.uk/news/{uuid.uuid4().hex[:12]}/"
    return Post(text=f"Bins, round {number}. {link}", link=link, marker=link)


def _bluesky(url: str, token: dict) -> BlueskyAdapter:
    return BlueskyAdapter(
        bluesky_config(url, timeout=UNUSED_TIMEOUT),
        Credentials(
            BSKY_DID,
            token["access_token"],
            refresh_token=token.get("refresh_token", ""),
            extra={"handle": "exampleshire.bsky.social"},
        ),
    )


def test_bluesky_deliveries_in_one_thread_share_one_connection(
    sandbox, sandbox_server, request
):
    token = sandbox.mint_token("bluesky")
    peers = request.getfixturevalue("accepted")  # after the control API's call

    # A worker builds an adapter for each delivery.
    for number in range(2):
        _bluesky(sandbox_server.url, token).publish(_post(number))

    assert len(sandbox.posts("bluesky")) >= 2
    assert len(peers) == 1, f"the sandbox accepted {len(peers)} connections"


def test_mastodon_deliveries_in_one_thread_share_one_connection(
    sandbox, sandbox_server, request
):
    token = sandbox.mint_token("mastodon", account_id=MASTODON_ACCOUNT)
    peers = request.getfixturevalue("accepted")
    config = mastodon_config(sandbox_server.url, timeout=UNUSED_TIMEOUT + 1)

    for number in range(2):
        MastodonAdapter(
            config, Credentials(MASTODON_ACCOUNT, token["access_token"])
        ).publish(_post(number))

    assert len(peers) == 1, f"the sandbox accepted {len(peers)} connections"


def test_each_thread_has_its_own_http_client_and_a_forked_child_a_new_one():
    mine = shared_http_client(5.0)
    found = []
    thread = threading.Thread(target=lambda: found.append(shared_http_client(5.0)))
    thread.start()
    thread.join()

    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        os.write(write_end, b"inherited" if shared_http_client(5.0) is mine else b"new")
        os._exit(0)
    os.close(write_end)
    answer = os.read(read_end, 20)
    os.close(read_end)
    os.waitpid(child, 0)

    assert shared_http_client(5.0) is mine
    assert found[0] is not mine
    assert answer == b"new"


def test_the_shared_http_client_refuses_cookies(cookie_server):
    client = shared_http_client(UNUSED_TIMEOUT + 2)
    url = f"http://127.0.0.1:{cookie_server.server_port}/"

    assert client.get(url).text == "none"
    assert client.get(url).text == "none"
    assert len(client.cookies) == 0


class EchoHandler(BaseHTTPRequestHandler):
    """Answers with the request's target and its Authorization header, so a
    test sees whether a request came through a proxy and what credentials it
    carried. As a proxy, it is sent the whole URL as the target."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 - the http.server naming
        body = f"{self.path}|{self.headers.get('Authorization')}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def echo_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_environments_proxy_is_used_except_where_no_proxy_says(
    echo_server, monkeypatch
):
    port = echo_server.server_port
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NO_PROXY", "localhost")
    session = PlatformSession()

    proxied = session.get("http://graph.platform.invalid/v19.0/me")
    direct = session.get(f"http://localhost:{port}/v19.0/me")

    assert proxied.text.split("|")[0] == "http://graph.platform.invalid/v19.0/me"
    assert direct.text.split("|")[0] == "/v19.0/me"


def test_the_environment_is_read_once_for_each_origin(echo_server, monkeypatch):
    port = echo_server.server_port
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = PlatformSession()
    looked_up = []
    real_lookup = requests.utils.get_environ_proxies
    monkeypatch.setattr(
        requests.utils,
        "get_environ_proxies",
        lambda url, **kwargs: looked_up.append(url) or real_lookup(url, **kwargs),
    )

    for number in range(3):
        session.get(f"http://graph.platform.invalid/v19.0/{number}")
    session.get("http://api.platform.invalid/2/tweets")

    assert looked_up == [
        "http://graph.platform.invalid/v19.0/0",
        "http://api.platform.invalid/2/tweets",
    ]


def test_a_netrc_entry_never_replaces_the_token_an_adapter_sends(
    echo_server, monkeypatch, tmp_path
):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-the-token\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    url = f"http://127.0.0.1:{echo_server.server_port}/2/users/me"

    answer = PlatformSession().get(url, headers={"Authorization": "Bearer token-1"})

    assert answer.text.split("|")[1] == "Bearer token-1"
    # requests' own session, which trusts the environment, would have sent the
    # netrc login instead: the case this guards against is real.
    plain = requests.Session().get(url, headers={"Authorization": "Bearer token-1"})
    assert plain.text.split("|")[1].startswith("Basic ")
