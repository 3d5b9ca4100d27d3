"""Workers note themselves alive, with the queues they take.

The dashboard and ``manage.py crossposts`` read these notes (:mod:`.health`), so
a stopped worker, or a queue that no running worker takes (the video uploads
worker down while the text worker runs), shows instead of posts waiting
silently.

A worker notes itself when it starts, every ``WORKER_HEARTBEAT_SECONDS`` from its
main process (:class:`HeartbeatStep`), after tasks and when beat asks. The timer
is what keeps a worker whose processes are all busy with long uploads, or whose
queue has no traffic today, from looking stopped.

Nothing here imports models at import time: the Celery app registers the step
before Django has loaded its apps.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import bootsteps, current_app
from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

#: A worker not seen for this long is forgotten when another starts. Each deploy
#: gives docker-compose's containers new hostnames, so without this the notes of
#: every worker that ever ran would be kept, and read by every dashboard view.
FORGET_AFTER = timedelta(days=7)


def consumed_queues(app=None) -> str:
    """The queues this worker takes (its ``-Q``), sorted and comma-separated."""
    return ",".join(sorted((app or current_app).amqp.queues.consume_from))


def note_alive(hostname: str | None, *, starting: bool = False) -> None:
    """Record that the worker ``hostname`` is alive now, and what it takes. A
    worker ``starting`` also forgets the workers unseen for ``FORGET_AFTER``."""
    from .models import WorkerHeartbeat

    now = timezone.now()
    defaults = {"seen_at": now, "queues": consumed_queues()}
    if starting:
        defaults["started_at"] = now
        WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname or "unknown", defaults=defaults
    )


class HeartbeatStep(bootsteps.StartStopStep):
    """A worker step that notes the worker alive on a timer in its main process,
    whatever its pool processes are doing."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.entry = None

    def start(self, worker) -> None:
        if settings.WORKER_HEARTBEAT_SECONDS <= 0:
            return  # turned off
        self.entry = worker.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_SECONDS, beat, (worker.hostname,), priority=10
        )

    def stop(self, worker) -> None:
        if self.entry is not None:
            self.entry.cancel()
            self.entry = None


def beat(hostname: str) -> None:
    """One timed note. A database that does not answer is logged and waited
    out: the worker keeps running, and the dashboard shows it as unseen."""
    # The main process serves no requests, so nothing else retires a
    # connection the server dropped.
    close_old_connections()
    try:
        note_alive(hostname)
    except DatabaseError as error:
        logger.warning("Could not note worker %s alive: %s", hostname, error)
