"""The homepage panel that tells comms managers what needs them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from wagtail.admin.ui.components import Component

from ..models import ChannelAccount, CrossPost

State = CrossPost.State
TOKEN_WARNING = timedelta(days=7)
SHOWN = 5


def expiring_accounts(now=None):
    """Connected accounts whose token runs out within a week and cannot be
    refreshed without a person (no refresh token)."""
    now = now or timezone.now()
    return ChannelAccount.objects.filter(
        status=ChannelAccount.Status.CONNECTED,
        token_expires_at__lte=now + TOKEN_WARNING,
        refresh_token="",
    ).defer("access_token")


class NeedsAttentionPanel(Component):
    name = "social_needs_attention"
    template_name = "publishing/admin/needs_attention_panel.html"
    order = 90  # above Wagtail's own panels: these block posts from going out

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        rows = CrossPost.objects.select_related("account").only(
            "page_title",
            "state",
            "last_error",
            "last_error_kind",
            "created_at",
            "account__platform",
            "account__display_name",
        )
        failed = rows.filter(state=State.FAILED)
        held = rows.filter(state=State.HELD)
        reconnect = ChannelAccount.objects.filter(
            status=ChannelAccount.Status.NEEDS_RECONNECT
        ).defer("access_token", "refresh_token")
        capped = ChannelAccount.objects.filter(
            status=ChannelAccount.Status.CAPPED
        ).defer("access_token", "refresh_token")
        expiring = expiring_accounts()
        context.update(
            failed=list(failed[:SHOWN]),
            failed_count=failed.count(),
            held=list(held[:SHOWN]),
            held_count=held.count(),
            reconnect=list(reconnect),
            capped=list(capped),
            expiring=list(expiring),
            csrf_token=parent_context.get("csrf_token"),
        )
        context["anything"] = any(
            (
                context["failed_count"],
                context["held_count"],
                context["reconnect"],
                context["capped"],
                context["expiring"],
            )
        )
        return context
