"""Every link that leaves the site is on its public address, ``SITE_URL``,
whatever host and port the Wagtail Site record holds (``localhost:80`` here)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from publishing import content
from tests.public.conftest import publish

pytestmark = pytest.mark.django_db

PUBLIC = "https://www.exampleshire.gov.uk"


@pytest.fixture
def public_address(settings):
    settings.SITE_URL = PUBLIC + "/"
    return PUBLIC


def test_posted_links_and_markers_are_on_site_url(public_address, make_policy):
    policy = make_policy(title="Parking Policy")
    publish(policy)

    post = content.build_post(policy, "facebook", content.social_settings_for(policy))

    assert policy.full_url.startswith("http://localhost/")
    assert post.marker == f"{PUBLIC}/policies/parking-policy/"
    assert post.link.startswith(post.marker)


def test_sitemap_atom_feed_and_robots_link_to_site_url(
    public_address, client, make_policy, make_announcement
):
    policy = make_policy(title="Parking Policy")
    publish(policy)
    publish(make_announcement(title="Roadworks", with_video=False))

    sitemap = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314
    locations = [loc.text for loc in sitemap.iter() if loc.tag.endswith("loc")]
    atom = ET.fromstring(client.get("/news.atom").content)  # noqa: S314
    hrefs = [link.get("href") for link in atom.iter() if link.tag.endswith("link")]
    robots = client.get("/robots.txt").content.decode()

    assert f"{PUBLIC}/policies/parking-policy/" in locations
    assert locations and all(loc.startswith(PUBLIC + "/") for loc in locations)
    assert f"{PUBLIC}/news/roadworks/" in hrefs
    assert hrefs and all(href.startswith(PUBLIC + "/") for href in hrefs)
    assert f"Sitemap: {PUBLIC}/sitemap.xml" in robots
