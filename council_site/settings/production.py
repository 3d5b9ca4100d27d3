"""Production: every secret comes from the environment, with no default."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SOCIAL_CHANNELS, env, tune_postgres

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
TOKEN_ENCRYPTION_KEY = env("TOKEN_ENCRYPTION_KEY")
# The public address: links in posts and the admin's emails are built from it,
# so a missing one fails at startup instead of posting http://127.0.0.1 links.
SITE_URL = env("SITE_URL")
WAGTAILADMIN_BASE_URL = SITE_URL
DATABASES = {"default": tune_postgres(env.db("DATABASE_URL"))}
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * 60 * 60,
    "priority_steps": [0, 5, 9],
    "queue_order_strategy": "priority",
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# SECURITY: https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
# Gunicorn is reachable only from the proxy (docker-compose.yml, deploy/nginx),
# which sets these headers itself: they come from no client.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
AXES_CLIENT_IP_CALLABLE = "council_site.core.login_throttle.forwarded_client_ip"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# A session ends after this long without a request (every request renews it),
# not two weeks after sign-in.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=2 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
if ALERT_EMAIL_BACKEND == "notify":  # noqa: F405
    NOTIFY_API_KEY = env("NOTIFY_API_KEY")
    NOTIFY_TEMPLATE_ID = env("NOTIFY_TEMPLATE_ID")

# Real platforms: the sandbox defaults of base.py must not leak into production.
# MEDIA_HOSTS are the CDNs that feed pictures come from, LINK_HOSTS the sites a
# post's permalink may point at (publishing/links.py).
SANDBOX_HOSTS: list[str] = []
_PRODUCTION_CHANNELS = {
    "facebook": lambda: {
        "API_URL": env("FACEBOOK_API_URL", default="https://graph.facebook.com"),
        "AUTHORIZE_URL": env(
            "FACEBOOK_AUTHORIZE_URL",
            default="https://www.facebook.com/v24.0/dialog/oauth",
        ),
        "TOKEN_URL": env(
            "FACEBOOK_TOKEN_URL",
            default="https://graph.facebook.com/v24.0/oauth/access_token",
        ),
        "WEB_URL": env("FACEBOOK_WEB_URL", default="https://www.facebook.com"),
        "CLIENT_ID": env("FACEBOOK_APP_ID"),
        "CLIENT_SECRET": env("FACEBOOK_APP_SECRET"),
        "MEDIA_HOSTS": env.list("FACEBOOK_MEDIA_HOSTS", default=["*.fbcdn.net"]),
        "LINK_HOSTS": env.list(
            "FACEBOOK_LINK_HOSTS",
            default=["www.facebook.com", "facebook.com", "m.facebook.com"],
        ),
    },
    "x": lambda: {
        "API_URL": env("X_API_URL", default="https://api.twitter.com"),
        "AUTHORIZE_URL": env(
            "X_AUTHORIZE_URL", default="https://x.com/i/oauth2/authorize"
        ),
        "TOKEN_URL": env("X_TOKEN_URL", default="https://api.x.com/2/oauth2/token"),
        "WEB_URL": env("X_WEB_URL", default="https://x.com"),
        "CLIENT_ID": env("X_CLIENT_ID"),
        "CLIENT_SECRET": env("X_CLIENT_SECRET"),
        "MEDIA_HOSTS": env.list(
            "X_MEDIA_HOSTS", default=["pbs.twimg.com", "video.twimg.com"]
        ),
        "LINK_HOSTS": env.list("X_LINK_HOSTS", default=["x.com", "twitter.com"]),
    },
    "youtube": lambda: {
        "API_URL": env("YOUTUBE_API_URL", default="https://youtube.googleapis.com/"),
        "AUTHORIZE_URL": env(
            "YOUTUBE_AUTHORIZE_URL",
            default="https://accounts.google.com/o/oauth2/v2/auth",
        ),
        "TOKEN_URL": env(
            "YOUTUBE_TOKEN_URL", default="https://oauth2.googleapis.com/token"
        ),
        "WEB_URL": env("YOUTUBE_WEB_URL", default="https://www.youtube.com"),
        "CLIENT_ID": env("GOOGLE_CLIENT_ID"),
        "CLIENT_SECRET": env("GOOGLE_CLIENT_SECRET"),
        "MEDIA_HOSTS": env.list(
            "YOUTUBE_MEDIA_HOSTS", default=["i.ytimg.com", "*.ytimg.com", "*.ggpht.com"]
        ),
        "LINK_HOSTS": env.list(
            "YOUTUBE_LINK_HOSTS",
            default=["www.youtube.com", "youtube.com", "m.youtube.com", "youtu.be"],
        ),
    },
    "mastodon": lambda: {
        "API_URL": env("MASTODON_INSTANCE_URL"),
        "WEB_URL": env("MASTODON_WEB_URL", default=env("MASTODON_INSTANCE_URL")),
        # The app registered by hand on that instance, if any; without it the
        # app registers itself on each instance at its first connect.
        "CLIENT_ID": env("MASTODON_CLIENT_ID", default=""),
        "CLIENT_SECRET": env("MASTODON_CLIENT_SECRET", default=""),
        # An instance serves its media from a host or CDN of its own: no default.
        "MEDIA_HOSTS": env.list("MASTODON_MEDIA_HOSTS"),
        "LINK_HOSTS": env.list(
            "MASTODON_LINK_HOSTS",
            default=[urlsplit(env("MASTODON_INSTANCE_URL")).netloc],
        ),
    },
    "bluesky": lambda: {
        "API_URL": env("BLUESKY_API_URL", default="https://bsky.social"),
        "WEB_URL": env("BLUESKY_WEB_URL", default="https://bsky.app"),
        "MEDIA_HOSTS": env.list("BLUESKY_MEDIA_HOSTS", default=["cdn.bsky.app"]),
        "LINK_HOSTS": env.list("BLUESKY_LINK_HOSTS", default=["bsky.app"]),
    },
}
#: The platforms this council posts to; only theirs are configured, so only
#: their credentials are required.
SOCIAL_PLATFORMS = env.list("SOCIAL_PLATFORMS", default=["facebook", "x", "youtube"])
_unknown = set(SOCIAL_PLATFORMS) - set(_PRODUCTION_CHANNELS)
if _unknown:
    raise ImproperlyConfigured(
        f"SOCIAL_PLATFORMS names platforms this site cannot post to: "
        f"{', '.join(sorted(_unknown))} (it can: {', '.join(_PRODUCTION_CHANNELS)})."
    )
SOCIAL_CHANNELS = {
    platform: {**SOCIAL_CHANNELS[platform], **_PRODUCTION_CHANNELS[platform]()}
    for platform in SOCIAL_PLATFORMS
}
