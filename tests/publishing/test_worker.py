"""A real Celery worker process receives and runs a task through the broker, and
says it is alive without beat's help."""

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from celery.signals import worker_ready
from django.db import DatabaseError
from django.utils import timezone

from publishing import heartbeat, tasks
from publishing.models import WorkerHeartbeat
from publishing.tasks import record_worker_heartbeat
from tests.worker_fixtures import QUEUES, wait_for


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_a_task_sent_through_the_broker(celery_worker_process):
    WorkerHeartbeat.objects.all().delete()
    sent_at = timezone.now()
    record_worker_heartbeat.delay()
    heartbeat = wait_for(
        lambda: WorkerHeartbeat.objects.filter(seen_at__gte=sent_at).first(),
        timeout=60,
        message="the worker never ran the task:\n" + celery_worker_process.log_tail(),
    )
    assert heartbeat.hostname.startswith("celery@")
    # It says which queues it takes: its -Q, as the pool process sees it.
    assert heartbeat.queues == ",".join(sorted(QUEUES.split(",")))


class _Consumer:
    hostname = "celery@town-hall"


@pytest.mark.django_db
def test_a_worker_notes_itself_alive_when_it_starts():
    worker_ready.send(sender=_Consumer())

    assert WorkerHeartbeat.objects.get().hostname == "celery@town-hall"


@pytest.mark.django_db
def test_a_starting_worker_forgets_workers_unseen_for_a_week():
    now = timezone.now()
    for hostname, days in [("worker@last-month", 30), ("uploads@last-week", 8),
                           ("worker@six-days-ago", 6)]:
        WorkerHeartbeat.objects.create(
            hostname=hostname, seen_at=now - timedelta(days=days), queues="crosspost"
        )

    worker_ready.send(sender=_Consumer())

    assert set(WorkerHeartbeat.objects.values_list("hostname", flat=True)) == {
        "worker@six-days-ago", "celery@town-hall"
    }


@pytest.mark.django_db
def test_a_busy_worker_notes_itself_alive_at_most_every_30_seconds(monkeypatch):
    monkeypatch.setitem(tasks._last_noted, "at", float("-inf"))
    task = tasks.refresh_metrics

    def run_a_task():
        # The handler alone: the worker's other task_postrun handlers manage the
        # database connection, which this test's transaction holds.
        tasks.note_worker_busy(sender=task, task_id="t", task=task, args=(), kwargs={})

    run_a_task()
    assert WorkerHeartbeat.objects.count() == 1
    WorkerHeartbeat.objects.all().delete()
    run_a_task()  # within 30 s: no write
    assert not WorkerHeartbeat.objects.exists()
    tasks._last_noted["at"] -= tasks.HEARTBEAT_AFTER_TASK_SECONDS + 1
    run_a_task()
    assert WorkerHeartbeat.objects.count() == 1


@pytest.mark.django_db
def test_the_timed_heartbeat_outlives_a_database_that_does_not_answer(
    monkeypatch, caplog
):
    def unanswered(hostname):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(heartbeat, "close_old_connections", lambda: None)
    monkeypatch.setattr(heartbeat, "note_alive", unanswered)
    with caplog.at_level(logging.WARNING, logger="publishing.heartbeat"):
        heartbeat.beat("uploads@town-hall")  # must not stop the worker's timer

    assert "Could not note worker uploads@town-hall alive" in caplog.text
    assert "server closed the connection" in caplog.text


class _Timer:
    def __init__(self):
        self.calls = []

    def call_repeatedly(self, seconds, function, args, priority=0):
        self.calls.append((seconds, function, args))
        return self


@pytest.mark.parametrize(("seconds", "armed"), [(30.0, True), (0, False)])
def test_each_worker_arms_a_heartbeat_timer_unless_turned_off(
    settings, seconds, armed
):
    settings.WORKER_HEARTBEAT_SECONDS = seconds
    worker = SimpleNamespace(hostname="uploads@town-hall", timer=_Timer())
    step = heartbeat.HeartbeatStep(worker)

    step.start(worker)

    expected = [(seconds, heartbeat.beat, ("uploads@town-hall",))] if armed else []
    assert worker.timer.calls == expected
