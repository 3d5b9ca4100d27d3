"""Following the platforms' processing of posts recorded before it ended.

YouTube processes a video after its upload, and may reject it (a duplicate, a
copyright claim) or fail to process it (its codec) then, minutes or hours
later. A publish follows processing for ``YOUTUBE_PROCESSING_WAIT`` seconds; a
post still processing then is recorded as posted and *being processed*
(``processing_since``, written by the lifecycle), and :func:`check_due`, run
by beat every minute, asks the platform again: at its next run, then at
lengthening intervals (:func:`next_check`):

* processed: the post is no longer followed (``processed``);
* refused, or gone: the row fails with the platform's reason and comms
  managers are alerted (``processing_failed``); the video is not live, so
  Retry, or the page published again, uploads it anew;
* still processing: asked again later, until
  ``CROSSPOST_PROCESSING_WINDOW_SECONDS`` (24 h) after the upload; then the
  post stays posted, no longer followed, with a note on the row and in page
  history (``processing_unconfirmed``);
* an error: asked again at the next check; a rate limit (YouTube's daily
  quota) or a refused token puts off the account's other checks with it.

Whether a post is being processed, and what its outcome does to the row, is
the lifecycle's; when to ask next is this module's own bookkeeping.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from channels import registry
from channels.errors import AuthError, ChannelError, RateLimitedError, RejectedError

from . import lifecycle
from .accounts import adapter_for
from .models import ChannelAccount, CrossPost

logger = logging.getLogger(__name__)

#: The shortest and longest wait between two checks of one post.
MIN_INTERVAL = timedelta(minutes=1)
MAX_INTERVAL = timedelta(hours=1)
#: The most posts one run asks about (the rest are due at the next run).
BATCH = 100


@dataclass
class ProcessingRun:
    """What one run found: posts processed, refused, still processing, given
    up on, and not answered (an error)."""

    processed: int = 0
    failed: int = 0
    processing: int = 0
    unconfirmed: int = 0
    errors: int = 0

    @property
    def asked(self) -> int:
        return (
            self.processed
            + self.failed
            + self.processing
            + self.unconfirmed
            + self.errors
        )


def window() -> timedelta:
    return timedelta(seconds=settings.CROSSPOST_PROCESSING_WINDOW_SECONDS)


def next_check(since: datetime, now: datetime) -> datetime:
    """When to ask again about a post being processed since ``since``: after
    half the time it has taken so far, within a minute and an hour, and not
    after its window ends (the last check). About a dozen checks in the first
    hour, one an hour after the first few."""
    interval = min(max((now - since) / 2, MIN_INTERVAL), MAX_INTERVAL)
    return min(now + interval, max(since + window(), now))


def due(now: datetime | None = None):
    """Posted rows whose post is being processed and due to be asked about, on
    accounts that can be asked (connected), the longest waiting first."""
    return (
        CrossPost.objects.filter(
            state=CrossPost.State.POSTED,
            processing_check_at__lte=now or timezone.now(),
            processing_since__isnull=False,
            account__status=ChannelAccount.Status.CONNECTED,
        )
        .select_related("account")
        .order_by("processing_check_at", "pk")
    )


def check_due(now: datetime | None = None, limit: int = BATCH) -> ProcessingRun:
    """Ask the platforms about the posts due (:func:`due`) and report each
    outcome to the lifecycle. One account's failure never stops the others."""
    now = now or timezone.now()
    run = ProcessingRun()
    by_account: dict[int, list[CrossPost]] = {}
    for row in due(now)[:limit]:
        by_account.setdefault(row.account_id, []).append(row)
    for rows in by_account.values():
        try:
            adapter = adapter_for(rows[0].account)
        except ChannelError as error:
            logger.warning(
                "Processing checks of account %s: %s", rows[0].account, error
            )
            continue
        for done, row in enumerate(rows):
            if not _take(row, now):
                continue  # another run is asking about it
            try:
                outcome = adapter.processing_outcome(row.remote_id)
            except RejectedError as error:
                _report(row, "processing_failed", error.message, "rejected", run)
            except (AuthError, RateLimitedError) as error:
                # Every other post of the account would meet the same answer:
                # they wait with this one (for a rate limit's reset, if known).
                logger.warning("Processing checks of %s: %s", row.account, error)
                _put_off(rows[done:], now, getattr(error, "retry_at", None))
                _unanswered(row, now, error, run)
                break
            except ChannelError as error:
                logger.info("Processing check of cross-post %s: %s", row.pk, error)
                _unanswered(row, now, error, run)
            else:
                if outcome == "processed":
                    _report(row, "processed", "", "", run)
                else:
                    _unanswered(row, now, None, run)
    return run


def _take(row: CrossPost, now: datetime) -> bool:
    """Move the row's next check on before asking, so that two runs never ask
    about one post at once; whether this run has it."""
    later = next_check(row.processing_since, now)
    taken = CrossPost.objects.filter(
        pk=row.pk,
        remote_id=row.remote_id,
        processing_check_at=row.processing_check_at,
    ).update(processing_check_at=later)
    row.processing_check_at = later
    return bool(taken)


def _put_off(rows: list[CrossPost], now: datetime, until: datetime | None) -> None:
    """Posts of an account that cannot be asked now wait for ``until`` (a rate
    limit's reset) or, without one, for their next check."""
    for row in rows:
        later = max(until, now) if until else next_check(row.processing_since, now)
        CrossPost.objects.filter(
            pk=row.pk, processing_check_at=row.processing_check_at
        ).update(processing_check_at=later)
        row.processing_check_at = later


def _unanswered(
    row: CrossPost, now: datetime, error: ChannelError | None, run: ProcessingRun
) -> None:
    """Still processing, or no answer (``error``): asked again at its next
    check, or, its window over, no longer followed, with a note."""
    if now - row.processing_since < window():
        if error is None:
            run.processing += 1
        else:
            run.errors += 1
        return
    name = row.get_platform_display()
    hours = window().total_seconds() / 3600
    note = (
        f"{name} had not finished processing the {thing(row)} {hours:g} hours "
        f"after it was uploaded, so it is no longer checked: look at it on {name}."
    )
    if error is not None:
        note += f" The last check had no answer: {error.message}"
    _report(row, "processing_unconfirmed", note, "processing", run)
    logger.warning("Cross-post %s: %s", row.pk, note)


def _report(
    row: CrossPost, event: str, message: str, kind: str, run: ProcessingRun
) -> None:
    """Apply the outcome to the row, unless it moved on meanwhile (its post
    taken down, say): then it is no longer this post's."""
    if not lifecycle.allowed(row, event):
        return
    moved = lifecycle.advance(row, event, message=message, kind=kind)
    if moved is None:
        return
    if event == "processed":
        run.processed += 1
    elif event == "processing_failed":
        run.failed += 1
    else:
        run.unconfirmed += 1


def thing(row: CrossPost) -> str:
    """What the platform processes, in a word: "video" or "post"."""
    return "video" if registry.get(row.platform).requires_video else "post"
