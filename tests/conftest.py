"""Shared fixtures. The sandbox and the Celery worker are real processes or
servers reached over the network, never mocks."""

pytest_plugins = [
    "tests.database_fixtures", "tests.sandbox_fixtures", "tests.worker_fixtures",
]


import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _empty_cache_per_run():
    """Start every run with an empty cache (it outlives the test database)."""
    from django.core.cache import cache

    cache.clear()



def _soak(item) -> bool:
    return bool(item.get_closest_marker("integration")) and "test_soak" in item.nodeid


def _long(item) -> bool:
    """The short soak (which works on a database of its own), and the browser
    tests and those marked slow that are transactional: ten seconds to a
    minute each."""
    if _soak(item):
        return True
    marked = item.get_closest_marker("browser") or item.get_closest_marker("slow")
    return bool(marked) and _transactional(item)


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    flagged = marker is not None and (
        marker.kwargs.get("transaction") or (marker.args and marker.args[0])
    )
    fixtures = getattr(item, "fixturenames", ())
    return bool(flagged) or "transactional_db" in fixtures or "live_server" in fixtures


def _serialized(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return marker is not None and bool(marker.kwargs.get("serialized_rollback"))


def _unserialized_transactional(items) -> list[str]:
    """Transactional tests that do not restore the migrations' data after
    them. Their flush writes the content types again, and the next test of
    the process that does restore it then fails on their unique key."""
    return [
        item.nodeid for item in items if _transactional(item) and not _serialized(item)
    ]


def _uses_database(item) -> bool:
    """Marked, given a fixture that needs the database, or a Django test case."""
    from django.test import TransactionTestCase

    fixtures = getattr(item, "fixturenames", ())
    test_case = getattr(item, "cls", None)
    return (
        item.get_closest_marker("django_db") is not None
        or "django_db_setup" in fixtures
        or (test_case is not None and issubclass(test_case, TransactionTestCase))
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The order xdist hands tests out in, two at a time as each process asks
    for more (``--dist load --maxschedchunk 2``, the Makefile), so each process
    runs its share in this order:

    1. Half the tests that use no database, while the migrated template the
       database tests copy is still being made (about ten seconds).
    2. The tests in a rolled-back transaction (pytest-django's first group).
    3. The long tests, the soak first: transactional tests (they empty the
       tables, so nothing of group 2 may follow them in a process) that
       start as early as that allows, spread over the processes, so that no
       process ends the run alone on one of them.
    4. The other transactional tests, the rest of those without a database
       between them. Many of these wait on real workers and servers; run side
       by side, three waiting at once would leave the cores idle, so the
       quick tests without a database fill those waits.

    (Stealing from another's queue, ``--dist worksteal``, broke this order: a
    process that had already run transactional tests, and so emptied its
    tables, could take tests that expect the migrations' data.)"""
    unserialized = _unserialized_transactional(items)
    if unserialized:
        raise pytest.UsageError(
            "Mark transactional tests django_db(transaction=True, "
            "serialized_rollback=True), so the tests after them in their process "
            "find the migrations' data: " + ", ".join(unserialized)
        )
    database, databaseless = _partition(items, _uses_database)
    half = len(databaseless) // 2
    long, rest = _partition(database, _long)
    long.sort(key=lambda item: not _soak(item))  # the soak first
    # pytest-django has put the transactional tests after the others.
    at = next((n for n, item in enumerate(rest) if _transactional(item)), len(rest))
    items[:] = (
        databaseless[:half] + rest[:at] + long
        + _interleaved(rest[at:], databaseless[half:])
    )


def _partition(items: list, test) -> tuple[list, list]:
    """``(those that pass test, the others)``, each in order."""
    passed, failed = [], []
    for item in items:
        (passed if test(item) else failed).append(item)
    return passed, failed


def _interleaved(some: list, others: list) -> list:
    """``some`` with ``others`` spread evenly between them, both in order."""
    if not some:
        return others
    merged, taken = [], 0
    for number, item in enumerate(some, start=1):
        merged.append(item)
        upto = len(others) * number // len(some)
        merged += others[taken:upto]
        taken = upto
    return merged
