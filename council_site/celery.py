"""The Celery application, configured from Django settings (``CELERY_*``, read
once: :mod:`council_site.celery_settings`)."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

from publishing.heartbeat import HeartbeatStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_site.settings.dev")

app = Celery("council_site")
app.config_from_object(
    "council_site.celery_settings:CELERY_SETTINGS", namespace="CELERY"
)
app.autodiscover_tasks()
# Every worker notes itself alive on a timer, whatever its pool is busy with.
app.steps["worker"].add(HeartbeatStep)


@task_prerun.connect
@task_postrun.connect
def close_stale_connections(sender=None, **kwargs) -> None:
    """A task treats the database connection as a request does: one older than
    CONN_MAX_AGE, or broken, is closed before and after it; any other is kept
    for the next task (CELERY_DB_REUSE_MAX stops Celery closing it every time).

    A task run eagerly (``apply()``) is left alone: it runs inside its caller,
    perhaps in the caller's transaction.
    """
    if not getattr(getattr(sender, "request", None), "is_eager", False):
        close_old_connections()
