"""Shared fixtures. The sandbox and the Celery worker are real processes or
servers reached over the network, never mocks."""

pytest_plugins = ["tests.sandbox_fixtures", "tests.worker_fixtures"]


import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _empty_cache_per_run():
    """Start every run with an empty cache (it outlives the test database)."""
    from django.core.cache import cache

    cache.clear()
