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
"""

from __future__ import annotations

import fcntl
import json
import os
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


def _serialized_rollback_wanted(items) -> bool:
    return any(
        marker.kwargs.get("serialized_rollback")
        for item in items
        for marker in item.iter_markers("django_db")
    )


def _drop(connection, name: str, original: str) -> None:
    connection.settings_dict["NAME"] = name
    connection.creation.destroy_test_db(old_database_name=original, verbosity=0)


_template_name = ""


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker):
    """Replaces pytest-django's fixture of the same name: the session's test
    database is a copy of the run's template, dropped at the end."""
    global _template_name
    from django.db import connection

    original = connection.settings_dict["NAME"]
    template = connection.settings_dict["TEST"]["NAME"]
    with django_db_blocker.unblock():
        with _template_state() as state:
            if state.get("run") != RUN_ID:
                connection.creation.create_test_db(
                    verbosity=0, autoclobber=True, serialize=False
                )
                state.clear()
                state.update(run=RUN_ID, users=0)
            else:
                connection.settings_dict["NAME"] = template
            state["users"] += 1
            # Closed before the lock is let go: SQLite's file then holds every
            # page (none left in its write-ahead log), and PostgreSQL copies a
            # template only while nobody is connected to it.
            connection.close()
        # Counted as a user, so nobody drops the template while it is copied.
        connection.creation.clone_test_db(suffix=CLONE_SUFFIX, verbosity=0)
        copy = connection.creation.get_test_db_clone_settings(CLONE_SUFFIX)["NAME"]
        connection.settings_dict["NAME"] = copy
        settings.DATABASES[connection.alias]["NAME"] = copy
        if _serialized_rollback_wanted(request.session.items):
            connection._test_serialized_contents = (
                connection.creation.serialize_db_to_string()
            )
        _template_name = str(template)

    yield

    with django_db_blocker.unblock():
        _drop(connection, copy, original)
        with _template_state() as state:
            state["users"] = state.get("users", 1) - 1
            if state["users"] <= 0 and state.get("run") == RUN_ID:
                try:
                    _drop(connection, template, original)
                except Exception as error:  # noqa: BLE001 - the next run replaces it
                    request.node.warn(
                        pytest.PytestWarning(f"could not drop {template}: {error!r}")
                    )
                state.clear()


@pytest.fixture
def migrated_template(django_db_setup) -> str:
    """The run's migrated template database (a PostgreSQL name or an SQLite
    file), which nobody is connected to: a new database can copy it."""
    return _template_name
