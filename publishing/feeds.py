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
import json
import logging
from dataclasses import dataclass

import nh3
import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from channels.errors import ChannelError
from channels.values import FeedItem, FeedMedia

from .accounts import adapter_for
from .fetching import FetchRefused, fetch_image
from .links import MEDIA_HOSTS, allowed_url
from .models import ChannelAccount, SocialFeed

logger = logging.getLogger(__name__)

#: How many posts each feed keeps.
FEED_SIZE = 10
MEDIA_FOLDER = "feeds"
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


def refresh_all(limit: int = FEED_SIZE) -> list[RefreshResult]:
    """Refresh the feed of every connected account still in use (a retired
    one's feed has left the public site), each on its own: whatever goes wrong
    with one account is recorded on its feed, and the others are refreshed
    all the same."""
    ids = (
        ChannelAccount.objects.filter(status=ChannelAccount.Status.CONNECTED)
        .exclude(usage=ChannelAccount.Usage.RETIRED)
        .values_list("pk", flat=True)
    )
    return [_refresh_isolated(pk, limit) for pk in ids]


def _refresh_isolated(account_id: int, limit: int) -> RefreshResult:
    try:
        # Loaded here, not in refresh_all's query: a token that no longer
        # decrypts is this account's problem alone.
        return refresh_account(ChannelAccount.objects.get(pk=account_id), limit)
    except Exception as error:  # noqa: BLE001 - one account must not stop the rest
        logger.exception("Feed of account %s not refreshed", account_id)
        # The reason is shown to the public; the details are in the log.
        reason = f"an error on our side ({type(error).__name__})"
        feed, _ = SocialFeed.objects.get_or_create(account_id=account_id)
        _record_failure(feed, reason)
        return RefreshResult(account_id, False, len(feed.items), reason)


def refresh_account(account: ChannelAccount, limit: int = FEED_SIZE) -> RefreshResult:
    """Fetch one account's recent posts into its :class:`SocialFeed`.

    Platform errors (any :class:`channels.errors.ChannelError`) are recorded on
    the feed; its items stay as they were. A post that cannot be stored is
    left out and noted in ``skipped_items``.
    """
    feed, _ = SocialFeed.objects.get_or_create(account=account)
    try:
        posts = adapter_for(account).recent_posts(limit)
    except ChannelError as error:
        logger.warning("Feed of %s not refreshed: %s", account, error.message)
        _record_failure(feed, error.message)
        return RefreshResult(account.pk, False, len(feed.items), feed.last_error)
    feed.items, feed.skipped_items = stored_items(account, posts[:limit])
    feed.fetched_at = feed.last_attempt_at = timezone.now()
    feed.last_error = ""
    feed.save(
        update_fields=[
            "items",
            "skipped_items",
            "fetched_at",
            "last_attempt_at",
            "last_error",
        ]
    )
    return RefreshResult(account.pk, True, len(feed.items))


def _record_failure(feed: SocialFeed, reason: str) -> None:
    feed.last_attempt_at = timezone.now()
    feed.last_error = reason[:500]
    feed.save(update_fields=["last_attempt_at", "last_error"])


def stored_items(
    account: ChannelAccount, posts: list[FeedItem]
) -> tuple[list[dict], list[dict]]:
    """The posts as stored items, and the posts left out with the reason.

    Anything in a post can be malformed (a lone surrogate that no database
    encoding takes, a picture Pillow chokes on): such a post is left out, the
    rest are kept."""
    items, skipped = [], []
    for post in posts:
        try:
            item = stored_item(account, post)
            # Lone surrogates pass Python but no database: fail here, alone.
            json.dumps(item, ensure_ascii=False).encode("utf-8")
        except Exception as error:  # noqa: BLE001 - one post must not stop the feed
            logger.warning(
                "Feed post %s of %s skipped: %s",
                post.remote_id.encode("ascii", "replace").decode(),
                account,
                type(error).__name__,
            )
            skipped.append(
                {
                    "id": post.remote_id.encode("utf-8", "replace").decode(),
                    "reason": type(error).__name__,
                }
            )
        else:
            items.append(item)
    return items, skipped


def stored_item(account: ChannelAccount, post: FeedItem) -> dict:
    """A feed item as JSON, sanitised, with its pictures on our side."""
    return {
        "id": plain_text(post.remote_id),
        "title": plain_text(post.title),
        "text": plain_text(post.text),
        "permalink": allowed_url(account.platform, post.permalink),
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

    Only real images (checked by Pillow) from the platform's CDN
    (:mod:`.fetching`), of at most ``FEED_MEDIA_MAX_BYTES`` and
    ``FEED_MEDIA_MAX_PIXELS``, are kept; a picture already copied is not
    fetched again. Failures return "" and the template shows a link to the
    post instead.
    """
    if not allowed_url(platform, url, MEDIA_HOSTS):
        return ""
    digest = hashlib.sha256(url.encode()).hexdigest()[:32]
    for extension in IMAGE_FORMATS.values():
        existing = f"{MEDIA_FOLDER}/{platform}/{digest}.{extension}"
        if default_storage.exists(existing):
            return default_storage.url(existing)
    try:
        data = fetch_image(platform, url)
        extension = image_extension(data)
    except (FetchRefused, requests.RequestException, OSError, ValueError) as error:
        logger.info("Feed picture not copied (%s, %s): %s", platform, digest, error)
        return ""
    name = default_storage.save(
        f"{MEDIA_FOLDER}/{platform}/{digest}.{extension}", ContentFile(data)
    )
    return default_storage.url(name)


def image_extension(data: bytes) -> str:
    """The file extension of the image ``data``, checked by Pillow.

    Raises ``ValueError`` for anything that is not a whole JPEG, PNG, GIF or
    WebP of at most ``FEED_MEDIA_MAX_PIXELS`` (a few bytes can declare an image
    of 10 billion pixels, which would take the worker's memory when drawn).
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > settings.FEED_MEDIA_MAX_PIXELS:
                raise ValueError(f"{width}x{height} pixels is too many")
            image.verify()
            extension = IMAGE_FORMATS.get(image.format or "")
    except (UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise ValueError(str(error)) from error
    if extension is None:
        raise ValueError("not a JPEG, PNG, GIF or WebP picture")
    return extension
