"""Celery tasks: thin wrappers that load by id and call the delivery, accounts,
feeds and metrics modules."""

import time

from celery import shared_task
from celery.signals import task_postrun, worker_init, worker_ready
from django.conf import settings
from django.core.management import call_command

from channels import registry

from . import accounts, alerts, delivery, dispatch, feeds, metrics, processing
from .heartbeat import note_alive
from .models import PeriodicRun


def _owner(task) -> str:
    return f"{task.request.hostname}:{task.request.id}"


def delivery_limits(queue: str) -> dict[str, int]:
    """The time limits of a delivery from ``queue``. The worker process is
    stopped ``CROSSPOST_LEASE_MARGIN_SECONDS`` before the row's lease runs out,
    so a delivery never outlives its lease (while another worker reconciles the
    row and sends it), and never later than ``CELERY_TASK_TIME_LIMIT``.

    The soft limit is the hard one. Not the later global soft limit: Celery's
    event loop arms the hard limit only once the soft one has passed, so it
    would never come. At the same moment instead, the soft limit's exception
    goes up unhandled (delivery takes no unknown exception for a platform's
    error), the row keeps its lease, and the hard limit stops the process."""
    limit = min(
        settings.CELERY_TASK_TIME_LIMIT,
        dispatch.lease_seconds(queue) - settings.CROSSPOST_LEASE_MARGIN_SECONDS,
    )
    return {"time_limit": limit, "soft_time_limit": limit}


@shared_task(
    bind=True,
    ignore_result=True,
    acks_late=True,
    **delivery_limits("crosspost"),
)
def deliver_crosspost(self, row_id: int) -> None:
    """Send one outbox row (text and image posts: the ``crosspost`` queue)."""
    delivery.deliver(row_id, _owner(self))


@shared_task(
    bind=True,
    ignore_result=True,
    acks_late=True,
    **delivery_limits("uploads"),
)
def deliver_upload(self, row_id: int) -> None:
    """Send one outbox row with a video (the ``uploads`` queue)."""
    delivery.deliver(row_id, _owner(self))


@shared_task(ignore_result=True)
def sweep_crossposts() -> int:
    """Re-enqueue due rows: retries, expired leases, anything the broker lost.
    Notes that it ran, so a stopped beat shows on the dashboard."""
    PeriodicRun.note(PeriodicRun.SWEEP)
    return delivery.sweep()


@shared_task(ignore_result=True)
def publish_scheduled_pages() -> None:
    """Publish the pages whose scheduled time has come and unpublish expired
    ones: the ``publish_scheduled`` command (Wagtail's, each page on its own:
    :mod:`publishing.scheduling`), run by beat every minute. Their cross-posts
    are queued as for any publish. A page that fails fails the task, after the
    others are done."""
    call_command("publish_scheduled")


@shared_task(ignore_result=True)
def refresh_tokens() -> int:
    return accounts.refresh_expiring_tokens()


@shared_task(ignore_result=True)
def resume_capped_accounts() -> int:
    """Send the posts of accounts whose usage cap has reset (beat)."""
    return accounts.resume_capped()


@shared_task(ignore_result=True)
def send_alerts() -> int:
    """Email each comms manager their queued alerts, at most one email every
    ``ALERT_EMAIL_INTERVAL_MINUTES`` a person (beat, every minute)."""
    return alerts.send_due()


@shared_task(ignore_result=True)
def note_expiring_tokens() -> int:
    """Alert once for each token that runs out within a week (beat, daily)."""
    return alerts.note_expiring_tokens()


@shared_task(ignore_result=True)
def refresh_feeds() -> int:
    """Copy each connected account's recent posts for the site's feeds."""
    return sum(result.ok for result in feeds.refresh_all())


@shared_task(ignore_result=True)
def refresh_metrics() -> int:
    """Store likes, shares, comments and views of the last 30 days' posts."""
    return metrics.refresh_metrics().updated


@shared_task(ignore_result=True)
def check_processing() -> int:
    """Ask the platforms how their processing of the posts recorded while it
    went on has ended (beat, every minute); how many were asked."""
    return processing.check_due().asked


@shared_task(bind=True, ignore_result=True)
def record_worker_heartbeat(self) -> None:
    """Note that a worker is alive and consuming the queue."""
    note_alive(self.request.hostname)


@worker_init.connect
def warm_up_channels(sender=None, **kwargs) -> None:
    """Load the channel adapters and their client libraries before the pool
    forks, so no pool process pays for that on its first post."""
    registry.warm_up()


@worker_ready.connect
def note_worker_ready(sender=None, **kwargs) -> None:
    """A worker that has just started is alive, whether or not beat runs."""
    note_alive(getattr(sender, "hostname", None), starting=True)


#: When this process last noted its worker alive after a task (monotonic seconds).
_last_noted = {"at": float("-inf")}
HEARTBEAT_AFTER_TASK_SECONDS = 30.0


@task_postrun.connect
def note_worker_busy(sender=None, **kwargs) -> None:
    """A worker that runs tasks is alive too: noted at most every 30 s a process,
    so the dashboard does not call a busy worker dead when beat is not running."""
    now = time.monotonic()
    if now - _last_noted["at"] < HEARTBEAT_AFTER_TASK_SECONDS:
        return
    _last_noted["at"] = now
    request = getattr(sender, "request", None)
    note_alive(getattr(request, "hostname", None))
