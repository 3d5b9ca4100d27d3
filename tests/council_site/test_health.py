"""/health/ (readiness: database, broker, workers, beat) and /health/live/.
Times are fixed by passing ``now`` or by writing heartbeats with old times."""

from datetime import timedelta
from functools import partial

import pytest
from celery import Celery
from django.db.utils import ConnectionHandler
from django.utils import timezone

from council_site.core.health import CHECKS, check_broker, check_database, readiness
from publishing.models import PeriodicRun, WorkerHeartbeat

EVERY_QUEUE = "celery,crosspost,uploads"


def seen(ago, queues=EVERY_QUEUE, hostname="worker@one", now=None):
    now = now or timezone.now()
    WorkerHeartbeat.objects.create(
        hostname=hostname, seen_at=now - ago, started_at=now - ago, queues=queues
    )


def swept(ago, now=None):
    PeriodicRun.objects.create(
        name=PeriodicRun.SWEEP, ran_at=(now or timezone.now()) - ago
    )


@pytest.fixture
def running(db):
    """A worker taking every queue and a sweep, both 30 seconds ago."""
    seen(timedelta(seconds=30))
    swept(timedelta(seconds=30))


def test_live_answers_whatever_the_parts_do(client, db):
    response = client.get("/health/live/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_every_part_is_running(client, running):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "worker": "ok", "beat": "ok"},
    }
    assert response["Cache-Control"] == "no-store"


def test_a_worker_silent_for_three_minutes_is_named(client, db):
    seen(timedelta(minutes=3))
    swept(timedelta(seconds=30))

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert response.json()["checks"] == {
        "database": "ok",
        "broker": "ok",
        "worker": "no worker seen for 3 minutes",
        "beat": "ok",
    }


def test_no_worker_ever_seen_fails(db):
    assert readiness()["checks"]["worker"] == "no worker has been seen"


def test_a_queue_no_running_worker_takes_fails(db):
    now = timezone.now()
    seen(timedelta(seconds=10), queues="celery,crosspost", now=now)
    seen(timedelta(minutes=5), queues="uploads", hostname="uploads@two", now=now)
    swept(timedelta(seconds=10), now=now)

    result = readiness(now)

    assert result["status"] == "failing"
    assert result["checks"]["worker"] == "no running worker takes uploads"


def test_beat_counts_as_stopped_two_minutes_after_its_last_sweep(db):
    now = timezone.now()
    seen(timedelta(seconds=10), now=now)
    swept(timedelta(seconds=0), now=now)

    assert readiness(now + timedelta(seconds=110))["status"] == "ok"
    later = readiness(now + timedelta(minutes=3))
    assert later["status"] == "failing"
    assert later["checks"]["beat"] == "the sweeper last ran 3 minutes ago"
    assert later["checks"]["worker"] == "no worker seen for 3 minutes"


def test_a_database_that_cannot_be_opened_fails_without_saying_why(tmp_path, db):
    broken = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(tmp_path / "missing" / "council.sqlite3"),
            }
        }
    )["default"]

    result = readiness(
        checks={**CHECKS, "database": partial(check_database, connection=broken)}
    )

    assert result["status"] == "failing"
    assert result["checks"]["database"] == "unreachable"


def test_a_broker_that_refuses_connections_fails(db):
    # Nothing listens on port 1: the connection is refused at once.
    down = Celery(broker="redis://127.0.0.1:1/0", set_as_current=False)

    result = readiness(checks={"broker": partial(check_broker, app=down)})

    assert result == {"status": "failing", "checks": {"broker": "unreachable"}}


def test_healthchecks_by_address_over_http_are_answered_in_production(
    client, running, settings
):
    # As docker-compose asks gunicorn: plain http, the container's address.
    settings.ALLOWED_HOSTS = ["www.exampleshire.gov.uk"]
    settings.SECURE_SSL_REDIRECT = True

    for path in ("/health/", "/health/live/"):
        response = client.get(path, HTTP_HOST="127.0.0.1:8000")
        assert response.status_code == 200, path
    assert client.get("/", HTTP_HOST="127.0.0.1:8000").status_code == 400
