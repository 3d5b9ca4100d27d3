"""The sandbox WSGI application and its threaded HTTP server.

Requests are dispatched by the first path segment (``/facebook``, ``/x``,
``/youtube``, ``/mastodon``, ``/bluesky``, ``/_sandbox``). For platform routes
the middleware applies, in order: configured latency, fault injection, the
handler, and the platform's standard response headers; then it records the
exchange in the request log.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from werkzeug.wrappers import Response

from . import bluesky, control_api, facebook, mastodon, x, youtube
from .faults import Fault, FaultBook
from .state import State
from .web import Ctx, SandboxRequest, json_response
from .wsgi_server import ThreadedWSGIServer, make_wsgi_server

logger = logging.getLogger("sandbox")

HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body>"
    b"<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>"
    b"</body></html>"
)


class ConnectionDropped(ConnectionAbortedError):
    """Raised after the socket is shut down so the server skips the response."""


class SandboxApp:
    """WSGI callable holding the state, the fault book and the platforms."""

    def __init__(self, state: State | None = None) -> None:
        self.state = state or State()
        self.faults = FaultBook()
        self.platforms: dict[str, ModuleType] = {
            "facebook": facebook,
            "x": x,
            "youtube": youtube,
            "mastodon": mastodon,
            "bluesky": bluesky,
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = SandboxRequest(environ)
        path = request.path
        if path.startswith("/_sandbox/") or path == "/_sandbox":
            return control_api.handle(self, request)(environ, start_response)
        name = path.split("/", 2)[1]
        module = self.platforms.get(name)
        if module is None:
            resp = json_response(
                {"error": "unknown platform prefix", "platforms": list(self.platforms)},
                404,
            )
            return resp(environ, start_response)
        resp = self._dispatch(request, module, name, environ)
        return resp(environ, start_response)

    def _dispatch(
        self,
        request: SandboxRequest,
        module: ModuleType,
        name: str,
        environ: dict[str, Any],
    ) -> Response:
        started = time.perf_counter()
        sub = request.path[len(name) + 1 :] or "/"
        route, params = module.router.match(request.method, sub)
        ctx = Ctx(
            request=request,
            state=self.state,
            faults=self.faults,
            base=request.host_url.rstrip("/"),
            platform=name,
            operation=route.operation if route else None,
            params=params,
        )
        self.faults.delay(name)
        fault = self.faults.pick(name, ctx.operation) if route else None
        drop = False
        if route is None:
            resp = module.not_found(ctx)
        elif fault is None:
            resp = self._run(module, ctx, route.handler)
        else:
            resp, drop = self._apply_fault(module, ctx, route.handler, fault)
        if fault is None and ctx.read_back is not None and resp.status_code < 300:
            resp, drop, fault = self._read_back(module, ctx)
        if not drop:
            module.decorate(ctx, resp)
        self.state.record_request(
            {
                "ts": time.time(),
                "platform": name,
                "method": request.method,
                "path": request.path,
                "query": request.query_string.decode("latin-1"),
                "operation": ctx.operation,
                "status": None if drop else resp.status_code,
                "fault": fault.kind if fault else None,
                "fault_id": fault.id if fault else None,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            }
        )
        if drop:
            self._drop(environ)
        return resp

    def _read_back(
        self, module: ModuleType, ctx: Ctx
    ) -> tuple[Response, bool, Fault | None]:
        """The read half of a write that reads its result back.

        It runs after the write has happened, as a read: a "get" fault fails
        it (and only it), the way a platform's read can fail after its write.
        """
        handler, ctx.read_back = ctx.read_back, None
        fault = self.faults.pick(ctx.platform, "get")
        if fault is None:
            return self._run(module, ctx, handler), False, None
        resp, drop = self._apply_fault(module, ctx, handler, fault)
        return resp, drop, fault

    @staticmethod
    def _run(module: ModuleType, ctx: Ctx, handler: Any) -> Response:
        try:
            return handler(ctx)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a response
            resp = module.handle_error(ctx, exc)
            if resp is not None:
                return resp
            traceback.print_exc(file=sys.stderr)
            return module.server_error(ctx, 500)

    def _apply_fault(
        self, module: ModuleType, ctx: Ctx, handler: Any, fault: Fault
    ) -> tuple[Response, bool]:
        params, kind = fault.params, fault.kind
        if kind == "server_error":
            return module.server_error(ctx, params.get("status")), False
        if kind == "hang":
            self.faults.hang(float(params.get("hang_seconds", 60)))
            return module.server_error(ctx, 503), False
        if kind == "rate_limit":
            return module.rate_limited(
                ctx, float(params.get("reset_after", 60)), params
            ), False
        if kind == "error":
            return module.custom_error(ctx, params), False
        if kind == "html_error":
            resp = Response(
                HTML_502,
                status=int(params.get("status", 502)),
                content_type="text/html",
            )
            return resp, False
        if kind == "expire_token":
            token = module.caller_token(ctx)
            if token:
                self.state.expire_tokens(ctx.platform, token)
            return self._run(module, ctx, handler), False
        resp = self._run(module, ctx, handler)
        if kind == "drop_after_create":
            return resp, True
        # truncated_json: the operation happened but the body is cut short.
        body = resp.get_data()
        cut = body[: max(1, len(body) // 2)] if len(body) > 1 else b"{"
        resp.set_data(cut)
        resp.status_code = 200
        resp.headers["Content-Type"] = "application/json; charset=UTF-8"
        return resp, False

    @staticmethod
    def _drop(environ: dict[str, Any]) -> None:
        sock = environ.get("sandbox.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        raise ConnectionDropped("connection dropped by fault injection")


@dataclass
class RunningSandbox:
    """Handle returned by :func:`start_sandbox`."""

    url: str
    app: SandboxApp
    server: ThreadedWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.app.faults.clear()  # release any hanging requests first
        self.server.shutdown()
        self.server.server_close()
        self.app.state.close()
        self.thread.join(timeout=5)


def make_server(
    host: str = "127.0.0.1", port: int = 0, state_path: str | None = None
) -> ThreadedWSGIServer:
    return make_wsgi_server(host, port, SandboxApp(State(state_path)))


def start_sandbox(
    host: str = "127.0.0.1", port: int = 0, state_path: str | None = None
) -> RunningSandbox:
    """Start the sandbox in a daemon thread and return a handle with ``.url``."""
    server = make_server(host, port, state_path)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        daemon=True,
        name="sandbox-http",
    )
    thread.start()
    url = f"http://{display_host(host)}:{server.server_port}"
    return RunningSandbox(url=url, app=server.app, server=server, thread=thread)


def display_host(host: str) -> str:
    if host in ("0.0.0.0", ""):  # noqa: S104 - only used to print a usable URL
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
