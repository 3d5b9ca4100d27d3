"""Cross-post transitions in Wagtail's audit log, so page history shows what went
where, when, and by whose action."""

from __future__ import annotations

from wagtail.log_actions import log as wagtail_log

# action suffix -> how page history describes it
ACTIONS = {
    "queued": "Queued for social media",
    "requeued": "Social post queued again after a change",
    "held": "Social post held for approval",
    "approved": "Held social post approved",
    "rejected": "Held social post rejected",
    "posted": "Posted to social media",
    "adopted": "Found a post a lost request had made, and adopted it",
    "updated": "Social post updated",
    "retract": "Social post retraction requested",
    "retracted": "Social post retracted",
    "retrying": "Social post will be retried",
    "failed": "Social post failed",
    "needs_reconnect": "Social account needs reconnecting",
    "cancelled": "Social post cancelled",
    "retry": "Social post retried by hand",
    "lease_expired": "A worker stopped while sending; checking before sending again",
    "retracting": "Social post retraction requested",
    "pending": "Queued for social media",
}


def action_name(suffix: str) -> str:
    return f"publishing.crosspost.{suffix}"


def log(row, suffix: str, user=None, data: dict | None = None) -> None:
    """Write one audit entry on the row's page (if the page still exists)."""
    if row.page_id is None or suffix not in ACTIONS:
        return
    page = row.page.specific_deferred if row.page else None
    if page is None:
        return
    wagtail_log(
        instance=page,
        action=action_name(suffix),
        user=user,
        data={
            "crosspost": row.pk,
            "platform": row.platform,
            "account": str(row.account),
            "state": row.state,
            **(data or {}),
        },
    )
