"""Social > Alerts: what comms managers were emailed or are about to be, to
whom and when. For the people alerts go to (``publishing.alerts``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, DateColumn, UserColumn
from wagtail.admin.views.generic import BaseListingView

from ..models import Alert


def can_see_alerts(user) -> bool:
    return user.is_active and (
        user.has_perm("publishing.approve_crosspost")
        or user.has_perm("publishing.manage_channels")
    )


def about(alert: Alert) -> str:
    row = alert.crosspost
    if row is not None:
        return f"{row.page_title} ({row.get_platform_display()})"
    return str(alert.account) if alert.account else ""


def sending(alert: Alert) -> str:
    if alert.sent_at is None:
        return _("Queued for the next email")
    return _("Sent to %(address)s") % {"address": alert.sent_to}


class AlertListView(BaseListingView):
    page_title = _("Social alerts")
    header_icon = "warning"
    results_template_name = "publishing/admin/alerts_results.html"
    index_url_name = "publishing_admin:alerts"
    index_results_url_name = "publishing_admin:alerts_results"
    paginate_by = 50
    verbose_name_plural = _("alerts")

    def dispatch(self, request, *args, **kwargs):
        if not can_see_alerts(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def columns(self):
        return [
            DateColumn("created_at", label=_("When")),
            Column("kind", label=_("What"), accessor="get_kind_display"),
            Column("about", label=_("About"), accessor=about),
            Column("message", label=_("Details")),
            UserColumn("recipient", label=_("To")),
            Column("sending", label=_("Email"), accessor=sending),
            DateColumn("sent_at", label=_("Sent")),
        ]

    def get_base_queryset(self):
        return (
            Alert.objects.select_related("recipient", "crosspost", "account")
            .defer("account__access_token", "account__refresh_token")
            .order_by("-created_at", "-id")
        )
