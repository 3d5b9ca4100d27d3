"""Sending delivery messages to the broker, and the timing they carry.

A message is only ever a nudge: the row in the database is the truth, so a
message lost, or sent twice, changes nothing (the sweeper sends what is due;
the claim lets one worker deliver a row).
"""

from __future__ import annotations

import logging
import random
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

from . import after_response

logger = logging.getLogger(__name__)


#: Rows collected by :func:`batched`, or ``None`` outside it.
_batch: ContextVar[list | None] = ContextVar("crosspost_batch", default=None)


@contextmanager
def batched():
    """Collect what :func:`enqueue` is given within, and enqueue it as one
    batch at the end (a publish sends its page's rows in one message batch)."""
    outer = _batch.get()
    if outer is not None:  # already inside a batch: it sends them
        yield
        return
    token = _batch.set([])
    try:
        yield
        rows = _batch.get()
    finally:
        _batch.reset(token)
    enqueue(rows)


def enqueue(rows) -> None:
    """Send each row's delivery task once the current transaction commits, all
    in one batch (:func:`send_to_broker`); nothing if it rolls back. In an
    admin change, they are sent once the editor has the response
    (:mod:`publishing.after_response`)."""
    batch = _batch.get()
    if batch is not None:
        batch.extend(rows)
        return
    messages = delivery_messages(rows)
    if messages:
        transaction.on_commit(
            lambda: after_response.send_or_hold(lambda: send_to_broker(messages))
        )


#: The delivery task of each queue, by name (``CELERY_TASK_ROUTES`` routes
#: them): :mod:`publishing.tasks` calls this module, not the other way round.
DELIVERY_TASKS = {
    "crosspost": "publishing.tasks.deliver_crosspost",
    "uploads": "publishing.tasks.deliver_upload",
}


def delivery_messages(rows) -> list[tuple]:
    """``(task name, row id, priority)`` for each row: uploads on their own
    queue, urgent pages first."""
    return [
        (DELIVERY_TASKS[row.queue], row.pk, 0 if row.urgent else 5) for row in rows
    ]


def send_to_broker(messages) -> int:
    """Publish ``messages`` in one batch (with Redis, one round trip); the number
    sent.

    A broker outage is logged, not raised, and counts as nothing sent: the rows
    are safe in the database and the sweeper sends them later. A batch the broker
    took only part of is harmless: the sweeper may send a row a second message,
    and the claim lets only one of them deliver it.
    """
    from council_site.celery import app

    if not messages:
        return 0
    try:
        with app.producer_or_acquire() as producer, producer.batch():
            for task_name, row_id, priority in messages:
                app.send_task(
                    task_name,
                    (row_id,),
                    priority=priority,
                    producer=producer,
                    # What Celery would write for the message's log lines, given
                    # so that it need not build it with its safe repr.
                    argsrepr=f"({row_id},)",
                    kwargsrepr="{}",
                )
    except (OperationalError, OSError):
        logger.warning(
            "Broker unavailable; cross-posts %s wait for the sweeper",
            [row_id for _task, row_id, _priority in messages],
        )
        return 0
    except Exception:  # noqa: BLE001 - never fail a committed publish
        # Not the broker: a fault of ours, so with its traceback.
        logger.exception(
            "Could not send cross-posts %s; they wait for the sweeper",
            [row_id for _task, row_id, _priority in messages],
        )
        return 0
    return len(messages)


def lease_seconds(queue: str) -> int:
    """How long a claim on a row of ``queue`` lasts."""
    if queue == "uploads":
        return settings.CROSSPOST_UPLOAD_LEASE_SECONDS
    return settings.CROSSPOST_LEASE_SECONDS


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter, capped."""
    base = settings.CROSSPOST_RETRY_BASE_SECONDS
    ceiling = min(
        settings.CROSSPOST_RETRY_MAX_SECONDS, base * 2 ** max(attempts - 1, 0)
    )
    return timedelta(seconds=ceiling * (0.5 + random.random() / 2))  # noqa: S311
