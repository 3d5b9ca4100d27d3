"""The cross-post dashboard: every row, its state and what a comms manager can do.

Comms managers (and superusers) see every row and act on them; editors, who have
only ``view_crosspost``, see the rows of pages they can edit, without actions.
"""

from __future__ import annotations

from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import DateColumn, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permission_policies.pages import PagePermissionPolicy

from .. import actions, scheduling
from ..filters import CrossPostFilterSet
from ..health import sweeper_health, worker_health
from ..models import CrossPost
from . import wording
from .columns import TemplateColumn
from .exports import FormulaSafeExportMixin

State = CrossPost.State
crosspost_policy = ModelPermissionPolicy(CrossPost)

#: Everything the listing and its export read, so no row costs a query of its own
#: and no account token is loaded (or decrypted) for display.
LISTING_FIELDS = (
    "page_id",
    "page_title",
    "department",
    "platform",
    "state",
    "operation",
    "attempts",
    "last_error",
    "last_error_kind",
    "permalink",
    "likes",
    "shares",
    "comments",
    "views",
    "metrics_updated_at",
    "next_attempt_at",
    "review_reason",
    "guard_findings",
    "created_at",
    "posted_at",
    "processing_since",
    "processing_check_at",
    "account__platform",
    "account__display_name",
)
#: How many late scheduled pages the dashboard names (the oldest).
OVERDUE_SHOWN = 10


def can_act(user) -> bool:
    """Whether the user manages cross-posts (sees all rows, may act on them)."""
    return crosspost_policy.user_has_any_permission(user, ["retry", "approve"])


def visible_crossposts(user):
    """The rows this user may see on the dashboard."""
    rows = CrossPost.objects.all()
    if can_act(user):
        return rows
    editable = PagePermissionPolicy().instances_user_has_permission_for(user, "change")
    return rows.filter(page_id__in=editable.values("pk"))


class PageTitleColumn(TitleColumn):
    """The page's title (at most two lines; the whole title on hover), linked
    to its editor, with its department below."""

    cell_template_name = "publishing/admin/cells/page_title.html"

    def get_link_url(self, instance, parent_context):
        if instance.page_id is None:
            return None
        return reverse("wagtailadmin_pages:edit", args=[instance.page_id])


def group_leaders(rows):
    """One row of each page among ``rows`` (its newest), and each row whose
    page has gone: the dashboard lists a page once, its channels within."""
    newest = (
        rows.filter(page_id__isnull=False)
        .order_by()
        .values("page_id")
        .annotate(newest=Max("pk"))
        .values("newest")
    )
    return rows.filter(Q(page_id__isnull=True) | Q(pk__in=newest))


def attach_channels(leaders: list[CrossPost], rows) -> list[CrossPost]:
    """Give each listed page its rows among ``rows`` (one query) as
    ``channels``; a row whose page has gone is its own only channel."""
    page_ids = [leader.page_id for leader in leaders if leader.page_id]
    by_page: dict[int, list[CrossPost]] = {}
    for row in rows.filter(page_id__in=page_ids).order_by(
        "platform", "account__display_name"
    ):
        by_page.setdefault(row.page_id, []).append(row)
    for leader in leaders:
        leader.channels = by_page.get(leader.page_id, [leader])
    return leaders


def export_date(value):
    return wording.iso_seconds(value)


class CrossPostReportView(FormulaSafeExportMixin, ReportView):
    """One row per page, a chip per channel; each page opens to its channels'
    rows and their actions. Exports keep one line per channel."""

    page_title = _("Social posts")
    header_icon = "globe"
    template_name = "publishing/admin/crosspost_report.html"
    results_template_name = "publishing/admin/crosspost_report_results.html"
    index_url_name = "publishing_admin:dashboard"
    index_results_url_name = "publishing_admin:dashboard_results"
    filterset_class = CrossPostFilterSet
    permission_policy = crosspost_policy
    any_permission_required = ["view", "retry", "approve"]
    model = CrossPost
    default_ordering = "-created_at"
    paginate_by = 50
    verbose_name_plural = _("social posts")
    export_filename = "social-posts"
    list_export = [
        "page_title",
        "get_platform_display",
        "account.display_name",
        "get_state_display",
        "attempts",
        "last_error",
        "permalink",
        "likes",
        "shares",
        "comments",
        "views",
        "metrics_updated_at",
        "created_at",
        "posted_at",
    ]
    export_headings = {
        "page_title": _("Page"),
        "get_platform_display": _("Channel"),
        "account.display_name": _("Account"),
        "get_state_display": _("State"),
        "last_error": _("Last error"),
        "metrics_updated_at": _("Figures fetched"),
        "created_at": _("Created"),
        "posted_at": _("Posted"),
    }
    # Dates as ISO 8601 to the second in the council's time zone, in both
    # formats: Wagtail's defaults give microseconds and UTC offsets in CSV and
    # a naive UTC time in XLSX.
    custom_field_preprocess = {
        field: {"csv": export_date, "xlsx": export_date}
        for field in ("metrics_updated_at", "created_at", "posted_at")
    }

    @cached_property
    def can_act(self) -> bool:
        return can_act(self.request.user)

    @cached_property
    def columns(self):
        user = self.request.user
        return [
            PageTitleColumn(
                "page_title", label=_("Page"), sort_key="page_title", width="34%"
            ),
            TemplateColumn(
                "channels",
                label=_("Channels"),
                width="54%",
                template_name="publishing/admin/cells/channels.html",
                extra={
                    "can_act": self.can_act,
                    "can_retry": crosspost_policy.user_has_permission(user, "retry"),
                    "can_approve": crosspost_policy.user_has_permission(
                        user, "approve"
                    ),
                    "next_url": self.return_url(),
                },
            ),
            DateColumn("created_at", label=_("First queued"), sort_key="created_at"),
        ]

    def return_url(self) -> str:
        """Where a row's action comes back to: the whole dashboard with the same
        filters, also when the rows came as the bare results fragment (filtering
        and the self-refresh fetch that)."""
        url = reverse(self.index_url_name)
        query = self.request.GET.urlencode()
        return f"{url}?{query}" if query else url

    def get_base_queryset(self):
        return (
            visible_crossposts(self.request.user)
            .select_related("account")
            .only(*LISTING_FIELDS)
        )

    def get_queryset(self):
        rows = super().get_queryset()
        if self.is_export:
            return rows
        self.filtered_rows = rows
        return group_leaders(rows)

    def paginate_queryset(self, queryset, page_size):
        paginator, page, leaders, is_paginated = super().paginate_queryset(
            queryset, page_size
        )
        leaders = attach_channels(list(leaders), self.filtered_rows)
        return paginator, page, leaders, is_paginated

    def get_filename(self):
        return f"social-posts-{timezone.localdate():%Y-%m-%d}"

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        if self.is_export:
            return context
        counts = actions.summary(visible_crossposts(self.request.user))
        context["state_counts"] = [
            {"state": state, "label": label, "count": counts[state]}
            for state, label in State.choices
            if counts[state]
        ]
        # The rows listed were read before the counts: a row shown "Sending"
        # may be posted by the time it is counted. The list refreshes while
        # anything either of them shows is on its way, so "Sending" is never
        # left on screen.
        shown = [
            row
            for leader in context.get("object_list") or ()
            for row in getattr(leader, "channels", ())
        ]
        context["in_flight"] = any(
            counts[state] for state in wording.IN_FLIGHT
        ) or any(row.state in wording.IN_FLIGHT for row in shown)
        context["worker"] = worker_health()
        context["sweeper"] = sweeper_health()
        context["can_act"] = self.can_act
        context["retries_asked"] = actions.retries_asked(
            visible_crossposts(self.request.user)
        )
        if self.can_act:
            context["overdue_schedule"] = scheduling.overdue()[:OVERDUE_SHOWN]
        return context
