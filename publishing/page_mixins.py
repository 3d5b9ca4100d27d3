"""What a page needs to be cross-posted: the editor's social choices.

These fields are page content: they are saved in revisions and go through the
page's moderation workflow with the rest of the page.
"""

from __future__ import annotations

from django import forms
from django.db import models
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel

from .forms import AccountCheckboxes, SocialPageForm
from .panels import CrossPostsPanel, SocialAccountsPanel

#: Preview modes showing the page as a post on each channel, after the page itself.
SOCIAL_PREVIEW_MODES = [("facebook", "Facebook"), ("x", "X"), ("youtube", "YouTube")]


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
        help_text="Leave blank to use the council's Facebook template.",
    )
    social_text_x = models.TextField(
        "X text",
        blank=True,
        help_text="Leave blank to use the council's X template. The page link is "
        "always added and counts as 23 characters.",
    )
    social_text_youtube = models.TextField(
        "YouTube description",
        blank=True,
        help_text="Leave blank to use the council's YouTube template.",
    )

    social_panels = [
        MultiFieldPanel(
            [
                FieldPanel("social_mode", widget=forms.RadioSelect),
                FieldPanel("social_accounts", widget=AccountCheckboxes),
            ],
            heading="Where to post",
        ),
        SocialAccountsPanel(heading="Accounts this page goes to"),
        MultiFieldPanel(
            [
                FieldPanel("social_text_facebook"),
                FieldPanel("social_text_x"),
                FieldPanel("social_text_youtube"),
            ],
            heading="Text for each channel",
        ),
        CrossPostsPanel(heading="Cross-posts of this page"),
    ]

    base_form_class = SocialPageForm

    class Meta:
        abstract = True

    # Previews ------------------------------------------------------------------------

    @property
    def preview_modes(self):
        return [*super().preview_modes, *SOCIAL_PREVIEW_MODES]

    def serve_preview(self, request, mode_name):
        if mode_name in dict(SOCIAL_PREVIEW_MODES):
            from .preview_views import render_social_preview

            return render_social_preview(self, request, mode_name)
        return super().serve_preview(request, mode_name)

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
