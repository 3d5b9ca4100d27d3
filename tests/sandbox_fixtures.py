"""Pytest fixtures for the platform sandbox (registered as a plugin).

* ``sandbox_server`` (session): an in-process sandbox on a free port.
* ``sandbox`` (function): a :class:`SandboxControl`, reset before each test.

And :func:`answer_consent`, a person's browser on one of its consent pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

import pytest
import requests
from requests.adapters import HTTPAdapter

from sandbox.control import SandboxControl
from sandbox.server import RunningSandbox, start_sandbox


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[RunningSandbox]:
    """One sandbox for the whole run, on the port the test settings point the
    channels at, so a worker process reaches the same sandbox as the test."""
    server = start_sandbox(host="127.0.0.1", port=_settings_port())
    yield server
    server.stop()


def _settings_port() -> int:
    try:
        from django.conf import settings

        return int(settings.TEST_SANDBOX_PORT)
    except Exception:  # noqa: BLE001 - run without Django (-p no:django): any port
        return 0


@pytest.fixture
def sandbox(sandbox_server: RunningSandbox) -> Iterator[SandboxControl]:
    control = SandboxControl(sandbox_server.url)
    control.reset()
    yield control
    control.clear_faults()


class LoopbackAdapter(HTTPAdapter):
    """Send requests addressed to a real platform host to the sandbox instead."""

    def __init__(self, prefix: str, target: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prefix, self.target = prefix, target

    def send(self, request: requests.PreparedRequest, **kwargs: Any
             ) -> requests.Response:
        if request.url and request.url.startswith(self.prefix):
            request.url = self.target + request.url[len(self.prefix):]
        return super().send(request, **kwargs)


def answer_consent(url: str, decision: str = "allow") -> SplitResult:
    """Answer the sandbox's consent page at ``url`` (``allow`` or ``deny``)
    as a person's browser would; where it redirects to."""
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and "<form" in page.text
    fields = dict(parse_qsl(urlsplit(url).query))
    answer = requests.post(
        url, data={**fields, "decision": decision}, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302
    return urlsplit(answer.headers["Location"])
