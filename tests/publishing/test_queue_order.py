"""Urgent pages go first: with a backlog on the broker, a worker takes an urgent
page's delivery before the ordinary ones sent earlier.

Redis only (CI): kombu's Redis transport keeps a list per priority step and a
worker reads them most urgent first; the filesystem broker of ``make run`` is
first in, first out. The messages go to a queue of the test's own, so the
session's worker (which consumes the real queues) cannot take them first.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from publishing import dispatch
from publishing.models import CrossPost

from .conftest import make_account, make_row

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL.startswith("redis"),
        reason="message priorities need the Redis broker",
    ),
]
QUEUE = "test-queue-order"


def send(messages) -> None:
    """Send as :func:`dispatch.send_to_broker` does, to the test's queue."""
    from council_site.celery import app

    with app.producer_or_acquire() as producer:
        for task_name, row_id, priority in messages:
            app.send_task(
                task_name, (row_id,), priority=priority, producer=producer,
                queue=QUEUE,
            )


def taken_in_order(count: int) -> list[int]:
    """Row ids in the order a consumer of the queue receives them."""
    from council_site.celery import app

    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(QUEUE)
        try:
            order = []
            for _ in range(count):
                message = queue.get(timeout=5)
                message.ack()
                args, _kwargs, _embed = message.decode()
                order.append(args[0])
            return order
        finally:
            queue.clear()
            queue.close()


def test_an_urgent_page_overtakes_a_backlog():
    account = make_account()
    ordinary = [make_row(account, CrossPost.State.PENDING) for _ in range(3)]
    urgent = make_row(account, CrossPost.State.PENDING, urgent=True)

    send(dispatch.delivery_messages([*ordinary, urgent]))

    assert taken_in_order(4) == [urgent.pk] + [row.pk for row in ordinary]
