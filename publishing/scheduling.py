"""Scheduled publishing that no single page can stop, and that says when it is late.

Wagtail's ``publish_scheduled`` command publishes every revision whose go-live time
has passed and unpublishes every page whose expiry has passed, in one loop: the
first page that cannot be published (its scheduled slug now taken by a sibling,
say) raises, and every page after it waits, every minute, for ever, with nothing
shown to anyone. Here each page is published or unpublished in a transaction of
its own; one that fails is reported and left for the next run, and the rest go
ahead. :func:`overdue` finds whatever is still waiting well after its time, for
whatever reason (a failing page, or beat not running at all), for the dashboard
and ``manage.py crossposts``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from wagtail.models import DraftStateMixin, Page, Revision

logger = logging.getLogger(__name__)

#: How long after its time a scheduled change may still be waiting before it is
#: reported: beat runs the command every minute.
OVERDUE_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class Failure:
    """A scheduled change that could not be made, and why, in words for editors."""

    model: str  # the verbose name: "page", or a snippet's
    object_id: str
    title: str
    action: str  # "publish" or "unpublish"
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.action} {self.model} {self.object_id} ({self.title!r}): "
            f"{self.reason}"
        )


@dataclass(frozen=True)
class Overdue:
    """A scheduled change still waiting well after its time."""

    page: Page
    action: str  # "publish" or "unpublish"
    due: datetime


def reason_for(error: Exception) -> str:
    """An error as an editor can read it: a validation error's own messages."""
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error) or type(error).__name__


def _described(obj, revision: Revision | None = None) -> tuple[str, str, str]:
    """What a failure names: "page" (or a snippet's verbose name), id, title."""
    if obj is None:  # the object went after its revision was scheduled
        return ("object", str(revision.object_id), revision.object_str)
    model = "page" if isinstance(obj, Page) else str(obj._meta.verbose_name)
    return (model, str(obj.pk), str(obj))


def _attempt(described: tuple[str, str, str], action: str, change) -> Failure | None:
    """Make one scheduled change in a transaction of its own."""
    try:
        with transaction.atomic():
            change()
    except Exception as error:  # noqa: BLE001 - any failure stays with its object
        failure = Failure(*described, action, reason_for(error))
        # A page that fails validation is the editors' to fix, and the reason
        # says it all; anything else is a fault, logged with its traceback.
        expected = isinstance(error, ValidationError)
        logger.error("Could not %s", failure, exc_info=not expected)
        return failure
    return None


def _scheduled_models() -> list:
    """Pages, and any other model with drafts (snippets), as Wagtail's command."""
    return [Page] + [
        model
        for model in apps.get_models()
        if issubclass(model, DraftStateMixin) and not issubclass(model, Page)
    ]


def unpublish_expired(now: datetime | None = None) -> list[Failure]:
    """Unpublish everything live whose expiry time has passed (a page's posts
    are retracted as for any unpublish); what could not be."""
    now = now or timezone.now()
    failures = []
    for model in _scheduled_models():
        # A list, so nothing unpublished here changes what the loop sees.
        for obj in list(
            model.objects.filter(live=True, expire_at__lt=now).order_by("expire_at")
        ):
            failure = _attempt(
                _described(obj), "unpublish",
                lambda obj=obj: obj.unpublish(
                    set_expired=True, log_action="wagtail.unpublish.scheduled"
                ),
            )
            if failure:
                failures.append(failure)
    return failures


def publish_due(now: datetime | None = None) -> list[Failure]:
    """Publish every revision whose go-live time has passed (a page's posts are
    queued as for any publish); what could not be."""
    now = now or timezone.now()
    failures = []
    for revision in Revision.objects.filter(approved_go_live_at__lt=now).order_by(
        "approved_go_live_at"
    ):
        failure = _attempt(
            _described(revision.content_object, revision), "publish",
            lambda revision=revision: revision.publish(
                log_action="wagtail.publish.scheduled"
            ),
        )
        if failure:
            failures.append(failure)
    return failures


def overdue(
    now: datetime | None = None, after: timedelta = OVERDUE_AFTER
) -> list[Overdue]:
    """Pages whose scheduled publish or expiry is more than ``after`` late,
    oldest first."""
    now = now or timezone.now()
    before = now - after
    due_revisions = Revision.page_revisions.filter(
        approved_go_live_at__lt=before
    ).values_list("object_id", "approved_go_live_at")
    publish_at = {int(page_id): at for page_id, at in due_revisions}
    pages = Page.objects.in_bulk(publish_at.keys())
    found = [
        Overdue(pages[page_id], "publish", at)
        for page_id, at in publish_at.items()
        if page_id in pages
    ]
    found += [
        Overdue(page, "unpublish", page.expire_at)
        for page in Page.objects.filter(live=True, expire_at__lt=before)
    ]
    return sorted(found, key=lambda item: item.due)
