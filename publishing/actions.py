"""What comms managers do to one cross-post: retry, cancel, approve (as held
or with its text edited), reject, send back to the editor, take down. Each is a
lifecycle event; one the row's place does not take changes nothing (the views
say so)."""

from __future__ import annotations

from copy import copy

from django.db.models import Count
from wagtail.models import PageLogEntry

from channels import registry

from . import audit, content, guard, lifecycle
from .models import CrossPost, CrossPostQuerySet

State = CrossPost.State


def _act(row: CrossPost, event: str, user=None, **facts) -> CrossPost:
    if not lifecycle.allowed(row, event, **facts):
        return row
    return lifecycle.advance(row, event, user=user, **facts) or row


def retry_now(row: CrossPost, user=None) -> CrossPost:
    return _act(row, "retry_requested", user)


def cancel(row: CrossPost, user=None, reason: str = "") -> CrossPost:
    """Cancelled means not on the platform: a post an attempt may have made
    without an answer is looked for and taken down."""
    return _act(row, "cancelled", user, reason=reason)


def approval_refusal(row: CrossPost, user) -> str | None:
    """Why ``user`` may not approve ``row`` (the four-eyes rule of the online
    protocol), or ``None``."""
    page = row.page.specific if row.page_id else None
    return guard.approval_refusal(row, user, guard.protocol_settings_for(page))


class ContentChanged(lifecycle.NotAllowed):
    """The row's content is not what the approver was shown: the page was
    published again meanwhile."""


#: What an approver who saw older content is told.
CONTENT_CHANGED = (
    "The page changed since you opened this; review the new content. Nothing "
    "was approved."
)


def approve(
    row: CrossPost,
    user,
    reason: str,
    text: str | None = None,
    *,
    shown_hash: str | None = None,
) -> CrossPost:
    """Send a held post; the approval covers exactly the content approved.

    ``shown_hash`` is the content hash of what the approval screen showed: an
    approval of a row whose content has changed since (the editor published
    again while the screen was open) is refused with :class:`ContentChanged`.
    Without it, ``row`` as given is what was seen: the compare-and-set refuses
    a row that changed since it was read.

    ``text``, when given and different, is the approver's edit of the held
    text: it is what is sent, the page's text is kept in ``edited_from``, and
    the audit entry records both.

    Raises :class:`lifecycle.NotAllowed` with the reason when the protocol
    refuses ``user`` the approval (they published the page), and
    :class:`EditRefused` when the platform would refuse the edited text."""
    if shown_hash is not None and shown_hash != row.content_hash:
        raise ContentChanged(CONTENT_CHANGED)
    refusal = approval_refusal(row, user)
    if refusal:
        raise lifecycle.NotAllowed(refusal)
    facts = {"reason": reason}
    if text is not None and text != row.text:
        facts["content"] = edited_content(row, text)
        facts["audit_data"] = {"edited_from": row.text, "edited_to": text}
    return _act(row, "approved", user, **facts)


class EditRefused(lifecycle.NotAllowed):
    """The platform would refuse the approver's edited text: a mistake in the
    form, to be put right there, not a refusal of the approval."""


def edited_content(row: CrossPost, text: str) -> dict:
    """The row's content with ``text`` in place of its text: the fields the
    approval writes, its hash and the guard's findings in it (kept for the
    record; the approval covers them).

    Raises :class:`EditRefused` when the platform would refuse it."""
    edited = copy(row)
    edited.text = text
    post = content.post_from_row(edited)
    adapter = registry.get(row.platform)
    problems = adapter.validate(post)
    length, limit = adapter.text_length(text), adapter.max_text_length
    if length > limit:
        # Sent exactly as approved: never cut to fit afterwards.
        problems.insert(
            0,
            f"The edited text is {length:,} characters as {adapter.name} counts "
            f"them; {adapter.name} allows {limit:,}. Shorten it.",
        )
    if problems:
        raise EditRefused(" ".join(problems))
    page = row.page.specific if row.page_id else None
    return {
        "text": text,
        "content_hash": content.content_hash(post),
        "edited_from": row.edited_from or row.text,
        "guard_findings": guard.check_post(
            post, page, guard.protocol_settings_for(page)
        ),
    }


def reject(row: CrossPost, user, reason: str) -> CrossPost:
    return _act(row, "rejected", user, reason=reason)


def send_back(row: CrossPost, user, note: str) -> CrossPost:
    """Cancel a held post with a note to the editor, shown on the page's Social
    tab; their next publish is checked again."""
    return _act(row, "sent_back", user, reason=note)


def request_retract(row: CrossPost, user=None) -> CrossPost:
    return _act(row, "retract_requested", user)


def ask_for_retry(row: CrossPost, user) -> bool:
    """An editor without the retry permission asks comms to retry a failed
    post: a note in the page's history, shown on the dashboard until the row
    moves on. Nothing changes on the row. Whether it was asked (only a failed
    row can be)."""
    if row.state != State.FAILED:
        return False
    audit.log(row, "retry_asked", user)
    return True


def retries_asked(rows: CrossPostQuerySet) -> list[dict]:
    """Requests to retry rows among ``rows`` that are still failed and asked
    for since they last changed, newest first: ``row``, ``user`` and ``at``.

    The requests are read first, on the pages of failed rows, and then only
    the rows they name: requests are few, while a large council's failed rows
    number thousands (reading those first cost the dashboard half a second at
    100,000 rows)."""
    failed = rows.filter(state=State.FAILED)
    entries = list(
        PageLogEntry.objects.filter(
            action=audit.action_name("retry_asked"),
            page_id__in=failed.values("page_id"),
        )
        .select_related("user")
        .order_by("-timestamp")
    )
    if not entries:
        return []
    named = {entry.data.get("crosspost") for entry in entries}
    still_failed = {row.pk: row for row in failed.filter(pk__in=named)}
    asked, seen = [], set()
    for entry in entries:
        row = still_failed.get(entry.data.get("crosspost"))
        if row is None or row.pk in seen or entry.timestamp < row.updated_at:
            continue
        seen.add(row.pk)
        asked.append({"row": row, "user": entry.user, "at": entry.timestamp})
    return asked


def summary(rows: CrossPostQuerySet | None = None) -> dict[str, int]:
    """Rows counted by state (every state present, zero where none)."""
    queryset = CrossPost.objects.all() if rows is None else rows
    counts = dict(queryset.order_by().values_list("state").annotate(n=Count("id")))
    return {state: counts.get(state, 0) for state in State.values}
