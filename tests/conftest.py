"""Shared fixtures. The sandbox and the Celery worker are real processes or
servers reached over the network, never mocks."""

pytest_plugins = ["tests.sandbox_fixtures", "tests.worker_fixtures"]
