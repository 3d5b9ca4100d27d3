"""One bad feed post, picture or account spoils nothing else: it is left out
and recorded, and every other feed is refreshed as usual."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime

import pytest
import requests

from channels.values import FeedItem
from publishing import feeds
from publishing.models import SocialFeed

from .conftest import FACEBOOK_PAGE, spoil_token


def declared_png(width: int, height: int) -> bytes:
    """A few bytes of PNG that declare an image of ``width`` x ``height``."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return (
            struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))
        )

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def post_photo(sandbox, data: bytes, caption: str) -> str:
    """Post a photo on the sandbox Page through the Graph API."""
    token = sandbox.mint_token("facebook", account_id=FACEBOOK_PAGE)["access_token"]
    response = requests.post(
        f"{sandbox.url}/facebook/v24.0/{FACEBOOK_PAGE}/photos",
        data={"caption": caption, "access_token": token},
        files={"source": ("bomb.png", data, "image/png")},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["post_id"]


@pytest.mark.django_db
def test_a_decompression_bomb_picture_is_skipped_and_every_feed_refreshed(
    accounts, sandbox
):
    post_id = post_photo(sandbox, declared_png(100_000, 100_000), "Huge picture")

    results = feeds.refresh_all()

    assert all(result.ok for result in results), results
    feed = SocialFeed.objects.get(account=accounts["facebook"])
    item = next(i for i in feed.items if i["id"] == post_id)
    assert item["text"] == "Huge picture"
    assert [media["src"] for media in item["media"]] == [""]  # a link instead


@pytest.mark.django_db
def test_a_post_no_database_can_store_is_skipped_and_recorded(accounts):
    when = datetime(2026, 5, 1, tzinfo=UTC)
    posts = [
        FeedItem("1", "Bins are collected on Friday", "", when),
        FeedItem("2", "Broken \ud800 text", "", when),
        FeedItem("3", "Libraries open late", "", when),
    ]

    items, skipped = feeds.stored_items(accounts["x"], posts)
    SocialFeed.objects.create(account=accounts["x"], items=items)

    assert [item["id"] for item in items] == ["1", "3"]
    assert skipped == [{"id": "2", "reason": "UnicodeEncodeError"}]


@pytest.mark.django_db
def test_an_account_that_fails_does_not_stop_the_others(accounts, sandbox):
    spoil_token(accounts["x"])

    results = {result.account_id: result for result in feeds.refresh_all()}

    assert not results[accounts["x"].pk].ok
    assert results[accounts["facebook"].pk].ok and results[accounts["youtube"].pk].ok
    x_feed = SocialFeed.objects.get(account_id=accounts["x"].pk)
    assert x_feed.last_error.startswith("an error on our side")
    assert x_feed.last_attempt_at is not None
