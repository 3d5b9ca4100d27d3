"""Random lifecycles against the sandbox: whatever editors, comms managers,
faults and stopped workers do, and in whatever order, a row never has two live
posts, a live page ends with its post, an unpublished one with none, and every
row comes to rest.

Hypothesis draws the sequences; each example is a page of its own, delivered
by the service in this process (the pipeline tests do the same with a real
worker). Clocks are not waited on: retries are made due and leases expired by
hand."""

from __future__ import annotations

import itertools
import os

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publishing import actions, content, delivery
from publishing.lifecycle import RESTING_STATES
from publishing.models import CrossPost

from .conftest import live_posts_with_marker, publish

State = CrossPost.State
#: Stories a run tells: a few in the default suite (each is a page published and
#: delivered against the sandbox, a second or more); `make soak` tells a hundred.
EXAMPLES = int(os.environ.get("LIFECYCLE_EXAMPLES", "6"))
PLATFORMS = ("facebook", "x")
FAULTS = ("none", "server_error", "drop_after_create", "rate_limit")

steps = st.one_of(
    st.tuples(st.just("edit_and_publish")),
    st.tuples(st.just("publish_same_revision")),
    st.tuples(st.just("unpublish")),
    st.tuples(st.just("deliver"), st.sampled_from(PLATFORMS), st.sampled_from(FAULTS)),
    st.tuples(st.just("worker_stops"), st.sampled_from(PLATFORMS)),
    st.tuples(st.just("retry_now"), st.sampled_from(PLATFORMS)),
    st.tuples(st.just("take_down"), st.sampled_from(PLATFORMS)),
)
_pages = itertools.count()


class Story:
    """One page's lifecycle as the steps tell it."""

    def __init__(self, sandbox, make_policy):
        self.sandbox = sandbox
        self.number = next(_pages)
        self.page = make_policy(title=f"Waste policy {self.number}")
        self.revision = None
        self.live = False
        self.edits = 0

    def rows(self) -> dict[str, CrossPost]:
        return {
            row.platform: row
            for row in CrossPost.objects.filter(page_id=self.page.pk).select_related(
                "account"
            )
        }

    def live_posts(self, platform: str) -> list[dict]:
        marker = content.canonical_url(self.page)
        return live_posts_with_marker(self.sandbox, marker, platform)

    def edit_and_publish(self):
        self.edits += 1
        self.page.refresh_from_db()
        self.page.summary = f"Edition {self.edits} of policy {self.number}."
        self.revision = publish(self.page)
        self.live = True

    def publish_same_revision(self):
        if self.revision is None:
            return self.edit_and_publish()
        self.revision.publish()
        self.page.refresh_from_db()
        self.live = True

    def unpublish(self):
        self.page.refresh_from_db()
        if self.page.live:
            self.page.unpublish()
        self.live = False

    def deliver(self, platform, fault):
        row = self.rows().get(platform)
        if row is None:
            return
        _make_due(row)
        if fault != "none":
            options = {"reset_after": 1} if fault == "rate_limit" else {}
            self.sandbox.add_fault(platform, "*", fault, count=1, **options)
        try:
            delivery.deliver(row.pk, "property-worker")
        finally:
            self.sandbox.clear_faults()

    def worker_stops(self, platform):
        """A worker takes the row, calls nothing yet, and stops: its lease runs
        out."""
        row = self.rows().get(platform)
        if row is None:
            return
        _make_due(row)
        if delivery.claim(row.pk, "stopped-worker") is not None:
            CrossPost.objects.filter(pk=row.pk).update(
                lease_expires_at=timezone.now()
            )

    def retry_now(self, platform):
        row = self.rows().get(platform)
        if row is not None:
            actions.retry_now(row)

    def take_down(self, platform):
        row = self.rows().get(platform)
        if row is not None and not self.live:
            actions.request_retract(row)

    def drain(self) -> dict[str, CrossPost]:
        """No more faults: deliver until nothing is due."""
        for _round in range(12):
            rows = self.rows()
            for row in rows.values():
                _make_due(row)
            due = list(CrossPost.objects.due().filter(page_id=self.page.pk))
            if not due:
                return rows
            for row in due:
                delivery.deliver(row.pk, "drain-worker")
        raise AssertionError(f"still due after 12 rounds: {self.rows()}")


def _make_due(row: CrossPost) -> None:
    """The row's wait is over and any lease run out (time moved by hand)."""
    now = timezone.now()
    CrossPost.objects.filter(pk=row.pk, next_attempt_at__gt=now).update(
        next_attempt_at=now
    )
    CrossPost.objects.filter(pk=row.pk, lease_expires_at__gt=now).update(
        lease_expires_at=now
    )


@pytest.mark.django_db
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(story_steps=st.lists(steps, min_size=1, max_size=14))
def test_random_lifecycles_never_double_or_lose_a_post(
    sandbox, accounts, make_policy, story_steps
):
    sandbox.clear_faults()
    story = Story(sandbox, make_policy)
    for name, *arguments in [("edit_and_publish",), *story_steps]:
        getattr(story, name)(*arguments)
        for platform in PLATFORMS:
            assert len(story.live_posts(platform)) <= 1, (platform, story_steps)

    rows = story.drain()

    assert set(rows) == set(PLATFORMS)
    for platform, row in rows.items():
        live = [post["id"] for post in story.live_posts(platform)]
        assert row.state in RESTING_STATES, (platform, row.state, story_steps)
        if story.live:
            assert (row.state, live) == (State.POSTED, [row.remote_id]), (
                platform, row.state, row.last_error, story_steps
            )
        else:
            assert live == [], (platform, row.state, story_steps)
