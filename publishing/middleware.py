"""Each change made in the Wagtail admin is one transaction.

Wagtail's page editor publishes in autocommit mode: the page is saved live, and
then the ``page_published`` receivers write the outbox in a transaction of their
own. If anything failed in between, the page would be live with no cross-posts
and nothing would ever send them. Wrapping the admin's writes makes the page,
its revision, its log entries and its outbox rows commit together or not at all
(DESIGN.md: the receiver runs inside the publish transaction), and the delivery
tasks are sent only once they have: after the response, so the editor never
waits for the broker (:mod:`publishing.after_response`).
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from . import after_response
from .page_mixins import publishing_as

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AtomicAdminWritesMiddleware:
    """Run every admin request that changes something in one transaction.

    Reads are left alone (a transaction would only cost them a round trip and, on
    SQLite, the write lock). An error anywhere below this middleware comes back
    as a 500 response rather than an exception, so a response of 500 or above
    rolls the transaction back.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = None

    def __call__(self, request):
        if request.method not in WRITE_METHODS or not self._in_admin(request):
            return self.get_response(request)
        after_response.hold_until_response()
        # Whoever makes an admin change publishes what it publishes. Wagtail's
        # page editor does not tell the page_published receiver who publishes;
        # without this it would look in page history for who scheduled the
        # revision, a query in every publish.
        user = request.user if request.user.is_authenticated else None
        with publishing_as(user), transaction.atomic():
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response

    def _in_admin(self, request) -> bool:
        if self.admin_prefix is None:
            self.admin_prefix = reverse("wagtailadmin_home")
        return request.path.startswith(self.admin_prefix)


class ApprovalNoteMiddleware:
    """Wagtail's workflow action view (a moderator's "Approve" from the
    dashboard's "Awaiting your review") publishes a page without the page
    editor's hooks, so nothing there would say where the page is being posted,
    or that a post of it was held or not sent. After it, the moderator is told
    as an editor who publishes is (:func:`views.status.add_approval_note`).
    It runs once the change has committed (it sits outside
    :class:`AtomicAdminWritesMiddleware`), and inside Django's messages, which
    keep what it says for the next page."""

    VIEW_NAME = "wagtailadmin_pages:workflow_action"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (
            request.method == "POST"
            and match is not None
            and match.view_name == self.VIEW_NAME
            and response.status_code < 400
        ):
            from .views.status import add_approval_note

            add_approval_note(request, match.kwargs["page_id"])
        return response
