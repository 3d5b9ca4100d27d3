"""One migrated test database per run, copied for each test process.

Migrating a new database costs about 17 s of CPU (Django renders the state of
every app's migrations). pytest-django would migrate one per test process; here
the first process to arrive migrates a *template* under a file lock, and every
process (each pytest-xdist worker, or the only one) works on a copy of it:
PostgreSQL copies with ``CREATE DATABASE … TEMPLATE``, SQLite with a file copy,
both through Django's ``clone_test_db``. Nobody connects to the template, so
the short soak can copy it too (``migrated_template``).

A small state file beside the lock says which run the template belongs to and
how many processes still use it; the last one to leave drops it. A template left
by a run that died is migrated again by the next run (its run id differs).

Under pytest-xdist the controller starts migrating the template in a process
of its own (``python -m tests.database_fixtures``) before the workers start, so
the migration overlaps their start-up and collection instead of following it;
if that process fails, the first worker migrates instead.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

# pytest-xdist gives every worker of one run the same id; a run without xdist
# has a single process and migrates its own template.
RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
CLONE_SUFFIX = os.environ.get("PYTEST_XDIST_WORKER") or "main"


@contextmanager
def _template_state():
    """The shared state ({"run": ..., "users": n}) under an exclusive lock."""
    folder = Path(settings.TEST_SHARED_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "template.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = folder / "template.json"
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            state = {}
        yield state
        path.write_text(json.dumps(state))


def _ensure_template(state: dict) -> None:
    """Migrate the run's template unless this run's is there already. The
    caller holds the lock (``state``) and Django is set up."""
    from django.db import connection

    if state.get("run") == RUN_ID:
        return
    _forget_log(connection, connection.settings_dict["TEST"]["NAME"])
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    # Closed before the lock is let go: SQLite's file then holds every page
    # (none left in its write-ahead log), and PostgreSQL copies a template only
    # while nobody is connected to it.
    connection.close()
    state.clear()
    state.update(run=RUN_ID, users=0)


def pytest_configure(config):
    """In xdist's controller, start migrating the template before the workers
    start (they share the run id given here)."""
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", 0):
        return
    if config.option.testrunuid is None:
        config.option.testrunuid = uuid.uuid4().hex
    env = {**os.environ, "PYTEST_XDIST_TESTRUNUID": config.option.testrunuid}
    config.stash[_BUILDER] = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "tests.database_fixtures"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
    )


def pytest_unconfigure(config):
    builder = config.stash.get(_BUILDER, None)
    if builder is not None:
        builder.wait()


_BUILDER = pytest.StashKey[subprocess.Popen]()


def _serialized_rollback_wanted(items) -> bool:
    return any(
        marker.kwargs.get("serialized_rollback")
        for item in items
        for marker in item.iter_markers("django_db")
    )


def _forget_log(connection, name: str) -> None:
    """Remove an SQLite database's write-ahead log and its index, which a
    process killed with the file open leaves behind: beside a new file of
    the same name, SQLite would replay the old one's pages into it."""
    if connection.vendor == "sqlite":
        for companion in ("-wal", "-shm", "-journal"):
            Path(f"{name}{companion}").unlink(missing_ok=True)


def _drop(connection, name: str, original: str) -> None:
    connection.settings_dict["NAME"] = name
    connection.creation.destroy_test_db(old_database_name=original, verbosity=0)
    _forget_log(connection, name)


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker):
    """Replaces pytest-django's fixture of the same name: the session's test
    database is a copy of the run's template, dropped at the end."""
    from django.db import connection

    original = connection.settings_dict["NAME"]
    template = connection.settings_dict["TEST"]["NAME"]
    with django_db_blocker.unblock():
        with _template_state() as state:
            _ensure_template(state)
            connection.settings_dict["NAME"] = template
            state["users"] += 1
        # Counted as a user, so nobody drops the template while it is copied.
        copy = connection.creation.get_test_db_clone_settings(CLONE_SUFFIX)["NAME"]
        _forget_log(connection, copy)
        connection.creation.clone_test_db(suffix=CLONE_SUFFIX, verbosity=0)
        connection.settings_dict["NAME"] = copy
        settings.DATABASES[connection.alias]["NAME"] = copy
        if _serialized_rollback_wanted(request.session.items):
            connection._test_serialized_contents = (
                connection.creation.serialize_db_to_string()
            )

    yield

    def drop(name: str) -> None:
        try:
            _drop(connection, name, original)
        except Exception as error:  # noqa: BLE001 - the next run replaces it
            request.node.warn(pytest.PytestWarning(f"could not drop {name}: {error!r}"))

    with django_db_blocker.unblock():
        drop(copy)
        with _template_state() as state:
            state["users"] = state.get("users", 1) - 1
            if state["users"] <= 0 and state.get("run") == RUN_ID:
                drop(template)
                state.clear()


@pytest.fixture
def migrated_template(django_db_setup) -> str:
    """The run's migrated template database (a PostgreSQL name or an SQLite
    file), which nobody is connected to: a new database can copy it."""
    return str(settings.DATABASES["default"]["TEST"]["NAME"])


if __name__ == "__main__":
    # The controller's early migration (pytest_configure): the lock is taken
    # before Django starts, so no worker can get in first.
    with _template_state() as state:
        import django

        django.setup()
        _ensure_template(state)
