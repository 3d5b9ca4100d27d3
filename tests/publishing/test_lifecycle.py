"""Scheduled publishing and page deletion go through the same outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from publishing import content
from publishing.models import CrossPost
from tests.publishing.conftest import live_posts_with_marker, rows_for, settle
from tests.worker_fixtures import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
State = CrossPost.State


@pytest.fixture(autouse=True)
def worker(celery_worker_process):
    return celery_worker_process


def scheduled_a_minute_ago():
    """A clock a minute behind: a page scheduled under it to go live in a few
    seconds is due as soon as the clock is let go. (The worker, a process of its
    own, keeps the real time; nothing is sent to it while this holds.)"""
    return time_machine.travel(timezone.now() - timedelta(minutes=1), tick=True)


def test_a_scheduled_first_publish_posts_only_when_it_goes_live(
    sandbox, accounts, make_policy
):
    page = make_policy()
    with scheduled_a_minute_ago():
        page.go_live_at = timezone.now() + timedelta(seconds=2)
        page.save_revision().publish()
        page.refresh_from_db()
        assert not page.live
        assert rows_for(page) == []  # nothing leaves before the page is live

    call_command("publish_scheduled")

    rows = settle(page, expected=2)
    assert {row.state for row in rows} == {State.POSTED}
    marker = content.canonical_url(page)
    for platform in ("facebook", "x"):
        assert len(live_posts_with_marker(sandbox, marker, platform)) == 1


def test_beat_publishes_and_expires_scheduled_pages_every_minute(accounts, make_policy):
    from django.conf import settings

    from publishing import tasks

    page = make_policy()
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == tasks.publish_scheduled_pages.name
    ]
    assert [entry["schedule"] for entry in entries] == [60.0]
    with scheduled_a_minute_ago():
        page.go_live_at = timezone.now() + timedelta(seconds=1)
        page.save_revision().publish()

        tasks.publish_scheduled_pages()
        page.refresh_from_db()
        assert not page.live  # not yet due

    tasks.publish_scheduled_pages()
    page.refresh_from_db()
    assert page.live
    assert {row.state for row in settle(page, expected=2)} == {State.POSTED}

    page.expire_at = timezone.now() - timedelta(seconds=1)
    page.save(update_fields=["expire_at"])
    tasks.publish_scheduled_pages()
    page.refresh_from_db()
    assert not page.live and page.expired
    assert {row.state for row in settle(page, expected=2)} == {State.RETRACTED}


def test_deleting_a_page_retracts_its_posts_and_keeps_the_record(
    sandbox, accounts, make_policy
):
    page = make_policy()
    page.save_revision().publish()
    rows = settle(page, expected=2)
    marker = content.canonical_url(page)
    ids = [row.pk for row in rows]

    page.delete()

    def retracted():
        from publishing import delivery

        delivery.sweep()
        found = list(CrossPost.objects.filter(pk__in=ids))
        return found if all(r.state == State.RETRACTED for r in found) else None

    rows = wait_for(retracted, timeout=60)
    assert all(row.page_id is None and row.page_title for row in rows)
    for platform in ("facebook", "x"):
        assert live_posts_with_marker(sandbox, marker, platform) == []


def test_an_account_over_its_daily_budget_waits_instead_of_hitting_a_429(
    sandbox, accounts, make_policy
):
    from publishing import delivery
    from publishing.models import ChannelAccount

    x_account = ChannelAccount.objects.get(platform="x")
    x_account.daily_post_cap = 1
    x_account.save()
    first = make_policy(title="Winter gritting routes")
    first.save_revision().publish()
    settle(first, expected=2)

    second = make_policy(title="Library opening hours")
    second.save_revision().publish()

    def waiting():
        delivery.sweep()
        row = CrossPost.objects.filter(page_id=second.pk, platform="x").first()
        return row if row and row.state == State.RETRYING else None

    row = wait_for(waiting, timeout=30)
    assert "daily post limit" in row.last_error
    assert row.next_attempt_at > timezone.now() + timedelta(hours=23)
    assert row.attempts == 0
    marker = content.canonical_url(second)
    assert live_posts_with_marker(sandbox, marker, "x") == []
    assert not [
        entry for entry in sandbox.requests_log("x") if entry.get("status") == 429
    ]
