"""Page lifecycle receivers: they write the outbox inside the publish transaction
and never speak HTTP.

Each runs in the caller's transaction when there is one, without a savepoint of
its own: if a receiver fails, the publish fails with it, so a savepoint would
only cost two more round trips on every publish."""

from __future__ import annotations

from django.db import transaction
from wagtail.models import Page, PageLogEntry

from . import outbox
from .page_mixins import SocialPostingMixin, publishing_user


def page_published(sender, instance, revision=None, **kwargs):
    # The signal also fires when a first publish is only scheduled.
    if not isinstance(instance, SocialPostingMixin) or not instance.live:
        return
    with transaction.atomic(savepoint=False):
        outbox.queue_page(instance, revision, publisher(revision))


def publisher(revision):
    """Who published ``revision`` (its posts' ``published_by``, whom the
    four-eyes rule keeps from approving them): the user publishing now, not
    the revision's author, who under moderation is the editor while the
    moderator approving the workflow publishes. A scheduled revision is
    published by beat, with no user: it is the person who scheduled it, else
    its author."""
    user = publishing_user()
    if user is not None or revision is None:
        return user
    scheduled = (
        PageLogEntry.objects.filter(
            revision_id=revision.pk, action="wagtail.publish.schedule"
        )
        .exclude(user=None)
        .select_related("user")
        .order_by("-timestamp")
        .first()
    )
    return scheduled.user if scheduled else getattr(revision, "user", None)


def page_unpublished(sender, instance, **kwargs):
    if isinstance(instance, SocialPostingMixin):
        with transaction.atomic(savepoint=False):
            outbox.retract_page(instance, kwargs.get("user"))


def page_deleted(sender, instance, **kwargs):
    """Deleting a page retracts its posts first; the rows stay for the record."""
    if isinstance(instance, Page) and instance.crossposts.exists():
        with transaction.atomic(savepoint=False):
            outbox.retract_page(instance)
