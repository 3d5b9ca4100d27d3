"""Engagement figures (likes, shares, comments, views) for recent posts.

Run every 15 minutes by the ``refresh_metrics`` task. One account's failure
(an expired token, a platform outage) never stops the others: its rows keep
their last figures and are tried again next time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from channels.errors import AuthError, ChannelError

from .accounts import adapter_for
from .models import ChannelAccount, CrossPost

logger = logging.getLogger(__name__)
WINDOW = timedelta(days=30)


@dataclass
class MetricsRun:
    updated: int = 0
    failed: int = 0


def rows_to_refresh(now=None):
    """Posted rows of the last 30 days on connected accounts."""
    now = now or timezone.now()
    return (
        CrossPost.objects.filter(
            state=CrossPost.State.POSTED,
            posted_at__gte=now - WINDOW,
            account__status=ChannelAccount.Status.CONNECTED,
        )
        .exclude(remote_id="")
        .order_by("account_id", "-posted_at")
        .only("id", "account_id", "remote_id")
    )


def refresh_metrics(now=None) -> MetricsRun:
    """Ask each platform for the figures of recent posts and store them.

    Returns how many rows were updated and how many could not be.
    """
    run = MetricsRun()
    by_account: dict[int, list[CrossPost]] = {}
    for row in rows_to_refresh(now):
        by_account.setdefault(row.account_id, []).append(row)
    accounts = ChannelAccount.objects.in_bulk(list(by_account))
    for account_id, rows in by_account.items():
        try:
            adapter = adapter_for(accounts[account_id])
        except ChannelError as error:
            run.failed += len(rows)
            logger.warning("Metrics for account %s: %s", account_id, error)
            continue
        for done, row in enumerate(rows):
            try:
                figures = adapter.metrics(row.remote_id)
            except AuthError as error:
                # Every other row of the account would fail the same way.
                run.failed += len(rows) - done
                logger.warning("Metrics for account %s: %s", account_id, error)
                break
            except ChannelError as error:
                run.failed += 1
                logger.warning("Metrics for cross-post %s: %s", row.pk, error)
                continue
            CrossPost.objects.filter(pk=row.pk).update(
                likes=figures.likes,
                shares=figures.shares,
                comments=figures.comments,
                views=figures.views,
                metrics_updated_at=timezone.now(),
            )
            run.updated += 1
    return run
