"""``/health/`` and ``/health/live/``, for the compose file's healthchecks, a
load balancer and monitoring.

``/health/live/`` answers 200 whenever the process answers. ``/health/`` is
readiness: 200 when every check passes, else 503, with a small JSON body
naming each check and, for one that fails, why::

    {"status": "failing", "checks": {"database": "ok", "broker": "ok",
     "worker": "no worker seen for 7 minutes", "beat": "ok"}}

The checks: the database answers a query, the broker accepts a connection, a
worker has noted itself alive within two minutes and every queue has one
(:func:`publishing.health.worker_health`), and beat's sweeper has run within
two minutes (:func:`publishing.health.sweeper_health`). A check that raises
fails with a short reason; the error itself goes to the log, not to whoever
asked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from council_site.celery import app as celery_app
from publishing.health import sweeper_health, worker_health

logger = logging.getLogger(__name__)

#: How long the broker check waits for a connection, in seconds.
BROKER_TIMEOUT = 2.0


def check_database(now: datetime, connection=None) -> str | None:
    """``None`` if the database answers ``SELECT 1``."""
    with (connection or connections["default"]).cursor() as cursor:
        cursor.execute("SELECT 1")
    return None


def check_broker(now: datetime, app=None) -> str | None:
    """``None`` if the broker accepts a connection within ``BROKER_TIMEOUT``."""
    with (app or celery_app).connection_for_write() as connection:
        connection.ensure_connection(
            max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT
        )
    return None


def check_worker(now: datetime) -> str | None:
    """Why no worker is ready: none seen within two minutes, or a queue that
    no worker seen within them takes."""
    health = worker_health(now)
    if health["seen"] is None:
        return "no worker has been seen"
    if health["stale"]:
        return f"no worker seen for {health['minutes']} minutes"
    if health["unattended"]:
        queues = ", ".join(queue["queue"] for queue in health["unattended"])
        return f"no running worker takes {queues}"
    return None


def check_beat(now: datetime) -> str | None:
    """Why beat counts as stopped: its sweeper has not run within its time."""
    health = sweeper_health(now)
    if not health["stale"]:
        return None
    if health["seen"] is None:
        return "the sweeper has never run"
    return f"the sweeper last ran {health['minutes']} minutes ago"


CHECKS: dict[str, Callable[[datetime], str | None]] = {
    "database": check_database,
    "broker": check_broker,
    "worker": check_worker,
    "beat": check_beat,
}


def readiness(now: datetime | None = None, checks=None) -> dict:
    """Run ``checks`` (name to check, default :data:`CHECKS`) at ``now``:
    ``{"status": "ok" | "failing", "checks": {name: "ok" | reason}}``."""
    now = now or timezone.now()
    results = {}
    for name, check in (checks or CHECKS).items():
        try:
            results[name] = check(now) or "ok"
        except Exception:
            logger.warning("Health check %s failed", name, exc_info=True)
            results[name] = "unreachable"
    failing = any(result != "ok" for result in results.values())
    return {"status": "failing" if failing else "ok", "checks": results}


def ready(request: HttpRequest) -> JsonResponse:
    body = readiness()
    return _answer(body, 503 if body["status"] != "ok" else 200)


def live(request: HttpRequest) -> JsonResponse:
    return _answer({"status": "ok"}, 200)


def _answer(body: dict, status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answers the health paths before any other middleware.

    A healthcheck asks gunicorn directly, over plain http and by its container
    address: answered as a page, it would be redirected to https
    (``SECURE_SSL_REDIRECT``) or refused for its Host (``ALLOWED_HOSTS``), and
    would open a session for nothing."""

    PATHS = {"/health/": ready, "/health/live/": live}

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        view = self.PATHS.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)
