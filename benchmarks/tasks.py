"""A Celery task that does nothing but one database write: the baseline a
cross-post's round trip is compared with."""

from celery import shared_task
from django.utils import timezone

from publishing.models import WorkerHeartbeat


@shared_task(ignore_result=True)
def touch(key: str) -> None:
    """Record ``key``; the benchmark sees completion the way it sees a post."""
    WorkerHeartbeat.objects.create(hostname=key, seen_at=timezone.now())
