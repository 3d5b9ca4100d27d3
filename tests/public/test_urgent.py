"""An urgent notice is a banner on every page while it is urgent (GOV.UK's
notification banner pattern), and first in the home page's news."""

from __future__ import annotations

import re

import pytest

from tests.public.conftest import page_html, publish

pytestmark = pytest.mark.django_db

FLOOD = "Flood warning: River Exe at Northgate"


def banner(html: str) -> str:
    """The banner's markup, or "" when the page has none."""
    found = re.search(r'<div class="notification-banner".*?</div>\s*</div>', html, re.S)
    return found.group() if found else ""


@pytest.fixture
def flood_warning(make_announcement):
    notice = make_announcement(title=FLOOD, urgent=True, with_video=False)
    publish(notice)
    return notice


def test_an_urgent_notice_is_a_banner_on_every_other_page(
    client, site, flood_warning, make_policy
):
    policy = make_policy()
    publish(policy)

    for url in ("/", policy.url, site["news"].url, "/search/?q=bins"):
        shown = banner(page_html(client, url))
        assert 'role="region" aria-labelledby="urgent-banner-title"' in shown, url
        assert f'href="{flood_warning.url}"' in shown, url
        assert FLOOD in shown, url
    assert banner(page_html(client, flood_warning.url)) == ""


def test_the_banner_goes_when_the_notice_is_no_longer_urgent(
    client, site, flood_warning
):
    assert FLOOD in banner(page_html(client, "/"))

    flood_warning.urgent = False
    publish(flood_warning)

    assert banner(page_html(client, "/")) == ""


def test_an_older_urgent_notice_comes_first_in_the_home_pages_news(
    client, site, flood_warning, make_announcement
):
    for number in range(4):
        publish(make_announcement(title=f"Library news {number}", with_video=False))

    html = page_html(client, "/")
    news = html.split('id="latest-news"')[1].split("</section>")[0]

    assert news.index(FLOOD) < news.index("Library news")
    assert news.count("<h3>") == 4
