"""What a page becomes on each channel: the text, link, media and marker.

The same function feeds the outbox, the admin previews and the live counters, so
what editors see is exactly what is sent.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from wagtail.documents import get_document_model
from wagtail.images.models import Filter, SourceImageIOError

from channels import compose, registry
from channels.values import Image, Post, Video
from channels.youtube_upload import movie_problems

from . import publish_read
from .page_mixins import SocialPostingMixin

IMAGE_RENDITION = "max-2048x2048|format-jpeg"


class MediaUnavailable(Exception):
    """The page's social image cannot be read; the message says so to people.
    ``images`` are the images the post would have carried."""

    def __init__(self, message: str, images: tuple[Image, ...] = ()) -> None:
        super().__init__(message)
        self.images = images


def public_url(path: str) -> str:
    """``path`` on the site's public address, ``SITE_URL``: the one source of
    every link that leaves the site (posts, previews, feeds, the sitemap)."""
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


@dataclass(frozen=True)
class PageAddress:
    """Where a page is: the id of its site (``None`` outside every site) and
    its public URL (:func:`canonical_url`)."""

    site_id: int | None
    url: str


def address(page) -> PageAddress:
    """The page's :class:`PageAddress`, from one reading of Wagtail's site root
    paths (a cache read each time: a publish reads them once)."""
    site_id, _root, path = page.get_url_parts() or (None, None, None)
    # A page outside every site, or not saved yet, is known by its slug.
    return PageAddress(site_id, public_url(path or f"/{page.slug}/"))


def canonical_url(page) -> str:
    """The page's public URL: the link posted and the marker that
    reconciliation searches for.

    Built on ``SITE_URL``, not on the Wagtail Site record's host and port
    (``localhost:80`` until someone edits it), so a posted link always opens
    the site people were given.
    """
    return address(page).url


def site_id_for(page) -> int | None:
    """The id of the site the page belongs to, from Wagtail's cached site root
    paths (``page.get_site()`` would query the Site row as well)."""
    return address(page).site_id


def site_setting(model, page, site_id: int | None = None):
    """The page's site's instance of a Wagtail site setting ``model``, or its
    defaults for a page that belongs to no site yet. ``site_id`` saves working
    the site out again."""
    if site_id is None and page is not None:
        site_id = site_id_for(page)
    if site_id is None:
        return model()
    return model.base_queryset().get_or_create(site_id=site_id)[0]


def social_settings_for(page, site_id: int | None = None):
    """The page's site's social settings."""
    from .models import SocialSettings

    return site_setting(SocialSettings, page, site_id)


def post_link(marker: str, platform: str, social_settings) -> str:
    """The link posted to ``platform``: the marker, with UTM tags if the site
    wants them."""
    if not social_settings.add_utm_tags:
        return marker
    return compose.with_utm(
        marker, source=platform, campaign=social_settings.utm_campaign
    )


def compose_text(
    page: SocialPostingMixin, platform: str, social_settings, link: str
) -> str:
    """The text for one platform from the page's current values.

    Reads only attributes, so it works on an unsaved page built from the edit
    form (the live counter) as well as on a revision (the outbox). The text is
    not yet fitted to the platform's limit; :func:`build_post` does that.
    """
    department = page.social_department()
    parts = {
        "title": page.title,
        "summary": page.social_summary(),
        "link": link,
        "hashtags": [department] if department else [],
    }
    return compose.compose(
        social_settings.template_for(platform),
        override=page.social_text_for(platform),
        **parts,
    )


def build_post(
    page: SocialPostingMixin,
    platform: str,
    social_settings,
    *,
    marker: str | None = None,
    images: tuple[Image, ...] | None = None,
) -> Post:
    """The ``Post`` for one platform, from the page as it stands (its revision).

    ``marker`` and ``images`` are the same for every platform; callers building
    several posts of one page pass them in to work them out once.
    """
    adapter = registry.get(platform)
    marker = marker or canonical_url(page)
    link = post_link(marker, platform, social_settings)
    text = adapter.fit_text(compose_text(page, platform, social_settings, link), link)
    video = _video(page, text) if adapter.requires_video else None
    if not adapter.supports_images:
        images = ()
    elif images is None:
        images = page_images(page)
    return Post(
        text=text,
        link=link,
        marker=marker,
        title=page.title,
        images=images,
        video=video,
    )


def publishing_inputs(page, *, default_accounts: bool) -> tuple:
    """What publishing ``page`` reads, ``(social, protocol, accounts)``: the
    page's site's two settings (created with their defaults on the site's first
    publish) and, with ``default_accounts``, the site's default accounts without
    their tokens (else ``[]``). A page on no site gets unsaved defaults."""
    inputs = inputs_for_publish(page, default_accounts=default_accounts)
    return inputs.social, inputs.protocol, inputs.default_accounts


def inputs_for_publish(
    page,
    *,
    default_accounts: bool,
    for_outbox: bool = False,
    where: PageAddress | None = None,
):
    """:func:`publishing_inputs` as a :class:`~publishing.publish_read.PublishInputs`,
    in one statement (:mod:`publishing.publish_read`). ``for_outbox`` also
    loads the objects the page's posts are made from onto the page and says
    whether the page has outbox rows (``page_has_rows``; ``None`` if unknown).
    ``where`` is the page's :func:`address` when the caller has it."""
    from .models import ProtocolSettings, SocialSettings

    site_id = (where or address(page)).site_id
    if site_id is None:
        return publish_read.PublishInputs(SocialSettings(), ProtocolSettings())
    page_asked = page if for_outbox else None
    inputs = publish_read.read(
        site_id, default_accounts=default_accounts, page=page_asked
    )
    if inputs is None:  # the site's first publish: make its rows, then read
        site_setting(SocialSettings, page, site_id)
        site_setting(ProtocolSettings, page, site_id)
        inputs = publish_read.read(
            site_id, default_accounts=default_accounts, page=page_asked
        )
    elif inputs.protocol is None:
        inputs.protocol = site_setting(ProtocolSettings, page, site_id)
    return inputs


def page_images(page) -> tuple[Image, ...]:
    """The page's social image as posted (a JPEG rendition), or nothing.

    Raises :class:`MediaUnavailable` when the image's file cannot be read."""
    found = page.social_image()
    if not found:
        return ()
    image, alt_text = found
    try:
        path = _rendition_path(image)
    except SourceImageIOError as exc:
        # The row keeps the original's path, so a retry fails the same way (the
        # adapter cannot read it) rather than posting without the image.
        raise MediaUnavailable(
            f"The image “{image.title}” cannot be read (its file is missing "
            "or damaged), so this was not sent. Upload the image again, then "
            "publish the page again.",
            images=(Image(Path(image.file.path), alt_text, "image/jpeg"),),
        ) from exc
    return (Image(path, alt_text, "image/jpeg"),)


#: The social rendition's file by what it is made from: ``(image id, file name,
#: file hash, focal point key)``. Bounded, so a long-lived process stays small.
_rendition_paths: dict[tuple, str] = {}
_RENDITION_FILTER = Filter(spec=IMAGE_RENDITION)
RENDITION_PATHS_KEPT = 10_000


def _rendition_path(image) -> Path:
    """The file of ``image``'s social rendition.

    Wagtail's ``get_rendition`` reads its cache and then writes it again on
    every call, two round trips to Redis in the editor's publish. A rendition's
    file only depends on the image's file and focal point and the filter, so
    the path found for them is remembered in the process: a later publish with
    the same image reads neither the cache nor the database. A new file or
    focal point makes a new key; a remembered file that has since been deleted
    is asked of Wagtail again.
    """
    key = (
        image.pk,
        image.file.name,
        image.file_hash,
        _RENDITION_FILTER.get_cache_key(image),
    )
    remembered = _rendition_paths.get(key)
    if remembered is not None and os.path.exists(remembered):
        return Path(remembered)
    path = image.get_rendition(IMAGE_RENDITION).file.path
    if len(_rendition_paths) >= RENDITION_PATHS_KEPT:
        _rendition_paths.clear()
    _rendition_paths[key] = path
    return Path(path)


def _video(page, description: str) -> Video | None:
    details = page.social_video()
    if not details:
        return None
    documents = get_document_model().objects
    document = details.get("document") or documents.get(pk=details["document_id"])
    captions = None
    if details.get("captions_document_id"):
        captions_document = details.get("captions_document") or documents.get(
            pk=details["captions_document_id"]
        )
        captions = Path(captions_document.file.path)
    suffix = Path(document.file.name).suffix.lower()
    content_type = {".mov": "video/quicktime", ".webm": "video/webm"}.get(
        suffix, "video/mp4"
    )
    return Video(
        path=Path(document.file.path),
        title=details["title"],
        description=description,
        tags=tuple(details["tags"]),
        privacy=details["privacy"],
        content_type=content_type,
        captions_path=captions,
    )


def video_problems(document) -> list[str]:
    """What YouTube would refuse about a video document's file, known by its
    content (a PDF renamed .mp4 is no video)."""
    return movie_problems(Path(document.file.path))


def describe_media(post: Post) -> dict:
    """A JSON-safe record of the media sent, for the row and the FOI export."""
    media: dict = {}
    if post.images:
        media["images"] = [
            {"path": str(image.path), "alt_text": image.alt_text}
            for image in post.images
        ]
    if post.video:
        media["video"] = {
            "path": str(post.video.path),
            "title": post.video.title,
            "tags": list(post.video.tags),
            "privacy": post.video.privacy,
            "captions": str(post.video.captions_path or ""),
        }
    return media


def post_from_row(row) -> Post:
    """Rebuild the ``Post`` a row recorded, so a retry sends exactly the same."""
    images = tuple(
        Image(Path(item["path"]), item["alt_text"], "image/jpeg")
        for item in row.media.get("images", [])
    )
    video = None
    if row.media.get("video"):
        details = row.media["video"]
        video = Video(
            path=Path(details["path"]),
            title=details["title"],
            description=row.text,
            tags=tuple(details["tags"]),
            privacy=details["privacy"],
            captions_path=Path(details["captions"]) if details["captions"] else None,
        )
    return Post(
        text=row.text,
        link=row.link,
        marker=row.marker,
        title=row.page_title,
        images=images,
        video=video,
    )


def content_hash(post: Post) -> str:
    payload = {
        "text": post.text,
        "link": post.link,
        "title": post.title,
        "images": [(str(i.path), i.alt_text) for i in post.images],
        "video": describe_media(post).get("video"),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
