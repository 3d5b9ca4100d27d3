"""The cross-post dashboard: every row, its state and what a comms manager can do.

Comms managers (and superusers) see every row and act on them; editors, who have
only ``view_crosspost``, see the rows of pages they can edit, without actions.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
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
    "created_at",
    "posted_at",
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
    def get_link_url(self, instance, parent_context):
        if instance.page_id is None:
            return None
        return reverse("wagtailadmin_pages:edit", args=[instance.page_id])


class CrossPostReportView(FormulaSafeExportMixin, ReportView):
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
        "created_at",
        "posted_at",
    ]
    export_headings = {
        "page_title": _("Page"),
        "get_platform_display": _("Channel"),
        "account.display_name": _("Account"),
        "get_state_display": _("State"),
        "last_error": _("Last error"),
        "created_at": _("Created"),
        "posted_at": _("Posted"),
    }

    @cached_property
    def can_act(self) -> bool:
        return can_act(self.request.user)

    @cached_property
    def columns(self):
        columns = [
            PageTitleColumn(
                "page_title", label=_("Page"), sort_key="page_title", width="20%"
            ),
            Column("platform", label=_("Channel"), accessor="get_platform_display"),
            Column("account", label=_("Account"), accessor="account.display_name"),
            TemplateColumn(
                "state",
                label=_("State"),
                sort_key="state",
                template_name="publishing/admin/cells/state.html",
            ),
            Column("attempts", label=_("Attempts"), sort_key="attempts"),
            Column(
                "last_error",
                label=_("Last error"),
                accessor=wording.error_in_plain_words,
            ),
            TemplateColumn(
                "permalink",
                label=_("Link"),
                template_name="publishing/admin/cells/permalink.html",
            ),
            Column("engagement", label=_("Engagement"), accessor=wording.engagement),
            DateColumn("created_at", label=_("Created"), sort_key="created_at"),
            DateColumn("posted_at", label=_("Posted"), sort_key="posted_at"),
        ]
        if self.can_act:
            # Beside the state, so what can be done about a row is in view at
            # any screen width, not past the dates.
            columns.insert(
                4,
                TemplateColumn(
                    "actions",
                    label=_("Actions"),
                    template_name="publishing/admin/cells/actions.html",
                    extra={
                        "can_retry": crosspost_policy.user_has_permission(
                            self.request.user, "retry"
                        ),
                        "can_approve": crosspost_policy.user_has_permission(
                            self.request.user, "approve"
                        ),
                        "next_url": self.return_url(),
                    },
                ),
            )
        return columns

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
        context["in_flight"] = any(counts[state] for state in wording.IN_FLIGHT)
        context["worker"] = worker_health()
        context["sweeper"] = sweeper_health()
        context["can_act"] = self.can_act
        if self.can_act:
            context["overdue_schedule"] = scheduling.overdue()[:OVERDUE_SHOWN]
        return context
