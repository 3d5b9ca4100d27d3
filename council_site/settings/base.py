"""Settings shared by every environment.

Values come from the environment through django-environ; see the README's
configuration table. The embedded defaults (SQLite, Celery's filesystem transport,
the local platform sandbox) let ``make run`` work on a machine with nothing else.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent
VAR_DIR = BASE_DIR / "var"  # git-ignored: local database, broker files, keys

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "council_site.core",
    "council_site.home",
    "council_site.policies",
    "council_site.news",
    "publishing",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_celery_beat",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "csp",
    "axes",
]

MIDDLEWARE = [
    # First: healthchecks reach gunicorn by address over http (core/health.py).
    "council_site.core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "council_site.core.csp.PublicSiteCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Turns a sign-in refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
    # Says where a page approved outside its editor is being posted, once the
    # approval has committed (publishing/middleware.py).
    "publishing.middleware.ApprovalNoteMiddleware",
    # Last, so it wraps the view alone: an admin change and the outbox rows it
    # writes commit together (publishing/middleware.py).
    "publishing.middleware.AtomicAdminWritesMiddleware",
]

# SECURITY
# ------------------------------------------------------------------------------
# https://django-csp.readthedocs.io/en/latest/configuration.html
# Public pages load nothing from other origins and run no inline script; the
# video player's origin is added per response (council_site/core/csp.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    },
}
# The Wagtail admin (/admin/, page previews included) has a policy of its own:
# still nothing from other origins, but Wagtail 8's own templates carry inline
# scripts (inline panels, date pickers) and style attributes, so both need
# 'unsafe-inline' there. Its previews are framed from the admin itself.
ADMIN_CONTENT_SECURITY_POLICY = {
    **CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:"],
    "frame-src": ["'self'"],
}
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

ROOT_URLCONF = "council_site.urls"
WSGI_APPLICATION = "council_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "council_site.core.context_processors.navigation",
            ],
        },
    },
]

# DATABASES
# ------------------------------------------------------------------------------


def tune_postgres(database: dict) -> dict:
    """Connection settings for a PostgreSQL ``database`` (changed in place)."""
    database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", 60)
    # A kept connection is checked before its first use by each request or task,
    # so one that the server dropped is replaced, not failed on.
    database["CONN_HEALTH_CHECKS"] = True
    if env.bool("DATABASE_PREPARED_STATEMENTS", True):
        # Parameters bound by the server, so psycopg can prepare a statement
        # that a connection runs a fifth time: PostgreSQL then plans the
        # worker's claim and the publish's reads once a connection, not on
        # every post. Off behind a pooler that cannot keep prepared statements
        # (PgBouncer in transaction mode before 1.21).
        database.setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
    return database


# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'council.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one file: wait for locks instead of
    # failing at once, and let readers proceed beside the writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    tune_postgres(DATABASES["default"])

# CACHES
# ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# AUTH
# ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "wagtailadmin_login"
# Sign-in throttling (django-axes): the first backend refuses a username that
# has failed too often from one address, before any password is checked. Axes'
# backend with ModelBackend's methods, not its standalone one: code that takes
# the first backend to load a user (Wagtail's page test helpers) gets one that can.
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Counted per username and address together: a council office shares one
# address, so one person's typing never locks out their colleagues.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
# Successful sign-ins are not recorded: their addresses are personal data that
# nothing here reads. Failures are, until their wait is over.
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_CALLABLE = "council_site.core.login_throttle.lockout_response"
# Named on the lockout page as whom to ask: the people who can reset a password
# or lift a lockout (manage.py axes_reset_username).
LOGIN_HELP_CONTACT = env(
    "LOGIN_HELP_CONTACT", default="the council's web team (a Wagtail administrator)"
)

# STATIC AND MEDIA
# ------------------------------------------------------------------------------
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "static_collected"
STATIC_URL = "/static/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# CELERY
# ------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html
# The filesystem broker has no host; naming one stops kombu warning on every connection.
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost/"
CELERY_BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))


def filesystem_broker_options(folder: Path) -> dict:
    """The embedded broker's transport options: producers and workers share
    ``folder`` (the transport creates its sub-folders); 0.1 s polling keeps local
    latency low.
    https://docs.celeryq.dev/projects/kombu/en/stable/reference/kombu.transport.filesystem.html
    """
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
        "polling_interval": 0.1,
    }


if not REDIS_URL:
    # kombu's filesystem transport, writing each message whole before it is seen.
    CELERY_BROKER_TRANSPORT = "council_site.filesystem_broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(CELERY_BROKER_DIR)
else:
    # Longer than the longest task (a video upload), so Redis never redelivers a
    # message that a worker is still working on.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
# Text posts and video uploads have queues of their own, taken by workers of
# their own (Procfile.dev, docker-compose.yml), so however many long YouTube
# uploads are under way, a tweet never waits for one. "celery" carries beat's jobs.
COUNCIL_TASK_QUEUES = ("crosspost", "uploads", "celery")
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Publishing never waits long for a broker that is down: the row is already in
# the database and the sweeper sends it later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_ROUTES = {
    "publishing.tasks.deliver_crosspost": {"queue": "crosspost"},
    "publishing.tasks.deliver_upload": {"queue": "uploads"},
}
CELERY_BEAT_SCHEDULE = {
    "sweep-crossposts": {
        "task": "publishing.tasks.sweep_crossposts",
        "schedule": env.float("CROSSPOST_SWEEP_SECONDS", default=30.0),
    },
    # Wagtail leaves running its publish_scheduled command to the site: without
    # this, a page an editor schedules would never go live.
    "publish-scheduled-pages": {
        "task": "publishing.tasks.publish_scheduled_pages",
        "schedule": 60.0,
    },
    "refresh-tokens": {
        "task": "publishing.tasks.refresh_tokens",
        "schedule": 300.0,
    },
    # An account paused by X's monthly cap resumes within minutes of its reset.
    "resume-capped-accounts": {
        "task": "publishing.tasks.resume_capped_accounts",
        "schedule": 300.0,
    },
    "worker-heartbeat": {
        "task": "publishing.tasks.record_worker_heartbeat",
        "schedule": 30.0,
    },
    "refresh-feeds": {
        "task": "publishing.tasks.refresh_feeds",
        "schedule": 600.0,
    },
    # How YouTube's processing of videos recorded while it went on has ended
    # (publishing/processing.py); each post is asked at lengthening intervals.
    "check-processing": {
        "task": "publishing.tasks.check_processing",
        "schedule": 60.0,
    },
    "refresh-metrics": {
        "task": "publishing.tasks.refresh_metrics",
        "schedule": 15 * 60.0,
    },
    # Each person gets at most one email every ALERT_EMAIL_INTERVAL_MINUTES;
    # running every minute sends the first alert of a quiet spell at once.
    "send-alerts": {
        "task": "publishing.tasks.send_alerts",
        "schedule": 60.0,
    },
    "note-expiring-tokens": {
        "task": "publishing.tasks.note_expiring_tokens",
        "schedule": 24 * 60 * 60.0,
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django support closes the database connection around every task unless
# this is set: a new PostgreSQL connection (a server process, authentication,
# several milliseconds) for each cross-post. Workers keep theirs like a request
# does instead, for CONN_MAX_AGE (council_site/celery.py); this forces a fresh one
# after so many tasks a process.
CELERY_DB_REUSE_MAX = 1000
# How often each worker notes itself alive from its main process
# (publishing.heartbeat); the dashboard calls a worker stopped after two minutes
# without a note. 0 turns the timer off.
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=30.0)

# CROSS-POSTING
# ------------------------------------------------------------------------------
# A worker's claim on a row. Longer than one attempt can take, so a live worker
# never loses its lease; after it, a stopped worker's row is reconciled and resent.
CROSSPOST_LEASE_SECONDS = env.int("CROSSPOST_LEASE_SECONDS", default=300)
CROSSPOST_UPLOAD_LEASE_SECONDS = env.int(
    "CROSSPOST_UPLOAD_LEASE_SECONDS", default=90 * 60
)
# A delivery is stopped (its task's hard time limit) this long before its lease
# runs out, so that a call it sent has been answered or dropped before another
# worker can take the row and look for the post; at least the longest channel
# TIMEOUT below.
CROSSPOST_LEASE_MARGIN_SECONDS = env.int("CROSSPOST_LEASE_MARGIN_SECONDS", default=60)
# Temporary faults (timeouts, 5xx, dropped connections, 429) are retried with
# capped, jittered backoff for this long from the first of them, then the post
# fails with the platform's last words (and comms managers are alerted).
CROSSPOST_RETRY_WINDOW_SECONDS = env.int(
    "CROSSPOST_RETRY_WINDOW_SECONDS", default=24 * 3600
)
# A post the platform was still processing when it was recorded (a YouTube
# video) is asked about again for this long after its upload, at lengthening
# intervals; past it, it stays posted, no longer followed, with a note.
CROSSPOST_PROCESSING_WINDOW_SECONDS = env.int(
    "CROSSPOST_PROCESSING_WINDOW_SECONDS", default=24 * 3600
)
CROSSPOST_RETRY_BASE_SECONDS = env.float("CROSSPOST_RETRY_BASE_SECONDS", default=15.0)
CROSSPOST_RETRY_MAX_SECONDS = env.float("CROSSPOST_RETRY_MAX_SECONDS", default=3600.0)
# Posts per account per 24 hours, honoured before sending rather than discovered
# by a 429. An account's own cap (set on the account) wins.
CROSSPOST_DAILY_CAPS = {
    "facebook": env.int("FACEBOOK_DAILY_POST_CAP", default=100),
    "x": env.int("X_DAILY_POST_CAP", default=100),
    "youtube": env.int("YOUTUBE_DAILY_UPLOAD_CAP", default=50),
}

# ALERTS
# ------------------------------------------------------------------------------
# Emails to comms managers when a post fails, is held or waits for its account,
# or a token runs out soon (publishing/alerts.py). "django" sends through
# EMAIL_BACKEND; "notify" through GOV.UK Notify:
# https://docs.notifications.service.gov.uk/python.html
ALERT_EMAIL_BACKEND = env("ALERT_EMAIL_BACKEND", default="django")
ALERT_EMAIL_INTERVAL_MINUTES = env.int("ALERT_EMAIL_INTERVAL_MINUTES", default=15)
ALERT_TOKEN_EXPIRY_DAYS = env.int("ALERT_TOKEN_EXPIRY_DAYS", default=7)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="social-alerts@localhost")
NOTIFY_API_KEY = env("NOTIFY_API_KEY", default="")
# An email template in Notify whose subject is ((subject)) and body ((body)).
NOTIFY_TEMPLATE_ID = env("NOTIFY_TEMPLATE_ID", default="")
NOTIFY_BASE_URL = env(
    "NOTIFY_BASE_URL", default="https://api.notifications.service.gov.uk"
)
NOTIFY_TIMEOUT = env.float("NOTIFY_TIMEOUT", default=15.0)

# WAGTAIL
# ------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = env("COUNCIL_NAME", default="Exampleshire County Council")
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = [
    *("csv", "docx", "odt", "pdf", "rtf", "txt", "xlsx"),
    *("mp4", "mov", "m4v", "webm"),  # announcement videos for YouTube
    *("vtt", "srt"),  # captions
]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILDOCS_MAX_UPLOAD_SIZE = 500 * 1024 * 1024  # videos are documents
WAGTAIL_ENABLE_UPDATE_CHECK = env.bool("WAGTAIL_ENABLE_UPDATE_CHECK", default=False)
WAGTAIL_I18N_ENABLED = False
# Page addresses in plain letters: a Welsh title ("Gŵyl Dewi") makes "gwyl-dewi",
# not "g%C5%B5yl-dewi" in every shared and posted link (Bluesky counts a link in
# full, and shows it as it is written).
WAGTAIL_ALLOW_UNICODE_SLUGS = False
# No Gravatar: the admin loads nothing from another host, so a user without an
# uploaded avatar gets Wagtail's default picture.
# https://docs.wagtail.org/en/stable/reference/settings.html#wagtail-gravatar-provider-url
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# Autosave stays off by default: in Wagtail 8.0 an autosave of a new page still on
# its way when the editor submits makes the create view refuse the submit (the
# draft took the slug) or fail with a server error. Editors save with "Save draft"
# and Wagtail still warns before leaving a page with unsaved changes.
WAGTAIL_AUTOSAVE_INTERVAL = env.int("WAGTAIL_AUTOSAVE_INTERVAL", default=0)

# CHANNELS
# ------------------------------------------------------------------------------
# One entry per platform, shaped like CACHES. In development and tests every URL
# points at the local sandbox (python -m sandbox); production.py requires real ones.
SANDBOX_URL = env("SANDBOX_URL", default="http://127.0.0.1:8700")
# The hosts ("host:port") that may be reached over plain http and on a loopback
# or private address: the sandbox in development and tests, none in production.
# Every other feed picture, permalink and feed link must be https on one of its
# channel's MEDIA_HOSTS / LINK_HOSTS ("*.example.com" takes any subdomain).
SANDBOX_HOSTS = [urlsplit(SANDBOX_URL).netloc]
TOKEN_ENCRYPTION_KEY = env("TOKEN_ENCRYPTION_KEY", default="")
SOCIAL_CHANNELS = {
    "facebook": {
        "BACKEND": "channels.facebook.FacebookAdapter",
        "API_URL": env("FACEBOOK_API_URL", default=f"{SANDBOX_URL}/facebook"),
        "API_VERSION": env("FACEBOOK_API_VERSION", default="v24.0"),
        "AUTHORIZE_URL": env(
            "FACEBOOK_AUTHORIZE_URL",
            default=f"{SANDBOX_URL}/facebook/v24.0/dialog/oauth",
        ),
        "TOKEN_URL": env(
            "FACEBOOK_TOKEN_URL",
            default=f"{SANDBOX_URL}/facebook/v24.0/oauth/access_token",
        ),
        "WEB_URL": env("FACEBOOK_WEB_URL", default=f"{SANDBOX_URL}/facebook/web"),
        "CLIENT_ID": env("FACEBOOK_APP_ID", default="100200300400500"),
        "CLIENT_SECRET": env(
            "FACEBOOK_APP_SECRET", default="sandbox-facebook-app-secret"
        ),
        "MEDIA_HOSTS": env.list("FACEBOOK_MEDIA_HOSTS", default=SANDBOX_HOSTS),
        "LINK_HOSTS": env.list("FACEBOOK_LINK_HOSTS", default=SANDBOX_HOSTS),
        "TIMEOUT": env.float("FACEBOOK_TIMEOUT", default=15.0),
        "OPTIONS": {},
    },
    "x": {
        "BACKEND": "channels.x.XAdapter",
        "API_URL": env("X_API_URL", default=f"{SANDBOX_URL}/x"),
        "AUTHORIZE_URL": env(
            "X_AUTHORIZE_URL", default=f"{SANDBOX_URL}/x/i/oauth2/authorize"
        ),
        "TOKEN_URL": env("X_TOKEN_URL", default=f"{SANDBOX_URL}/x/2/oauth2/token"),
        "WEB_URL": env("X_WEB_URL", default=f"{SANDBOX_URL}/x/web"),
        "CLIENT_ID": env("X_CLIENT_ID", default="sandbox-x-client-id"),
        "CLIENT_SECRET": env("X_CLIENT_SECRET", default="sandbox-x-client-secret"),
        "MEDIA_HOSTS": env.list("X_MEDIA_HOSTS", default=SANDBOX_HOSTS),
        "LINK_HOSTS": env.list("X_LINK_HOSTS", default=SANDBOX_HOSTS),
        "TIMEOUT": env.float("X_TIMEOUT", default=15.0),
        # "leave": an edited page leaves the tweet as it is; "repost": delete and
        # post again (X has no edit API for most accounts).
        "OPTIONS": {"update_policy": env("X_UPDATE_POLICY", default="leave")},
    },
    "youtube": {
        "BACKEND": "channels.youtube.YouTubeAdapter",
        "API_URL": env("YOUTUBE_API_URL", default=f"{SANDBOX_URL}/youtube/"),
        "AUTHORIZE_URL": env(
            "YOUTUBE_AUTHORIZE_URL", default=f"{SANDBOX_URL}/youtube/o/oauth2/auth"
        ),
        "TOKEN_URL": env("YOUTUBE_TOKEN_URL", default=f"{SANDBOX_URL}/youtube/token"),
        "WEB_URL": env("YOUTUBE_WEB_URL", default=f"{SANDBOX_URL}/youtube/web"),
        "CLIENT_ID": env(
            "GOOGLE_CLIENT_ID",
            default="sandbox-google-client-id.apps.googleusercontent.com",
        ),
        "CLIENT_SECRET": env(
            "GOOGLE_CLIENT_SECRET", default="sandbox-google-client-secret"
        ),
        "MEDIA_HOSTS": env.list("YOUTUBE_MEDIA_HOSTS", default=SANDBOX_HOSTS),
        "LINK_HOSTS": env.list("YOUTUBE_LINK_HOSTS", default=SANDBOX_HOSTS),
        "TIMEOUT": env.float("YOUTUBE_TIMEOUT", default=60.0),
        "OPTIONS": {
            "retract_policy": env("YOUTUBE_RETRACT_POLICY", default="private"),
            "chunk_size": env.int("YOUTUBE_CHUNK_SIZE", default=1024 * 1024),
            # Seconds a publish follows YouTube's processing of the new video,
            # so a quick rejection (a duplicate) fails its post at once; a
            # video still processing then is posted and followed by beat
            # (publishing.processing), so an upload worker is not held for the
            # minutes a long video takes. Well within the upload lease
            # (CROSSPOST_UPLOAD_LEASE_SECONDS).
            "processing_wait": env.float("YOUTUBE_PROCESSING_WAIT", default=60.0),
        },
    },
    # The council's instance, suggested when an account is connected, and the
    # app registered on it by hand (Preferences > Development), if any. An
    # account on another instance registers the app there at its first
    # connect (POST /api/v1/apps, kept in publishing.InstanceApp); each
    # account keeps the instance it was connected on.
    "mastodon": {
        "BACKEND": "channels.mastodon.MastodonAdapter",
        "API_URL": env("MASTODON_INSTANCE_URL", default=f"{SANDBOX_URL}/mastodon"),
        "WEB_URL": env("MASTODON_WEB_URL", default=f"{SANDBOX_URL}/mastodon"),
        "CLIENT_ID": env("MASTODON_CLIENT_ID", default="sandbox-mastodon-client-id"),
        "CLIENT_SECRET": env(
            "MASTODON_CLIENT_SECRET", default="sandbox-mastodon-client-secret"
        ),
        "MEDIA_HOSTS": env.list("MASTODON_MEDIA_HOSTS", default=SANDBOX_HOSTS),
        "LINK_HOSTS": env.list("MASTODON_LINK_HOSTS", default=SANDBOX_HOSTS),
        "TIMEOUT": env.float("MASTODON_TIMEOUT", default=15.0),
        "OPTIONS": {},
    },
    # The account's PDS (bsky.social for most); connected with an app password.
    # https://docs.bsky.app/docs/advanced-guides/rate-limits
    "bluesky": {
        "BACKEND": "channels.bluesky.BlueskyAdapter",
        "API_URL": env("BLUESKY_API_URL", default=f"{SANDBOX_URL}/bluesky"),
        "WEB_URL": env("BLUESKY_WEB_URL", default=f"{SANDBOX_URL}/bluesky/web"),
        "MEDIA_HOSTS": env.list("BLUESKY_MEDIA_HOSTS", default=SANDBOX_HOSTS),
        "LINK_HOSTS": env.list("BLUESKY_LINK_HOSTS", default=SANDBOX_HOSTS),
        "TIMEOUT": env.float("BLUESKY_TIMEOUT", default=15.0),
        # "repost": an edited page's post is deleted and posted again (Bluesky
        # shows posts as first written); "leave": it stays as it is.
        "OPTIONS": {"update_policy": env("BLUESKY_UPDATE_POLICY", default="repost")},
    },
}

# FEEDS
# ------------------------------------------------------------------------------
# Copying the feeds' pictures (publishing/fetching.py): each picture has a total
# deadline and a size cap, whatever the platform's server does; a proxy is used
# only when one is set here, never one from the environment.
FEED_MEDIA_DEADLINE_SECONDS = env.float("FEED_MEDIA_DEADLINE_SECONDS", default=15.0)
FEED_MEDIA_MAX_BYTES = env.int("FEED_MEDIA_MAX_BYTES", default=5 * 1024 * 1024)
FEED_MEDIA_MAX_PIXELS = env.int("FEED_MEDIA_MAX_PIXELS", default=40_000_000)
FEED_MEDIA_PROXY = env("FEED_MEDIA_PROXY", default="")

# The demo council's accounts, as ``manage.py seed_demo`` connects them when every
# platform's URLs point at the local sandbox (council_site/core/demo_accounts.py):
# the sandbox's published demo grants (sandbox/README.md, "Demo tokens"), which no
# real platform ever issued. "lifetime" is the access token's, in seconds from
# when it was granted (None: it never expires).
DEMO_SOCIAL_ACCOUNTS = [
    # A Page token derived from a long-lived user token: no expiry and no
    # refresh token; its scopes are those the person granted the app.
    {
        "platform": "facebook",
        "remote_id": "200000000001",
        "display_name": "Exampleshire County Council",
        "access_token": "EAAsandboxDemoExampleshireCouncilPageToken",
        "scopes": ["pages_show_list", "pages_manage_posts", "pages_read_engagement"],
    },
    {
        "platform": "x",
        "remote_id": "3000000001",
        "display_name": "@ExampleshireCC",
        "access_token": "sandbox-demo-x-access-token-ExampleshireCC",
        "refresh_token": "sandbox-demo-x-refresh-token-ExampleshireCC",
        "lifetime": 7200.0,
        "scopes": [
            "tweet.read",
            "tweet.write",
            "users.read",
            "offline.access",
            "media.write",
        ],
        "extra": {"username": "ExampleshireCC"},
    },
    {
        "platform": "youtube",
        "remote_id": "UCexampleshire0000000001",
        "display_name": "Exampleshire County Council",
        "access_token": "ya29.sandbox-demo-youtube-access-token",
        "refresh_token": "1//sandbox-demo-youtube-refresh-token",
        "lifetime": 3599.0,
        "scopes": [
            "https://www.googleapis.com/auth/youtube.upload",
            "https://www.googleapis.com/auth/youtube.force-ssl",
        ],
    },
    # A Mastodon token lasts until it is revoked and has no refresh token; the
    # account uses the configured instance (the sandbox's).
    {
        "platform": "mastodon",
        "remote_id": "109000000000000001",
        "display_name": "@exampleshire",
        "access_token": "sandbox-demo-mastodon-access-token-exampleshire",
        "scopes": ["read", "write"],
        "extra": {"username": "exampleshire"},
    },
    # An app password's session: the access token expires, the refresh token
    # rotates, as after connecting with a handle and an app password.
    {
        "platform": "bluesky",
        "remote_id": "did:plc:exampleshirecouncil2bsky",
        "display_name": "@exampleshire.bsky.social",
        "access_token": "sandbox-demo-bluesky-access-jwt-exampleshire",
        "refresh_token": "sandbox-demo-bluesky-refresh-jwt-exampleshire",
        "lifetime": 7200.0,
        "scopes": ["com.atproto.appPass"],
        "extra": {"handle": "exampleshire.bsky.social"},
    },
]

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # urllib3 and oauthlib log request URLs at DEBUG, which can carry tokens.
        "urllib3": {"level": "WARNING"},
        "oauthlib": {"level": "WARNING"},
        "requests_oauthlib": {"level": "WARNING"},
        "googleapiclient": {"level": "WARNING"},
        # Wagtail 8 runs its search-index and reference-index updates as
        # django-tasks, which log every run at INFO.
        "django_tasks": {"level": "WARNING"},
    },
}
