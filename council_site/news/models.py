from django.core.exceptions import ValidationError
from django.db import models
from wagtail.admin.panels import (
    FieldPanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from council_site.core.blocks import BodyBlock
from council_site.core.pages import PublicPageMixin, public_pages_q
from publishing.content import video_problems
from publishing.forms import SocialPageForm
from publishing.page_mixins import SocialPostingMixin
from publishing.panels import SOCIAL_PANELS
from publishing.preview_views import SocialPreviewMixin
from publishing.views.video_chooser import VIDEO_EXTENSIONS, VideoChooser


class NewsIndexPage(PublicPageMixin, Page):
    """The council's news and announcements, newest first."""

    public_type = "Section"

    introduction = models.TextField(blank=True)
    per_page = 10

    content_panels = Page.content_panels + [FieldPanel("introduction")]
    search_fields = Page.search_fields + [index.SearchField("introduction")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["news.AnnouncementPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        from django.core.paginator import Paginator

        context = super().get_context(request, *args, **kwargs)
        announcements = (
            AnnouncementPage.objects.child_of(self)
            .live()
            .filter(public_pages_q())
            .select_related("hero_image", "department")
            .order_by("-urgent", "-first_published_at")
        )
        context["announcements"] = Paginator(announcements, self.per_page).get_page(
            request.GET.get("page")
        )
        return context

    def child_pages(self):
        return AnnouncementPage.objects.child_of(self).select_related(
            "department", "hero_image"
        )


class AnnouncementPage(PublicPageMixin, SocialPreviewMixin, SocialPostingMixin, Page):
    """News, a service change or an urgent notice."""

    public_type = "Announcement"

    summary = models.TextField(
        max_length=300,
        help_text="A plain-English summary of up to 300 characters. Used in lists, "
        "search results and social posts.",
    )
    body = StreamField(BodyBlock(), blank=True)
    department = models.ForeignKey(
        "core.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="announcements",
    )
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hero_image_alt = models.CharField(
        "Hero image alt text",
        max_length=250,
        blank=True,
        help_text="Describe the image for people who cannot see it. Required when "
        "an image is set; it is also posted to social media.",
    )
    video = models.ForeignKey(
        "wagtaildocs.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="An optional video file (MP4, MOV or WebM) to publish on YouTube.",
    )
    urgent = models.BooleanField(
        default=False,
        help_text="Urgent notices go to the top of the news list and are posted "
        "before anything else.",
    )
    youtube_title = models.CharField(
        "YouTube title",
        max_length=100,
        blank=True,
        help_text="Up to 100 characters. Leave blank to use the page title.",
    )
    youtube_tags = models.CharField(
        "YouTube tags", max_length=400, blank=True, help_text="Separate with commas."
    )
    youtube_privacy = models.CharField(
        "YouTube visibility",
        max_length=10,
        choices=[
            ("public", "Public"),
            ("unlisted", "Unlisted"),
            ("private", "Private"),
        ],
        default="public",
    )
    captions = models.ForeignKey(
        "wagtaildocs.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Optional captions for the video (WebVTT or SRT).",
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("department"),
        FieldPanel("urgent"),
        MultiFieldPanel(
            [FieldPanel("hero_image"), FieldPanel("hero_image_alt")],
            heading="Hero image",
        ),
        FieldPanel("body"),
    ]
    video_panels = [
        FieldPanel("video", widget=VideoChooser),
        FieldPanel("youtube_title"),
        FieldPanel("youtube_tags"),
        FieldPanel("youtube_privacy"),
        FieldPanel("captions"),
    ]
    base_form_class = SocialPageForm
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading="Content"),
            ObjectList(
                SOCIAL_PANELS
                + [MultiFieldPanel(video_panels, heading="Video for YouTube")],
                heading="Social",
            ),
            ObjectList(Page.promote_panels, heading="Promote"),
            ObjectList(Page.settings_panels, heading="Settings"),
        ]
    )
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("urgent"),
    ]
    parent_page_types = ["news.NewsIndexPage"]
    subpage_types = []

    social_related = ("department", "hero_image", "video", "captions")

    def public_date(self):
        return "Published", self.first_published_at

    def social_image(self):
        if self.hero_image_id:
            return self.hero_image, self.hero_image_alt
        return None

    def social_video(self):
        if not self.video_id:
            return None
        return {
            "document_id": self.video_id,
            "title": self.youtube_title or self.title[:100],
            "tags": [
                tag.strip() for tag in self.youtube_tags.split(",") if tag.strip()
            ],
            "privacy": self.youtube_privacy,
            "captions_document_id": self.captions_id,
            "document": self.loaded_related("video"),
            "captions_document": self.loaded_related("captions"),
        }

    def clean(self):
        super().clean()
        errors = {}
        if self.hero_image_id and not self.hero_image_alt.strip():
            errors["hero_image_alt"] = (
                "Add alt text: describe the image for people who cannot see it."
            )
        if self.video_id and not self.video.file.name.lower().endswith(
            VIDEO_EXTENSIONS
        ):
            errors["video"] = "The video must be an MP4, MOV, M4V or WebM file."
        elif self.video_id and (problems := video_problems(self.video)):
            # Known by its content, so a file renamed .mp4 is found now, not
            # when YouTube refuses it.
            errors["video"] = problems
        if errors:
            raise ValidationError(errors)
