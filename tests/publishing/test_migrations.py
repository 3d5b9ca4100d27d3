"""Data migrations of the outbox, run back and forth on the test database."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from publishing.models import ChannelAccount, CrossPost

BEFORE = ("publishing", "0007_publish_again_during_retraction")
FLAGS = ("publishing", "0008_update_post_found_after_change")
AFTER = ("publishing", "0009_lifecycle_as_data")


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


def _migrate_through(target):
    """Run the migration under test, then the later ones, so the rows can be
    read with today's model."""
    _migrate(target)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("publishing"))


def _row_fields() -> dict:
    """What every outbox row of these tests has, on an account made now."""
    account = ChannelAccount.objects.create(
        platform="facebook", display_name="Exampleshire CC", remote_id="200000000001"
    )
    return {
        "account_id": account.pk,
        "platform": "facebook",
        "page_title": "Bins collected a day late",
        "text": "Bins are collected a day late this week.",
        "content_hash": "a" * 64,
    }


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rows_left_updating_a_post_never_confirmed_become_first_posts_again():
    common = _row_fields()
    old_apps = _migrate(BEFORE)
    try:
        OldCrossPost = old_apps.get_model("publishing", "CrossPost")
        # What earlier versions left when the page changed mid-send: an update
        # of a post never confirmed, waiting, or taken by a worker.
        waiting = OldCrossPost.objects.create(
            idempotency_key="1", marker="https://council.example/1/",
            state="retrying", operation="update", **common,
        )
        taken = OldCrossPost.objects.create(
            idempotency_key="2", marker="https://council.example/2/",
            state="updating", operation="update", **common,
        )
        # A real update of a standing post is left alone.
        standing = OldCrossPost.objects.create(
            idempotency_key="3", marker="https://council.example/3/",
            state="updating", operation="update", remote_id="200_1", **common,
        )
    finally:
        _migrate_through(AFTER)

    rows = {row.pk: row for row in CrossPost.objects.all()}
    assert [
        (rows[old.pk].state, rows[old.pk].operation, rows[old.pk].sent_hash)
        for old in (waiting, taken, standing)
    ] == [
        # Looked for first; a post found carries other text, so is updated.
        ("retrying", "reconcile", "unknown"),
        ("pending", "reconcile", "unknown"),
        ("updating", "update", ""),
    ]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_old_flags_become_places_in_the_lifecycle():
    common = _row_fields()
    old_apps = _migrate(FLAGS)
    try:
        OldCrossPost = old_apps.get_model("publishing", "CrossPost")
        lost = OldCrossPost.objects.create(
            idempotency_key="1", marker="https://council.example/1/",
            state="retrying", operation="publish", outcome_unknown=True, **common,
        )
        again = OldCrossPost.objects.create(
            idempotency_key="2", marker="https://council.example/2/",
            state="retracting", operation="retract", remote_id="200_2",
            post_again_after_retraction=True, **common,
        )
        in_flight = OldCrossPost.objects.create(
            idempotency_key="3", marker="https://council.example/3/",
            state="sending", operation="publish", **common,
        )
        plain = OldCrossPost.objects.create(
            idempotency_key="4", marker="https://council.example/4/",
            state="posted", operation="publish", remote_id="200_4", **common,
        )
    finally:
        _migrate_through(AFTER)

    rows = {row.pk: row for row in CrossPost.objects.all()}
    assert [
        (rows[old.pk].state, rows[old.pk].operation, rows[old.pk].sent_hash)
        for old in (lost, again, in_flight, plain)
    ] == [
        ("retrying", "reconcile", ""),
        ("retracting", "repost", ""),
        ("sending", "publish", "a" * 64),
        ("posted", "publish", ""),
    ]
