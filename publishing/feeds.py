"""The council's own social feeds, fetched by a worker and shown by the site.

Visitors never load anything from a platform: a periodic task asks each
connected account's adapter for its recent posts, strips any markup with nh3,
downloads the pictures into ``MEDIA_ROOT/feeds/`` and stores the result in
:class:`~publishing.models.SocialFeed`. The site's templates render those rows.

A fetch that fails keeps the last good items and records the error, so a
platform outage shows yesterday's posts with their "updated at" time rather
than an empty box.
"""

from __future__ import annotations

import hashlib
import html
import io
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import nh3
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from channels.errors import ChannelError
from channels.session import USER_AGENT
from channels.values import FeedItem, FeedMedia

from .accounts import adapter_for
from .models import ChannelAccount, SocialFeed

logger = logging.getLogger(__name__)

#: How many posts each feed keeps.
FEED_SIZE = 10
MEDIA_FOLDER = "feeds"
MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_TIMEOUT = 10.0
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}


@dataclass(frozen=True)
class RefreshResult:
    account_id: int
    ok: bool
    items: int
    error: str = ""


def plain_text(value: str) -> str:
    """``value`` with every tag (and script or style content) removed.

    The result is plain text again (entities decoded): templates escape it on
    output, so nothing a platform sends can become markup on our pages.
    """
    return html.unescape(nh3.clean(value or "", tags=set())).strip()


def safe_url(value: str) -> str:
    """``value`` if it is an http(s) URL, else "" (no ``javascript:`` links)."""
    parts = urlsplit(value or "")
    return value if parts.scheme in {"http", "https"} and parts.netloc else ""


def refresh_all(limit: int = FEED_SIZE) -> list[RefreshResult]:
    """Refresh the feed of every connected account."""
    accounts = ChannelAccount.objects.filter(status=ChannelAccount.Status.CONNECTED)
    return [refresh_account(account, limit) for account in accounts]


def refresh_account(account: ChannelAccount, limit: int = FEED_SIZE) -> RefreshResult:
    """Fetch one account's recent posts into its :class:`SocialFeed`.

    Platform errors (any :class:`channels.errors.ChannelError`) are recorded on
    the feed; its items stay as they were.
    """
    feed, _ = SocialFeed.objects.get_or_create(account=account)
    now = timezone.now()
    try:
        posts = adapter_for(account).recent_posts(limit)
    except ChannelError as error:
        logger.warning("Feed of %s not refreshed: %s", account, error.message)
        feed.last_attempt_at = now
        feed.last_error = error.message[:500]
        feed.save(update_fields=["last_attempt_at", "last_error"])
        return RefreshResult(account.pk, False, len(feed.items), feed.last_error)
    feed.items = [stored_item(account, post) for post in posts[:limit]]
    feed.fetched_at = feed.last_attempt_at = now
    feed.last_error = ""
    feed.save(update_fields=["items", "fetched_at", "last_attempt_at", "last_error"])
    return RefreshResult(account.pk, True, len(feed.items))


def stored_item(account: ChannelAccount, post: FeedItem) -> dict:
    """A feed item as JSON, sanitised, with its pictures on our side."""
    return {
        "id": plain_text(post.remote_id),
        "title": plain_text(post.title),
        "text": plain_text(post.text),
        "permalink": safe_url(post.permalink),
        "created_at": post.created_at.isoformat(),
        "media": [stored_media(account, media) for media in post.media],
    }


def stored_media(account: ChannelAccount, media: FeedMedia) -> dict:
    """The picture's local URL ("" when it could not be fetched) and alt text."""
    return {
        "src": download_image(account.platform, media.url),
        "alt": plain_text(media.alt_text),
        "kind": media.kind if media.kind in {"image", "video"} else "image",
    }


def download_image(platform: str, url: str) -> str:
    """Copy a platform picture into our media storage and return its URL.

    Only real images (checked by Pillow) of at most 5 MB are kept; a picture
    already copied is not fetched again. Failures return "" and the template
    shows a link to the post instead.
    """
    if not safe_url(url):
        return ""
    digest = hashlib.sha256(url.encode()).hexdigest()[:32]
    for extension in IMAGE_FORMATS.values():
        existing = f"{MEDIA_FOLDER}/{platform}/{digest}.{extension}"
        if default_storage.exists(existing):
            return default_storage.url(existing)
    try:
        data = _fetch(url)
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            extension = IMAGE_FORMATS.get(image.format or "")
    except (requests.RequestException, UnidentifiedImageError, OSError, ValueError):
        logger.info("Feed picture not copied (%s, %s)", platform, digest)
        return ""
    if extension is None:
        return ""
    name = default_storage.save(
        f"{MEDIA_FOLDER}/{platform}/{digest}.{extension}", ContentFile(data)
    )
    return default_storage.url(name)


def _fetch(url: str) -> bytes:
    with requests.get(
        url, timeout=IMAGE_TIMEOUT, stream=True, headers={"User-Agent": USER_AGENT}
    ) as response:
        response.raise_for_status()
        data = response.raw.read(MAX_IMAGE_BYTES + 1, decode_content=True)
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError("picture too large")
    return data
