"""A threaded HTTP/1.1 WSGI server that keeps connections open, as the real
platforms do.

The app's clients keep one connection per worker thread and platform (see
``channels.base.shared_session``). Werkzeug's development server closes the
connection after every response, so against it each request paid for a new
TCP connection on the client and a new thread on the server, a cost the real
platforms never charge, taken from the same two cores as the worker being
measured. This server is built from the standard library: ``socketserver``
threads, ``http.server`` parsing and ``wsgiref``'s WSGI handler. It reads each
request's body in full before the application runs, so the next request on the
connection starts exactly where this one ended, and it keeps the connection
open after any response whose length it announced.
"""

from __future__ import annotations

import io
import socket
import socketserver
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

#: The largest request body the sandbox accepts (a video chunk is a few MiB).
MAX_BODY_BYTES = 256 * 1024 * 1024


class ThreadedWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """One thread per connection, with a deep accept backlog for bursts."""

    daemon_threads = True
    request_queue_size = 1024

    @property
    def app(self) -> Any:
        return self.get_app()

    def server_bind(self) -> None:
        # HTTPServer looks up the host's fully qualified name here, which can
        # wait on DNS; the sandbox only needs the address and port.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), port
        self.setup_environ()


class _ResponseHandler(ServerHandler):
    """wsgiref's handler speaking HTTP/1.1, noting whether the response had a
    length (so the connection may carry another request). A connection the
    application dropped on purpose (a fault) ends the run quietly, without a
    close, so it counts as not delimited."""

    http_version = "1.1"
    delimited = False

    def cleanup_headers(self) -> None:
        super().cleanup_headers()  # sets Content-Length where it can
        # Say so when this response ends the connection: it has no length (its
        # end is the close), or the client asked to close.
        closing = self.request_handler.close_connection
        if closing or "Content-Length" not in self.headers:
            self.headers["Connection"] = "close"

    def close(self) -> None:
        # wsgiref clears the headers as it closes; look before it does.
        self.delimited = bool(
            self.headers is not None and self.headers.get("Content-Length")
        )
        super().close()


class KeepAliveHandler(WSGIRequestHandler):
    """Serves requests on one connection until the client closes it, asks to,
    or a response cannot be delimited."""

    protocol_version = "HTTP/1.1"
    # Small header and body writes must not wait on delayed ACKs.
    disable_nagle_algorithm = True
    # Buffered, so the status line, each header and the body leave in one send
    # (wsgiref writes them one by one); flushed after every response.
    wbufsize = -1

    def handle(self) -> None:
        try:
            BaseHTTPRequestHandler.handle(self)  # loops while the connection lasts
        except ConnectionError:
            self.close_connection = True

    def handle_one_request(self) -> None:
        try:
            self._serve_one_request()
        finally:
            self.wfile.flush()

    def _serve_one_request(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self.send_error(HTTPStatus.BAD_REQUEST, "Unreadable request body")
            return
        handler = _ResponseHandler(
            io.BytesIO(body),  # wsgiref makes this the application's wsgi.input
            self.wfile,
            self.get_stderr(),
            self._environ(body),
            multithread=True,
        )
        handler.request_handler = self
        handler.run(self.server.get_app())
        if not handler.delimited:
            self.close_connection = True

    def _environ(self, body: bytes) -> dict[str, Any]:
        environ = self.get_environ()
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)  # the body is whole now
        # Fault injection drops the connection through its socket.
        environ["sandbox.socket"] = self.connection
        # WSGI drops header names containing "_", but Facebook's resumable upload
        # protocol uses one ("file_offset"); keep the raw headers available.
        environ["sandbox.raw_headers"] = {
            name.lower(): value for name, value in self.headers.items()
        }
        return environ

    def _read_body(self) -> bytes | None:
        """The whole request body, or ``None`` if it cannot be read."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length", "0").strip() or "0"
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return None
        body = self.rfile.read(int(length))
        return body if len(body) == int(length) else None

    def _read_chunked(self) -> bytes | None:
        parts, total = [], 0
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > MAX_BODY_BYTES:
                return None
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)  # the CRLF after each chunk

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the sandbox keeps its own request log


class ThreadedWSGIServer6(ThreadedWSGIServer):
    """The same, listening on an IPv6 address."""

    address_family = socket.AF_INET6


def make_wsgi_server(host: str, port: int, app: Any) -> ThreadedWSGIServer:
    server_class = ThreadedWSGIServer6 if ":" in host else ThreadedWSGIServer
    server = server_class((host, port), KeepAliveHandler)
    server.set_app(app)
    return server
