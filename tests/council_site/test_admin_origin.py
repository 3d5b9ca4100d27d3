"""The Wagtail admin loads nothing from another host: no Gravatar avatars (a
user without an uploaded avatar gets Wagtail's default picture), no fonts or
scripts from elsewhere."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from tests.browser import chromium, needs_chromium

#: Pages every signed-in member of staff sees, with avatars in the sidebar,
#: the account menu and the users list.
ADMIN_PAGES = ["/admin/", "/admin/pages/", "/admin/account/", "/admin/users/"]


class Resources(HTMLParser):
    """The URLs a page's markup makes a browser load: ``src``, ``srcset``,
    stylesheet and icon links, and avatar URLs in Wagtail's JSON props (the
    sidebar is drawn by script from them)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._json = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name in ("src", "poster", "data-src"):
            if values.get(name):
                self.urls.append(values[name])
        for candidate in (values.get("srcset") or "").split(","):
            if candidate.strip():
                self.urls.append(candidate.split()[0])
        if tag == "link" and values.get("href"):
            self.urls.append(values["href"])
        self._json = tag == "script" and values.get("type") == "application/json"

    def handle_data(self, data):
        if self._json and data.strip():
            self.urls += list(_avatar_urls(json.loads(data)))

    def handle_endtag(self, tag):
        self._json = False


def _avatar_urls(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if re.search("avatar", key, re.IGNORECASE) and isinstance(item, str):
                yield item
            else:
                yield from _avatar_urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from _avatar_urls(item)


def _elsewhere(url: str, own_host: str) -> bool:
    host = urlsplit(url).netloc  # "//host/..." counts: the browser adds a scheme
    return bool(host) and host != own_host


@pytest.fixture
def staff(django_user_model, site_tree):
    return django_user_model.objects.create_superuser(
        "admin", email="admin@exampleshire.gov.uk", password="x"
    )


@pytest.mark.django_db
def test_admin_pages_load_nothing_from_another_host(client, staff):
    client.force_login(staff)
    found = {}
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        parser = Resources()
        parser.feed(response.content.decode())
        assert parser.urls, path  # the parser sees the page's own resources
        found[path] = [url for url in parser.urls if _elsewhere(url, "testserver")]
    assert found == {path: [] for path in ADMIN_PAGES}


@pytest.mark.browser
@needs_chromium
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_admin_in_a_browser_requests_only_its_own_origin(
    client, staff, live_server, monkeypatch
):
    client.force_login(staff)
    origin = urlsplit(live_server.url)
    with chromium(monkeypatch) as browser:
        context = browser.new_context()
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "domain": origin.hostname,
                    "path": "/",
                }
            ]
        )
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        for path in ADMIN_PAGES:
            page.goto(live_server.url + path, wait_until="networkidle")
            assert page.url == live_server.url + path  # signed in, not redirected
        context.close()
    assert [url for url in requested if _elsewhere(url, origin.netloc)] == []
