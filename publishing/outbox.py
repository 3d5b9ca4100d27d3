"""The outbox: what a publish or an unpublish writes, inside its transaction.

Receivers call :func:`queue_page` and :func:`retract_page`; neither speaks HTTP.
Every row they write moves through :func:`publishing.lifecycle.advance`, which
also writes page history and sends the delivery messages once the publish
commits.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass

from channels import registry

from . import audit, content, dispatch, lifecycle
from .guard import PostChecker
from .models import ChannelAccount, CrossPost
from .page_mixins import SocialPostingMixin
from .publish_read import TOKEN_FIELDS

logger = logging.getLogger(__name__)
State = CrossPost.State
Operation = CrossPost.Operation


@dataclass(frozen=True)
class Skipped:
    """An account a page was not sent to, and why (shown to the editor: "Not
    sent to YouTube: Exampleshire CC, as {reason}.")."""

    account: ChannelAccount
    reason: str


#: The accounts the latest publish in this context left out, as ``(page id,
#: revision id, skipped)``: the editor's publish message names them
#: (:func:`skipped_by`). One publish at a time, so one is kept.
_last_skipped: ContextVar[tuple | None] = ContextVar("outbox_skipped", default=None)


def skipped_by(page) -> list[Skipped]:
    """The accounts queuing ``page``'s live revision left out in this context
    (the request that published it), with why; none if it left out none."""
    found = _last_skipped.get()
    if found is None or found[:2] != (page.pk, page.live_revision_id):
        return []
    return list(found[2])


@dataclass(frozen=True)
class Reach:
    """An account a page could go to, whether it does, and why (for the
    editor's Social tab)."""

    account: ChannelAccount
    goes: bool
    why: str


def reach(page: SocialPostingMixin, default_accounts=None) -> list[Reach]:
    """Every account the page's choice names, and every account kept for
    urgent notices when the page is one, each with whether the page goes
    there and why. Accounts are read without their tokens: choosing where a
    page goes needs no secret, so the editor's request neither reads nor
    decrypts one. ``default_accounts`` are the site's defaults when the
    caller has read them already (else they are read as the publish reads
    them, :func:`content.publishing_inputs`)."""
    mode = page.social_mode
    if mode == SocialPostingMixin.SocialMode.NONE:
        return []
    Usage = ChannelAccount.Usage
    if mode == SocialPostingMixin.SocialMode.CUSTOM:
        chosen, why = page.social_accounts.all().defer(*TOKEN_FIELDS), "chosen"
    else:
        if default_accounts is None:
            default_accounts = content.publishing_inputs(page, default_accounts=True)[2]
        chosen, why = default_accounts, "one of the council's usual accounts"
    urgent = page.is_urgent()
    found = []
    for account in chosen:
        if account.status == ChannelAccount.Status.DISCONNECTED:
            continue
        if account.usage == Usage.RETIRED:
            found.append(Reach(account, False, "the account is retired"))
        elif account.usage == Usage.URGENT_ONLY and not urgent:
            found.append(Reach(account, False, "kept for urgent notices only"))
        else:
            found.append(Reach(account, True, why))
    if urgent:
        named = {item.account.pk for item in found}
        kept = (
            ChannelAccount.objects.filter(usage=Usage.URGENT_ONLY)
            .exclude(status=ChannelAccount.Status.DISCONNECTED)
            .exclude(pk__in=named)
            .defer(*TOKEN_FIELDS)
        )
        found += [
            Reach(account, True, "kept for urgent notices: every one goes there")
            for account in kept
        ]
    return found


def accounts_for(
    page: SocialPostingMixin, default_accounts=None
) -> list[ChannelAccount]:
    """The accounts the page goes to (:func:`reach`)."""
    return [item.account for item in reach(page, default_accounts) if item.goes]


@dataclass
class _Draft:
    """One platform's post of the page: what it says, what the platform would
    refuse in it, and what the guard found."""

    post: object
    problems: list[str]
    findings: list[dict]


def queue_page(page, revision=None, user=None) -> tuple[list[CrossPost], list[Skipped]]:
    """Create or move one outbox row per chosen account; no HTTP here.

    Returns the rows that changed (each is sent to a worker after commit) and
    the accounts skipped with the reason. Publishing the same revision twice
    changes nothing, unless its posts were taken down or cancelled meanwhile.
    """
    # This publish's own accounts left out, or none: never an earlier one's
    # (the context outlives a request, and a page and revision numbered alike
    # would otherwise be told another publish's reasons).
    _last_skipped.set(None)
    mode = page.social_mode
    if mode == SocialPostingMixin.SocialMode.NONE:
        return [], []
    where = content.address(page)
    inputs = content.inputs_for_publish(
        page,
        default_accounts=mode == SocialPostingMixin.SocialMode.DEFAULT,
        for_outbox=True,
        where=where,
    )
    accounts = accounts_for(page, inputs.default_accounts)
    if not accounts:
        return [], []
    # A page with no rows has none to lock: only the transaction publishing a
    # page makes its rows, and Wagtail saves the page's row before it sends
    # page_published, so that transaction holds the page row's lock. A second
    # publish of the page waits for it, then sees the rows it made. (The
    # unique (page, account) constraint turns any other way in into an error,
    # never a second row.)
    existing = {} if inputs.page_has_rows is False else _locked_rows(page, accounts)
    with dispatch.batched(), audit.batched():
        return _queue(page, revision, user, inputs, accounts, existing, where.url)


def _queue(page, revision, user, inputs, accounts, existing, marker):
    social_settings = inputs.social
    check = PostChecker(inputs.protocol)
    drafts: dict[str, _Draft] = {}
    changed, skipped, new_rows = [], [], []
    images, media_problems = None, []
    for account in accounts:
        adapter_class = registry.get(account.platform)
        if adapter_class.requires_video and not page.social_video():
            skipped.append(
                Skipped(account, "it needs a video and this page has none")
            )
            continue
        if account.platform not in drafts:
            if images is None and adapter_class.supports_images:
                images, media_problems = _page_images(page)
            post = content.build_post(
                page, account.platform, social_settings, marker=marker, images=images
            )
            problems = adapter_class.validate(post)
            if post.images:  # an image that cannot be read fails what carries it
                problems = media_problems + problems
            drafts[account.platform] = _Draft(post, problems, check(post))
        draft = drafts[account.platform]
        fields = _row_fields(page, revision, user, account, draft)
        row = existing.get(account.pk)
        if row is None:
            # Made below, all in one INSERT; its place in the list kept.
            row = CrossPost(page=page, account=account, platform=account.platform)
            new_rows.append((row, _facts(fields, draft)))
            changed.append(row)
            continue
        moved = _advance(row, fields, draft, user)
        if moved is not None:
            changed.append(moved)
    lifecycle.create_all(new_rows, "queued", user=user)
    if skipped:
        _last_skipped.set((page.pk, revision.pk if revision else None, tuple(skipped)))
    return changed, skipped


def _facts(fields, draft) -> dict:
    """What :func:`lifecycle.advance` needs to move a row to ``fields``."""
    return {
        "content": fields,
        "problems": draft.problems,
        "findings": draft.findings,
        "audit_data": {"error": " ".join(draft.problems)} if draft.problems else None,
    }


def _advance(row, fields, draft, user) -> CrossPost | None:
    """Move the account's row for the new revision; ``None`` if it needs
    nothing."""
    facts = _facts(fields, draft)
    taking_down = row.operation in (Operation.RETRACT, Operation.REPOST)
    if not taking_down and row.state != State.RETRACTED:
        if row.idempotency_key == fields["idempotency_key"] and row.state not in (
            State.CANCELLED,
        ):
            return None  # the same revision again, its posts standing or due
        event = "page_changed"
    else:
        event = "republished"
    before = (row.state, row.operation, row.content_hash)
    moved = lifecycle.advance(row, event, user=user, **facts)
    if moved is None or (moved.state, moved.operation, moved.content_hash) == before:
        return None
    return moved


def _locked_rows(page, accounts) -> dict[int, CrossPost]:
    """The page's rows by account, locked until the publish commits. Each row
    of one of ``accounts`` (read without their tokens) is given its account
    object, rather than reading it again."""
    by_pk = {account.pk: account for account in accounts}
    rows = CrossPost.objects.filter(page_id=page.pk).select_for_update()
    found = {}
    for row in rows:
        if row.account_id in by_pk:
            row.account = by_pk[row.account_id]
        found[row.account_id] = row
    return found


def _page_images(page) -> tuple[tuple, list[str]]:
    """The page's images and no problems; or, when the image cannot be read,
    the image as it stands and why, which fails the rows that would carry it.
    The editor's publish goes ahead either way."""
    try:
        return content.page_images(page), []
    except content.MediaUnavailable as exc:
        logger.warning("Page %s: %s", page.pk, exc)
        return exc.images, [str(exc)]


def _row_fields(page, revision, user, account, draft: _Draft) -> dict:
    post = draft.post
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
        "guard_findings": draft.findings,
        # New page content replaces any text an approver edited.
        "edited_from": "",
    }


def retract_page(page, user=None) -> list[CrossPost]:
    """Take the page's posts down (unpublish or delete); cancel unsent ones.
    The rows that moved (also noted for :func:`noted_retractions`)."""
    page_id = page.pk
    rows = (
        CrossPost.objects.filter(page_id=page_id)
        .select_related("account")
        .defer(*(f"account__{name}" for name in TOKEN_FIELDS))
        .select_for_update(of=("self",))
    )
    with dispatch.batched(), audit.batched():
        moved = lifecycle.advance_all(rows, "unpublished", user=user)
    noted = _retractions.get()
    if noted is not None:
        # Deleting a page sends its signal once for each of its models' rows,
        # so the page's later calls (which move nothing) add to the first's.
        noted[page_id] = noted.get(page_id, ()) + tuple(moved)
    return moved


#: What unpublishing or deleting pages moved in this context, by page id,
#: while the admin's unpublish or delete notes it for the person's message
#: (:func:`note_retractions`); ``None`` the rest of the time, so a worker
#: that unpublishes pages keeps nothing.
_retractions: ContextVar[dict | None] = ContextVar("outbox_retractions", default=None)


def note_retractions() -> None:
    """From now on in this context, note the rows each :func:`retract_page`
    moves, until :func:`noted_retractions` hands them over."""
    _retractions.set({})


def noted_retractions() -> dict[int, list[CrossPost]]:
    """The rows each page's unpublish or delete moved since
    :func:`note_retractions`, by page id (pages that moved none left out),
    each where it went: on its way down, or cancelled before it was sent.
    Noting stops."""
    noted = _retractions.get() or {}
    _retractions.set(None)
    return {page_id: list(rows) for page_id, rows in noted.items() if rows}
