"""Delivery: a worker claims a row, does its operation on the platform and
reports what happened as a lifecycle event. Free of Celery, so it can be
tested directly (the tasks are thin wrappers).

Platforms have no idempotency keys, so a row whose earlier attempt may have
posted (its answer lost, or its worker stopped) is reconciled: the post is
looked for by the page's link and adopted rather than sent again.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels.base import ChannelAdapter
from channels.errors import (
    AuthError,
    ChannelError,
    RateLimitedError,
    RejectedError,
    UsageCappedError,
)
from channels.values import PostResult

from . import accounts, audit, budgets, claim_read, content, dispatch, lifecycle
from .models import ChannelAccount, CrossPost

logger = logging.getLogger(__name__)
State = CrossPost.State
Operation = CrossPost.Operation

#: How often a claim reads the row again when it changed between read and lease.
CLAIM_ATTEMPTS = 3

#: How stale an account's "last success" time may get before a delivery writes it
#: again (it is shown on the accounts screen; a burst need not write it per post).
LAST_SUCCESS_RESOLUTION = timedelta(minutes=1)


def claim(row_id: int, owner: str) -> CrossPost | None:
    """Take the row's lease if it is due; ``None`` if another worker has it or it
    is not due.

    The row is read by the sweeper's own test of being due
    (:meth:`~publishing.models.CrossPostQuerySet.due`) and leased by the
    lifecycle's compare-and-set, which is what lets one worker win: a row that
    another worker leased, or that a transaction holds and then changes, fails
    the set, and the claim reads it again. No lock is taken, so the read and
    the lease are two statements with no transaction around them (a lock would
    add two round trips to every delivery and decide nothing the set does not).
    """
    for _attempt in range(CLAIM_ATTEMPTS):
        now = timezone.now()
        # The row, its account, its page's type (which the row's history
        # entries name) and the account's posts of the last day (which its
        # budget counts), in one statement written once per process.
        row = claim_read.read(row_id, now)
        if row is None:
            return None
        audit.know_page_type(row.page_id, row.page_type_id)
        claimed = lifecycle.advance(row, "claimed", owner=owner, now=now)
        if claimed is not None:
            return claimed
    logger.info(
        "Cross-post %s kept changing while claimed; the sweeper retries it", row_id
    )
    return None


def deliver(row_id: int, owner: str) -> CrossPost | None:
    """Claim the row, do its operation on the platform and record the outcome."""
    row = claim(row_id, owner)
    return None if row is None else carry_out(row)


def carry_out(row: CrossPost) -> CrossPost | None:
    """Do the operation of a row this worker has claimed, and report what
    happened; the row as it is then (``None`` if another attempt has it)."""
    account = row.account
    if not account.is_usable:
        return _report(
            row,
            "account_unusable",
            message=account.status_message or "The account needs reconnecting.",
            kind="auth",
        )
    adapter = accounts.adapter_for(account)
    try:
        return _operate(adapter, row)
    except ChannelError as error:
        # The tokens this attempt sent: the ones it started with and any it
        # renewed them to on the way.
        used = {account.access_token, adapter.credentials.access_token}
        return _record_error(row, error, used)


def _report(row: CrossPost, event: str, **facts) -> CrossPost | None:
    """Apply what the worker saw, to the row as it is now (an editor may have
    changed it meanwhile), unless another attempt holds it."""
    return lifecycle.advance(row, event, owned=True, **facts)


def _unapproved(row: CrossPost) -> bool:
    """The gate before every send: whether what this worker holds (and would
    send) has guard findings nobody approved. A page published again while a
    row is in flight only stores its content there, unchecked; that content
    can then come to be sent by a search that found no post, a retry after a
    refusal or an X repost, so it is checked here, on what is sent."""
    return lifecycle.unapproved(row.content_hash, row.guard_findings,
                                row.approved_hash)


def _operate(adapter: ChannelAdapter, row: CrossPost) -> CrossPost | None:
    operation = row.operation
    reposting = operation == Operation.UPDATE and adapter.updates_by_reposting
    if operation in (Operation.PUBLISH, Operation.UPDATE) and _unapproved(row):
        # Held before anything goes, an X repost's old post included: the
        # live post stays as it was until the new content is approved.
        return _report(row, "unapproved")
    if operation in (Operation.PUBLISH, Operation.RECONCILE) or reposting:
        # A new post: within the account's daily budget, or it waits (a repost
        # before its old post is taken down).
        until = budgets.spent_until(row)
        if until:
            local = timezone.localtime(until)
            return _report(
                row,
                "budget_spent",
                retry_at=until,
                kind="rate_limited",
                message="This account's daily post limit is reached; it will be "
                f"sent at {local:%H:%M on %d %b}.",
            )
    started = time.perf_counter()
    if operation == Operation.RECONCILE:
        found = _find_lost_post(adapter, row)
        if found is not None:
            return _report(row, "found", result=found, sent_hash=row.sent_hash)
        row = _report(row, "not_found")
        if not _now(row, State.SENDING, Operation.PUBLISH):
            return row
    elif reposting:
        # X's "repost": the old post comes down, then the row is a first post.
        adapter.retract(row.remote_id)
        row = _report(row, "taken_down", remote_id=row.remote_id)
        if not _now(row, State.SENDING, Operation.PUBLISH):
            return row
    if row.operation in (Operation.PUBLISH, Operation.UPDATE) and _unapproved(row):
        # Checked on what is sent: a search or a take-down reported above read
        # the row again, and what it now holds may have come in unchecked.
        return _report(row, "unapproved")
    if row.operation == Operation.PUBLISH:
        sent = row.content_hash
        result = adapter.publish(
            content.post_from_row(row), on_upload_session=_session_keeper(row)
        )
        return _posted(row, result, sent, started, "posted")
    if row.operation == Operation.UPDATE:
        sent = row.content_hash
        result = adapter.update(row.remote_id, content.post_from_row(row))
        return _posted(row, result, sent, started, "posted")
    # Retract, or retract then post again. With no post recorded, an attempt
    # to publish may still have made one: look for it first.
    remote_id = row.remote_id
    if not remote_id:
        found = _find_lost_post(adapter, row)
        if found is None:
            return _report(row, "not_found")
        remote_id = found.remote_id
    adapter.retract(remote_id)
    return _report(row, "retracted", remote_id=remote_id)


def _now(row: CrossPost | None, state: str, operation: str) -> bool:
    """Whether the row is (still) at ``(state, operation)`` after a report."""
    return row is not None and (row.state, row.operation) == (state, operation)


def _posted(row, result: PostResult, sent: str, started: float, event: str):
    """Record a post that landed. The audit entry keeps how long the
    platform's calls took, so a slow platform shows in page history and the
    pipeline benchmark can tell the platform's time from the pipeline's own."""
    platform_ms = round((time.perf_counter() - started) * 1000, 2)
    recorded = _report(
        row, event, result=result, sent_hash=sent,
        audit_data={"platform_ms": platform_ms},
    )
    _note_success(row)
    return recorded


def _note_success(row: CrossPost) -> None:
    now = timezone.now()
    last_success = row.account.last_success_at
    if last_success is None or now - last_success > LAST_SUCCESS_RESOLUTION:
        ChannelAccount.objects.filter(pk=row.account_id).update(last_success_at=now)


def _session_keeper(row: CrossPost):
    """Keeps the upload session a publish opens on the row, before any byte of
    the file is sent, while this attempt still holds the lease."""

    def keep(session_uri: str) -> None:
        CrossPost.objects.filter(pk=row.pk, lease_owner=row.lease_owner).update(
            upload_session=session_uri
        )
        row.upload_session = session_uri

    return keep


def _find_lost_post(adapter: ChannelAdapter, row: CrossPost) -> PostResult | None:
    """The post an attempt that left no answer made, if it made one.

    An attempt that opened an upload session is asked about first: a listing
    of the account's posts can lag the upload by hours (YouTube's uploads
    playlist). A finished upload is the post; an unfinished one is finished,
    unless the page changed since (the file may be another). Only an expired
    session leaves the question to the search.

    The search looks back through every post the account made since the row was
    queued, however many (a row waiting out a rate limit can be overtaken by
    hundreds of others, and staff post by hand too). The newest post carrying
    the page's link is the one: unless it is one of this row's own earlier
    posts, taken down (a YouTube video made private stays findable), which
    means the attempt made none."""
    if row.upload_session:
        settled = adapter.resume_upload(
            row.upload_session,
            content.post_from_row(row),
            finish=row.sent_hash == row.content_hash
            and row.operation == Operation.RECONCILE,
        )
        if settled is not None:
            return settled
    found = adapter.find_by_marker(row.marker, since=row.created_at)
    if found is None or found.remote_id in row.retracted_remote_ids:
        return None
    return found


def _record_error(
    row: CrossPost, error: ChannelError, used_tokens: set[str]
) -> CrossPost | None:
    """Report the platform's error as its event: refused, auth failed, rate
    limited, or a temporary fault, retried with backoff until
    ``CROSSPOST_RETRY_WINDOW_SECONDS`` have passed since the first one.

    An auth failure parks the account only if it still holds one of
    ``used_tokens``: an account reconnected while the attempt was under way
    is not parked again for the old token's refusal; the post is retried."""
    now = timezone.now()
    ChannelAccount.objects.filter(pk=row.account_id).update(last_error_at=now)
    message = error.message
    if isinstance(error, AuthError):
        with transaction.atomic():
            if accounts.tokens_replaced(row.account_id, used_tokens):
                return _report(
                    row, "answer_lost", kind="temporary",
                    message=f"{row.account} was connected again while this post "
                    f"was on its way ({error.message}); it is sent again with "
                    "the new connection.",
                )
            message = (
                f"{row.account} needs reconnecting: {error.message} A comms manager "
                "can reconnect it under Social > Accounts; waiting posts then resume."
            )
            recorded = _report(row, "auth_failed", message=message, kind="auth")
            accounts.needs_reconnect(row.account_id, message)
        return recorded
    if isinstance(error, RejectedError):
        return _report(row, "refused", message=message, kind="rejected")
    if isinstance(error, RateLimitedError):
        retry_at = error.retry_at or now + timedelta(seconds=60)
        capped = isinstance(error, UsageCappedError)
        if capped:
            message = (
                f"{row.account} is paused: {error.message} Its posts wait and are "
                f"sent from {timezone.localtime(retry_at):%H:%M on %d %b %Y}."
            )
        with transaction.atomic():
            recorded = _report(
                row, "rate_limited", message=message, kind="rate_limited",
                retry_at=retry_at,
            )
            if capped and recorded is not None:
                # Days away: the account pauses and its posts park until the
                # reset, rather than each waking a worker to be refused again.
                accounts.usage_capped(row.account_id, message, retry_at)
                recorded.refresh_from_db()
        return recorded
    window = timedelta(seconds=settings.CROSSPOST_RETRY_WINDOW_SECONDS)
    since = row.retrying_since or now
    if now - since >= window:
        return _report(
            row, "gave_up", kind="temporary",
            message=f"Gave up after {row.attempts} attempts over "
            f"{_duration(now - since)}: {message}",
        )
    return _report(row, "answer_lost", message=message, kind="temporary")


def _duration(span: timedelta) -> str:
    """``span`` in words: "3 h 20 min", "45 s"."""
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    if hours:
        return f"{hours} h {rest // 60} min"
    return f"{rest // 60} min" if rest >= 60 else f"{rest} s"


def sweep(limit: int = 500) -> int:
    """Enqueue every due row: the safety net for broker outages and retries."""
    due = CrossPost.objects.due().order_by("-urgent", "id")[:limit]
    return dispatch.send_to_broker(dispatch.delivery_messages(due))

