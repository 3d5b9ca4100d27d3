"""What a page becomes on each channel: the text, link, media and marker.

The same function feeds the outbox, the admin previews and the live counters, so
what editors see is exactly what is sent.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from wagtail.documents import get_document_model
from wagtail.images.models import SourceImageIOError

from channels import compose
from channels.base import Image, Post, Video

from .page_mixins import SocialPostingMixin

IMAGE_RENDITION = "max-2048x2048|format-jpeg"


class MediaUnavailable(Exception):
    """The page's social image cannot be read; the message says so to people.
    ``images`` are the images the post would have carried."""

    def __init__(self, message: str, images: tuple[Image, ...] = ()) -> None:
        super().__init__(message)
        self.images = images


def canonical_url(page) -> str:
    """The page's public URL: the marker that reconciliation searches for."""
    url = page.get_full_url()
    if url and url.startswith("http"):
        return url
    return settings.SITE_URL.rstrip("/") + (page.get_url() or f"/{page.slug}/")


def site_id_for(page) -> int | None:
    """The id of the site the page belongs to, from Wagtail's cached site root
    paths (``page.get_site()`` would query the Site row as well)."""
    parts = page.get_url_parts()
    return parts[0] if parts else None


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


def publishing_settings_for(page, site_id: int | None = None) -> tuple:
    """The page's site's social and protocol settings, ``(social, protocol)``.

    An editor's publish needs both, so they are read in one query (the site's
    row joined to each), not one each; a site without a row of either yet gets
    it created, as :func:`site_setting` would."""
    from wagtail.models import Site

    from .models import ProtocolSettings, SocialSettings

    models = (SocialSettings, ProtocolSettings)
    if site_id is None and page is not None:
        site_id = site_id_for(page)
    if site_id is None:
        return tuple(model() for model in models)
    # The reverse accessor of each setting's one-to-one field to its site.
    joins = [model._meta.get_field("site").remote_field.get_accessor_name()
             for model in models]
    # Ordered by the key alone: Wagtail's site manager orders by expressions
    # over the name and hostname, compiled on every query to sort one row.
    site = (
        Site.objects.select_related(*joins).filter(pk=site_id).order_by("pk").first()
    )
    return tuple(
        getattr(site, join, None) or site_setting(model, page, site_id)
        for model, join in zip(models, joins, strict=True)
    )


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
    form (the live counter) as well as on a revision (the outbox). X's text is
    not yet fitted to 280; :func:`build_post` does that.
    """
    department = page.social_department()
    parts = {
        "title": page.title,
        "summary": page.social_summary(),
        "link": link,
        "hashtags": [department] if department else [],
    }
    template, override = {
        "facebook": (social_settings.facebook_template, page.social_text_facebook),
        "x": (social_settings.x_template, page.social_text_x),
    }.get(
        platform,
        (social_settings.youtube_description_template, page.social_text_youtube),
    )
    return compose.compose(template, override=override, **parts)


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
    marker = marker or canonical_url(page)
    link = post_link(marker, platform, social_settings)
    text = compose_text(page, platform, social_settings, link)
    video = None
    if platform == "x":
        text = compose.fit_x(text, link)
    if platform == "youtube":
        video = _video(page, text)
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


def load_related(page) -> None:
    """Read the page's ``social_related`` foreign keys in one query (the page's
    row joined to each), so composing its posts reads none of them one by one.

    Only keys whose id on ``page`` matches its saved row's are taken: ``page``
    may be a revision's copy that differs from the row.
    """
    fields = [page._meta.get_field(name) for name in page.social_related]
    wanted = [
        field
        for field in fields
        if getattr(page, field.attname) is not None and not field.is_cached(page)
    ]
    if len(wanted) < 2:  # one key read alone costs the same query
        return
    names = [field.name for field in wanted]
    # Only the keys of the page's own row: the rest of it (the body and every
    # column of Wagtail's page table) is not needed, nor is the join to that
    # table for its ordering.
    saved = (
        type(page)
        .objects.select_related(*names)
        .only(*names)
        .filter(pk=page.pk)
        .order_by("pk")
        .first()
    )
    if saved is None:
        return
    for field in wanted:
        if getattr(saved, field.attname) == getattr(page, field.attname):
            field.set_cached_value(page, field.get_cached_value(saved))


def page_images(page) -> tuple[Image, ...]:
    """The page's social image as posted (a JPEG rendition), or nothing.

    Raises :class:`MediaUnavailable` when the image's file cannot be read."""
    found = page.social_image()
    if not found:
        return ()
    image, alt_text = found
    try:
        rendition = image.get_rendition(IMAGE_RENDITION)
    except SourceImageIOError as exc:
        # The row keeps the original's path, so a retry fails the same way (the
        # adapter cannot read it) rather than posting without the image.
        raise MediaUnavailable(
            f"The image “{image.title}” cannot be read (its file is missing "
            "or damaged), so this was not sent. Upload the image again, then "
            "publish the page again.",
            images=(Image(Path(image.file.path), alt_text, "image/jpeg"),),
        ) from exc
    return (Image(Path(rendition.file.path), alt_text, "image/jpeg"),)


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
