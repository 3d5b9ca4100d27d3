"""The sandbox's HTTP server keeps connections open between requests, as the
real platforms do, without letting one request's body leak into the next."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from sandbox.wsgi_server import make_wsgi_server


def echo_app(environ, start_response):
    """Answers with what it was sent, unless the path says to ignore the body
    or to answer without a length."""
    path = environ["PATH_INFO"]
    if path == "/slow":
        time.sleep(0.01)  # the client is waiting in recv() before anything is sent
    if path in ("/ignore-body", "/slow"):
        body = b'{"ignored": true}'
    else:
        received = environ["wsgi.input"].read()
        body = json.dumps(
            {
                "path": path,
                "body": received.decode(),
                "file_offset": environ["sandbox.raw_headers"].get("file_offset"),
            }
        ).encode()
    headers = [("Content-Type", "application/json")]
    if path == "/no-length":  # streamed: no length the server can work out
        start_response("200 OK", headers)
        return (part for part in [body])
    headers.append(("Content-Length", str(len(body))))
    start_response("200 OK", headers)
    return [body]


@pytest.fixture
def server() -> Iterator[tuple[str, int]]:
    running = make_wsgi_server("127.0.0.1", 0, echo_app)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running.server_address[:2]
    running.shutdown()
    running.server_close()


def exchange(connection, method, path, body=None, headers=None, **options) -> dict:
    connection.request(method, path, body=body, headers=headers or {}, **options)
    response = connection.getresponse()
    return {
        "status": response.status,
        "json": json.loads(response.read()),
        "will_close": response.will_close,
    }


def test_one_connection_carries_many_requests(server):
    connection = http.client.HTTPConnection(*server, timeout=5)
    exchange(connection, "GET", "/first")
    socket_used = connection.sock

    answers = [
        exchange(connection, "POST", f"/n{n}", body=f"body {n}") for n in range(3)
    ]

    assert connection.sock is socket_used, "the server closed the connection"
    assert [a["json"]["body"] for a in answers] == ["body 0", "body 1", "body 2"]
    assert not any(a["will_close"] for a in answers)


def test_a_body_the_application_never_read_does_not_become_the_next_request(server):
    connection = http.client.HTTPConnection(*server, timeout=5)

    ignored = exchange(
        connection, "POST", "/ignore-body", body="GET /evil HTTP/1.1\r\n\r\n"
    )
    after = exchange(connection, "GET", "/next")

    assert ignored["json"] == {"ignored": True}
    assert after["json"]["path"] == "/next"
    assert after["status"] == 200


def test_a_chunked_body_arrives_whole(server):
    connection = http.client.HTTPConnection(*server, timeout=5)

    answer = exchange(
        connection,
        "PUT",
        "/chunked",
        body=iter([b"first ", b"second ", b"third"]),
        headers={"Transfer-Encoding": "chunked"},
        encode_chunked=True,
    )
    after = exchange(connection, "GET", "/after")

    assert answer["json"]["body"] == "first second third"
    assert after["json"]["path"] == "/after"


def test_header_names_with_underscores_stay_readable(server):
    connection = http.client.HTTPConnection(*server, timeout=5)

    answer = exchange(
        connection, "POST", "/upload", body="x", headers={"file_offset": "1048576"}
    )

    assert answer["json"]["file_offset"] == "1048576"


def test_a_response_without_a_length_closes_the_connection(server):
    connection = http.client.HTTPConnection(*server, timeout=5)

    answer = exchange(connection, "GET", "/no-length")

    assert answer["json"]["path"] == "/no-length"
    assert answer["will_close"] is True


def test_a_client_asking_to_close_is_answered_and_closed(server):
    connection = http.client.HTTPConnection(*server, timeout=5)

    answer = exchange(connection, "GET", "/bye", headers={"Connection": "close"})

    assert answer["status"] == 200
    assert answer["will_close"] is True


def test_a_response_leaves_in_one_piece(server):
    """Status line, headers and body in one send: a client already waiting gets
    the whole response from its first read, every time."""
    first_reads = []
    with socket.create_connection(server) as client:
        for _ in range(20):
            client.sendall(b"GET /slow HTTP/1.1\r\nHost: sandbox\r\n\r\n")
            first_reads.append(client.recv(65536))

    for first_read in first_reads:
        assert first_read.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"Content-Length: 17\r\n" in first_read
        assert first_read.endswith(b'\r\n\r\n{"ignored": true}')
