"""What a page needs to be cross-posted: the editor's social choices.

The editor's Social tab is :data:`publishing.panels.SOCIAL_PANELS` with its form
:class:`publishing.forms.SocialPageForm`, and the previews as posts
:class:`publishing.preview_views.SocialPreviewMixin`: all sit above the outbox,
which this module sits below.

These fields are page content: they are saved in revisions and go through the
page's moderation workflow with the rest of the page.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models
from modelcluster.fields import ParentalManyToManyField

#: Who is publishing the page now. Wagtail's ``page_published`` signal does
#: not say: it names the revision, whose ``user`` is its author (under
#: moderation the editor who submitted it, not the moderator who published).
_publishing_user: ContextVar = ContextVar("publishing_user", default=None)


def publishing_user():
    """The user publishing a page at this moment (set by
    :meth:`SocialPostingMixin.publish` and, for a change made in the admin,
    :class:`publishing.middleware.AtomicAdminWritesMiddleware`), or ``None``
    (a scheduled publish)."""
    return _publishing_user.get()


@contextmanager
def publishing_as(user):
    """Within it, :func:`publishing_user` is ``user``."""
    token = _publishing_user.set(user)
    try:
        yield
    finally:
        _publishing_user.reset(token)


#: The platforms a page has its own text for, and the most that text may be, in
#: characters: the platform's limit for Facebook (63,206) and YouTube (5,000;
#: YouTube counts bytes, which the counter shows). X, Bluesky and Mastodon cut
#: a longer text to fit when it is sent (280 weighted, 300 graphemes, 500), so
#: their fields allow room to write and cut, but not a document. Each has a
#: ``social_text_<platform>`` field below, shown while the platform is enabled.
SOCIAL_TEXT_MAX_LENGTHS = {
    "facebook": 63_206,
    "x": 1_000,
    "youtube": 5_000,
    "bluesky": 1_000,
    "mastodon": 1_000,
}


class SocialPostingMixin(models.Model):
    class SocialMode(models.TextChoices):
        DEFAULT = "default", "Post to the council's usual accounts"
        CUSTOM = "custom", "Post to the accounts I choose below"
        NONE = "none", "Do not post this page to social media"

    social_mode = models.CharField(
        "Social media",
        max_length=10,
        choices=SocialMode.choices,
        default=SocialMode.DEFAULT,
    )
    social_accounts = ParentalManyToManyField(
        "publishing.ChannelAccount", blank=True, related_name="+"
    )
    social_text_facebook = models.TextField(
        "Facebook text",
        blank=True,
        max_length=SOCIAL_TEXT_MAX_LENGTHS["facebook"],
        help_text="Leave blank to use the council's Facebook template.",
    )
    social_text_x = models.TextField(
        "X text",
        blank=True,
        max_length=SOCIAL_TEXT_MAX_LENGTHS["x"],
        help_text="Leave blank to use the council's X template. The page link is "
        "always added and counts as 23 characters.",
    )
    social_text_youtube = models.TextField(
        "YouTube description",
        blank=True,
        max_length=SOCIAL_TEXT_MAX_LENGTHS["youtube"],
        help_text="Leave blank to use the council's YouTube template.",
    )
    social_text_bluesky = models.TextField(
        "Bluesky text",
        blank=True,
        max_length=SOCIAL_TEXT_MAX_LENGTHS["bluesky"],
        help_text="Leave blank to use the council's Bluesky template. The page "
        "link is always added and counts in full; a text over 300 characters is "
        "cut to fit.",
    )
    social_text_mastodon = models.TextField(
        "Mastodon text",
        blank=True,
        max_length=SOCIAL_TEXT_MAX_LENGTHS["mastodon"],
        help_text="Leave blank to use the council's Mastodon template. The page "
        "link is always added and counts as 23 characters; a text over 500 "
        "characters is cut to fit.",
    )

    class Meta:
        abstract = True

    def publish(self, revision, user=None, **kwargs):
        """Wagtail's publish, noting who publishes for the ``page_published``
        receiver: a workflow's approval (``revision.publish(user=...)``) and
        beat's scheduled publish go through here. The page editor runs
        Wagtail's publish action itself; the admin's middleware names its user
        (:func:`publishing_as`)."""
        with publishing_as(user):
            return super().publish(revision, user=user, **kwargs)

    def social_text_for(self, platform: str) -> str:
        """The editor's own wording for ``platform`` ("" for the template's).
        Each platform with a text field names it ``social_text_<platform>``."""
        return getattr(self, f"social_text_{platform}", "")

    # Hooks a page type overrides -----------------------------------------------------

    #: The foreign keys the page's posts are made from (its department, image,
    #: video and the like): publishing reads them together, in one query.
    social_related: tuple[str, ...] = ()

    def loaded_related(self, name: str):
        """The object foreign key ``name`` points to if it is loaded already,
        else ``None``: for hooks that may use it but must not query for it."""
        return self._meta.get_field(name).get_cached_value(self, default=None)

    def social_summary(self) -> str:
        return getattr(self, "summary", "") or self.search_description

    def social_department(self) -> str:
        department = getattr(self, "department", None)
        return department.name if department else ""

    def social_image(self):
        """(image, alt text) to attach, or None."""
        return None

    def social_video(self):
        """A dict describing the video for YouTube, or None: ``document_id``,
        ``title``, ``tags``, ``privacy`` and ``captions_document_id``, and, where
        the page has them at hand, the documents themselves (``document`` and
        ``captions_document``)."""
        return None

    def is_urgent(self) -> bool:
        return bool(getattr(self, "urgent", False))
