"""Engagement figures are fetched from the platforms for recent posts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from publishing import tasks
from publishing.metrics import refresh_metrics
from publishing.models import CrossPost

State = CrossPost.State


def posted_row(account, remote_id, age=timedelta(days=1)):
    return CrossPost.objects.create(
        account=account,
        platform=account.platform,
        idempotency_key=f"{account.pk}:{remote_id}",
        page_title="Bins",
        text="Bins",
        link="https://council.example/bins/",
        marker="https://council.example/bins/",
        content_hash="h",
        state=State.POSTED,
        remote_id=remote_id,
        posted_at=timezone.now() - age,
    )


def first_post(sandbox, platform):
    return sandbox.posts(platform=platform)[0]["id"]


def metric_reads(sandbox, platform):
    return [
        entry
        for entry in sandbox.requests_log(platform=platform)
        if entry["method"] == "GET" and entry["operation"] == "get"
    ]


@pytest.fixture
def rows(accounts, sandbox):
    return {
        platform: posted_row(accounts[platform], first_post(sandbox, platform))
        for platform in ("facebook", "x", "youtube")
    }


def test_recent_posts_get_their_figures(rows, sandbox):
    run = refresh_metrics()

    assert (run.updated, run.failed) == (3, 0)
    for platform, row in rows.items():
        row.refresh_from_db()
        assert row.metrics_updated_at is not None, platform
        assert metric_reads(sandbox, platform), platform
    assert rows["facebook"].shares is not None  # Facebook always reports shares


def test_old_and_unposted_rows_are_left_alone(accounts, sandbox):
    old = posted_row(accounts["x"], first_post(sandbox, "x"), age=timedelta(days=31))
    failed = posted_row(accounts["facebook"], first_post(sandbox, "facebook"))
    CrossPost.objects.filter(pk=failed.pk).update(state=State.FAILED)

    run = refresh_metrics()

    assert run.updated == 0
    old.refresh_from_db()
    assert old.metrics_updated_at is None
    assert not metric_reads(sandbox, "x")


def test_a_platform_outage_leaves_the_others_updated(rows, sandbox):
    sandbox.add_fault("facebook", "get", "server_error")

    run = refresh_metrics()

    assert (run.updated, run.failed) == (2, 1)
    rows["facebook"].refresh_from_db()
    rows["x"].refresh_from_db()
    assert rows["facebook"].metrics_updated_at is None
    assert rows["x"].metrics_updated_at is not None


def test_refresh_runs_every_fifteen_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-metrics"]
    assert entry["task"] == tasks.refresh_metrics.name
    assert entry["schedule"] == 15 * 60
