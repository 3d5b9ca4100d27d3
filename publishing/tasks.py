"""Celery tasks: thin wrappers that load by id and call publishing.services."""

from celery import shared_task
from django.utils import timezone

from . import feeds, metrics, services
from .models import WorkerHeartbeat


def _owner(task) -> str:
    return f"{task.request.hostname}:{task.request.id}"


@shared_task(bind=True, ignore_result=True, acks_late=True)
def deliver_crosspost(self, row_id: int) -> None:
    """Send one outbox row (text and image posts: the ``crosspost`` queue)."""
    services.deliver(row_id, _owner(self))


@shared_task(bind=True, ignore_result=True, acks_late=True)
def deliver_upload(self, row_id: int) -> None:
    """Send one outbox row with a video (the ``uploads`` queue)."""
    services.deliver(row_id, _owner(self))


@shared_task(ignore_result=True)
def sweep_crossposts() -> int:
    """Re-enqueue due rows: retries, expired leases, anything the broker lost."""
    return services.sweep()


@shared_task(ignore_result=True)
def refresh_tokens() -> int:
    return services.refresh_expiring_tokens()


@shared_task(ignore_result=True)
def refresh_feeds() -> int:
    """Copy each connected account's recent posts for the site's feeds."""
    return sum(result.ok for result in feeds.refresh_all())


@shared_task(ignore_result=True)
def refresh_metrics() -> int:
    """Store likes, shares, comments and views of the last 30 days' posts."""
    return metrics.refresh_metrics().updated


@shared_task(bind=True, ignore_result=True)
def record_worker_heartbeat(self) -> None:
    """Note that a worker is alive and consuming the queue."""
    WorkerHeartbeat.objects.update_or_create(
        hostname=self.request.hostname or "unknown",
        defaults={"seen_at": timezone.now()},
    )
