"""An FOI-ready record of everything posted in a date range: what was said,
where, when, who published it, who approved it and why, and when it came down."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, DateColumn, UserColumn
from wagtail.admin.views.reports import ReportView

from ..filters import PostedRecordFilterSet
from ..models import CrossPost
from . import wording
from .dashboard import PageTitleColumn, crosspost_policy
from .exports import FormulaSafeExportMixin


def person(user) -> str:
    if user is None:
        return ""
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


class PostTextColumn(Column):
    """A post's text, its lines kept."""

    cell_template_name = "publishing/admin/cells/post_text.html"


def approval(row) -> str:
    """Who approved a post and why, in one cell ("" when it needed none)."""
    reason = row.review_reason
    if row.reviewed_by is None:
        return reason
    who = row.reviewed_by.get_full_name() or row.reviewed_by.get_username()
    return f"{who}: {reason}" if reason else who


class PostedRecordView(FormulaSafeExportMixin, ReportView):
    template_name = "publishing/admin/foi_report.html"
    page_title = _("Posted to social media (FOI export)")
    header_icon = "download"
    index_url_name = "publishing_admin:foi"
    index_results_url_name = "publishing_admin:foi_results"
    filterset_class = PostedRecordFilterSet
    permission_policy = crosspost_policy
    any_permission_required = ["retry", "approve"]
    model = CrossPost
    paginate_by = 50
    verbose_name_plural = _("posts")
    # On screen, eight columns fit a 1280 px screen (foi.css): the channel is
    # in the account's name, and who approved a post beside why. The export
    # keeps each in a column of its own.
    columns = [
        DateColumn("posted_at", label=_("Posted")),
        PageTitleColumn("page_title", label=_("Page"), classname="social-foi-page"),
        Column("account", label=_("Account")),  # "Bluesky: @…", as it prints
        PostTextColumn("text", label=_("Text"), classname="social-foi-text"),
        UserColumn("published_by", label=_("Published by")),
        Column(
            "approval", label=_("Approved by, and why"), accessor=approval,
            classname="social-foi-approval",
        ),
        Column("permalink", label=_("Permalink"), classname="social-foi-link"),
        DateColumn("retracted_at", label=_("Taken down")),
    ]
    list_export = [
        "posted_at",
        "get_platform_display",
        "account.display_name",
        "page_id",
        "page_title",
        "revision_id",
        "text",
        "edited_from",
        "link",
        "media",
        "published_by",
        "reviewed_by",
        "review_reason",
        "permalink",
        "retracted_at",
        "get_state_display",
    ]
    export_headings = {
        "posted_at": _("Posted at"),
        "get_platform_display": _("Channel"),
        "account.display_name": _("Account"),
        "page_id": _("Page id"),
        "page_title": _("Page"),
        "revision_id": _("Page revision"),
        "text": _("Text posted"),
        "edited_from": _("Page's text, if edited on approval"),
        "link": _("Link posted"),
        "media": _("Media"),
        "published_by": _("Published by"),
        "reviewed_by": _("Approved by"),
        "review_reason": _("Approval reason"),
        "permalink": _("Permalink"),
        "retracted_at": _("Taken down at"),
        "get_state_display": _("State now"),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        both = (self.FORMAT_CSV, self.FORMAT_XLSX)
        self.custom_field_preprocess = {
            **self.custom_field_preprocess,
            "published_by": dict.fromkeys(both, person),
            "reviewed_by": dict.fromkeys(both, person),
            "media": dict.fromkeys(both, wording.media_in_plain_words),
        }

    def get_base_queryset(self):
        return (
            CrossPost.objects.filter(posted_at__isnull=False)
            .select_related("published_by", "reviewed_by")
            .select_related("account")
            .defer("account__access_token", "account__refresh_token")
            .order_by("posted_at", "id")
        )

    def get_filename(self):
        return f"social-posts-foi-{timezone.localdate():%Y-%m-%d}"
