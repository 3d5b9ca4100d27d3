from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from council_site.core.blocks import BodyBlock
from council_site.core.pages import PublicPageMixin, public_pages_q
from publishing.forms import SocialPageForm
from publishing.page_mixins import SocialPostingMixin
from publishing.panels import SOCIAL_PANELS
from publishing.preview_views import SocialPreviewMixin


class PolicyIndexPage(PublicPageMixin, Page):
    """Lists the council's policies, filterable by department and status."""

    public_type = "Section"

    introduction = models.TextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("introduction")]
    search_fields = Page.search_fields + [index.SearchField("introduction")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["policies.PolicyPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        from council_site.core.models import Department

        context = super().get_context(request, *args, **kwargs)
        policies = (
            PolicyPage.objects.child_of(self)
            .live()
            .filter(public_pages_q())
            .select_related("department")
            .order_by("title")
        )
        department = request.GET.get("department", "")
        if department:
            policies = policies.filter(department__slug=department)
        status = request.GET.get("status", "")
        if status in PolicyPage.Status.values:
            policies = policies.filter(policy_status=status)
        context.update(
            policies=policies,
            departments=Department.objects.all(),
            statuses=PolicyPage.Status.choices,
            selected_department=department,
            selected_status=status,
        )
        return context

    def child_pages(self):
        # The related documents with their files: one query for all of them.
        documents = PolicyDocument.objects.select_related("document")
        return (
            PolicyPage.objects.child_of(self)
            .select_related("department")
            .prefetch_related(Prefetch("related_documents", queryset=documents))
        )


class PolicyPage(PublicPageMixin, SocialPreviewMixin, SocialPostingMixin, Page):
    """A council policy, strategy or plan."""

    public_type = "Policy"

    class Status(models.TextChoices):
        CONSULTATION = "consultation", "Out for consultation"
        ADOPTED = "adopted", "Adopted"
        UNDER_REVIEW = "under_review", "Under review"
        WITHDRAWN = "withdrawn", "Withdrawn"

    summary = models.TextField(
        max_length=300,
        help_text="A plain-English summary of up to 300 characters. Used in lists, "
        "search results and social posts.",
    )
    body = StreamField(BodyBlock(), blank=True)
    department = models.ForeignKey(
        "core.Department", on_delete=models.PROTECT, related_name="policies"
    )
    policy_status = models.CharField(
        "Status", max_length=20, choices=Status.choices, default=Status.ADOPTED
    )
    effective_date = models.DateField(null=True, blank=True)
    next_review_date = models.DateField(null=True, blank=True)
    featured = models.BooleanField(
        default=False, help_text="Show on the home page's featured policies."
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("department"),
                FieldPanel("policy_status"),
                FieldRowPanel(
                    [FieldPanel("effective_date"), FieldPanel("next_review_date")]
                ),
                FieldPanel("featured"),
            ],
            heading="Policy details",
        ),
        FieldPanel("body"),
        InlinePanel("related_documents", label="Related documents"),
    ]
    base_form_class = SocialPageForm
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading="Content"),
            ObjectList(SOCIAL_PANELS, heading="Social"),
            ObjectList(Page.promote_panels, heading="Promote"),
            ObjectList(Page.settings_panels, heading="Settings"),
        ]
    )
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("policy_status"),
        index.RelatedFields("department", [index.SearchField("name")]),
    ]
    parent_page_types = ["policies.PolicyIndexPage"]
    subpage_types = []

    def clean(self):
        super().clean()
        if (
            self.effective_date
            and self.next_review_date
            and self.next_review_date < self.effective_date
        ):
            raise ValidationError(
                {
                    "next_review_date": "The review date must be after the date the "
                    "policy takes effect."
                }
            )


class PolicyDocument(Orderable):
    """A document attached to a policy (the full strategy, an impact assessment)."""

    page = ParentalKey(PolicyPage, related_name="related_documents")
    title = models.CharField(max_length=200, blank=True)
    document = models.ForeignKey("wagtaildocs.Document", on_delete=models.CASCADE)

    panels = [FieldPanel("document"), FieldPanel("title")]

    @property
    def display_title(self) -> str:
        return self.title or self.document.title
