"""The cross-post lifecycle, free of Celery so it can be tested directly.

Receivers call :func:`queue_page` and :func:`retract_page` inside the publish
transaction; the delivery task calls :func:`deliver`; the beat schedule calls
:func:`sweep` and :func:`refresh_expiring_tokens`. Every transition is written to
the page's audit log (see :mod:`publishing.audit`).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from kombu.exceptions import OperationalError

from channels import registry
from channels.base import ChannelAdapter, Credentials, PostResult
from channels.errors import (
    AuthError,
    ChannelError,
    RateLimitedError,
    RejectedError,
)

from . import after_response, audit, content, delivery_sql, publish_sql
from .models import ChannelAccount, CrossPost, CrossPostQuerySet
from .page_mixins import SocialPostingMixin

logger = logging.getLogger(__name__)
State = CrossPost.State
Operation = CrossPost.Operation


@dataclass(frozen=True)
class Skipped:
    """An account a page was not sent to, and why (shown to the editor)."""

    account: ChannelAccount
    reason: str


# Outbox -----------------------------------------------------------------------------


def accounts_for(
    page: SocialPostingMixin, default_accounts=None
) -> list[ChannelAccount]:
    """The accounts the editor chose, or the site's defaults, without their
    tokens: choosing where a page goes needs no secret, so the editor's request
    neither reads nor decrypts one. ``default_accounts`` are the site's
    defaults when the caller has read them already (else they are read as the
    publish reads them, :func:`content.publishing_inputs`)."""
    mode = page.social_mode
    if mode == SocialPostingMixin.SocialMode.NONE:
        return []
    if mode == SocialPostingMixin.SocialMode.CUSTOM:
        chosen = page.social_accounts.all().defer(*publish_sql.TOKEN_FIELDS)
    elif default_accounts is not None:
        chosen = default_accounts
    else:
        chosen = content.publishing_inputs(page, default_accounts=True)[2]
    return [account for account in chosen if account.status != "disconnected"]


def queue_page(page, revision=None, user=None) -> tuple[list[CrossPost], list[Skipped]]:
    """Create or update one outbox row per chosen account; no HTTP here.

    Returns the rows that changed (each is enqueued after commit) and the accounts
    skipped with the reason. Publishing the same revision twice changes nothing.

    This runs inside the editor's publish transaction, so it does each kind of
    work once: one query for the site's settings, its default accounts and what
    the page's posts are made from (:func:`content.publishing_inputs`), one post
    per platform, one query for the page's existing rows (none on its first
    publish), one INSERT for new rows (written once per process, see
    :func:`delivery_sql.insert`) and one for their audit entries.
    """
    from .guard import check_post

    mode = page.social_mode
    if mode == SocialPostingMixin.SocialMode.NONE:
        return [], []
    social_settings, protocol, defaults = content.publishing_inputs(
        page, default_accounts=mode == SocialPostingMixin.SocialMode.DEFAULT
    )
    accounts = accounts_for(page, defaults)
    if not accounts:
        return [], []
    marker = content.canonical_url(page)
    drafts: dict[str, tuple] = {}  # platform -> (post, problems, findings)
    plans, skipped = [], []  # plans: (account, row fields, problems, findings)
    images, media_problems = None, []
    for account in accounts:
        adapter_class = registry.get(account.platform)
        if adapter_class.requires_video and not page.social_video():
            skipped.append(
                Skipped(
                    account,
                    f"{adapter_class.name} needs a video; this page has "
                    "none, so it is not sent there.",
                )
            )
            continue
        if account.platform not in drafts:
            if images is None and not adapter_class.requires_video:
                images, media_problems = _page_images(page)
            post = content.build_post(
                page, account.platform, social_settings, marker=marker, images=images
            )
            problems = adapter_class.validate(post)
            if post.images:  # an image that cannot be read fails what carries it
                problems = media_problems + problems
            findings = check_post(post, page, protocol)
            drafts[account.platform] = (post, problems, findings)
        post, problems, findings = drafts[account.platform]
        fields = _row_fields(page, revision, user, account, post, findings)
        plans.append((account, fields, problems, findings))
    created, changed, entries = _write_rows(page, plans)
    entries[:0] = [
        (row, "queued" if row.state == State.PENDING else row.state, None)
        for row in created
    ]
    audit.log_many(entries, user=user, page=page)
    enqueue_all(
        [
            row
            for row in created + changed
            if row.state in (State.PENDING, State.UPDATING, State.RETRACTING)
        ]
    )
    return created + changed, skipped


def _first_publish(page) -> bool:
    """Whether this publish is the page's first: Wagtail then gives it the same
    first and last publication time."""
    return (
        page.first_published_at is not None
        and page.first_published_at == page.last_published_at
    )


def _write_rows(page, plans) -> tuple[list, list, list]:
    """Write each planned ``(account, fields, problems, findings)``: a new row
    for an account the page has none for, the new revision on an existing one.
    Returns ``(created, changed, audit entries for the changed)``."""
    if not _first_publish(page):
        created, changed, entries = _apply(page, plans, _locked_rows(page))
        delivery_sql.insert(created, set_ids=True)
        return created, changed, entries
    # A page published for the first time has no rows yet, so they are written
    # without looking for them first: one statement, not two. Should one exist
    # after all, it is left as it is and then takes the new revision, as on any
    # later publish.
    created = _apply(page, plans, existing={})[0]
    written = delivery_sql.insert(
        created, set_ids=True, skip_conflicts_on=("page", "account")
    )
    if len(written) == len(created):
        return written, [], []
    _none_left, changed, entries = _apply(page, plans, _locked_rows(page))
    return written, changed, entries


def _locked_rows(page) -> dict[int, CrossPost]:
    """The page's rows by account, locked until the publish commits."""
    return {
        row.account_id: row
        for row in CrossPost.objects.select_for_update().filter(page_id=page.pk)
    }


def _apply(page, plans, existing: dict[int, CrossPost]):
    """``(created, changed, entries)``: a new unsaved row for each planned
    account without one in ``existing``; each existing row the new revision
    changes (saved), with its audit entry."""
    created, changed, entries = [], [], []
    for account, fields, problems, findings in plans:
        row = existing.get(account.pk)
        if row is None:
            created.append(_new_row(page, account, fields, problems, findings))
        elif _taking_down(row):
            action = _publish_over_retraction(row, fields, problems)
            changed.append(row)
            entries.append((row, action, None))
        elif _update_row(row, fields, problems, findings):
            changed.append(row)
            entries.append((row, "requeued", None))
    return created, changed, entries


def _page_images(page) -> tuple[tuple, list[str]]:
    """The page's images and no problems; or, when the image cannot be read,
    the image as it stands and why, which fails the rows that would carry it.
    The editor's publish goes ahead either way."""
    try:
        return content.page_images(page), []
    except content.MediaUnavailable as exc:
        logger.warning("Page %s: %s", page.pk, exc)
        return exc.images, [str(exc)]


def _row_fields(page, revision, user, account, post, findings) -> dict:
    return {
        "revision": revision,
        "idempotency_key": f"{page.pk}:{revision.pk if revision else 0}:{account.pk}",
        "page_title": page.title,
        "department": page.social_department(),
        "urgent": page.is_urgent(),
        "text": post.text,
        "link": post.link,
        "marker": post.marker,
        "media": content.describe_media(post),
        "content_hash": content.content_hash(post),
        "published_by": user,
        "guard_findings": findings,
    }


def _new_row(page, account, fields, problems, findings) -> CrossPost:
    state = State.PENDING
    if problems:
        state = State.FAILED
    elif findings:
        state = State.HELD
    return CrossPost(
        page_id=page.pk,
        account=account,
        platform=account.platform,
        state=state,
        operation=Operation.PUBLISH,
        last_error=" ".join(problems),
        last_error_kind="rejected" if problems else "",
        **fields,
    )


def _update_row(row: CrossPost, fields: dict, problems, findings) -> bool:
    """Apply a new revision to an existing row; ``False`` if nothing is to send.

    The same revision published again changes nothing, unless the page was
    unpublished in between and its posts taken down or cancelled: then it is
    posted again, as it would be with a new revision. (Re-publishing from the
    editor makes a new revision; the page listing's bulk publish and a
    revision's own "Publish" do not.)"""
    if row.idempotency_key == fields["idempotency_key"] and row.state not in (
        State.RETRACTED,
        State.CANCELLED,
    ):
        return False  # the same revision again, its posts standing or on their way
    previous_hash = row.content_hash
    for name, value in fields.items():
        setattr(row, name, value)
    if problems:
        row.state, row.last_error, row.last_error_kind = (
            State.FAILED,
            " ".join(problems),
            "rejected",
        )
    elif (
        row.state == State.POSTED
        or (row.state == State.UPDATING and _not_started(row))
        or (row.state in (State.CANCELLED, State.FAILED) and row.remote_id)
    ):
        # Its post stands (its update queued but not started, failed or
        # cancelled, if any): change that post if the text needs it, never
        # make a second one. (An update under way sends the text held when
        # it lands: see _record_posted.)
        _keep_or_update(row)
        if row.state == State.POSTED:
            row.save()
            return False
    elif row.state in (State.RETRACTED, State.CANCELLED, State.FAILED):
        _start_again(row)
        if findings:
            row.state = State.HELD
    elif row.state == State.HELD and not findings:
        row.state = State.PENDING
    _note_change_to_unconfirmed_post(row, previous_hash)
    row.save()
    return True


def _note_change_to_unconfirmed_post(row: CrossPost, previous_hash: str) -> None:
    """The row's text changed while its first post is unconfirmed: being sent
    now, or perhaps made by an attempt that left no answer. Whatever that
    attempt posted carries the older text, so a post found for it later is
    updated rather than taken as it stands (:func:`_record_posted`). A post
    that lands with its answer is compared with the row's text anyway."""
    unconfirmed = row.state == State.SENDING or row.outcome_unknown
    if not row.remote_id and unconfirmed and row.content_hash != previous_hash:
        row.update_if_found = True


def _taking_down(row: CrossPost) -> bool:
    """Whether the row's post is being retracted (or will be, once it lands)."""
    return row.operation == Operation.RETRACT and row.state not in (
        State.RETRACTED,
        State.CANCELLED,
    )


def _publish_over_retraction(row: CrossPost, fields: dict, problems) -> str:
    """The page is live again while its post is being taken down (unpublished,
    then published again before the retraction landed): the page's post must
    stand once all is done, exactly once. Returns the audit entry's action.

    - The first send is still in flight: it is kept, not retracted, when it lands.
    - The retraction has not started (:func:`_retraction_not_started`): it is
      called off and the post stands, updated if the text changed. A post an
      attempt may have made without an answer is looked for and adopted, or
      posted, as before the unpublish.
    - Otherwise a worker may be deleting the post right now, or an attempt ended
      without a clear answer: the retraction runs to the end (deleting a post
      already gone counts as done), then the post is sent again
      (:func:`_record_retracted`, which checks it again then).
    """
    in_flight_hash = row.content_hash
    for name, value in fields.items():
        setattr(row, name, value)
    row.post_again_after_retraction = False
    if row.state == State.SENDING:
        row.operation = Operation.PUBLISH
        _note_change_to_unconfirmed_post(row, in_flight_hash)
    elif _retraction_not_started(row):
        if not row.remote_id:  # a send that left no answer: look for it, or post
            row.operation, row.state = Operation.PUBLISH, State.PENDING
            _note_change_to_unconfirmed_post(row, in_flight_hash)
        else:
            _keep_or_update(row)
    else:
        row.post_again_after_retraction = True
        if row.state == State.FAILED:  # a retraction that gave up: run it again
            _begin_retraction(row)
        row.save()
        return "post_again"
    action = "retraction_stopped"
    if problems:  # the standing post stays as it was; say why it is not updated
        row.last_error, row.last_error_kind = " ".join(problems), "rejected"
        if row.state != State.SENDING:
            row.state, action = State.FAILED, "failed"
    row.save()
    return action


def _keep_or_update(row: CrossPost) -> None:
    """The row's post stands: kept if it already says what the row holds, else
    queued to be updated, with attempts of its own."""
    row.attempts, row.next_attempt_at = 0, None
    row.last_error = row.last_error_kind = ""
    if row.content_hash == row.posted_hash:
        row.operation, row.state = Operation.PUBLISH, State.POSTED
    else:
        row.operation, row.state = Operation.UPDATE, State.UPDATING


def _retraction_not_started(row: CrossPost) -> bool:
    """A queued retraction no worker has claimed (:func:`_not_started`)."""
    return row.state == State.RETRACTING and _not_started(row)


def _not_started(row: CrossPost) -> bool:
    """Whether the row's queued operation was never tried: an update or a
    retraction starts with no attempts and no error (:func:`_keep_or_update`,
    :func:`_begin_retraction`); a claim counts an attempt, and a retry by hand
    keeps the error it follows."""
    return row.attempts == 0 and not row.lease_owner and not row.last_error


def _start_again(row: CrossPost) -> None:
    """Queue a new post. An earlier attempt that left no answer may have made
    one still: then the first attempt looks for it (unless the row was
    retracted since, which looked for it and took it down)."""
    row.outcome_unknown = row.outcome_unknown and row.state != State.RETRACTED
    row.update_if_found = row.update_if_found and row.outcome_unknown
    row.operation, row.state = Operation.PUBLISH, State.PENDING
    row.remote_id = row.permalink = row.posted_hash = ""
    row.attempts = 0
    row.next_attempt_at = None
    row.last_error = row.last_error_kind = ""


def retract_page(page, user=None) -> list[CrossPost]:
    """Take the page's posts down (unpublish or delete); cancel unsent ones."""
    rows = list(CrossPost.objects.select_for_update().filter(page_id=page.pk))
    for row in rows:
        row.post_again_after_retraction = False
        if row.state == State.SENDING:
            row.operation = Operation.RETRACT  # retracted as soon as it lands
        elif row.state == State.RETRACTED:
            continue
        elif row.remote_id or row.outcome_unknown:
            # Posted (a cancelled update leaves the post up), or perhaps posted
            # by an attempt whose answer was lost.
            _begin_retraction(row)
        elif row.state == State.CANCELLED:
            continue
        else:
            row.state = State.CANCELLED
            row.last_error = "Cancelled: the page was unpublished before posting."
        row.save()
        audit.log(row, row.state if row.state != State.RETRACTING else "retract", user)
    enqueue_all([row for row in rows if row.state == State.RETRACTING])
    return rows


def _begin_retraction(row: CrossPost) -> None:
    """Turn the row to taking its post down, with attempts of its own."""
    row.operation, row.state = Operation.RETRACT, State.RETRACTING
    row.attempts, row.next_attempt_at = 0, None
    row.last_error = row.last_error_kind = ""


def enqueue(row: CrossPost) -> None:
    """Send the row's delivery task once the current transaction commits."""
    enqueue_all([row])


def enqueue_all(rows: list[CrossPost]) -> None:
    """Send each row's delivery task once the current transaction commits, all
    in one batch (:func:`send_to_broker`); nothing if it rolls back. In an
    admin change, they are sent once the editor has the response
    (:mod:`publishing.after_response`)."""
    messages = delivery_messages(rows)
    if messages:
        transaction.on_commit(partial(after_response.send_or_hold, messages))


def delivery_messages(rows) -> list[tuple]:
    """``(task, row id, priority)`` for each row: uploads on their own queue,
    urgent pages first."""
    from .tasks import deliver_crosspost, deliver_upload

    return [
        (
            deliver_upload if row.queue == "uploads" else deliver_crosspost,
            row.pk,
            0 if row.urgent else 5,
        )
        for row in rows
    ]


def send_to_broker(messages) -> int:
    """Publish ``messages`` in one batch (with Redis, one round trip); the number
    sent.

    A broker outage is logged, not raised, and counts as nothing sent: the rows
    are safe in the database and the sweeper sends them later. A batch the broker
    took only part of is harmless: the sweeper may send a row a second message,
    and the claim lets only one of them deliver it.
    """
    from council_site.celery import app

    if not messages:
        return 0
    try:
        with app.producer_or_acquire() as producer, producer.batch():
            for task, row_id, priority in messages:
                task.apply_async(
                    (row_id,),
                    priority=priority,
                    producer=producer,
                    # What Celery would write for the message's log lines, given
                    # so that it need not build it with its safe repr.
                    argsrepr=f"({row_id},)",
                    kwargsrepr="{}",
                )
    except (OperationalError, OSError):
        logger.warning(
            "Broker unavailable; cross-posts %s wait for the sweeper",
            [row_id for _task, row_id, _priority in messages],
        )
        return 0
    except Exception:  # noqa: BLE001 - never fail a committed publish
        # Not the broker: a fault of ours, so with its traceback.
        logger.exception(
            "Could not send cross-posts %s; they wait for the sweeper",
            [row_id for _task, row_id, _priority in messages],
        )
        return 0
    return len(messages)


# Delivery ---------------------------------------------------------------------------


def lease_seconds(queue: str) -> int:
    """How long a claim on a row of ``queue`` lasts."""
    if queue == "uploads":
        return settings.CROSSPOST_UPLOAD_LEASE_SECONDS
    return settings.CROSSPOST_LEASE_SECONDS


#: The period a daily post cap counts over.
BUDGET_WINDOW = timedelta(days=1)

#: How often a claim reads the row again when it changed between read and lease.
CLAIM_ATTEMPTS = 3

#: The fields a claim's UPDATE requires unchanged since its read: those that
#: decide whether the row is due, and the editor's save time.
CLAIM_UNCHANGED = (
    "state",
    "operation",
    "attempts",
    "lease_owner",
    "lease_expires_at",
    "next_attempt_at",
    "updated_at",
)


def claim(row_id: int, owner: str) -> CrossPost | None:
    """Take the row's lease if it is due; ``None`` if another worker has it or it
    is not due. A conditional UPDATE takes the lease, so two workers never both win.

    On PostgreSQL it is one statement (:func:`delivery_sql.claim`): an UPDATE of
    the locked row that takes the lease only if the row is due, returning it
    with its account and what the account posted in the last day, for its
    budget. Elsewhere it is two: read the row with its account (and the
    account's posts of the last day), then an UPDATE that takes the lease only
    if nobody changed the row since the read (an editor's save moves
    ``updated_at``; another worker changes the state, lease or attempts), so it
    is still due. The returned row is then exactly what the database holds,
    with no third query to read it back. If the row did change in between, it
    is read again. Both statements are written from the models' metadata
    (:mod:`publishing.delivery_sql`) rather than compiled by the ORM: a worker
    runs them for every post.
    """
    if delivery_sql.claims_in_one_statement():
        return _claim_in_one_statement(row_id, owner)
    for _attempt in range(CLAIM_ATTEMPTS):
        now = timezone.now()
        row = delivery_sql.read_for_delivery(row_id, posted_since=now - BUDGET_WINDOW)
        if row is None or not row.is_due(now):
            return None
        was_sending = row.state == State.SENDING
        lease = {
            "lease_owner": owner,
            "lease_expires_at": now + timedelta(seconds=lease_seconds(row.queue)),
            "attempts": row.attempts + 1,
            # The earlier attempt may have posted before its worker stopped.
            "outcome_unknown": row.outcome_unknown or was_sending,
            "state": _in_flight_state(row),
        }
        # The row was due as read; if every field that decides that (and the
        # editor's save time) is unchanged, it still is.
        if delivery_sql.update_row(row, lease, unchanged=CLAIM_UNCHANGED):
            if was_sending:
                audit.log(row, "lease_expired")
            return row
    logger.info(
        "Cross-post %s kept changing while claimed; the sweeper retries it", row_id
    )
    return None


def _claim_in_one_statement(row_id: int, owner: str) -> CrossPost | None:
    """The claim as one statement (PostgreSQL): one round trip instead of two,
    and no second read when the row changes meanwhile, as the row is locked."""
    now = timezone.now()
    claimed = delivery_sql.claim(
        row_id,
        owner=owner,
        now=now,
        lease_until=now + timedelta(seconds=lease_seconds("crosspost")),
        upload_lease_until=now + timedelta(seconds=lease_seconds("uploads")),
        posted_since=now - BUDGET_WINDOW,
    )
    if claimed is None:
        return None
    row, before = claimed
    if before == State.SENDING:
        audit.log(row, "lease_expired")
    return row


def _in_flight_state(row: CrossPost) -> str:
    return CrossPost.IN_FLIGHT_STATES[row.operation]


def deliver(row_id: int, owner: str) -> CrossPost | None:
    """Claim the row, do its operation on the platform and record the outcome."""
    row = claim(row_id, owner)
    if row is None:
        return None
    account = row.account
    if not account.is_usable:
        return _park_for_reconnect(row, account.status_message)
    try:
        adapter = _adapter(account)
        reposting = row.operation == Operation.UPDATE and adapter.updates_by_reposting
        if row.operation == Operation.PUBLISH or reposting:
            # A new post: within the account's daily budget, or it waits (a
            # repost before its old post is taken down).
            wait_until = _budget_exhausted_until(row)
            if wait_until:
                return _wait_for_budget(row, wait_until)
        if reposting:
            return _repost(adapter, row)
        if row.operation == Operation.PUBLISH:
            started = time.perf_counter()
            result, found = _publish_once(adapter, row)
            return _record_posted(
                row,
                result,
                platform_ms=_since(started),
                outdated=found and row.update_if_found,
            )
        if row.operation == Operation.UPDATE:
            started = time.perf_counter()
            result = adapter.update(row.remote_id, content.post_from_row(row))
            return _record_posted(
                row, result, action="updated", platform_ms=_since(started)
            )
        _retract_once(adapter, row)
        return _record_retracted(row)
    except ChannelError as error:
        return _record_error(row, error)


def _since(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` reading)."""
    return round((time.perf_counter() - started) * 1000, 2)


def _publish_once(adapter: ChannelAdapter, row: CrossPost) -> tuple[PostResult, bool]:
    """Publish, unless an earlier attempt may already have: then look first.
    The post, and whether it was found rather than made now."""
    post = content.post_from_row(row)
    if row.outcome_unknown:
        found = _find_lost_post(adapter, row)
        if found is not None:
            return found, True
    return adapter.publish(post), False


def _repost(adapter: ChannelAdapter, row: CrossPost) -> CrossPost:
    """Update by taking the post down and posting anew (X's "repost" policy).

    Once the old post is down the row is a first post again, recorded so
    before the new one is sent: an attempt that then leaves no answer, or a
    worker that stops, is followed by a look for the new post, never by a
    second one. (Taking down a post already gone counts as done, so an attempt
    that stopped before this record simply takes it down again.)

    The new post's time is the row's post time from then on, so it counts
    against the account's daily budget like any other (checked by
    :func:`deliver` before the old post is taken down)."""
    started = time.perf_counter()
    adapter.retract(row.remote_id)
    taken_down = {
        "retracted_remote_ids": _taken_down_too(row, row.remote_id),
        "remote_id": "",
        "permalink": "",
        "posted_hash": "",
        "posted_at": None,
        "operation": Operation.PUBLISH,
        "state": State.SENDING,
    }
    still_an_update = _owned(row).filter(operation=Operation.UPDATE)
    if not still_an_update.update(**taken_down, updated_at=timezone.now()):
        if _owned(row).filter(operation=Operation.RETRACT).exists():
            return _record_retracted(row)  # unpublished meanwhile: it is down
        row.refresh_from_db()  # the lease went to another attempt, which records it
        return row
    for name, value in taken_down.items():
        setattr(row, name, value)
    result = adapter.publish(content.post_from_row(row))
    return _record_posted(row, result, action="updated", platform_ms=_since(started))


def _taken_down_too(row: CrossPost, remote_id: str) -> list[str]:
    """The row's taken-down posts (:func:`_find_lost_post` never adopts one),
    with ``remote_id`` added."""
    if not remote_id or remote_id in row.retracted_remote_ids:
        return row.retracted_remote_ids
    return [*row.retracted_remote_ids, remote_id]


def _find_lost_post(adapter: ChannelAdapter, row: CrossPost) -> PostResult | None:
    """The post an attempt that left no answer made, if it made one (adopted,
    with an audit entry).

    It looks back through every post the account made since the row was
    queued, however many (a row waiting out a rate limit can be overtaken by
    hundreds of others, and staff post by hand too). The newest post carrying
    the page's link is the one: unless it is one of this row's own earlier
    posts, taken down (a YouTube video made private stays findable), which
    means the attempt made none."""
    found = adapter.find_by_marker(row.marker, since=row.created_at)
    if found is None or found.remote_id in row.retracted_remote_ids:
        return None
    audit.log(row, "adopted", data={"remote_id": found.remote_id})
    return found


def _retract_once(adapter: ChannelAdapter, row: CrossPost) -> None:
    """Take the row's post down. With no post recorded, an attempt to publish
    may still have made one (its answer lost, or its worker stopped): look for
    it first, as a publish would."""
    remote_id = row.remote_id
    if not remote_id and row.outcome_unknown:
        found = _find_lost_post(adapter, row)
        remote_id = found.remote_id if found is not None else ""
    if remote_id:
        adapter.retract(remote_id)
        row.remote_id = remote_id  # recorded as taken down


def _owned(row: CrossPost):
    """Rows still leased by this attempt (a stale worker must not overwrite)."""
    return CrossPost.objects.filter(pk=row.pk, lease_owner=row.lease_owner)


#: How stale an account's "last success" time may get before a delivery writes it
#: again (it is shown on the accounts screen; a burst need not write it per post).
LAST_SUCCESS_RESOLUTION = timedelta(minutes=1)


def _record_posted(
    row: CrossPost,
    result: PostResult,
    action="posted",
    platform_ms: float = 0.0,
    *,
    outdated: bool = False,
) -> CrossPost:
    """Store the remote id and permalink. The audit entry also keeps how long
    the platform's calls took (``platform_ms``), so a slow platform shows in
    page history, and the pipeline benchmark can tell the platform's time from
    the pipeline's own.

    ``outdated``: the post was found, made by an attempt from before the row's
    text last changed, so it is recorded as carrying other text, and its update
    is queued."""
    now = timezone.now()
    data = {"permalink": result.permalink, "platform_ms": platform_ms}
    # The usual case: the page neither changed nor was unpublished while this
    # attempt was under way. The row and its audit entry are written together,
    # in one statement on PostgreSQL.
    posted = {
        **_posted_fields(row, result),
        "posted_at": now,
        "state": State.POSTED,
        "operation": Operation.PUBLISH,
        "updated_at": now,
    }
    if not outdated and delivery_sql.update_row(
        row,
        posted,
        unchanged=("content_hash",),
        excluding={"operation": Operation.RETRACT},
        fill=("posted_at",),  # the first post's time stays
        then_insert=audit.entries([(row, action, {**data, "state": State.POSTED})]),
    ):
        current = row
    else:
        with transaction.atomic():
            current = _record_posted_after_change(row, result, now, outdated)
            audit.log(current, action, data=data)
            if current.state != State.POSTED:
                enqueue(current)
    last_success = row.account.last_success_at
    if last_success is None or now - last_success > LAST_SUCCESS_RESOLUTION:
        ChannelAccount.objects.filter(pk=row.account_id).update(last_success_at=now)
    return current


def _posted_fields(row: CrossPost, result: PostResult) -> dict:
    """What every successful send records, whatever happened to the row meanwhile."""
    return {
        "remote_id": result.remote_id,
        "permalink": result.permalink,
        "posted_hash": row.content_hash,
        "update_if_found": False,
        "last_error": "",
        "last_error_kind": "",
        "outcome_unknown": False,
        "next_attempt_at": None,
        "lease_owner": "",
        "lease_expires_at": None,
    }


def _record_posted_after_change(
    row: CrossPost, result: PostResult, now: datetime, outdated: bool = False
) -> CrossPost:
    """The post landed but the page changed or was unpublished meanwhile (or
    the post found is ``outdated``): record it, then queue the update or the
    retraction that is now due."""
    current = CrossPost.objects.select_for_update().get(pk=row.pk)
    current.account = row.account  # loaded by the claim; not locked here
    for name, value in _posted_fields(row, result).items():
        setattr(current, name, value)
    if outdated:
        current.posted_hash = ""  # what it says is not known: not the row's text
    current.posted_at = current.posted_at or now
    if current.operation == Operation.RETRACT:
        current.state, current.attempts = State.RETRACTING, 0
    elif current.content_hash != current.posted_hash:
        current.operation, current.state = Operation.UPDATE, State.UPDATING
        current.attempts = 0
    else:  # changed and changed back meanwhile
        current.operation, current.state = Operation.PUBLISH, State.POSTED
    current.save(update_fields=POSTED_FIELDS)
    return current


POSTED_FIELDS = [
    "remote_id",
    "permalink",
    "posted_hash",
    "update_if_found",
    "posted_at",
    "last_error",
    "last_error_kind",
    "outcome_unknown",
    "next_attempt_at",
    "attempts",
    "lease_owner",
    "lease_expires_at",
    "state",
    "operation",
    "updated_at",
]


def _record_retracted(row: CrossPost) -> CrossPost:
    """Record the post taken down; if the page was published again meanwhile
    (:func:`_publish_over_retraction`), queue its post to be sent again."""
    with transaction.atomic():
        current = _owned(row).select_for_update().first()
        if current is None:  # the lease went to another attempt, which records it
            row.refresh_from_db()
            return row
        current.account = row.account  # loaded by the claim; not locked here
        current.state, current.retracted_at = State.RETRACTED, timezone.now()
        current.retracted_remote_ids = _taken_down_too(current, row.remote_id)
        current.lease_owner, current.lease_expires_at = "", None
        current.next_attempt_at = None
        current.last_error = current.last_error_kind = ""
        post_again = current.post_again_after_retraction
        current.post_again_after_retraction = False
        current.save()
        audit.log(current, "retracted")
        if post_again:
            _post_again(current)
    return current


def _post_again(row: CrossPost) -> None:
    """Queue the post of a page published again while it was being retracted,
    as the publish would have: failed if the platform would refuse it, held if
    the guard found something, else pending."""
    _start_again(row)
    problems = registry.get(row.platform).validate(content.post_from_row(row))
    if problems:
        row.state, row.last_error = State.FAILED, " ".join(problems)
        row.last_error_kind = "rejected"
    elif row.guard_findings:
        row.state = State.HELD
    row.save()
    audit.log(row, {State.PENDING: "queued"}.get(row.state, row.state))
    if row.state == State.PENDING:
        enqueue(row)


def _record_error(row: CrossPost, error: ChannelError) -> CrossPost:
    now = timezone.now()
    changes = {
        "lease_owner": "",
        "lease_expires_at": None,
        "last_error": error.message[:2000],
    }
    if row.operation == Operation.PUBLISH and not isinstance(error, RejectedError):
        # A publish is several calls (upload, create, read the permalink back): an
        # error in a later one comes after the post exists, so look before resending.
        _owned(row).update(outcome_unknown=True)
    if isinstance(error, AuthError):
        return _mark_account_needs_reconnect(row, error)
    if isinstance(error, RejectedError):
        changes.update(state=State.FAILED, last_error_kind="rejected")
    elif isinstance(error, RateLimitedError):
        retry_at = error.retry_at or now + timedelta(seconds=60)
        changes.update(
            state=State.RETRYING,
            last_error_kind="rate_limited",
            next_attempt_at=max(retry_at, now),
        )
    elif row.attempts >= settings.CROSSPOST_MAX_ATTEMPTS:
        changes.update(
            state=State.FAILED,
            last_error_kind="temporary",
            last_error=f"Gave up after {row.attempts} attempts: {error.message}",
        )
    else:
        changes.update(
            state=State.RETRYING,
            last_error_kind="temporary",
            next_attempt_at=now + backoff(row.attempts),
        )
    _owned(row).update(**changes)
    ChannelAccount.objects.filter(pk=row.account_id).update(last_error_at=now)
    row.refresh_from_db()
    audit.log(row, row.state, data={"error": row.last_error})
    return row


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter, capped."""
    base = settings.CROSSPOST_RETRY_BASE_SECONDS
    ceiling = min(
        settings.CROSSPOST_RETRY_MAX_SECONDS, base * 2 ** max(attempts - 1, 0)
    )
    return timedelta(seconds=ceiling * (0.5 + random.random() / 2))  # noqa: S311


def _park_for_reconnect(row: CrossPost, message: str) -> CrossPost:
    _owned(row).update(
        state=State.NEEDS_RECONNECT,
        lease_owner="",
        lease_expires_at=None,
        attempts=F("attempts") - 1,
        last_error=message or "The account needs reconnecting.",
        last_error_kind="auth",
    )
    row.refresh_from_db()
    return row


def _mark_account_needs_reconnect(row: CrossPost, error: ChannelError) -> CrossPost:
    """Auth failed after one refresh: park every waiting row of the account."""
    message = (
        f"{row.account} needs reconnecting: {error.message} A comms manager can "
        "reconnect it under Social > Accounts; waiting posts then resume."
    )
    with transaction.atomic():
        ChannelAccount.objects.filter(pk=row.account_id).update(
            status=ChannelAccount.Status.NEEDS_RECONNECT,
            status_message=message[:500],
            last_error_at=timezone.now(),
        )
        _park_for_reconnect(row, message)
        CrossPost.objects.filter(
            account_id=row.account_id,
            state__in=[State.PENDING, State.RETRYING, State.UPDATING, State.RETRACTING],
            lease_owner="",
        ).update(
            state=State.NEEDS_RECONNECT, last_error=message, last_error_kind="auth"
        )
    row.refresh_from_db()
    audit.log(row, "needs_reconnect", data={"error": error.message})
    return row


def resume_account(account: ChannelAccount) -> int:
    """After reconnection: send what was waiting for this account."""
    rows = list(CrossPost.objects.filter(account=account, state=State.NEEDS_RECONNECT))
    for row in rows:
        row.state = _queued_state(row)
        row.next_attempt_at = None
        row.last_error = row.last_error_kind = ""
        row.save()
    enqueue_all(rows)
    return len(rows)


def _queued_state(row: CrossPost) -> str:
    return {
        Operation.PUBLISH: State.PENDING,
        Operation.UPDATE: State.UPDATING,
        Operation.RETRACT: State.RETRACTING,
    }[row.operation]


# Budgets ----------------------------------------------------------------------------


def _budget_exhausted_until(row: CrossPost) -> datetime | None:
    """When the account may post again, if its daily budget is spent.

    The claim counted the account's posts of the last day; only when that
    reaches the cap is there a query: the cap-th most recent post of the last
    day, a day after which the account is under its cap again.
    """
    cap = row.account.daily_post_cap or settings.CROSSPOST_DAILY_CAPS.get(row.platform)
    if not cap:
        return None
    counted = getattr(row, "account_posts_last_day", None)
    if counted is not None and counted < cap:
        return None
    since = timezone.now() - BUDGET_WINDOW
    capth_latest = (
        CrossPost.objects.filter(account_id=row.account_id, posted_at__gte=since)
        .order_by("-posted_at")
        .values_list("posted_at", flat=True)[cap - 1 : cap]
    )
    for posted_at in capth_latest:
        return posted_at + BUDGET_WINDOW
    return None


def _wait_for_budget(row: CrossPost, until: datetime) -> CrossPost:
    local = timezone.localtime(until)
    _owned(row).update(
        state=State.RETRYING,
        lease_owner="",
        lease_expires_at=None,
        attempts=F("attempts") - 1,
        next_attempt_at=until,
        last_error_kind="rate_limited",
        last_error=f"This account's daily post limit is reached; it will be sent "
        f"at {local:%H:%M on %d %b}.",
    )
    row.refresh_from_db()
    return row


# Sweeper and tokens -------------------------------------------------------------------


def sweep(limit: int = 500) -> int:
    """Enqueue every due row: the safety net for broker outages and retries."""
    due = CrossPost.objects.due().order_by("-urgent", "id")[:limit]
    return send_to_broker(delivery_messages(due))


def locked_refresher(account_id: int):
    """A token refresher that lets one worker at a time refresh an account.

    X rotates refresh tokens: two workers refreshing with the same one would lock
    the account out. Under the row lock, a worker that finds tokens newer than the
    ones it used takes those instead of refreshing again.
    """

    def refresh(adapter: ChannelAdapter) -> Credentials:
        with transaction.atomic():
            account = ChannelAccount.objects.select_for_update().get(pk=account_id)
            stored = account.credentials()
            if stored.access_token != adapter.credentials.access_token:
                return stored
            fresh = adapter.refresh()
            account.store_credentials(fresh)
            return fresh

    return refresh


def _adapter(account: ChannelAccount) -> ChannelAdapter:
    def save(credentials: Credentials) -> None:
        # Clients that refresh by themselves (google-auth) report new tokens here.
        ChannelAccount.objects.get(pk=account.pk).store_credentials(credentials)

    return registry.build(
        account.platform,
        account.credentials(),
        on_token_refresh=save,
        token_refresher=locked_refresher(account.pk),
    )


def refresh_expiring_tokens(within: timedelta = timedelta(minutes=30)) -> int:
    """Refresh tokens before they expire; failures mark the account."""
    soon = timezone.now() + within
    count = 0
    for account in ChannelAccount.objects.filter(
        status=ChannelAccount.Status.CONNECTED,
        token_expires_at__lte=soon,
    ).exclude(refresh_token=""):
        adapter = _adapter(account)
        try:
            locked_refresher(account.pk)(adapter)
            count += 1
        except AuthError as error:
            ChannelAccount.objects.filter(pk=account.pk).update(
                status=ChannelAccount.Status.NEEDS_RECONNECT,
                status_message=f"Token refresh failed: {error.message}"[:500],
            )
        except ChannelError as error:
            logger.warning("Token refresh for account %s failed: %s", account.pk, error)
    return count


# Comms managers' actions ------------------------------------------------------------


def retry_now(row: CrossPost, user=None) -> CrossPost:
    if row.state not in (State.FAILED, State.RETRYING, State.NEEDS_RECONNECT):
        return row
    if row.state == State.FAILED:
        row.attempts = 0
    row.state = _queued_state(row)
    row.next_attempt_at = None
    row.save()
    audit.log(row, "retry", user=user)
    enqueue(row)
    return row


def cancel(row: CrossPost, user=None, reason: str = "") -> CrossPost:
    if row.state not in (
        State.HELD,
        State.PENDING,
        State.RETRYING,
        State.FAILED,
        State.NEEDS_RECONNECT,
    ):
        return row
    row.review_reason = reason
    # An attempt may have posted it without an answer: then find that post and
    # take it down, so that cancelled means not on the platform.
    maybe_posted = row.outcome_unknown and not row.remote_id
    if maybe_posted:
        _begin_retraction(row)
    else:
        row.state = State.CANCELLED
    row.save()
    audit.log(row, "cancelled", user=user, data={"reason": reason})
    if maybe_posted:
        enqueue(row)
    return row


def approve(row: CrossPost, user, reason: str) -> CrossPost:
    if row.state != State.HELD:
        return row
    row.state, row.reviewed_by, row.review_reason = State.PENDING, user, reason
    row.save()
    audit.log(row, "approved", user=user, data={"reason": reason})
    enqueue(row)
    return row


def reject(row: CrossPost, user, reason: str) -> CrossPost:
    if row.state != State.HELD:
        return row
    row.state, row.reviewed_by, row.review_reason = State.CANCELLED, user, reason
    row.last_error = f"Rejected by {user}: {reason}"
    row.save()
    audit.log(row, "rejected", user=user, data={"reason": reason})
    return row


def request_retract(row: CrossPost, user=None) -> CrossPost:
    if row.state != State.POSTED:
        return row
    _begin_retraction(row)
    row.save()
    audit.log(row, "retract", user=user)
    enqueue(row)
    return row


def summary(rows: CrossPostQuerySet | None = None) -> dict[str, int]:
    """Rows counted by state (every state present, zero where none)."""
    queryset = CrossPost.objects.all() if rows is None else rows
    counts = dict(queryset.order_by().values_list("state").annotate(n=Count("id")))
    return {state: counts.get(state, 0) for state in State.values}
