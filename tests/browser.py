"""Shared set-up of the browser tests: Debian's Chromium driven through
Playwright's sync API, never a browser build of Playwright's own.

Test modules mark themselves with :data:`needs_chromium` and open a browser with
:func:`chromium`; screenshots go to :data:`ARTIFACTS` (kept by CI as test
artifacts, ignored by git).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
# No sandbox (tests run as root in CI), no GPU, and nothing that would make the
# browser reach out to the internet on its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Chromium is not installed at /usr/bin/chromium (make test installs it "
    "when run as root)",
)


@contextmanager
def chromium(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """A launched Chromium, closed afterwards.

    Playwright's sync API runs an event loop in the test's thread, which makes
    Django refuse synchronous database calls from that thread; the test's own
    calls are synchronous and safe, so the check is switched off for the test.
    """
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            # The test's database queries ran beside Playwright's event loop, in
            # a connection of their own that nothing else closes; left open, it
            # stops PostgreSQL dropping the test database at the end.
            from django.db import connections

            connections.close_all()


@contextmanager
def chromium_expecting(monkeypatch: pytest.MonkeyPatch, timeout_ms: int) -> Iterator:
    """:func:`chromium`, with Playwright's ``expect`` waiting up to ``timeout_ms``
    (page loads on a busy two-core machine) until the browser is closed."""
    from playwright.sync_api import expect

    expect.set_options(timeout=timeout_ms)
    try:
        with chromium(monkeypatch) as launched:
            yield launched
    finally:
        expect.set_options(timeout=None)


def screenshot(tab, name: str, element=None) -> None:
    """Save the tab as ``ARTIFACTS/<name>.png``, ``element`` scrolled into view."""
    if element is not None:
        element.scroll_into_view_if_needed()
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"))
