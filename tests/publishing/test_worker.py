"""A real Celery worker process receives and runs a task through the broker."""

import pytest

from publishing.models import WorkerHeartbeat
from publishing.tasks import record_worker_heartbeat
from tests.worker_fixtures import wait_for


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_a_task_sent_through_the_broker(
    celery_worker_process
):
    assert not WorkerHeartbeat.objects.exists()
    record_worker_heartbeat.delay()
    heartbeat = wait_for(
        lambda: WorkerHeartbeat.objects.first(),
        timeout=60,
        message="the worker never ran the task:\n" + celery_worker_process.log_tail(),
    )
    assert heartbeat.hostname.startswith("celery@")
