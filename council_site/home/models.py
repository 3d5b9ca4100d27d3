from django.db import models
from django.utils.functional import SimpleLazyObject
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from council_site.core.pages import PublicPageMixin, public_pages_q


class HomePage(PublicPageMixin, Page):
    """The council's front page: introduction, latest news, featured policies."""

    public_type = "Home page"

    introduction = models.TextField(
        blank=True, help_text="One or two sentences under the council's name."
    )
    body = RichTextField(blank=True, features=["bold", "italic", "link", "ul"])
    featured_policies_title = models.CharField(
        max_length=80, default="Featured policies"
    )
    latest_news_count = models.PositiveSmallIntegerField(default=4)

    content_panels = Page.content_panels + [
        FieldPanel("introduction"),
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("featured_policies_title"), FieldPanel("latest_news_count")],
            heading="Home page sections",
        ),
    ]
    search_fields = Page.search_fields + [index.SearchField("introduction")]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["policies.PolicyIndexPage", "news.NewsIndexPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        from council_site.news.models import AnnouncementPage, NewsIndexPage
        from council_site.policies.models import PolicyIndexPage, PolicyPage

        context = super().get_context(request, *args, **kwargs)
        # Everything is lazy: a cached fragment of the home page needs none of
        # this. Each list leaves out private pages in its own query.
        sections = SimpleLazyObject(
            lambda: {
                page.specific_class: page
                for page in self.get_children()
                .live()
                .filter(public_pages_q())
                .type(NewsIndexPage, PolicyIndexPage)
            }
        )
        context["news_index"] = SimpleLazyObject(lambda: sections.get(NewsIndexPage))
        context["policy_index"] = SimpleLazyObject(
            lambda: sections.get(PolicyIndexPage)
        )
        context["latest_news"] = SimpleLazyObject(
            lambda: list(
                AnnouncementPage.objects.live()
                .filter(public_pages_q())
                # An urgent notice comes first while it is urgent.
                .order_by("-urgent", "-first_published_at")
                .select_related("hero_image")[: self.latest_news_count]
            )
        )
        context["featured_policies"] = SimpleLazyObject(
            lambda: list(
                PolicyPage.objects.live()
                .filter(public_pages_q())
                .filter(featured=True)
                .select_related("department")
                .order_by("title")[:6]
            )
        )
        return context
