"""Where a page is being posted, told where people publish: a note on the
publish message, the Social tab's status panel (and the fragment it refreshes
itself from), and an editor's request that comms retry a failed post."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import get_text_list
from django.views import View
from wagtail.models import Page

from channels import registry

from .. import actions, lifecycle, outbox
from ..models import ChannelAccount, CrossPost
from . import wording
from .dashboard import can_act

State = CrossPost.State
#: How often (ms) the panel asks again while a post is on its way.
REFRESH_MS = 4000


def can_follow(user, page) -> bool:
    """Whether ``user`` may see ``page``'s posts: its editors and comms."""
    return can_act(user) or page.permissions_for_user(user).can_edit()


def rows_of(page_id: int) -> list[CrossPost]:
    """The page's rows with their accounts, whose tokens are neither read nor
    decrypted for a page of status."""
    return list(
        CrossPost.objects.filter(page_id=page_id)
        .select_related("account", "reviewed_by")
        .defer("account__access_token", "account__refresh_token")
        .order_by("platform", "account__display_name")
    )


def panel_context(page_id: int | None, user) -> dict:
    """What the status panel shows: each row with its plain-words error, what
    happens next and what this user can do; whether any is still on its way
    (the panel then refreshes itself); and where to refresh from."""
    rows = rows_of(page_id) if page_id else []
    can_retry = user.has_perm("publishing.retry_crosspost")
    edit_url = reverse("wagtailadmin_pages:edit", args=[page_id]) if page_id else ""
    return {
        "rows": [
            {
                "row": row,
                "error": wording.error_in_plain_words(row),
                "processing": wording.processing_note(row),
                "next_step": wording.next_step(row, can_retry=can_retry),
                "findings": [f.get("message", "") for f in row.guard_findings],
            }
            for row in rows
        ],
        "can_retry": can_retry,
        "next_url": f"{edit_url}#tab-social",
        "live": any(not row.is_final for row in rows),
        "status_url": (
            reverse("publishing_admin:page_status", args=[page_id]) if page_id else ""
        ),
        "interval": REFRESH_MS,
    }


def posting_notes(page) -> tuple[str, list[str]]:
    """What publishing the page just did with its posts: where it is going, in
    a sentence for the publish message ("" if nowhere), and a sentence for
    each reason a post of it failed before it was sent (an image that cannot
    be read, a link too long for a platform), naming the accounts it failed
    on. Each post is told as what happens to it: a first post as posting, a
    standing post as updated, or as left as it is when it already says what
    this version would. A post that waits for its account to be reconnected
    is told so, and a failed post is never told as one on its way. An account
    the publish left out (YouTube for a page without a video) is named with
    why."""
    rows = (
        CrossPost.objects.filter(page_id=page.pk, revision_id=page.live_revision_id)
        .order_by("platform", "account__display_name")
        .values_list("state", "operation", "account__platform",
                     "account__display_name", "account__status", "last_error")
    )
    told: dict[str, list[str]] = {kind: [] for kind in _TOLD_AS}
    failed: dict[str, list[str]] = {}
    for state, operation, platform, name, status, error in rows:
        account = f"{registry.display_name(platform)}: {name}"
        if state == State.FAILED:
            failed.setdefault(error, []).append(account)
        else:
            told[_told_as(state, operation, status)].append(account)

    def said(kind: str) -> str:
        return _TOLD_AS[kind].format(accounts=get_text_list(told[kind], "and"))

    on_its_way = [kind for kind in _TOLD_AS if kind != "unchanged" and told[kind]]
    parts = [said(kind) for kind in on_its_way]
    left_out: dict[str, list[str]] = {}
    for skipped in outbox.skipped_by(page):
        left_out.setdefault(skipped.reason, []).append(str(skipped.account))
    parts += [
        f"Not sent to {get_text_list(names, 'and')}, as {reason}."
        for reason, names in left_out.items()
    ]
    if told["unchanged"]:
        parts.append(said("unchanged"))
    if on_its_way:
        parts.append("Follow it on the page's Social tab.")
    not_posted = [
        f"Not posted to {get_text_list(accounts, 'and')}. {error}".rstrip()
        for error, accounts in failed.items()
    ]
    return " ".join(parts), not_posted


#: How the publish message tells each kind of post, in this order.
_TOLD_AS = {
    "posting": "Posting to {accounts}.",
    "updating": "Updating the posts on {accounts}.",
    "held": "Held for a comms manager's approval: {accounts}.",
    "waiting": "Waiting until a comms manager reconnects {accounts}, then posting.",
    "unchanged": "Nothing sent to {accounts}: their posts already say this.",
}


def _told_as(state: str, operation: str, account_status: str) -> str:
    """Which of :data:`_TOLD_AS` a post of the page just published is (not
    one that failed)."""
    if state == State.HELD:
        return "held"
    if state == State.POSTED:
        # Published again with nothing new for this post: nothing is sent.
        return "unchanged"
    if (
        state == State.NEEDS_RECONNECT
        or account_status == ChannelAccount.Status.NEEDS_RECONNECT
    ):
        return "waiting"
    if operation == CrossPost.Operation.UPDATE:
        return "updating"
    return "posting"


def add_posting_note(request, page) -> None:
    """After a page is saved from its editor: if this request published it
    (:func:`_published_by_this_request`), add where it is being posted to the
    success message Wagtail has queued, and an error message for each reason
    a post of it failed at once."""
    if not _published_by_this_request(page.pk):
        return
    note, not_posted = posting_notes(page)
    for message in not_posted:
        messages.error(request, message)
    if not note:
        return
    storage = messages.get_messages(request)
    queued = [m for m in storage if m.level == messages.SUCCESS]
    storage.used = False  # reading them must not drop them
    if not queued:
        messages.success(request, note)
        return
    # Wagtail renders a message as its text, then its buttons on later lines.
    head, newline, rest = str(queued[-1].message).partition("\n")
    queued[-1].message = format_html(
        "{} {}{}", SafeString(head), note, SafeString(newline + rest)
    )


def _published_by_this_request(page_id: int) -> bool:
    """Whether the request that just saved page ``page_id`` (or acted on its
    workflow) published it: the page is live and its newest revision is the
    live one. Saving a draft, submitting, scheduling or a workflow step that
    is not the last makes or leaves a newer revision than the live one."""
    found = (
        Page.objects.filter(pk=page_id)
        .values_list("live", "latest_revision_id", "live_revision_id")
        .first()
    )
    if found is None:
        return False
    live, latest, published = found
    return live and latest == published


def add_approval_note(request, page_id: int) -> None:
    """After a moderator's approval outside the page editor (Wagtail's
    "Awaiting your review" and its workflow action view, which run none of the
    editor's hooks): if it published the page, say so and where the page is
    being posted, as the editor's publish message does; and an error message
    for each reason a post of it failed at once."""
    if not _published_by_this_request(page_id):
        return  # a step of the workflow, or a rejection: nothing was published
    page = Page.objects.get(pk=page_id).specific
    note, not_posted = posting_notes(page)
    messages.success(
        request,
        " ".join(filter(None, [f"Page '{page.get_admin_display_title()}' is "
                                "approved and published.", note])),
    )
    for message in not_posted:
        messages.error(request, message)


def taking_down_note(page, *, deleting: bool = False) -> str:
    """What unpublishing (or, with ``deleting``, deleting) ``page`` does to its
    posts, in a sentence for the page asking to confirm it ("" when none
    stands or waits). Each row's fate is its transition on ``unpublished`` in
    the lifecycle's table, read without moving it: the post is taken down
    (or, when an attempt may have posted it, looked for and taken down), or
    it is cancelled before it is sent."""
    if page is None or not page.pk:
        return ""
    taken_down, cancelled = [], []
    facts = {"now": timezone.now()}
    for row in rows_of(page.pk):
        try:
            line = lifecycle.transition_for(row, "unpublished", facts)
        except lifecycle.NotAllowed:
            continue  # nothing stands or waits: retracted already
        if line.to_operation == CrossPost.Operation.RETRACT:
            taken_down.append(str(row.account))
        elif line.to_state == State.CANCELLED:
            cancelled.append(str(row.account))
    parts = []
    if taken_down:
        accounts = get_text_list(taken_down, "and")
        parts.append(
            f"Its posts on {accounts} are taken down first."
            if deleting
            else f"Its posts on {accounts} are taken down too; "
            "publishing the page again posts them anew."
        )
    if cancelled:
        parts.append(_cancelled_sentence(cancelled))
    return " ".join(parts)


def _cancelled_sentence(accounts: list[str]) -> str:
    """Posts of a page unpublished or deleted before they were sent."""
    return f"Its posts not yet sent to {get_text_list(accounts, 'and')} are cancelled."


def add_taking_down_note(request, *, deleted: bool = False) -> None:
    """After pages are unpublished (or, with ``deleted``, deleted) from the
    admin, one or several at once: say which of their posts are being taken
    down and which, not yet sent, were cancelled (:func:`outbox.
    noted_retractions`); nothing for a page that had none. With several
    pages, each sentence names its page."""
    noted = outbox.noted_retractions()
    for rows in noted.values():
        taken_down, cancelled = [], []
        rows.sort(key=lambda row: (row.platform, row.account.display_name))
        for row in rows:
            if row.state == State.CANCELLED:
                cancelled.append(str(row.account))
            else:
                taken_down.append(str(row.account))
        parts = [f"'{rows[0].page_title}':"] if len(noted) > 1 else []
        if taken_down:
            parts.append(
                f"Taking down its posts on {get_text_list(taken_down, 'and')}."
            )
        if cancelled:
            parts.append(_cancelled_sentence(cancelled))
        if taken_down and not deleted:
            parts.append("Follow it on the page's Social tab.")
        messages.info(request, " ".join(parts))


class PageStatusView(View):
    """The status panel's fragment, which the panel fetches while a post of
    the page is on its way."""

    template_name = "publishing/panels/crossposts.html"

    def get(self, request, page_id: int):
        page = get_object_or_404(Page, pk=page_id)
        if not can_follow(request.user, page):
            raise PermissionDenied
        return TemplateResponse(
            request, self.template_name, panel_context(page.pk, request.user)
        )


class AskRetryView(View):
    """An editor asks comms to retry a failed post of a page they edit: GET
    confirms, POST notes it in the page's history and on the dashboard."""

    template_name = "publishing/admin/crosspost_action.html"

    def dispatch(self, request, pk: int):
        self.row = get_object_or_404(CrossPost.objects.select_related("account"), pk=pk)
        if self.row.page_id is None:
            raise Http404("The page is gone.")
        self.page = get_object_or_404(Page, pk=self.row.page_id)
        if not self.page.permissions_for_user(request.user).can_edit():
            raise PermissionDenied
        self.back = reverse("wagtailadmin_pages:edit", args=[self.page.pk])
        return super().dispatch(request, pk)

    def get(self, request, pk):
        return TemplateResponse(
            request,
            self.template_name,
            {
                "row": self.row,
                "action": {"label": "Ask comms to retry"},
                "next_url": f"{self.back}#tab-social",
                "page_title": f"Ask comms to retry: {self.row}",
            },
        )

    def post(self, request, pk):
        if actions.ask_for_retry(self.row, request.user):
            messages.success(
                request,
                f"Comms have been asked to retry {self.row}; it is in the page's "
                "history and on their dashboard.",
            )
        else:
            messages.warning(
                request,
                f"Nothing was asked: {self.row} is now "
                f"“{self.row.get_state_display()}”.",
            )
        return redirect(f"{self.back}#tab-social")
