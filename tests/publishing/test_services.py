"""The delivery service called directly, without Celery, against the sandbox."""

from __future__ import annotations

import pytest
from django.utils import timezone

from publishing import content, services
from publishing.models import CrossPost
from tests.publishing.conftest import live_posts_with_marker, publish

State = CrossPost.State


@pytest.mark.django_db
def test_an_error_after_the_post_was_created_is_reconciled_not_reposted(
    sandbox, accounts, make_policy
):
    page = make_policy()
    publish(page)  # in a test transaction: nothing is enqueued
    row = CrossPost.objects.get(page_id=page.pk, platform="facebook")

    # The feed post is created; reading its permalink back is throttled.
    sandbox.add_fault("facebook", "get", "rate_limit", count=1, reset_after=1)
    row = services.deliver(row.pk, "test-worker")
    assert row.state == State.RETRYING
    assert row.outcome_unknown

    CrossPost.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    row = services.deliver(row.pk, "test-worker")

    assert row.state == State.POSTED
    marker = content.canonical_url(page)
    assert len(live_posts_with_marker(sandbox, marker, "facebook")) == 1
