"""A real HTTP server on loopback that misbehaves on purpose, standing in for a
platform's CDN (or a service inside our network) in the feed fetcher's tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sandbox.png import make_png

PICTURE = make_png(4, 3, (10, 120, 60))

Route = Callable[[BaseHTTPRequestHandler], None]


class HostileServer:
    """Routes by path; every request's path and headers are kept in ``seen``;
    ``finished`` is set when a trickled answer has been sent whole."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.finished = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.seen.append((self.path, dict(self.headers)))
                server.routes.get(self.path, not_found)(self)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.netloc = f"127.0.0.1:{self.httpd.server_port}"
        self.url = f"http://{self.netloc}"

    def trickle(self, handler: BaseHTTPRequestHandler, data: bytes, pause: float):
        """Send ``data`` a byte at a time: each read is quick, the whole slow."""
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        try:
            for byte in data:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(pause)  # the server's fault, not the test's wait
        except OSError:
            return  # the client gave up
        self.finished.set()


def not_found(handler: BaseHTTPRequestHandler) -> None:
    handler.send_error(404)


def image(data: bytes = PICTURE, content_type: str = "image/png") -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.end_headers()  # no length: read until the connection closes
        handler.wfile.write(data)
        handler.close_connection = True

    return route


def redirect(location: str) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
