"""The cross-post lifecycle as data: one table, one function that applies it.

A row's place is its ``(state, operation)``: the state says where it is
(waiting, with a worker, posted...), the operation what it needs done next
(publish, reconcile, update, retract, repost). An event is something that
happened: to the page (an editor published it again), on the platform (the post
landed, the answer was lost) or on the dashboard (a comms manager approved it).

:data:`TABLE` maps ``(state, operation, event)``, with an optional guard, to the
new ``(state, operation)`` and the effects that go with it. :func:`advance` is the
only code that writes a row's ``state`` or ``operation``: it picks the
transition, writes it as a compare-and-set (the row must still be where it
was read, and still leased by the same worker: :mod:`publishing.row_update`),
and writes the audit entry, with alerts to comms managers for a row that
failed, was held or waits for its account (:mod:`publishing.alerts`). Nothing
else changes state; the README's diagram is drawn from this table
(``manage.py lifecycle_diagram``).

Reading the table: ``*`` is no change; a guard in brackets is a named predicate
on the row and the event's facts (:data:`GUARDS`); several lines for one
``(state, operation, event)`` are tried in order, the first whose guard holds
wins, and the last has none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import alerts, audit, publish_write, row_update
from .models import CrossPost

logger = logging.getLogger(__name__)

State = CrossPost.State
Operation = CrossPost.Operation

#: The pseudo-state of a row not written yet: ``queued`` creates it.
NEW = "new"


@dataclass(frozen=True)
class Transition:
    """One line of the table."""

    state: str
    operation: str
    event: str
    to_state: str
    to_operation: str
    effects: tuple[str, ...] = ()
    guard: str | None = None
    #: The audit entry's action (see :data:`publishing.audit.ACTIONS`); by
    #: default the event's name, or none when the event has no entry.
    audit: str | None = None

    @property
    def action(self) -> str | None:
        if self.audit is not None:
            return self.audit or None
        return self.event if self.event in audit.ACTIONS else None


# Events -----------------------------------------------------------------------------

#: What can happen to a row, and who says so.
EVENTS = {
    # The page (publishing.outbox)
    "queued": "the page was published to an account for the first time",
    "page_changed": "the page was published again, with its post standing or due",
    "republished": "the page was published again while its post was being or "
    "had been taken down",
    "unpublished": "the page was unpublished or deleted",
    # A worker (publishing.delivery)
    "claimed": "a worker took the row's lease",
    "posted": "the post or its update landed, with its answer",
    "found": "a post an attempt made without an answer was found",
    "not_found": "no post of an earlier attempt was found",
    "taken_down": "the old post was taken down, to post the new text (X reposts)",
    "retracted": "the post was taken down (or was already gone)",
    "answer_lost": "a temporary fault: timeout, 5xx, a dropped connection",
    "rate_limited": "the platform said to wait",
    "budget_spent": "the account's daily post budget is spent",
    "refused": "the platform refused the content",
    "auth_failed": "the token was refused after a refresh",
    "account_unusable": "the account needs reconnecting or was disconnected",
    "gave_up": "temporary faults went on past the attempt limit",
    "unapproved": "what a worker was about to send has guard findings nobody "
    "approved (the page changed while the row was in flight or failed)",
    # The platform, asked later how it processed a post (publishing.processing)
    "processed": "the platform finished processing a post it was still "
    "processing when it answered",
    "processing_failed": "the platform refused a post after making it: YouTube "
    "rejected the video or failed to process it (or it is gone)",
    "processing_unconfirmed": "the platform had not finished processing the post "
    "when the time to follow it ran out",
    # People (publishing.actions, publishing.accounts)
    "approved": "a comms manager approved a held post",
    "rejected": "a comms manager rejected a held post",
    "sent_back": "a comms manager sent a held post back to the editor with a note",
    "cancelled": "a comms manager cancelled the post",
    "retry_requested": "a comms manager asked for a retry now",
    "retract_requested": "a comms manager asked for the post to be taken down",
    "account_parked": "another post of the account found its token refused",
    "reconnected": "the account was connected again",
}

# Guards -----------------------------------------------------------------------------


def _has_post(row: CrossPost, facts: dict) -> bool:
    return bool(row.remote_id)


def _shows_the_page(row: CrossPost, facts: dict) -> bool:
    """The standing post already says what the row (with the event's new
    content) holds."""
    content = facts.get("content") or {}
    wanted = content.get("content_hash", row.content_hash)
    return bool(row.remote_id) and row.posted_hash == wanted


def _started(row: CrossPost, facts: dict) -> bool:
    """A worker has taken the queued operation, or tried it: an update or
    retraction starts with no attempts, no lease and no error ("fresh")."""
    return bool(row.attempts or row.lease_owner or row.last_error)


def _sent_what_it_holds(row: CrossPost, facts: dict) -> bool:
    """What landed (the worker's ``sent_hash``, or for a found post what the
    attempt that made it sent) is what the row holds now."""
    return facts["sent_hash"] == row.content_hash


def _under_way(row: CrossPost, facts: dict) -> bool:
    """A worker holds the row's lease now."""
    expires = row.lease_expires_at
    return bool(row.lease_owner) and expires is not None and expires > facts["now"]


def _findings_not_approved(row: CrossPost, facts: dict) -> bool:
    """The row's content has guard findings and no approval of exactly it."""
    findings = facts.get("findings", row.guard_findings)
    return unapproved(row.content_hash, findings, row.approved_hash)


def _being_processed(row: CrossPost, facts: dict) -> bool:
    """The platform was still processing the row's post when it last said."""
    return row.processing_since is not None


GUARDS: dict[str, Callable[[CrossPost, dict], bool]] = {
    "has post": _has_post,
    "post shows the page": _shows_the_page,
    "started": _started,
    "sent what it holds": _sent_what_it_holds,
    "under way": _under_way,
    "being processed": _being_processed,
    "findings not approved": _findings_not_approved,
}


# The table --------------------------------------------------------------------------

S = State
P, RC, U, RT, RP = (
    Operation.PUBLISH,
    Operation.RECONCILE,
    Operation.UPDATE,
    Operation.RETRACT,
    Operation.REPOST,
)
ALL_OPS = (P, RC, U, RT, RP)
#: The state a row waits in for a worker, by operation.
QUEUED = {P: S.PENDING, RC: S.PENDING, U: S.UPDATING, RT: S.RETRACTING,
          RP: S.RETRACTING}
#: The state a row is in while a worker has it, by operation.
IN_FLIGHT = {P: S.SENDING, RC: S.SENDING, U: S.UPDATING, RT: S.RETRACTING,
             RP: S.RETRACTING}
#: Where an operation's row waits after a transient fault or for people.
WAITING = (S.RETRYING, S.NEEDS_RECONNECT, S.FAILED)

#: Every ``(state, operation)`` a row can be in.
PLACES = frozenset(
    {(NEW, P), (S.POSTED, P), (S.RETRACTED, RT)}
    | {(S.HELD, op) for op in (P, RC, U)}
    | {(S.PENDING, op) for op in (P, RC)}
    | {(S.SENDING, op) for op in (P, RC, RT)}
    | {(S.UPDATING, op) for op in (U, RT)}
    | {(S.RETRACTING, op) for op in (RT, RP)}
    | {(S.CANCELLED, op) for op in (P, RC, U, RT)}
    | {(state, op) for state in WAITING for op in ALL_OPS}
)
#: Places no line leads to any more, where an earlier version may have left
#: rows: their lines stay, so such a row still moves on. (A held "reconcile"
#: post rejected or sent back used to be cancelled as it stood; now the post
#: its lost attempt may have made is looked for and taken down.)
EARLIER_PLACES = frozenset({(S.CANCELLED, RC)})
INVALID_PLACES = frozenset(
    (state, op) for state in [NEW, *S.values] for op in ALL_OPS
) - PLACES
#: States a row rests in until something happens: nothing is due.
RESTING_STATES = frozenset(
    {S.POSTED, S.FAILED, S.CANCELLED, S.RETRACTED, S.HELD, S.NEEDS_RECONNECT}
)

_lines: list[Transition] = []


def _add(state, operation, event, to_state, to_operation, *effects, guard=None,
         audit=None) -> None:
    _lines.append(
        Transition(state, operation, event, to_state, to_operation, effects, guard,
                   audit)
    )


def _turned_down(state, operation, event, *note) -> None:
    """Cancelled (rejected, sent back), with ``note`` on the row. After an
    attempt that left no answer ("reconcile") the post it may have made is
    found and taken down instead, so that cancelled means not on the
    platform. A repost (take down, then post again) cancelled keeps only its
    take-down's operation."""
    if operation == RC:
        _add(state, operation, event, S.RETRACTING, RT, "review", "fresh", *note,
             "enqueue")
    else:
        _add(state, operation, event, S.CANCELLED,
             RT if operation == RP else operation, "review", *note)


def _keep_or_update(state, operation, event, audit=None) -> None:
    """The row's post stands: kept when it already shows the page, else
    updated, with attempts of its own (and checked by the guard again)."""
    _add(state, operation, event, S.POSTED, P, "content", "fresh",
         guard="post shows the page", audit=audit)
    _add(state, operation, event, S.UPDATING, U, "content", "fresh", "check",
         "enqueue", audit=audit)


# First publish: pending, or held by the guard, or failed when the platform
# would refuse it ("check" decides).
_add(NEW, P, "queued", S.PENDING, P, "content", "check", "enqueue")

# The page published again with its post standing or due.
_keep_or_update(S.POSTED, P, "page_changed", audit="requeued")
for op in (P, RC):
    for state in (S.PENDING, S.RETRYING, S.NEEDS_RECONNECT, S.HELD):
        # Checked again: new findings hold the row, and an approval covers
        # only the content approved.
        _add(state, op, "page_changed", S.PENDING if state == S.HELD else state, op,
             "content", "check", "enqueue", audit="requeued")
    # Being sent: the post carries the text it was sent with; once it lands
    # it is compared with the row ("sent what it holds").
    _add(S.SENDING, op, "page_changed", S.SENDING, op, "content", audit="")
_add(S.UPDATING, U, "page_changed", S.UPDATING, U, "content", guard="under way",
     audit="")
for state in (S.UPDATING, S.RETRYING, S.NEEDS_RECONNECT, S.HELD):
    _keep_or_update(state, U, "page_changed", audit="requeued")
for state in (S.FAILED, S.CANCELLED):
    for op in (P, RC, U):
        # A post stands (its update failed or was cancelled): change it, never
        # make a second one. Else post again; a send that left no answer
        # ("reconcile") looks for its post first.
        _add(state, op, "page_changed", S.POSTED, P, "content", "fresh",
             guard="post shows the page", audit="requeued")
        _add(state, op, "page_changed", S.UPDATING, U, "content", "fresh", "check",
             "enqueue", guard="has post", audit="requeued")
        _add(state, op, "page_changed", S.PENDING, RC if op == RC else P, "content",
             "fresh", "check", "enqueue", audit="requeued")

# Published again while the post is being taken down, or after.
_add(S.RETRACTED, RT, "republished", S.PENDING, P, "content", "forget_post", "fresh",
     "check", "enqueue", audit="requeued")
# A retraction a worker has started (or tried) runs to the end, then the post
# is sent again; one not started (or cancelled) is called off: the post stands,
# updated if need be, and a send that left no answer is looked for.
_add(S.RETRACTING, RT, "republished", S.RETRACTING, RP, "content", guard="started",
     audit="post_again")
for state in (S.RETRACTING, S.CANCELLED):
    _add(state, RT, "republished", S.POSTED, P, "content", "fresh",
         guard="post shows the page", audit="retraction_stopped")
    _add(state, RT, "republished", S.UPDATING, U, "content", "fresh", "check",
         "enqueue", guard="has post", audit="retraction_stopped")
    _add(state, RT, "republished", S.PENDING, RC, "content", "fresh", "check",
         "enqueue", audit="retraction_stopped")
for state in (S.RETRYING, S.NEEDS_RECONNECT):
    # Tried and not done: it runs to the end, then the post is sent again.
    _add(state, RT, "republished", state, RP, "content", audit="post_again")
for state in (S.RETRACTING, S.RETRYING, S.NEEDS_RECONNECT):
    _add(state, RP, "republished", state, RP, "content", audit="")
for op in (RT, RP):
    _add(S.FAILED, op, "republished", S.RETRACTING, RP, "content", "fresh", "enqueue",
         audit="post_again")
# A send or update still in flight when the page was unpublished is kept.
_add(S.SENDING, RT, "republished", S.SENDING, P, "content",
     audit="retraction_stopped")
_add(S.UPDATING, RT, "republished", S.UPDATING, U, "content",
     audit="retraction_stopped")

# Unpublished (or deleted): take the post down; cancel what was never sent.
for op in (P, RC):
    _add(S.SENDING, op, "unpublished", S.SENDING, RT, audit="retract")
_add(S.UPDATING, U, "unpublished", S.UPDATING, RT, guard="under way",
     audit="retract")
for state in (S.POSTED, S.UPDATING, S.PENDING, S.RETRYING, S.NEEDS_RECONNECT, S.HELD,
              S.FAILED, S.CANCELLED):
    for op in (P, RC, U):
        if (state, op) in INVALID_PLACES:
            continue
        _add(state, op, "unpublished", S.RETRACTING, RT, "fresh", "enqueue",
             guard="has post", audit="retract")
        if op == RC:  # an attempt may have posted: look for it, take it down
            _add(state, op, "unpublished", S.RETRACTING, RT, "fresh", "enqueue",
                 audit="retract")
        elif state != S.CANCELLED:
            _add(state, op, "unpublished", S.CANCELLED, op, "unpublished_note",
                 audit="cancelled")
for state in (S.RETRACTING, S.RETRYING, S.NEEDS_RECONNECT):
    # Unpublished again before the post went out again: it stays down.
    _add(state, RP, "unpublished", state, RT, audit="")
for op in (RT, RP):
    _add(S.FAILED, op, "unpublished", S.RETRACTING, RT, "fresh", "enqueue",
         audit="retract")
_add(S.CANCELLED, RT, "unpublished", S.RETRACTING, RT, "fresh", "enqueue",
     guard="has post", audit="retract")

# A worker claims a due row. A row left sending by a worker that stopped may
# have been posted: it is looked for first.
for op in ALL_OPS:
    if op not in (P, RC):
        _add(QUEUED[op], op, "claimed", IN_FLIGHT[op], op, "lease", audit="")
    _add(S.RETRYING, op, "claimed", IN_FLIGHT[op], op, "lease", audit="")
_add(S.PENDING, P, "claimed", S.SENDING, P, "lease", "sending_now", audit="")
_add(S.PENDING, RC, "claimed", S.SENDING, RC, "lease", audit="")
_add(S.SENDING, P, "claimed", S.SENDING, RC, "lease", audit="lease_expired")
_add(S.SENDING, RC, "claimed", S.SENDING, RC, "lease", audit="lease_expired")
_add(S.SENDING, RT, "claimed", S.RETRACTING, RT, "lease", audit="lease_expired")
_add(S.UPDATING, RT, "claimed", S.RETRACTING, RT, "lease", audit="lease_expired")

# The post landed (or was found). What landed is compared with what the row
# holds now: the page may have changed (update next) or been unpublished
# (retract next).
for state, op, event, action in (
    (S.SENDING, P, "posted", "posted"),
    (S.SENDING, RC, "found", "adopted"),
    (S.UPDATING, U, "posted", "updated"),
):
    _add(state, op, event, S.POSTED, P, "record_post", "release",
         guard="sent what it holds", audit=action)
    _add(state, op, event, S.UPDATING, U, "record_post", "release", "fresh", "check",
         "enqueue", audit=action)
for state, event in ((S.SENDING, "posted"), (S.SENDING, "found"),
                     (S.UPDATING, "posted")):
    _add(state, RT, event, S.RETRACTING, RT, "record_post", "release", "fresh",
         "enqueue", audit="posted" if event == "posted" else "adopted")
# Nothing an earlier attempt made was found: this attempt posts now.
_add(S.SENDING, RC, "not_found", S.SENDING, P, "sending_now", audit="")
_add(S.SENDING, RT, "not_found", S.CANCELLED, RT, "release", "unpublished_note",
     audit="cancelled")
# X's "repost" policy: once the old post is down the row is a first post again,
# so a lost answer is followed by a look for the new post, never a second one.
_add(S.UPDATING, U, "taken_down", S.SENDING, P, "forget_post", "sending_now",
     "new_post_time", audit="")
_add(S.UPDATING, RT, "taken_down", S.RETRACTED, RT, "keep_record", "release",
     "retracted_at", audit="retracted")
# The gate before every send (publishing.delivery): content can reach a row
# with no check while a worker holds it (an in-flight change is only stored),
# then be sent after a lost answer's search, a refusal and Retry now, or an X
# repost's take-down. What the worker was about to send is checked again
# here: held when the guard's findings were not approved, failed when the
# platform would refuse it, else queued again (the row changed meanwhile).
for state, op in ((S.SENDING, P), (S.UPDATING, U)):
    _add(state, op, "unapproved", S.HELD, op, "release", "check",
         guard="findings not approved", audit="")
    _add(state, op, "unapproved", QUEUED[op], op, "release", "check", "enqueue",
         audit="")
# Unpublished meanwhile: nothing new was sent; a standing post is taken down.
_add(S.SENDING, RT, "unapproved", S.CANCELLED, RT, "release", "unpublished_note",
     audit="cancelled")
_add(S.UPDATING, RT, "unapproved", S.RETRACTING, RT, "release", "fresh", "enqueue",
     audit="")
# Taken down, or nothing was found to take down.
for event in ("retracted", "not_found"):
    _add(S.RETRACTING, RT, event, S.RETRACTED, RT, "keep_record", "release",
         "retracted_at", audit="retracted")
    _add(S.RETRACTING, RP, event, S.PENDING, P, "forget_post", "release",
         "retracted_at", "fresh", "check", "enqueue", audit="retracted")

# The platform's processing. YouTube processes a video after its upload and
# may reject it (a duplicate, a copyright claim) or fail to process it (its
# codec) then, minutes or hours later. A post recorded while that goes on is
# "being processed" (record_post notes it) and publishing.processing asks the
# platform again later. Processing is the platform's, beside whatever the row
# does next (an edited page's update goes while YouTube encodes), so it is a
# fact of the post, read by the guard and written by the effects, rather than
# a place; its outcome is taken once the row is posted again. A refused video
# is not live: the row fails with the platform's reason and holds no post (its
# id stays among the row's taken-down posts, never adopted again, and in the
# audit entry), so Retry or the page published again uploads the video anew,
# which can never make two live posts, and unpublishing has nothing to take
# down. Past its time (CROSSPOST_PROCESSING_WINDOW_SECONDS) the post stays
# posted, no longer followed, with a note. (A posted row can still be leased:
# its update was called off by the page changing back while a worker sent it.
# A refused video releases it, so that worker's answer is not recorded.)
_add(S.POSTED, P, "processed", S.POSTED, P, "processing_over",
     guard="being processed")
_add(S.POSTED, P, "processing_failed", S.FAILED, P, "refused_after_posting", "error",
     "release", guard="being processed", audit="failed")
_add(S.POSTED, P, "processing_unconfirmed", S.POSTED, P, "processing_over", "error",
     guard="being processed")

# Faults. A publish that left no answer may have posted: it is reconciled.
_IN_FLIGHT_PLACES = sorted({(IN_FLIGHT[op], op) for op in ALL_OPS}) + [
    (S.SENDING, RT),
    (S.UPDATING, RT),
]
for state, op in _IN_FLIGHT_PLACES:
    after = RC if op == P else op
    _add(state, op, "answer_lost", S.RETRYING, after, "release", "error", "backoff",
         "failing_since", audit="retrying")
    _add(state, op, "rate_limited", S.RETRYING, after, "release", "error", "wait",
         "failing_since", audit="retrying")
    _add(state, op, "budget_spent", S.RETRYING, op, "release", "error", "wait",
         "uncount", audit="")
    _add(state, op, "auth_failed", S.NEEDS_RECONNECT, after, "release", "error",
         audit="needs_reconnect")
    _add(state, op, "account_unusable", S.NEEDS_RECONNECT, op, "release", "error",
         "uncount", audit="")
    _add(state, op, "gave_up", S.FAILED, after, "release", "error", audit="failed")
    if op != RT or state == S.RETRACTING:
        _add(state, op, "refused", S.FAILED, op, "release", "error", audit="failed")
# A send or update refused after the page was unpublished: nothing new stands,
# and a standing post is taken down.
_add(S.SENDING, RT, "refused", S.CANCELLED, RT, "release", "error", audit="failed")
_add(S.UPDATING, RT, "refused", S.RETRACTING, RT, "release", "fresh", "enqueue",
     audit="failed")

# The account: other rows of an account whose token was refused wait for it to
# be connected again, then carry on.
for op in ALL_OPS:
    for state in dict.fromkeys((QUEUED[op], S.RETRYING)):
        _add(state, op, "account_parked", S.NEEDS_RECONNECT, op, "error", audit="")
    _add(S.NEEDS_RECONNECT, op, "reconnected", QUEUED[op], op, "clear_error",
         "enqueue", audit="")

# People.
for op in ALL_OPS:
    for state in (S.FAILED, S.RETRYING, S.NEEDS_RECONNECT):
        _add(state, op, "retry_requested", QUEUED[op], op,
             "fresh" if state == S.FAILED else "now", "enqueue", audit="retry")
for op in (P, RC, U):
    # The approver may edit the held text: the edit is the event's content, and
    # the approval covers exactly what is sent.
    _add(S.HELD, op, "approved", QUEUED[op], op, "content", "approve", "enqueue")
    # Sent back: cancelled, with the note for the editor on the page's Social
    # tab. The editor's next publish is a page change, checked again, so no
    # state of its own is needed: a post that stands is updated, else posted.
    _turned_down(S.HELD, op, "rejected", "rejected_note")
    _turned_down(S.HELD, op, "sent_back", "sent_back_note")
for state in (S.HELD, S.PENDING, S.RETRYING, S.FAILED, S.NEEDS_RECONNECT):
    for op in ALL_OPS:
        if (state, op) not in INVALID_PLACES:
            _turned_down(state, op, "cancelled")
_add(S.POSTED, P, "retract_requested", S.RETRACTING, RT, "fresh", "enqueue",
     audit="retract")

TABLE: tuple[Transition, ...] = tuple(_lines)


# Applying the table -----------------------------------------------------------------


class NotAllowed(ValueError):
    """The event does not apply to the row where it is; the message says why."""


def refusal(state: str, operation: str, event: str) -> str:
    """Why ``event`` has no transition from ``(state, operation)``."""
    if (state, operation) not in PLACES:
        return f"no row is ever {state} with operation {operation}"
    if event not in EVENTS:
        return f"{event!r} is not an event of the lifecycle"
    worker_events = {
        "claimed", "posted", "found", "not_found", "taken_down", "retracted",
        "answer_lost", "rate_limited", "budget_spent", "refused", "auth_failed",
        "account_unusable", "gave_up", "unapproved",
    }
    if event in worker_events:
        if event == "claimed":
            return f"a {state} row is not due: no worker takes it"
        return f"no worker has a {state} row to {operation}, so none reports it"
    if event in ("approved", "rejected", "sent_back"):
        return "only a held post is approved, rejected or sent back"
    if event == "cancelled":
        return f"a {state} post cannot be cancelled: it is sent, taken down or done"
    if event == "retry_requested":
        return "only a failed, retrying or parked post is retried"
    if event == "retract_requested":
        return "only a post that stands is taken down by hand"
    if event in ("reconnected", "account_parked"):
        return f"a {state} row does not wait on its account"
    if event in ("processed", "processing_failed", "processing_unconfirmed"):
        return "only a posted post the platform is still processing is followed"
    if event == "unpublished":
        return "nothing of this row stands or waits: there is nothing to take down"
    if event == "republished":
        return "the row is not being taken down: the publish is a page change"
    if event == "page_changed":
        return "the row's post is being taken down: the publish is a republish"
    return "the page's first publish makes the row"


_BY_KEY: dict[tuple[str, str, str], list[Transition]] = {}
for _line in TABLE:
    _BY_KEY.setdefault((_line.state, _line.operation, _line.event), []).append(_line)


def transitions(state: str, operation: str, event: str) -> list[Transition]:
    """The table's lines for ``(state, operation, event)``, in the order tried."""
    return _BY_KEY.get((state, operation, event), [])


def transition_for(row: CrossPost, event: str, facts: dict) -> Transition:
    """The transition ``event`` takes from where ``row`` is: the first line
    whose guard holds. Raises :class:`NotAllowed` with the reason if none."""
    state = row.state if row.pk else NEW
    for line in transitions(state, row.operation, event):
        if line.guard is None or GUARDS[line.guard](row, facts):
            return line
    raise NotAllowed(refusal(state, row.operation, event))


def allowed(row: CrossPost, event: str, **facts: Any) -> bool:
    facts.setdefault("now", timezone.now())
    try:
        transition_for(row, event, facts)
    except NotAllowed:
        return False
    return True


@dataclass
class _Plan:
    """A transition worked out for one row: the fields it writes, then what
    happens once they are written."""

    line: Transition
    changes: dict[str, Any] = field(default_factory=dict)
    action: str | None = None
    audit_data: dict[str, Any] = field(default_factory=dict)
    enqueue: bool = False


def _plan(row: CrossPost, event: str, facts: dict) -> _Plan:
    line = transition_for(row, event, facts)
    plan = _Plan(line, {"state": line.to_state, "operation": line.to_operation})
    plan.action = line.action
    for effect in line.effects:
        EFFECTS[effect](row, facts, plan)
    plan.audit_data.update(facts.get("audit_data") or {})
    return plan


#: Fields a compare-and-set requires unchanged since the row was read: where it
#: is, who holds it, how often it was tried, what it says and which post it
#: holds (what the platform said of one post is never applied to another).
EXPECTED = (
    "state", "operation", "lease_owner", "attempts", "content_hash", "remote_id",
)


def advance(row: CrossPost, event: str, *, user=None, owned: bool = False,
            **facts: Any) -> CrossPost | None:
    """Apply ``event`` to ``row`` and return it as now stored, or ``None`` if the
    row moved on.

    The write is a compare-and-set: it lands only if the row is still as read
    (:data:`EXPECTED`). If it changed meanwhile and ``owned`` (a worker
    reporting on a row it leased), the row is read again and the event applied
    to it as it is now, as long as the worker still holds its lease; otherwise
    ``None``: someone else moved the row on. A new row (no ``pk``, the
    ``queued`` event) is inserted. The audit entry (and any alert) is written
    with the row, and a row left waiting for a worker is sent to the broker
    after commit.

    Raises :class:`NotAllowed` when the table has no transition.
    """
    facts.setdefault("now", timezone.now())
    facts["user"] = user
    if row.pk is None:
        return _create(row, event, user, facts)
    for _attempt in range(3):
        plan = _plan(row, event, facts)
        expected = {name: getattr(row, name) for name in EXPECTED}
        # The move, its audit entry and its alert land together or not at all:
        # nobody sees a failed row that nobody was told of. Inside a caller's
        # transaction this adds no savepoint; it is simply part of it. A move
        # with nothing else to write (a worker's lease) is one statement,
        # whole by itself: no transaction, and two round trips fewer.
        together = plan.action or plan.enqueue
        with transaction.atomic(savepoint=False) if together else nullcontext():
            written = row_update.update_if_unchanged(
                row.pk, expected, {**plan.changes, "updated_at": facts["now"]}
            )
            if written:
                for name, value in plan.changes.items():
                    setattr(row, name, value)
                row.updated_at = facts["now"]
                _after(row, plan, user)
        if written:
            return row
        if not owned:
            return None
        lease_owner = row.lease_owner
        account = row.account
        row.refresh_from_db()
        row.account = account
        if row.lease_owner != lease_owner:
            return None  # the lease went to another attempt, which records it
    logger.info("Cross-post %s kept changing under %s", row.pk, event)
    return None


def _create(row: CrossPost, event: str, user, facts: dict) -> CrossPost:
    return create_all([(row, facts)], event, user=user)[0]


def create_all(
    items: Iterable[tuple[CrossPost, dict]], event: str = "queued", *, user=None
) -> list[CrossPost]:
    """:func:`advance` for new rows (``(row, facts)`` pairs, no ``pk`` yet):
    every row's transition is planned, then all are inserted in one INSERT with
    their audit entries and alerts. A publish creates one row per account, and
    each statement is a round trip the editor waits for."""
    now = timezone.now()
    planned = []
    for row, facts in items:
        facts = {**facts, "now": facts.get("now", now), "user": user}
        plan = _plan(row, event, facts)
        for name, value in plan.changes.items():
            setattr(row, name, value)
        planned.append((row, plan))
    if not planned:
        return []
    # Without the model's signals: a row on its way changes no public page
    # (and each receiver would cost the editor's publish a call).
    logged = [
        (row, plan.action, plan.audit_data or None)
        for row, plan in planned
        if plan.action
    ]
    with transaction.atomic(savepoint=False):
        publish_write.insert([row for row, _plan_ in planned], logged, user=user)
        for row, plan in planned:
            _after(row, plan, user, logged=True)
    return [row for row, _plan_ in planned]


def _after(row: CrossPost, plan: _Plan, user, *, logged: bool = False) -> None:
    """The transition's audit entry (unless ``logged`` already), alert and
    delivery message."""
    if plan.action:
        if not logged:
            audit.log(row, plan.action, user=user, data=plan.audit_data or None)
        alerts.for_row(row, plan.action)
    if plan.enqueue and row.state in (S.PENDING, S.UPDATING, S.RETRACTING):
        from .dispatch import enqueue

        enqueue([row])


def advance_all(rows: Iterable[CrossPost], event: str, **facts: Any) -> list:
    """Apply ``event`` to each row it applies to; the rows it moved."""
    moved = []
    for row in rows:
        if allowed(row, event, **facts):
            result = advance(row, event, **facts)
            if result is not None:
                moved.append(result)
    return moved


# Effects ----------------------------------------------------------------------------


def _content(row, facts, plan):
    plan.changes.update(facts.get("content") or {})


def _fresh(row, facts, plan):
    plan.changes.update(attempts=0, next_attempt_at=None, last_error="",
                        last_error_kind="", retrying_since=None)


def _failing_since(row, facts, plan):
    """Retries are bounded by time from the operation's first temporary fault."""
    if row.retrying_since is None:
        plan.changes["retrying_since"] = facts["now"]


def _check(row, facts, plan):
    """Hold or fail what is about to go out: the platform would refuse it
    (failed, its post if any left as it was), or the guard found something in
    content nobody approved (held)."""
    problems, findings = _problems_and_findings(row, plan.changes, facts)
    plan.changes["guard_findings"] = findings
    if problems:
        plan.changes.update(state=S.FAILED, last_error=" ".join(problems),
                            last_error_kind="rejected")
        plan.action = "failed"
    elif unapproved(
        _planned(row, plan.changes, "content_hash"),
        findings,
        _planned(row, plan.changes, "approved_hash"),
    ):
        plan.changes["state"] = S.HELD
        plan.action = "held"
    elif plan.action is None and plan.line.event == "queued":
        plan.action = "queued"


def unapproved(content_hash: str, findings: list, approved_hash: str) -> bool:
    """The protocol's rule: content with guard findings goes out only as
    approved, and an approval covers exactly the content hash approved."""
    return bool(findings) and approved_hash != content_hash


def _planned(row: CrossPost, changes: dict, name: str):
    """Field ``name`` of ``row`` once ``changes`` are made."""
    return changes[name] if name in changes else getattr(row, name)


def _problems_and_findings(row: CrossPost, changes: dict, facts: dict):
    """What the platform would refuse in the row's content once ``changes``
    are made, and what the guard found in it: given by the publish that
    brought the content, else worked out from the row (the findings were
    stored with the content)."""
    problems = facts.get("problems")
    if problems is None:
        from copy import copy

        from channels import registry

        from .content import post_from_row

        would_send = copy(row)
        for name, value in changes.items():
            setattr(would_send, name, value)
        problems = registry.get(row.platform).validate(post_from_row(would_send))
    findings = (
        facts["findings"] if "findings" in facts
        else _planned(row, changes, "guard_findings")
    )
    return list(problems), list(findings)


def _enqueue(row, facts, plan):
    plan.enqueue = True


def _lease(row, facts, plan):
    from .dispatch import lease_seconds

    plan.changes.update(
        lease_owner=facts["owner"],
        lease_expires_at=facts["now"] + timedelta(seconds=lease_seconds(row.queue)),
        attempts=row.attempts + 1,
    )


def _release(row, facts, plan):
    plan.changes.update(lease_owner="", lease_expires_at=None)


def _record_post(row, facts, plan):
    result = facts["result"]
    plan.changes.update(
        remote_id=result.remote_id,
        permalink=result.permalink,
        posted_hash=facts["sent_hash"],
        posted_at=row.posted_at or facts["now"],
        last_error="",
        last_error_kind="",
        next_attempt_at=None,
        retrying_since=None,
        upload_session="",
    )
    plan.audit_data.setdefault("permalink", result.permalink)
    if plan.line.event == "found":
        plan.audit_data.setdefault("remote_id", result.remote_id)
    _follow_processing(row, result, facts, plan)


def _follow_processing(row, result, facts, plan):
    """A post the platform is still processing is asked about again, from the
    next run of :mod:`publishing.processing` on; a new post it has processed is
    not. An answer about the post the row already holds (an update's) changes
    nothing: it does not say."""
    new_post = result.remote_id != row.remote_id
    if result.state == "processing" and (new_post or row.processing_since is None):
        plan.changes.update(
            processing_since=facts["now"], processing_check_at=facts["now"]
        )
    elif result.state != "processing" and new_post:
        _processing_over(row, facts, plan)


def _processing_over(row, facts, plan):
    """The post is no longer followed: processed, refused, gone or given up."""
    plan.changes.update(processing_since=None, processing_check_at=None)


def _sending_now(row, facts, plan):
    plan.changes["sent_hash"] = plan.changes.get("content_hash", row.content_hash)


def _taken_down(row, facts, plan) -> str:
    """Add the post just taken down (or refused) to the row's taken-down posts
    (never adopted again), whose processing is no longer followed; its id."""
    gone = facts.get("remote_id") or row.remote_id
    taken_down = list(row.retracted_remote_ids)
    if gone and gone not in taken_down:
        taken_down.append(gone)
    plan.changes["retracted_remote_ids"] = taken_down
    _processing_over(row, facts, plan)
    return gone


def _forget_post(row, facts, plan):
    _taken_down(row, facts, plan)
    plan.changes.update(remote_id="", permalink="", posted_hash="")


def _refused_after_posting(row, facts, plan):
    """The platform refused the post after making it: nothing of it is live,
    so the row holds no post; its id stays among the row's taken-down posts
    (never adopted again) and in the audit entry."""
    plan.audit_data["remote_id"] = row.remote_id
    _forget_post(row, facts, plan)


def _new_post_time(row, facts, plan):
    """The new post's time is the row's from now on (the daily budget counts
    it)."""
    plan.changes["posted_at"] = None


def _keep_record(row, facts, plan):
    """The post is down: its id stays on the row for the record (and among
    the row's taken-down posts, never adopted again)."""
    plan.changes["remote_id"] = _taken_down(row, facts, plan)


def _retracted_at(row, facts, plan):
    plan.changes.update(retracted_at=facts["now"], retrying_since=None)


def _error(row, facts, plan):
    plan.changes.update(last_error=facts["message"][:2000],
                        last_error_kind=facts["kind"])
    plan.audit_data["error"] = plan.changes["last_error"]


def _backoff(row, facts, plan):
    from .dispatch import backoff

    plan.changes["next_attempt_at"] = facts["now"] + backoff(row.attempts)


def _wait(row, facts, plan):
    plan.changes["next_attempt_at"] = max(facts["retry_at"], facts["now"])


def _uncount(row, facts, plan):
    plan.changes["attempts"] = max(row.attempts - 1, 0)


def _clear_error(row, facts, plan):
    plan.changes.update(last_error="", last_error_kind="", next_attempt_at=None)


def _now(row, facts, plan):
    plan.changes["next_attempt_at"] = None


def _review(row, facts, plan):
    plan.changes["review_reason"] = facts.get("reason", "")
    if facts.get("user") is not None and plan.line.event != "cancelled":
        plan.changes["reviewed_by"] = facts["user"]
    plan.audit_data["reason"] = facts.get("reason", "")


def _approve(row, facts, plan):
    """The approval covers the content sent: the approver's edit, if any."""
    _review(row, facts, plan)
    plan.changes["approved_hash"] = plan.changes.get("content_hash", row.content_hash)


def _rejected_note(row, facts, plan):
    plan.changes["last_error"] = f"Rejected by {facts.get('user')}: " + facts.get(
        "reason", ""
    )


def _sent_back_note(row, facts, plan):
    plan.changes["last_error"] = (
        f"Sent back to the editor by {facts.get('user')}: “{facts.get('reason', '')}” "
        "Change the page and publish it again to send it."
    )


def _unpublished_note(row, facts, plan):
    plan.changes["last_error"] = "Cancelled: the page was unpublished before posting."


EFFECTS: dict[str, Callable[[CrossPost, dict, _Plan], None]] = {
    "content": _content,
    "fresh": _fresh,
    "failing_since": _failing_since,
    "check": _check,
    "enqueue": _enqueue,
    "lease": _lease,
    "release": _release,
    "record_post": _record_post,
    "sending_now": _sending_now,
    "forget_post": _forget_post,
    "refused_after_posting": _refused_after_posting,
    "processing_over": _processing_over,
    "new_post_time": _new_post_time,
    "keep_record": _keep_record,
    "retracted_at": _retracted_at,
    "error": _error,
    "backoff": _backoff,
    "wait": _wait,
    "uncount": _uncount,
    "clear_error": _clear_error,
    "now": _now,
    "review": _review,
    "approve": _approve,
    "rejected_note": _rejected_note,
    "sent_back_note": _sent_back_note,
    "unpublished_note": _unpublished_note,
}


# The diagram ------------------------------------------------------------------------


def mermaid() -> str:
    """The table as a Mermaid state diagram (the README's, kept equal by a test).

    One node per ``(state, operation)``; an edge per transition that changes
    the place, labelled with its event and guard, and a loop for the lines of
    an event that never does (a post's processing ends, the row stays put)."""
    def node(state: str, operation: str) -> str:
        return f"{state}_{operation}"

    moving = {
        line.event for line in TABLE
        if (line.state, line.operation) != (line.to_state, line.to_operation)
    }

    lines = ["stateDiagram-v2"]
    for state, operation in sorted(PLACES):
        label = "new" if state == NEW else f"{state} ({operation})"
        lines.append(f'    state "{label}" as {node(state, operation)}')
    lines.append(f"    [*] --> {node(NEW, P)}")
    edges: dict[tuple[str, str], list[str]] = {}
    for line in TABLE:
        source = node(line.state, line.operation)
        target = node(line.to_state, line.to_operation)
        if source == target and line.event in moving:
            continue
        label = line.event + (f" [{line.guard}]" if line.guard else "")
        labels = edges.setdefault((source, target), [])
        if label not in labels:
            labels.append(label)
    for (source, target), labels in sorted(edges.items()):
        lines.append(f"    {source} --> {target}: {', '.join(labels)}")
    return "\n".join(lines) + "\n"

