"""Celery tasks: thin wrappers that load by id and call publishing.services."""

from celery import shared_task
from django.utils import timezone

from .models import WorkerHeartbeat


@shared_task(bind=True, ignore_result=True)
def record_worker_heartbeat(self) -> None:
    """Note that a worker is alive and consuming the queue."""
    WorkerHeartbeat.objects.update_or_create(
        hostname=self.request.hostname or "unknown",
        defaults={"seen_at": timezone.now()},
    )
