"""What comms managers can do to one cross-post: retry, cancel, approve, reject,
retract. Each is a POST (CSRF-protected) checked against a permission here, on
the server; GET shows a confirmation form."""

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
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from .. import actions, lifecycle
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


ACTIONS = {
    "retry": RowAction(
        "Retry now",
        "retry_crosspost",
        "retry_requested",
        lambda row, user, reason: actions.retry_now(row, user=user),
        "{row} will be sent again now.",
    ),
    "cancel": RowAction(
        "Cancel",
        "retry_crosspost",
        "cancelled",
        lambda row, user, reason: actions.cancel(row, user=user, reason=reason),
        "{row} was cancelled; it will not be sent.",
        reason="optional",
    ),
    "approve": RowAction(
        "Approve",
        "approve_crosspost",
        "approved",
        actions.approve,
        "{row} was approved and will be sent.",
        reason="required",
    ),
    "reject": RowAction(
        "Reject",
        "approve_crosspost",
        "rejected",
        actions.reject,
        "{row} was rejected; it will not be sent.",
        reason="required",
    ),
    "retract": RowAction(
        "Take down",
        "retry_crosspost",
        "retract_requested",
        lambda row, user, reason: actions.request_retract(row, user=user),
        "{row} will be taken down from the platform.",
    ),
}


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Kept in the page's history and in FOI exports.",
    )

    def __init__(self, *args, need: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if not need:
            del self.fields["reason"]
        else:
            self.fields["reason"].required = need == "required"


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

    def render(self, form):
        return TemplateResponse(
            self.request,
            self.template_name,
            {
                "row": self.row,
                "action": self.action,
                "form": form,
                "next_url": self.next_url(),
                "page_title": f"{self.action.label}: {self.row}",
            },
        )

    def get(self, request, pk, action):
        return self.render(ReasonForm(need=self.action.reason))

    def post(self, request, pk, action):
        form = ReasonForm(request.POST, need=self.action.reason)
        if not form.is_valid():
            messages.error(request, "Please give a reason.")
            return self.render(form)
        reason = form.cleaned_data.get("reason", "")
        with transaction.atomic():
            row = CrossPost.objects.select_for_update().get(pk=self.row.pk)
            if not lifecycle.allowed(row, self.action.event):
                messages.warning(
                    request,
                    f"Nothing was done: {self.row} is now “{row.get_state_display()}”.",
                )
                return redirect(self.next_url())
            try:
                self.action.perform(row, request.user, reason)
            except lifecycle.NotAllowed as refusal:
                messages.error(request, f"Nothing was done: {refusal}")
                return redirect(self.next_url())
        messages.success(request, self.action.done.format(row=self.row))
        return redirect(self.next_url())
