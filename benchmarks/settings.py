"""Settings for the benchmark and soak processes (publisher, workers and beat).

Derived from ``base``: the database, broker, sandbox URL, leases, retries,
timeouts and daily caps all come from the environment, which the scripts in
``benchmarks/`` set for a throwaway database and broker of their own.
"""

from council_site.settings.base import *  # noqa: F403
from council_site.settings.base import env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="benchmark-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WAGTAILADMIN_BASE_URL = "http://testserver"
# The no-op task the pipeline benchmark compares against lives here.
CELERY_IMPORTS = ["benchmarks.tasks"]
if env("BENCH_CACHE_DIR", default=""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env("BENCH_CACHE_DIR"),
        }
    }
