"""Tests: PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set (CI), else
SQLite and the filesystem broker. Nothing here reaches the internet."""

import os
import re
from urllib.parse import urlsplit

from .base import *  # noqa: F403
from .base import (
    DATABASES,
    SANDBOX_URL,
    SOCIAL_CHANNELS,
    VAR_DIR,
    filesystem_broker_options,
)

SECRET_KEY = "test-only-not-secret"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]
# A fixed throwaway key: tests check that tokens are stored encrypted.
TOKEN_ENCRYPTION_KEY = "u5HGm8ab1s1XvJmSjVYdVwGqkFK2wGkLlbF6H5AOE9Y="  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Sign-in throttling is off, so that tests signing in many times never lock
# each other out; tests/council_site/test_login_throttle.py turns it on.
AXES_ENABLED = False
WAGTAILADMIN_BASE_URL = "http://testserver"
# TEST_RUN_NAME keeps two suites on one checkout (e.g. two terminals) apart.
# pytest-xdist runs the suite in several processes (PYTEST_XDIST_WORKER "gw0",
# "gw1"...; the Celery workers they start inherit it): each gets a folder, a
# sandbox port and a Redis database of its own, and a copy of the run's test
# database (tests/database_fixtures.py).
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
XDIST_INDEX = int(XDIST_WORKER[2:]) if XDIST_WORKER[2:].isdigit() else 0
TEST_RUN_NAME = os.environ.get("TEST_RUN_NAME", "test-run")
TEST_DIR = VAR_DIR / "-".join(filter(None, [TEST_RUN_NAME, XDIST_WORKER]))
TEST_DIR.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = str(TEST_DIR / "media")

# The run's processes share one migrated template database (a file, not memory:
# it is copied, and the Celery worker process under test opens the copy too);
# each works on a copy of its own (tests/database_fixtures.py).
TEST_SHARED_DIR = VAR_DIR / TEST_RUN_NAME
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_SHARED_DIR / "template.sqlite3")}
else:
    _run = re.sub(r"\W", "_", TEST_RUN_NAME)
    _name = DATABASES["default"]["NAME"]
    DATABASES["default"]["TEST"] = {"NAME": f"test_{_name}_{_run}"}

# Short leases and backoff so fault tests finish in seconds, not minutes.
CROSSPOST_LEASE_SECONDS = int(os.environ.get("CROSSPOST_LEASE_SECONDS", "6"))
CROSSPOST_UPLOAD_LEASE_SECONDS = 30
CROSSPOST_LEASE_MARGIN_SECONDS = 2  # the channels' test TIMEOUT below
CROSSPOST_RETRY_BASE_SECONDS = 0.5
CROSSPOST_RETRY_MAX_SECONDS = 2.0
CROSSPOST_RETRY_WINDOW_SECONDS = int(
    os.environ.get("CROSSPOST_RETRY_WINDOW_SECONDS", "15")
)

# The sandbox that tests start (tests/sandbox_fixtures.py) listens on its own port,
# so a `make run` sandbox on 8700 can keep running beside the suite.
TEST_SANDBOX_PORT = int(os.environ.get("TEST_SANDBOX_PORT", "8799")) - XDIST_INDEX
_TEST_SANDBOX_URL = f"http://127.0.0.1:{TEST_SANDBOX_PORT}"
SANDBOX_HOSTS = [urlsplit(_TEST_SANDBOX_URL).netloc]
for _channel in SOCIAL_CHANNELS.values():
    for _key, _value in list(_channel.items()):
        if isinstance(_value, str) and _value.startswith(SANDBOX_URL):
            _channel[_key] = _TEST_SANDBOX_URL + _value[len(SANDBOX_URL) :]
        if _key in ("MEDIA_HOSTS", "LINK_HOSTS"):
            _channel[_key] = SANDBOX_HOSTS
    # Short timeouts so hang faults are found quickly.
    _channel["TIMEOUT"] = float(os.environ.get("CHANNEL_TIMEOUT", "2"))

# Posts are recorded while the sandbox still processes their video (5 s); the
# adapter's tests of processing follow it with adapters of their own.
SOCIAL_CHANNELS["youtube"]["OPTIONS"]["processing_wait"] = 0.0

# The Celery worker under test is a separate process: it must open the database
# that pytest created (tests/worker_fixtures.py passes its name) and share a
# broker folder of its own when there is no Redis.
if os.environ.get("WORKER_DATABASE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["WORKER_DATABASE_NAME"]
CELERY_BROKER_DIR = TEST_DIR / "broker"
if XDIST_INDEX and CELERY_BROKER_URL.startswith("redis"):  # noqa: F405
    # The next Redis databases after the configured one, one per process.
    _redis = urlsplit(CELERY_BROKER_URL)  # noqa: F405
    _database = int(_redis.path.strip("/") or 0) + XDIST_INDEX
    CELERY_BROKER_URL = _redis._replace(path=f"/{_database}").geturl()
if CELERY_BROKER_URL.startswith("filesystem"):  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(CELERY_BROKER_DIR)

# A cache of this run's own, shared by the test process and its worker: a cache
# left by another run would hold image renditions of a different database.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(TEST_DIR / "cache"),
    }
}
