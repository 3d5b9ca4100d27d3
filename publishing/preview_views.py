"""What the page will look like on each channel, while it is being edited.

Two readers: the Social tab's live counters (:class:`SocialPreviewView`, a JSON
endpoint fed with the edit form's current values) and the page's preview modes
(:func:`render_social_preview`). Both compose through :mod:`publishing.content`
and check through :mod:`publishing.guard`, the same code the outbox runs, so
editors see exactly what will be sent and what would hold it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from urllib.parse import urlsplit

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from wagtail.images import get_image_model
from wagtail.images.models import SourceImageIOError
from wagtail.models import Page

from channels import registry
from channels.errors import ConfigurationError
from channels.values import Image

from . import content, guard, outbox
from .models import ChannelAccount
from .page_mixins import SocialPostingMixin

# Form fields the counters read, with each channel's ``social_text_<platform>``;
# anything else posted is ignored.
TEXT_FIELDS = (
    "title",
    "slug",
    "summary",
    "search_description",
    "hero_image_alt",
    "youtube_title",
    "youtube_tags",
)
FOREIGN_KEYS = ("department", "hero_image", "video", "captions")
#: The most a counter request may carry: every field at its longest, with room
#: for URL-encoding. Anything bigger is refused before it is read.
MAX_REQUEST_BYTES = 1024 * 1024
#: The most a field without a maximum of its own may be (the search description).
MAX_OTHER_FIELD = 5_000


# Shared by the panel, the endpoint and the preview modes ----------------------------


def page_in_place(page, parent):
    """``page`` with a URL path under ``parent``, so its link and site are known.

    A new page has no place in the tree yet; it is copied rather than changed,
    because the create view saves the very same instance later.
    """
    if page.url_path or parent is None:
        return page
    placed = copy.copy(page)
    placed.set_url_path(parent)
    return placed


def usual_account_ids(page) -> set[int]:
    """The ids of the accounts a page on "usual accounts" goes to: its site's
    default accounts that are still connected."""
    defaults = content.publishing_inputs(page, default_accounts=True)[2]
    return {
        account.pk
        for account in defaults
        if account.status != ChannelAccount.Status.DISCONNECTED
    }


def channel_plan(page, default_accounts=None) -> dict:
    """Where the page will go: each account and whether it is sent there.
    ``default_accounts`` are the site's defaults when the caller has read them
    already (see :func:`outbox.accounts_for`)."""
    mode = page.social_mode
    if mode == SocialPostingMixin.SocialMode.DEFAULT and page.get_site() is None:
        return {"mode": mode, "accounts": []}
    accounts = []
    for item in outbox.reach(page, default_accounts):
        account, sent, note = item.account, item.goes, item.why
        if not sent:
            note = f"not sent: {note}"
        try:
            adapter_class = registry.get(account.platform)
        except ConfigurationError:
            sent, note = False, "not sent: this channel is not configured"
        else:
            if adapter_class.requires_video and not page.social_video():
                sent, note = False, "not sent: no video"
        if sent and account.status == ChannelAccount.Status.NEEDS_RECONNECT:
            note = f"{note}; waits until the account is reconnected"
        accounts.append(
            {
                "name": account.display_name,
                "platform": account.platform,
                "platform_name": registry.display_name(account.platform),
                "picture_id": account.picture_id,
                "sent": sent,
                "note": note,
            }
        )
    return {"mode": mode, "accounts": accounts}


def _images_for_guard(page, platform: str) -> tuple[Image, ...]:
    found = page.social_image() if registry.get(platform).supports_images else None
    if not found:
        return ()
    image, alt_text = found
    return (Image(Path(image.file.name), alt_text),)


#: How each platform counts, named under its counter. Lengths are always shown
#: in characters as the platform counts them.
YOUTUBE_TITLE_RULE = "YouTube title: {limit:,} characters."


def channel_preview(page, platform: str, social_settings, protocol_settings) -> dict:
    """The text for one channel, its length as the platform counts it, the
    platform's limit and counting rule, and the guard's findings (offsets into
    that text). YouTube's answer has its video title's count as well."""
    adapter = adapter_class = registry.get(platform)
    limit = adapter.max_text_length
    link = content.post_link(content.canonical_url(page), platform, social_settings)
    draft = content.compose_text(page, platform, social_settings, link)
    try:
        text = adapter.fit_text(draft, link)
    except ValueError:
        text = draft
    # A platform that cuts an over-long text to fit when it is sent (X) shows
    # the uncut length, so the editor sees by how much it is over.
    shortened = adapter.text_length(draft) > limit and text != draft
    length = adapter.text_length(draft if shortened else text)
    findings = guard.check_text(
        text, protocol_settings, images=_images_for_guard(page, platform)
    )
    answer = {
        "platform": platform,
        "name": adapter.name,
        "text": text,
        "length": length,
        "limit": limit,
        "rule": adapter.counting_rule_text(),
        "over_limit": length > limit,
        "shortened": shortened,
        "findings": [finding.as_dict() for finding in findings],
    }
    if platform == "youtube" and _has_field(page, "youtube_title"):
        title_limit = adapter_class.max_title_length
        # As the page makes it: a blank YouTube title takes the page's title,
        # cut to fit.
        title = page.youtube_title or page.title[:title_limit]
        answer["title"] = {
            "length": len(title),
            "limit": title_limit,
            "rule": YOUTUBE_TITLE_RULE.format(limit=title_limit),
            "over_limit": len(title) > title_limit,
        }
    return answer


# The live counters' endpoint ---------------------------------------------------------


class PreviewRequestError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@method_decorator(never_cache, name="dispatch")
class SocialPreviewView(View):
    """POST the edit form's current values; get back, per channel, the text that
    would be sent, its length, the limit and the guard's findings, plus the
    accounts the page would go to."""

    http_method_names = ["post"]

    def post(self, request):
        try:
            _refuse_oversized(request)
            page = self.page_from_form(request)
        except PreviewRequestError as error:
            return JsonResponse({"error": error.message}, status=error.status)
        # One read for the settings and the plan's accounts, as the publish does.
        social_settings, protocol_settings, defaults = content.publishing_inputs(
            page, default_accounts=True
        )
        channels = {}
        for platform in registry.platforms():
            try:
                channels[platform] = channel_preview(
                    page, platform, social_settings, protocol_settings
                )
            except ConfigurationError:
                continue
        return JsonResponse(
            {"channels": channels, "plan": channel_plan(page, defaults)}
        )

    def page_from_form(self, request):
        data = request.POST
        user = request.user
        page_id, parent_id = data.get("page_id", ""), data.get("parent_id", "")
        if not (page_id or parent_id):
            raise PreviewRequestError("No page was given.")
        if page_id:
            page = _get_page(page_id)
            if not page.permissions_for_user(user).can_edit():
                raise PreviewRequestError("You cannot edit this page.", 403)
            page = page.get_latest_revision_as_object()
            parent = page.get_parent()
        else:
            model = _page_model(data.get("model", ""))
            parent = _get_page(parent_id)
            if not parent.permissions_for_user(user).can_add_subpage():
                raise PreviewRequestError("You cannot add a page here.", 403)
            page = model()
        if not isinstance(page, SocialPostingMixin):
            raise PreviewRequestError("This page type is not posted to social media.")
        _apply_form_values(page, data)
        if not page_id or "slug" in data:
            page.url_path = ""
        return page_in_place(page, parent)


def _refuse_oversized(request) -> None:
    """Refuse (413) a request too big to read, before reading it."""
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    if size > MAX_REQUEST_BYTES:
        raise PreviewRequestError(
            "The page's social fields are far longer than any post can be, so "
            "they were not counted. Shorten them.",
            413,
        )


def _refuse_too_long(page, name: str, value: str) -> None:
    """Refuse (413) a field longer than the page form would save, in words the
    counter shows under the field."""
    field = page._meta.get_field(name)
    limit = field.max_length or MAX_OTHER_FIELD
    if len(value) > limit:
        raise PreviewRequestError(
            f"{str(field.verbose_name).capitalize()} is {len(value):,} characters; "
            f"the most it can be is {limit:,}. Shorten it to see the count.",
            413,
        )


def _get_page(raw_id: str) -> Page:
    if not raw_id.isdigit():
        raise PreviewRequestError("No page was given.")
    page = Page.objects.filter(pk=int(raw_id)).first()
    if page is None:
        raise PreviewRequestError("That page no longer exists.", 404)
    return page.specific


def _page_model(label: str):
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        raise PreviewRequestError("Unknown page type.") from None
    if not (issubclass(model, Page) and issubclass(model, SocialPostingMixin)):
        raise PreviewRequestError("This page type is not posted to social media.")
    return model


def _has_field(page, name: str) -> bool:
    try:
        page._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _apply_form_values(page, data) -> None:
    """Copy the posted values onto the (unsaved) page; unknown names and ids that
    point nowhere are ignored, so a half-filled form still gets an answer."""
    texts = [f"social_text_{platform}" for platform in registry.platforms()]
    for name in [*TEXT_FIELDS, *texts]:
        if name in data and _has_field(page, name):
            value = data.get(name, "")
            _refuse_too_long(page, name, value)
            setattr(page, name, value)
    for name in FOREIGN_KEYS:
        if name not in data or not _has_field(page, name):
            continue
        raw = data.get(name, "")
        related = page._meta.get_field(name).related_model
        exists = raw.isdigit() and related.objects.filter(pk=int(raw)).exists()
        setattr(page, f"{name}_id", int(raw) if exists else None)
    mode = data.get("social_mode")
    if mode in SocialPostingMixin.SocialMode.values:
        page.social_mode = mode
    if "social_mode" in data:
        ids = [int(v) for v in data.getlist("social_accounts") if v.isdigit()]
        page.social_accounts = list(ChannelAccount.objects.filter(pk__in=ids))


# Preview modes ---------------------------------------------------------------------


#: Shown where an account has no picture of its own in the image library: the
#: preview loads nothing from another host, the platforms' own pictures included.
AVATAR_PLACEHOLDER = "publishing/img/avatar-placeholder.svg"
AVATAR_RENDITION = "fill-80x80"  # drawn at 40 px, sharp on high-density screens


def _text_parts(text: str, link: str) -> dict:
    """The post's text around its link, so the link can be shown as one."""
    before, found, after = text.partition(link) if link else (text, "", "")
    return {"text_before": before, "text_link": found, "text_after": after}


def _rendition_url(image) -> str:
    """The URL of the image as posted; "" when its file cannot be read (the
    preview says so from :class:`content.MediaUnavailable`)."""
    try:
        return image.get_rendition(content.IMAGE_RENDITION).url
    except SourceImageIOError:
        return ""


def _avatar_url(account: dict | None) -> str:
    """The account's picture from our own media, else the placeholder."""
    picture_id = account["picture_id"] if account else None
    picture = picture_id and get_image_model().objects.filter(pk=picture_id).first()
    if picture is not None:
        try:
            return picture.get_rendition(AVATAR_RENDITION).url
        except SourceImageIOError:
            pass  # the file is gone: the placeholder stands in
    return static(AVATAR_PLACEHOLDER)


def render_social_preview(page, request, platform: str):
    """The page as a post on ``platform``: exactly the text, link and media that
    the outbox would send for it, drawn as the platform shows a post.

    Wagtail serves a preview through the middleware as a request for the page's
    own URL, so it carries the public site's strict Content-Security-Policy:
    styles come from ``publishing/css/previews.css``, never inline."""
    social_settings, protocol_settings, defaults = content.publishing_inputs(
        page, default_accounts=True
    )
    media_problem = ""
    try:
        post = content.build_post(page, platform, social_settings)
    except content.MediaUnavailable as exc:
        media_problem = str(exc)
        post = content.build_post(page, platform, social_settings, images=())
    # YouTube takes no picture with the video: the page's image is only its
    # stand-in thumbnail here.
    found = page.social_image() if post.images or post.video else None
    image_url = _rendition_url(found[0]) if found else ""
    video_url = ""
    if post.video:
        from wagtail.documents import get_document_model

        document = get_document_model().objects.get(
            pk=page.social_video()["document_id"]
        )
        video_url = document.file.url
    plan = channel_plan(page, defaults)
    adapter = registry.get(platform)
    accounts = [a for a in plan["accounts"] if a["platform"] == platform]
    return TemplateResponse(
        request,
        # A channel without a look of its own shows its post plainly.
        [f"publishing/previews/{platform}.html", "publishing/previews/post.html"],
        {
            "page": page,
            "platform": platform,
            "post": post,
            "image_url": image_url,
            "media_problem": media_problem,
            "video_url": video_url,
            "accounts": accounts,
            "account_name": accounts[0]["name"] if accounts else "",
            "avatar_url": _avatar_url(accounts[0] if accounts else None),
            "link_domain": urlsplit(post.marker).hostname or "",
            "findings": guard.check_post(post, page, protocol_settings),
            "platform_name": adapter.name,
            "length": adapter.text_length(post.text),
            "limit": adapter.max_text_length,
            **_text_parts(post.text, post.link),
        },
    )


class SocialPreviewMixin:
    """Preview modes that show a social page as its post on each channel."""

    @property
    def preview_modes(self):
        # After the page itself, the page as a post on each channel.
        return [*super().preview_modes, *registry.as_choices()]

    def serve_preview(self, request, mode_name):
        if mode_name in registry.platforms():
            return render_social_preview(self, request, mode_name)
        return super().serve_preview(request, mode_name)
