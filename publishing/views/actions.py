"""What comms managers can do to one cross-post: retry, cancel, approve (with the
text edited if need be), reject, send back, retract. Each is a POST
(CSRF-protected) checked against a permission here, on the server; GET shows a
confirmation form with every field the platform would receive, the guard's
findings marked in them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views import View

from channels import registry

from .. import actions, content, guard, lifecycle
from ..models import CrossPost

State = CrossPost.State


@dataclass(frozen=True)
class RowAction:
    label: str
    permission: str  # codename on CrossPost
    event: str  # the lifecycle event it is: the table says where it applies
    perform: Callable
    done: str  # the success message; {row} is the row
    reason: str = ""  # "required", "optional" or "" (no reason field)
    explained: str = ""  # what it does, on the confirmation screen
    reason_label: str = "Reason"
    edits_text: bool = False  # the approver may edit the text sent
    # It covers the content shown: the form carries that content's hash, and
    # is refused if the row's has changed since.
    covers_content: bool = False


ACTIONS = {
    "retry": RowAction(
        "Retry now",
        "retry_crosspost",
        "retry_requested",
        lambda row, user, reason: actions.retry_now(row, user=user),
        "{row} will be sent again now.",
    ),
    "cancel": RowAction(
        "Cancel this post",
        "retry_crosspost",
        "cancelled",
        lambda row, user, reason: actions.cancel(row, user=user, reason=reason),
        "{row} was cancelled; it will not be sent.",
        reason="optional",
        explained="Cancel stops this post from being sent, whatever the reason "
        "(it is not about its content). A post an earlier attempt may have made "
        "is looked for and taken down. Publishing the page again with changes "
        "sends it again.",
    ),
    "approve": RowAction(
        "Approve and send",
        "approve_crosspost",
        "approved",
        lambda row, user, reason, text=None, shown_hash=None: actions.approve(
            row, user, reason, text, shown_hash=shown_hash
        ),
        "{row} was approved and will be sent.",
        reason="required",
        explained="Approve sends exactly the text below: edit it first if need "
        "be. The page's own text and your edit are both kept in the page's "
        "history and in FOI exports.",
        edits_text=True,
        covers_content=True,
    ),
    "reject": RowAction(
        "Reject",
        "approve_crosspost",
        "rejected",
        actions.reject,
        "{row} was rejected; it will not be sent.",
        reason="required",
        explained="Reject refuses this content under the council's protocol: it "
        "is not sent, and the reason is kept in the page's history. A post an "
        "earlier attempt may have made is looked for and taken down. Publishing "
        "the page again with changes is checked again.",
    ),
    "send_back": RowAction(
        "Send back to the editor",
        "approve_crosspost",
        "sent_back",
        actions.send_back,
        "{row} was sent back to the editor with your note.",
        reason="required",
        reason_label="Note to the editor",
        explained="Send back does not send this post: your note shows on the "
        "page's Social tab, and the editor's next publish is checked again. A "
        "post an earlier attempt may have made is looked for and taken down.",
    ),
    "retract": RowAction(
        "Take down",
        "retry_crosspost",
        "retract_requested",
        lambda row, user, reason: actions.request_retract(row, user=user),
        "{row} will be taken down from the platform.",
    ),
}


def marked(text: str, findings: list[dict]) -> list[tuple[str, str]]:
    """``text`` in ``(piece, message)`` parts: a finding's span carries its
    message, the text between carries ``""``. Overlapping spans are marked once."""
    parts, position = [], 0
    spans = sorted(
        (f for f in findings if f.get("start") is not None),
        key=lambda f: (f["start"], -f["end"]),
    )
    for finding in spans:
        if finding["start"] < position:
            continue
        parts.append((text[position : finding["start"]], ""))
        parts.append((text[finding["start"] : finding["end"]], finding["message"]))
        position = finding["end"]
    parts.append((text[position:], ""))
    return [part for part in parts if part[0]]


def outgoing_fields(row: CrossPost) -> list[dict]:
    """Every field the platform would receive from ``row``, named for people,
    in parts with the guard's findings marked (:func:`marked`)."""
    findings = row.guard_findings or []
    return [
        {
            "name": name,
            "label": guard.field_label(name).removeprefix("the ").capitalize(),
            "parts": marked(text, [f for f in findings if f.get("field") == name]),
        }
        for name, text in guard.post_fields(content.post_from_row(row))
    ]


class ReasonForm(forms.Form):
    text = forms.CharField(
        label="Text to send",
        widget=forms.Textarea(attrs={"rows": 6}),
        strip=False,
        help_text="Edit the held text here to send it changed.",
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Kept in the page's history and in FOI exports.",
    )

    # The hash of the content the screen showed: the approval covers it, and
    # only it. A POST without it (a form from before it was sent) is refused
    # like one whose content changed, since what it saw is not known.
    content_hash = forms.CharField(
        widget=forms.HiddenInput, required=False, strip=False
    )

    def clean_text(self) -> str:
        # Browsers send a textarea's lines ended with CRLF; the held text's end
        # with LF, and an untouched text is no edit.
        return self.cleaned_data["text"].replace("\r\n", "\n")

    def __init__(
        self, *args, action: RowAction, text: str = "", content_hash: str = "",
        counting_rule: str = "", **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if action.covers_content:
            self.fields["content_hash"].initial = content_hash
        else:
            del self.fields["content_hash"]
        # A POST without the text (a form from before it was offered) approves
        # the text as held.
        if action.edits_text and (not self.is_bound or "text" in self.data):
            self.fields["text"].initial = text
        else:
            del self.fields["text"]
        if counting_rule and "text" in self.fields:
            # The platform's limit, as the editor's counter says it.
            self.fields["text"].help_text += f" {counting_rule}"
        if not action.reason:
            del self.fields["reason"]
        else:
            self.fields["reason"].required = action.reason == "required"
            self.fields["reason"].label = action.reason_label


class CrossPostActionView(View):
    """GET: confirm (and ask for a reason); POST: do it and say what happened."""

    template_name = "publishing/admin/crosspost_action.html"

    def dispatch(self, request, pk: int, action: str):
        self.action = ACTIONS.get(action)
        if self.action is None:
            raise Http404("No such action.")
        if not request.user.has_perm(f"publishing.{self.action.permission}"):
            raise PermissionDenied
        self.action_name = action
        self.row = get_object_or_404(CrossPost.objects.select_related("account"), pk=pk)
        return super().dispatch(request, pk, action)

    def next_url(self) -> str:
        candidate = self.request.POST.get("next") or self.request.GET.get("next")
        if candidate and url_has_allowed_host_and_scheme(
            candidate, {self.request.get_host()}, self.request.is_secure()
        ):
            return candidate
        return reverse("publishing_admin:dashboard")

    def render(self, form, status: int = 200):
        return TemplateResponse(
            self.request,
            self.template_name,
            {
                "row": self.row,
                "action": self.action,
                "form": form,
                "next_url": self.next_url(),
                "page_title": f"{self.action.label}: {self.row}",
                "fields": outgoing_fields(self.row),
                "choices": self.other_choices(),
                "refusal": self.refusal(),
            },
            status=status,
        )

    def refusal(self) -> str | None:
        """Why this person may not approve the row (the four-eyes rule),
        said before they try; ``None`` for other actions or when they may."""
        if self.action.event != "approved":
            return None
        return actions.approval_refusal(self.row, self.request.user)

    def blank_form(self) -> ReasonForm:
        return ReasonForm(
            action=self.action, text=self.row.text,
            content_hash=self.row.content_hash, counting_rule=self.counting_rule(),
        )

    def counting_rule(self) -> str:
        """How the row's platform counts the text, and its limit."""
        return registry.get(self.row.platform).counting_rule_text()

    def other_choices(self) -> list[dict]:
        """The other things the person may do with a held post, explained, so
        the approval screen says what Reject, Send back and Cancel would do."""
        if self.action.event != "approved":
            return []
        user = self.request.user
        return [
            {
                "label": choice.label,
                "explained": choice.explained,
                "url": reverse(
                    "publishing_admin:crosspost_action", args=[self.row.pk, name]
                )
                + "?"
                + urlencode({"next": self.next_url()}),
            }
            for name, choice in ACTIONS.items()
            if choice.explained
            and choice is not self.action
            and user.has_perm(f"publishing.{choice.permission}")
            and lifecycle.allowed(self.row, choice.event)
        ]

    def get(self, request, pk, action):
        return self.render(self.blank_form())

    def post(self, request, pk, action):
        form = ReasonForm(
            request.POST, action=self.action, counting_rule=self.counting_rule()
        )
        if not form.is_valid():
            messages.error(request, "Please correct the form.")
            return self.render(form)
        reason = form.cleaned_data.get("reason", "")
        edit = {"text": form.cleaned_data["text"]} if "text" in form.fields else {}
        if self.action.covers_content:
            edit["shown_hash"] = form.cleaned_data["content_hash"]
        with transaction.atomic():
            row = CrossPost.objects.select_for_update().get(pk=self.row.pk)
            if not lifecycle.allowed(row, self.action.event):
                messages.warning(
                    request,
                    f"Nothing was done: {self.row} is now “{row.get_state_display()}”.",
                )
                return redirect(self.next_url())
            try:
                self.action.perform(row, request.user, reason, **edit)
            except actions.ContentChanged as changed:
                # The screen again, with the content as it is now to review;
                # the reason typed is kept, the text edit was of the old one.
                self.row = row
                form = self.blank_form()
                form.initial["reason"] = reason
                messages.error(request, str(changed))
                return self.render(form, status=409)
            except actions.EditRefused as refusal:
                # The edit is put right where it was made: the screen again,
                # with the text and the reason as typed.
                form.add_error("text", str(refusal))
                messages.error(request, "Please correct the form.")
                return self.render(form)
            except lifecycle.NotAllowed as refusal:
                messages.error(request, f"Nothing was done: {refusal}")
                return redirect(self.next_url())
        messages.success(request, self.action.done.format(row=self.row))
        return redirect(self.next_url())
