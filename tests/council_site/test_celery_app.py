"""Workers keep their database connection between tasks, as requests do.

Celery's Django support closes the connection around every task unless told
otherwise; a new PostgreSQL connection for each cross-post costs a server process
and milliseconds. These tests drive the same hooks a worker runs around a task:
Celery's own (``DjangoWorkerFixup``) and the project's (council_site/celery.py).
"""

import time

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import connection

from council_site.celery import app
from publishing.tasks import record_worker_heartbeat


def _run_task_hooks(fixup: DjangoWorkerFixup) -> None:
    """What a worker does around one task, with one query in the middle."""
    task = record_worker_heartbeat
    fixup.on_task_prerun(sender=task)
    task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    fixup.on_task_postrun(sender=task)
    task_postrun.send(sender=task, task_id="t", task=task, args=(), kwargs={})


@pytest.fixture
def kept_connections(monkeypatch):
    """A fresh connection with the CONN_MAX_AGE that PostgreSQL deployments use
    (SQLite, the embedded default, opens one per task on purpose)."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    connection.close()
    connection.ensure_connection()
    yield
    connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_keeps_its_database_connection_from_one_task_to_the_next(
    kept_connections,
):
    fixup = DjangoWorkerFixup(app)
    opened = connection.connection

    for _task in range(5):
        _run_task_hooks(fixup)

    assert connection.connection is opened


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_connection_past_its_age_is_replaced_before_the_next_task(
    kept_connections,
):
    fixup = DjangoWorkerFixup(app)
    opened = connection.connection
    connection.close_at = time.monotonic() - 1

    _run_task_hooks(fixup)

    assert connection.connection is not None
    assert connection.connection is not opened


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="terminates a PostgreSQL backend"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_kept_connection_the_server_dropped_is_replaced_before_the_task_uses_it(
    kept_connections,
):
    """A database restart or an idle timeout between two tasks costs nothing."""
    fixup = DjangoWorkerFixup(app)
    opened = connection.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    finally:
        other.close()

    _run_task_hooks(fixup)  # its query would fail on the dropped connection

    assert connection.connection is not opened


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_run_eagerly_leaves_its_callers_transaction_alone(kept_connections):
    from django.db import transaction

    from publishing.models import WorkerHeartbeat

    with transaction.atomic():
        record_worker_heartbeat.apply()
        assert connection.in_atomic_block
        assert WorkerHeartbeat.objects.exists()


def test_the_app_reads_every_celery_setting_django_has():
    from django.conf import settings

    def in_celery(name: str):
        return app.conf.get(name.removeprefix("CELERY_").lower())

    names = [name for name in dir(settings) if name.startswith("CELERY_")]
    assert "CELERY_BROKER_URL" in names and "CELERY_TASK_ROUTES" in names
    mismatched = {
        name: (in_celery(name), getattr(settings, name))
        for name in names
        if in_celery(name) != getattr(settings, name)
    }
    assert mismatched == {}
    # What the settings leave out is Celery's default, as before.
    assert app.conf.task_default_exchange_type == "direct"
