"""A real Celery worker process for integration tests.

The worker runs ``celery -A council_site worker`` with the test settings, opens the
database pytest created and consumes the configured broker (Redis in CI, the
filesystem transport otherwise). Tests that use it need committed data, so they use
``transactional_db``. After each such test, teardown waits until the worker has
finished every task before the database is flushed: a task still claiming one of
the test's rows would otherwise race the flush's ``TRUNCATE``, and PostgreSQL
settles that race by failing one of them ("deadlock detected").
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
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


def procfile_workers() -> dict[str, tuple[str, int]]:
    """Each Celery worker ``make run`` starts (Procfile.dev): its process name,
    with the queues it takes (``-Q``) and its ``--concurrency``."""
    workers = {}
    for line in (ROOT / "Procfile.dev").read_text().splitlines():
        name, _, command = line.partition(":")
        words = shlex.split(command)
        if words and words[0].endswith("celery") and "worker" in words:
            option = dict(zip(words, words[1:], strict=False))
            workers[name.strip()] = (option["-Q"], int(option["--concurrency"]))
    return workers


class WorkerProcess:
    """Start, stop and kill one worker process: by default one that takes every
    queue; ``name``, ``queues`` and ``concurrency`` start one as deployed."""

    def __init__(
        self,
        database_name: str,
        extra_env: dict[str, str] | None = None,
        *,
        name: str = "",
        queues: str = QUEUES,
        concurrency: int = 2,
    ):
        self.database_name = database_name
        self.extra_env = extra_env or {}
        self.name, self.queues, self.concurrency = name, queues, concurrency
        self.process: subprocess.Popen | None = None
        suffix = f"-{name}" if name else ""
        self.log_path = ROOT / "var" / f"test-worker{suffix}-{os.getpid()}.log"

    def start(self) -> WorkerProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "council_site.settings.test",
            "WORKER_DATABASE_NAME": str(self.database_name),
            # No timed heartbeat unless a test asks for one: committed from the
            # worker at any moment, it would land in the data of whichever
            # test runs then (tests that count workers, or expect none).
            "WORKER_HEARTBEAT_SECONDS": "0",
            **self.extra_env,
        }
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "council_site", "worker",
                *(["-n", f"{self.name}@%h"] if self.name else []),
                "--loglevel", "INFO", "--concurrency", str(self.concurrency),
                "-Q", self.queues,
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def nodename(self) -> str:
        """The worker's Celery node name (``-n``; ``celery@<host>`` by default)."""
        return f"{self.name or 'celery'}@{socket.gethostname()}"

    def pause(self) -> None:
        """Stop taking tasks from the worker's queues, staying up: far quicker
        than a stop and a start (which import Django and Wagtail again)."""
        self._consume("cancel_consumer")

    def resume(self) -> None:
        """Take tasks from the worker's queues again after :meth:`pause`."""
        self._consume("add_consumer")

    def _consume(self, command: str) -> None:
        from council_site.celery import app

        wait_for(
            lambda: app.control.ping([self.nodename], timeout=1.0),
            timeout=60,
            message=lambda: f"{self.nodename} never answered:\n{self.log_tail()}",
        )
        for queue in self.queues.split(","):
            replies = getattr(app.control, command)(
                queue, destination=[self.nodename], reply=True, timeout=5.0
            )
            assert replies, f"{self.nodename} did not answer {command} {queue}"

    def kill(self) -> None:
        """SIGKILL the whole worker (parent and pool children), like an OOM kill."""
        if self.running:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.running:
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

    def log_mark(self) -> int:
        """Where the log ends now; pass it to :meth:`log_since`."""
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, mark: int) -> str:
        """What the worker logged after ``mark``: one test's share of the log."""
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(mark)
            return log.read().decode(errors="replace")


@contextmanager
def in_place_of(session_worker: WorkerProcess, workers: list[WorkerProcess]):
    """Run ``workers`` (not yet started, each with a name of its own) instead of
    the session's worker, which takes every queue and is paused meanwhile.

    Afterwards they finish what they hold and are killed (an idle worker loses
    nothing to a SIGKILL, and a warm shutdown takes seconds), then the session's
    worker takes its queues again."""
    session_worker.pause()
    started = [worker.start() for worker in workers]
    try:
        yield started
    finally:
        for worker in started:
            wait_until_worker_idle(worker)
        for worker in started:
            worker.kill()
        session_worker.resume()


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


def queued_messages() -> int:
    """Messages waiting in the worker's queues, on whichever broker is configured.
    (Declaring a queue the worker has declared changes nothing; a passive declare
    fails on Redis while a queue is empty, as Redis deletes empty lists.)"""
    from council_site.celery import app

    with app.connection_for_write() as connection:
        channel = connection.default_channel
        return sum(
            channel.queue_declare(queue=name).message_count
            for name in QUEUES.split(",")
        )


def tasks_in_hand() -> int | None:
    """Tasks the worker is running or has prefetched; None if it does not answer."""
    from council_site.celery import app

    inspect = app.control.inspect(timeout=1.0, limit=1)
    active, reserved = inspect.active(), inspect.reserved()
    if active is None or reserved is None:
        return None
    return sum(len(tasks) for tasks in active.values()) + sum(
        len(tasks) for tasks in reserved.values()
    )


def wait_until_worker_idle(worker: WorkerProcess, timeout: float = 60.0) -> None:
    """Return once the worker holds no task and none is queued, seen twice in a
    row (a task may enqueue another as it finishes), or at once if the worker is
    not running; fail after ``timeout``."""
    quiet = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not worker.running:
            return
        if tasks_in_hand() == 0 and queued_messages() == 0:
            quiet += 1
            if quiet == 2:
                return
        else:
            quiet = 0
        time.sleep(0.1)
    pytest.fail(f"the worker was still busy {timeout}s after the test")


@pytest.fixture(scope="session")
def session_worker(django_db_setup, django_db_blocker):
    """One worker for the session, started after the test database exists."""
    from django.db import connection

    purge_broker()
    worker = WorkerProcess(connection.settings_dict["NAME"]).start()
    yield worker
    # Every test that used it waited for it to finish; a warm shutdown takes
    # seconds and would only wait for the database to be dropped.
    worker.kill()


@pytest.fixture
def celery_worker_process(session_worker):
    """The session's worker, for one test. Set up after the test's database, so
    it is torn down first: teardown lets the worker finish the test's tasks
    before the data they work on is flushed."""
    yield session_worker
    wait_until_worker_idle(session_worker)
