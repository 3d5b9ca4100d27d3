"""A real Celery worker process for integration tests.

The worker runs ``celery -A council_site worker`` with the test settings, opens the
database pytest created and consumes the configured broker (Redis in CI, the
filesystem transport otherwise). Tests that use it need committed data, so they use
``transactional_db``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
QUEUES = "crosspost,uploads,celery"


def purge_broker() -> None:
    """Start from an empty broker so no message of an earlier run is consumed."""
    if settings.CELERY_BROKER_URL.startswith("redis"):
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    else:
        shutil.rmtree(settings.CELERY_BROKER_DIR, ignore_errors=True)
        for folder in ("queue", "control", "processed"):
            (settings.CELERY_BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)


class WorkerProcess:
    """Start, stop and kill one worker process."""

    def __init__(self, database_name: str, extra_env: dict[str, str] | None = None):
        self.database_name = database_name
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.log_path = ROOT / "var" / f"test-worker-{os.getpid()}.log"

    def start(self) -> WorkerProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "council_site.settings.test",
            "WORKER_DATABASE_NAME": str(self.database_name),
            **self.extra_env,
        }
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "council_site", "worker",
                "--loglevel", "INFO", "--concurrency", "2", "-Q", QUEUES,
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker (parent and pool children), like an OOM kill."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def wait_for(condition, timeout: float = 30.0, interval: float = 0.1, message=""):
    """Poll ``condition`` until it returns something truthy, or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    if callable(message):
        message = message()
    pytest.fail(message or f"condition not met within {timeout}s")


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """One worker for the session, started after the test database exists."""
    from django.db import connection

    purge_broker()
    worker = WorkerProcess(connection.settings_dict["NAME"]).start()
    yield worker
    worker.stop()
