"""Screenshots of the running demo for the README (``make screenshots``).

Start the demo first (``make run``), wait a minute for its posts to go out, then
run this: it signs in as the demo's editor and comms manager in Debian's
Chromium and saves the editor's Social tab, a preview, the dashboard, the
calendar and the home page under ``docs/screenshots/``.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path
from urllib.parse import quote
from urllib.request import urlopen

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "council-demo"  # noqa: S105 - the demo users' published password (README)


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))


def wait_for_demo(base: str, seconds: float = 60.0) -> None:
    """Wait until the demo's web server answers (``make run`` may still be
    starting, or reloading)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urlopen(f"{base}/", timeout=5):  # noqa: S310 - the local demo
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"The demo at {base} does not answer: start "
                                 "`make run` first.") from None
            time.sleep(1)


def announcement_edit_path(page, base: str, words: str) -> str:
    """The edit view of the demo announcement found by searching ``words``."""
    page.goto(f"{base}/admin/pages/search/?q={quote(words)}")
    link = page.locator("a[href*='/admin/pages/'][href$='/edit/']").first
    return link.get_attribute("href")


def take(base: str) -> list[Path]:
    HERE.mkdir(exist_ok=True)
    wait_for_demo(base)
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            wide = browser.new_context(viewport={"width": 1280, "height": 900})
            page = wide.new_page()
            page.goto(f"{base}/")
            saved.append(shot(page, "home-page"))

            comms = browser.new_context(viewport={"width": 1280, "height": 900})
            page = comms.new_page()
            sign_in(page, base, "comms")
            page.goto(f"{base}/admin/social/posts/")
            saved.append(shot(page, "dashboard"))
            page.goto(f"{base}/admin/social/calendar/")
            saved.append(shot(page, "calendar"))

            editor = browser.new_context(viewport={"width": 1280, "height": 900})
            page = editor.new_page()
            sign_in(page, base, "editor")
            edit = base + announcement_edit_path(page, base, "bin collection")
            page.goto(edit + "#tab-social")
            page.get_by_role("tab", name="Social").click()
            saved.append(shot(page, "social-tab"))
            # Opening the preview panel sends the form's values, as an
            # editor's click does; each platform's preview then shows them.
            page.get_by_role("button", name="Toggle preview").click()
            page.frame_locator("#w-preview-iframe").locator("body").wait_for()
            preview = editor.new_page()
            for platform in ("facebook", "x"):
                preview.goto(f"{edit}preview/?mode={platform}")
                saved.append(shot(preview, f"preview-{platform}"))

            phone = browser.new_context(viewport={"width": 375, "height": 800})
            small = phone.new_page()
            small.goto(f"{base}/")
            saved.append(shot(small, "home-page-phone"))
        finally:
            browser.close()
    return saved


def shot(page, name: str) -> Path:
    page.wait_for_load_state("networkidle")
    path = HERE / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    options = parser.parse_args()
    for path in take(options.base.rstrip("/")):
        print(f"saved {path}")
