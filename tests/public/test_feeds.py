"""Social feeds: copied from the platforms by the site, sanitised, kept when a
platform fails, and rendered by our own templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from channels.values import FeedItem
from publishing import feeds, tasks
from publishing.models import SocialFeed
from tests.publishing.conftest import FACEBOOK_PAGE, spoil_token
from tests.worker_fixtures import wait_for

HOSTILE = (
    'Road closed <script>alert("feed")</script> '
    '<img src=x onerror="alert(1)"> <a href="javascript:alert(2)">details</a> '
    "see https://www.exampleshire.gov.uk/roads"
)


def post_to_facebook_page(sandbox, message: str) -> str:
    """Publish on the sandbox Page through the Graph API, as a person would."""
    token = sandbox.mint_token("facebook", account_id=FACEBOOK_PAGE)["access_token"]
    response = requests.post(
        f"{sandbox.url}/facebook/v24.0/{FACEBOOK_PAGE}/feed",
        data={"message": message, "access_token": token},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["id"]


@pytest.mark.django_db
def test_refresh_copies_each_accounts_recent_posts_with_pictures_on_our_side(
    accounts, sandbox
):
    results = feeds.refresh_all()

    assert {r.account_id for r in results} == {a.pk for a in accounts.values()}
    assert all(r.ok and r.items > 0 for r in results)
    media_root = Path(settings.MEDIA_ROOT)
    pictures = 0
    for feed in SocialFeed.objects.select_related("account"):
        assert feed.fetched_at and not feed.last_error
        platform_posts = {p["id"] for p in sandbox.posts(feed.account.platform)}
        for item in feed.items:
            assert item["permalink"].startswith(sandbox.url)
            assert item["id"] in platform_posts
            for media in item["media"]:
                if media["src"]:
                    pictures += 1
                    assert media["src"].startswith(settings.MEDIA_URL + "feeds/")
                    stored = media_root / media["src"][len(settings.MEDIA_URL) :]
                    assert stored.is_file() and stored.stat().st_size > 0
    assert pictures > 0, "the sandbox's seeded posts include pictures"


@pytest.mark.django_db
def test_hostile_html_from_a_platform_is_removed_before_storing_and_rendering(
    accounts, sandbox, client, site
):
    remote_id = post_to_facebook_page(sandbox, HOSTILE)
    feeds.refresh_all()

    feed = SocialFeed.objects.get(account=accounts["facebook"])
    item = next(i for i in feed.items if i["id"] == remote_id)
    assert "<" not in item["text"] and "onerror" not in item["text"]
    assert "alert" not in item["text"]
    assert "Road closed" in item["text"]

    html = client.get("/").content.decode()
    assert "Road closed" in html
    assert "alert(" not in html
    assert "onerror" not in html
    assert "javascript:" not in html
    # The only scripts on the page are our own external files.
    assert re.findall(r"<script(?![^>]*\ssrc=)", html) == []
    # Plain URLs in a post become ordinary links out.
    assert 'href="https://www.exampleshire.gov.uk/roads"' in html


@pytest.mark.django_db
def test_a_platform_failure_keeps_the_last_good_feed_and_its_time(
    accounts, sandbox, client, site
):
    feeds.refresh_all()
    x_feed = SocialFeed.objects.get(account=accounts["x"])
    good_items, good_time = x_feed.items, x_feed.fetched_at
    sandbox.add_fault("x", "list", "server_error")

    results = {r.account_id: r for r in feeds.refresh_all()}

    assert not results[accounts["x"].pk].ok
    x_feed.refresh_from_db()
    assert x_feed.items == good_items
    assert x_feed.fetched_at == good_time
    assert x_feed.last_attempt_at > good_time
    assert x_feed.last_error
    # The other platforms were refreshed as usual.
    assert results[accounts["facebook"].pk].ok and results[accounts["youtube"].pk].ok

    html = client.get("/").content.decode()
    first_text = good_items[0]["text"].split("http")[0].strip()
    assert first_text[:40] in html
    assert "We could not refresh it since then: " in html


@pytest.mark.django_db
def test_pictures_that_are_not_images_are_not_kept(sandbox):
    folder = Path(settings.MEDIA_ROOT) / "feeds" / "facebook"
    before = set(folder.glob("*")) if folder.exists() else set()

    assert feeds.download_image("facebook", f"{sandbox.url}/_sandbox/health") == ""
    assert feeds.download_image("facebook", "javascript:alert(1)") == ""

    after = set(folder.glob("*")) if folder.exists() else set()
    assert after == before


def test_plain_text_strips_markup():
    assert feeds.plain_text('<b>Bins</b> & <script>x()</script>"recycling"') == (
        'Bins & "recycling"'
    )


def test_feeds_are_refreshed_every_ten_minutes_by_beat():
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == tasks.refresh_feeds.name
    ]
    assert len(entries) == 1
    assert entries[0]["schedule"] == 600.0


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_refreshes_feeds_when_the_task_is_sent(
    accounts, celery_worker_process
):
    tasks.refresh_feeds.delay()

    def filled():
        return SocialFeed.objects.filter(fetched_at__isnull=False).count() == 3

    wait_for(filled, timeout=60, message=celery_worker_process.log_tail)


@pytest.mark.django_db
def test_a_feed_permalink_off_the_platforms_hosts_is_not_linked(
    accounts, sandbox, client, site
):
    feeds.refresh_all()
    feed = SocialFeed.objects.get(account=accounts["facebook"])
    # As stored before links were checked on the way in.
    feed.items = [{**feed.items[0], "permalink": "javascript:alert(1)"}]
    feed.save()

    html = client.get("/").content.decode()

    assert "javascript:" not in html
    assert (
        feeds.stored_item(
            accounts["x"],
            FeedItem("1", "Bins", "https://evil.example/status/1", timezone.now()),
        )["permalink"]
        == ""
    )


@pytest.mark.django_db
def test_the_stale_notice_says_why_a_feed_was_not_refreshed(
    accounts, sandbox, client, site
):
    sandbox.add_fault("youtube", "list", "server_error")
    spoil_token(accounts["x"])

    feeds.refresh_all()
    html = client.get("/").content.decode()

    youtube_error = SocialFeed.objects.get(account=accounts["youtube"]).last_error
    assert youtube_error
    assert f"We could not fetch these posts yet: {youtube_error}." in html
    assert "We could not fetch these posts yet: an error on our side" in html
