"""Local development: ``make run``."""

from datetime import timedelta

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-not-secret-council-publishing")
ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Sign-in throttling stays on, so the lockout page can be seen, but generous.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=1))

# make run writes a key here on first start (manage.py devkey).
_key_file = VAR_DIR / "token_encryption.key"
if not env("TOKEN_ENCRYPTION_KEY", default="") and _key_file.exists():
    TOKEN_ENCRYPTION_KEY = _key_file.read_text().strip()
