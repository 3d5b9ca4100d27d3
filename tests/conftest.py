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



def _long(item) -> bool:
    """The short soak and the browser tests: a few seconds to a minute each."""
    return bool(item.get_closest_marker("browser")) or (
        item.get_closest_marker("integration") is not None
        and "test_soak" in item.nodeid
    )


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    flagged = marker is not None and (
        marker.kwargs.get("transaction") or (marker.args and marker.args[0])
    )
    fixtures = getattr(item, "fixturenames", ())
    return bool(flagged) or "transactional_db" in fixtures or "live_server" in fixtures


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Start the long tests as early as the database allows: pytest-django runs
    the tests in a rolled-back transaction first and the transactional ones
    (which empty the tables) after, so the long ones, all transactional, go
    first among those. xdist hands tests out in this order, two at a time as
    each process asks for more (``--dist load --maxschedchunk 2``, the
    Makefile): the long ones spread over the processes while the quick ones
    still fill them, and each process runs its tests in this order. (Stealing
    from another's queue, ``--dist worksteal``, broke that order: a process
    that had already run transactional tests, and so emptied its tables, could
    take tests that expect the migrations' data.)"""
    long = [item for item in items if _long(item)]
    if not long:
        return
    rest = [item for item in items if not _long(item)]
    at = next((n for n, item in enumerate(rest) if _transactional(item)), len(rest))
    long.sort(key=lambda item: "test_soak" not in item.nodeid)  # the soak first
    items[:] = rest[:at] + long + rest[at:]
