"""Screenshots of the running demo for the README (``make screenshots``).

Start the demo first (``make run``), wait a minute for its posts to go out, then
run this: it signs in as the demo's editor and comms manager in Debian's
Chromium and saves the editor's Social tab, a preview, the dashboard, the
calendar and the home page under ``docs/screenshots/``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

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


def first_announcement_edit_url(page, base: str) -> str:
    """The edit view of the demo's first announcement, from the page explorer."""
    page.goto(f"{base}/admin/pages/search/?q=bins")
    link = page.locator("a[href*='/admin/pages/'][href$='/edit/']").first
    return base + link.get_attribute("href")


def take(base: str) -> list[Path]:
    HERE.mkdir(exist_ok=True)
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

            sign_in(page, base, "comms")
            page.goto(f"{base}/admin/social/posts/")
            saved.append(shot(page, "dashboard"))
            page.goto(f"{base}/admin/social/calendar/")
            saved.append(shot(page, "calendar"))

            edit = first_announcement_edit_url(page, base)
            page.goto(edit + "#tab-social")
            saved.append(shot(page, "social-tab"))
            page.goto(edit.replace("/edit/", "/view_draft/") + "?mode=x")
            saved.append(shot(page, "preview-x"))

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
