"""Daily post budgets: an account over its cap waits instead of meeting the
platform's 429 (and, for X's repost policy, before its old post comes down)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import CrossPost

#: The period a daily post cap counts over.
BUDGET_WINDOW = timedelta(days=1)


def cap_for(row: CrossPost) -> int | None:
    """The most posts a day the row's account may make, if it has a cap."""
    return row.account.daily_post_cap or settings.CROSSPOST_DAILY_CAPS.get(
        row.platform
    )


def posts_counted(now: datetime):
    """An annotation of a row query: how many posts the row's account made in
    the day up to ``now``. A worker's claim reads it with the row, so an
    account under its cap costs :func:`spent_until` no query."""
    posts = (
        CrossPost.objects.filter(
            account_id=OuterRef("account_id"), posted_at__gte=now - BUDGET_WINDOW
        )
        .order_by()
        .values("account_id")
        .annotate(posts=Count("pk"))
        .values("posts")
    )
    return Coalesce(Subquery(posts, output_field=IntegerField()), 0)


def spent_until(row: CrossPost, now: datetime | None = None) -> datetime | None:
    """When the row's account may post again, if its daily budget is spent:
    a day after the cap-th most recent post of the last day. ``None`` when the
    account is under its cap: one query, and none for an account with no cap
    or a row read with :func:`posts_counted` fewer than its cap."""
    cap = cap_for(row)
    if not cap or getattr(row, "budget_posts", cap) < cap:
        return None
    since = (now or timezone.now()) - BUDGET_WINDOW
    capth_latest = (
        CrossPost.objects.filter(account_id=row.account_id, posted_at__gte=since)
        .order_by("-posted_at")
        .values_list("posted_at", flat=True)[cap - 1 : cap]
    )
    for posted_at in capth_latest:
        return posted_at + BUDGET_WINDOW
    return None
