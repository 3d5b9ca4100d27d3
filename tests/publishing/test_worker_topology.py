"""The workers as ``make run`` starts them (Procfile.dev; docker-compose.yml has
the same split, see tests/council_site/test_deployment.py): video uploads on a
worker of their own, so however many long uploads are under way, a text post
is not held up; and each worker notes itself alive, with the queues it takes,
while its only process is busy with an upload.

With one worker taking every queue, the uploads below would fill its
processes and the policy's posts would wait for them: this test fails then."""

from __future__ import annotations

import pytest
from django.utils import timezone

from publishing import content
from publishing.health import worker_health
from publishing.models import CrossPost, WorkerHeartbeat
from tests.publishing.conftest import live_posts_with_marker, publish, settle
from tests.worker_fixtures import (
    WorkerProcess,
    in_place_of,
    procfile_workers,
    wait_for,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
State = CrossPost.State

#: Each YouTube call takes this long, so an upload (two calls) lasts 12 s.
YOUTUBE_CALL_MS = 6000


@pytest.fixture
def deployed_workers(celery_worker_process):
    """The Procfile's workers, noting themselves alive every second, in place of
    the session's worker (which takes every queue) for this test."""
    from django.db import connection

    workers = [
        WorkerProcess(
            connection.settings_dict["NAME"],
            {"WORKER_HEARTBEAT_SECONDS": "1"},
            name=name,
            queues=queues,
            concurrency=concurrency,
        )
        for name, (queues, concurrency) in procfile_workers().items()
    ]
    with in_place_of(celery_worker_process, workers):
        yield {worker.name: worker for worker in workers}


def uploading(pages) -> list[CrossPost]:
    return list(
        CrossPost.objects.filter(
            page_id__in=[page.pk for page in pages],
            platform="youtube",
            state=State.SENDING,
        )
    )


@pytest.mark.slow
def test_long_uploads_never_hold_up_a_text_post(
    sandbox, accounts, make_announcement, make_policy, deployed_workers
):
    uploads_worker = deployed_workers["uploads"]
    upload_processes = uploads_worker.concurrency
    sandbox.set_latency("youtube", YOUTUBE_CALL_MS)
    # More videos than all the workers have processes: had any process that
    # takes text posts taken uploads too, every one would now be uploading.
    processes = sum(worker.concurrency for worker in deployed_workers.values())
    videos = [
        make_announcement(title=f"Bin day video {number}")
        for number in range(processes + 1)
    ]
    for page in videos:
        publish(page)
    wait_for(
        lambda: len(uploading(videos)) >= upload_processes,
        timeout=30,
        message=lambda: f"no upload started:\n{uploads_worker.log_tail()}",
    )
    in_flight = {row.pk for row in uploading(videos)}
    busy_since = timezone.now()

    policy = make_policy()
    publish(policy)
    rows = settle(policy, expected=2, timeout=10, worker=deployed_workers["worker"])

    assert {row.state for row in rows} == {State.POSTED}
    # ... while the uploads that were under way were still under way: each
    # is still uploading, or was recorded after the text post. (Read from the
    # rows' times, not from what is uploading when this test looks again: on
    # a busy machine the test itself may look after an upload has ended.)
    text_posted = max(row.posted_at for row in rows)
    for upload in CrossPost.objects.filter(pk__in=in_flight):
        assert upload.posted_at is None or upload.posted_at > text_posted, (
            upload.pk, upload.state, upload.posted_at, text_posted)

    # The uploads worker's only process is busy, yet its main process notes
    # it alive; both workers say which queues they take, so none is unattended.
    noted_at = wait_for(
        lambda: WorkerHeartbeat.objects.filter(
            hostname__startswith="uploads@", seen_at__gt=busy_since
        ).values_list("seen_at", flat=True).first(),
        timeout=10,
        message="the busy uploads worker was not noted alive",
    )
    # ... while it was busy: the uploads under way then were recorded later.
    for upload in CrossPost.objects.filter(pk__in=in_flight):
        assert upload.posted_at is None or upload.posted_at > noted_at, (
            upload.pk, upload.state, upload.posted_at, noted_at)
    taken = {
        name: queues
        for hostname, queues in WorkerHeartbeat.objects.values_list(
            "hostname", "queues"
        )
        if (name := hostname.split("@")[0]) in deployed_workers
    }
    assert taken == {"worker": "celery,crosspost", "uploads": "uploads"}
    assert worker_health()["unattended"] == []

    # Every video is then uploaded, each once.
    sandbox.set_latency("youtube", 0)
    for page in videos:
        assert {row.state for row in settle(page, expected=3, timeout=90)} == {
            State.POSTED
        }
        marker = content.canonical_url(page)
        assert len(live_posts_with_marker(sandbox, marker, "youtube")) == 1
