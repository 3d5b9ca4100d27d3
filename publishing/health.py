"""Whether the background parts are running, for the dashboard and the
``crossposts`` command: a stopped worker, a queue no running worker takes, or a
stopped beat shows, instead of posts waiting silently."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import PeriodicRun, WorkerHeartbeat

#: How long without a word from any worker before the dashboard warns.
WORKER_SILENCE = timedelta(minutes=2)

#: What each queue carries, in the words of the dashboard's warnings.
QUEUE_CONTENTS = {
    "crosspost": _("text and image posts"),
    "uploads": _("video uploads"),
    "celery": _("the sweeper and other scheduled jobs"),
}


def worker_health(now: datetime | None = None) -> dict:
    """When a worker was last seen, whether that is too long ago, and
    ``unattended``: the queues (``COUNCIL_TASK_QUEUES``) that no worker seen
    within that time takes, each with what it carries and when a worker taking
    it was last seen (``seen`` is ``None`` if none ever was).

    A heartbeat that names no queues comes from before workers said which they
    take, and counts for all."""
    now = now or timezone.now()
    heartbeats = list(WorkerHeartbeat.objects.values_list("queues", "seen_at"))
    last_seen: dict[str, datetime] = {}
    for queues, seen in heartbeats:
        for name in queues.split(",") if queues else settings.COUNCIL_TASK_QUEUES:
            last_seen[name] = max(seen, last_seen.get(name, seen))
    health = _health(
        max((seen for _queues, seen in heartbeats), default=None), now, WORKER_SILENCE
    )
    health["unattended"] = [
        {"queue": name, "carries": QUEUE_CONTENTS.get(name, name), **queue}
        for name in settings.COUNCIL_TASK_QUEUES
        if (queue := _health(last_seen.get(name), now, WORKER_SILENCE))["stale"]
    ]
    return health


def sweeper_silence() -> timedelta:
    """How long without a sweep before it counts as stopped: four of beat's
    intervals, and never under two minutes."""
    interval = timedelta(
        seconds=settings.CELERY_BEAT_SCHEDULE["sweep-crossposts"]["schedule"]
    )
    return max(4 * interval, timedelta(minutes=2))


def sweeper_health(now: datetime | None = None) -> dict:
    """When the sweeper (sent by Celery beat) last ran, and whether that is too
    long ago: without it, retries and posts the broker lost are never sent.

    A sweeper that has never run counts as stopped only once a worker has been
    up for as long as a stopped sweeper may be silent: on a new installation,
    beat sends the first sweep some seconds after it starts, and until then
    nothing is wrong. With no worker start on record, it counts as stopped."""
    now = now or timezone.now()
    silence = sweeper_silence()
    health = _health(PeriodicRun.last(PeriodicRun.SWEEP), now, silence)
    if health["seen"] is None:
        started = WorkerHeartbeat.objects.aggregate(first=Min("started_at"))["first"]
        health["stale"] = started is None or now - started > silence
    return health


def _health(seen: datetime | None, now: datetime, silence: timedelta) -> dict:
    if seen is None:
        return {"seen": None, "seconds": None, "minutes": None, "stale": True}
    seconds = max(int((now - seen).total_seconds()), 0)
    return {
        "seen": seen,
        "seconds": seconds,
        "minutes": seconds // 60,
        "stale": now - seen > silence,
    }
