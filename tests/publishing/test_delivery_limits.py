"""A delivery never outlives its lease: its task's hard time limit stops the
worker process before the lease runs out, so no second worker takes the row
while the first may still send it. Settings that would break this fail
``manage.py check``."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.core.checks import Error, Warning
from django.test import override_settings

from publishing import checks
from publishing.tasks import deliver_crosspost, deliver_upload


@pytest.mark.parametrize(
    ("task", "lease_setting"),
    [
        (deliver_crosspost, "CROSSPOST_LEASE_SECONDS"),
        (deliver_upload, "CROSSPOST_UPLOAD_LEASE_SECONDS"),
    ],
)
def test_a_delivery_is_stopped_before_its_lease_runs_out(task, lease_setting):
    lease = getattr(settings, lease_setting)
    margin = settings.CROSSPOST_LEASE_MARGIN_SECONDS

    assert task.time_limit == min(settings.CELERY_TASK_TIME_LIMIT, lease - margin)
    assert 0 < task.time_limit <= lease - margin
    # The soft limit is the hard one: a later one would keep Celery's event
    # loop from arming the hard limit at all.
    assert task.soft_time_limit == task.time_limit
    assert task.acks_late


def test_the_broker_keeps_a_message_for_longer_than_the_longest_delivery():
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if "visibility_timeout" not in options:
        pytest.skip("the filesystem broker does not redeliver on a timeout")
    longest = max(deliver_crosspost.time_limit, deliver_upload.time_limit)
    assert options["visibility_timeout"] > longest


def test_the_settings_as_shipped_pass_the_check():
    assert checks.lease_margin() == []


@override_settings(
    CROSSPOST_LEASE_SECONDS=30,
    CROSSPOST_UPLOAD_LEASE_SECONDS=5400,
    CROSSPOST_LEASE_MARGIN_SECONDS=60,
)
def test_a_lease_no_longer_than_the_margin_is_an_error():
    problems = checks.lease_margin()

    assert [type(problem) for problem in problems] == [Error]
    assert problems[0].id == "publishing.E001"
    assert "CROSSPOST_LEASE_SECONDS (30 s)" in problems[0].msg


def test_a_margin_shorter_than_a_channel_timeout_is_a_warning():
    channels = {
        name: {**channel, "TIMEOUT": 45.0 if name == "youtube" else 5.0}
        for name, channel in settings.SOCIAL_CHANNELS.items()
    }
    with override_settings(
        SOCIAL_CHANNELS=channels,
        CROSSPOST_LEASE_SECONDS=300,
        CROSSPOST_UPLOAD_LEASE_SECONDS=5400,
        CROSSPOST_LEASE_MARGIN_SECONDS=10,
    ):
        problems = checks.lease_margin()

    assert [type(problem) for problem in problems] == [Warning]
    assert problems[0].id == "publishing.W001"
    assert "youtube TIMEOUT (45 s)" in problems[0].msg


def test_a_send_that_fails_for_a_reason_of_ours_is_logged_with_its_traceback(
    monkeypatch, caplog
):
    from council_site.celery import app
    from publishing import dispatch

    # Not the broker: a fault of ours while building the message. The rows wait
    # for the sweeper either way, but the log must not blame the broker for it.
    def broken(*args, **kwargs):
        raise TypeError("a message Celery cannot build")

    monkeypatch.setattr(app, "send_task", broken)
    messages = [(dispatch.DELIVERY_TASKS["crosspost"], 41, 5)]

    with caplog.at_level(logging.WARNING, logger="publishing.dispatch"):
        sent = dispatch.send_to_broker(messages)

    assert sent == 0
    assert "Could not send cross-posts [41]" in caplog.text
    assert "a message Celery cannot build" in caplog.text
    assert "Broker unavailable" not in caplog.text


def test_following_processing_longer_than_an_upload_may_take_is_a_warning():
    youtube = settings.SOCIAL_CHANNELS["youtube"]
    channels = {
        **settings.SOCIAL_CHANNELS,
        "youtube": {
            **youtube,
            "OPTIONS": {**youtube["OPTIONS"], "processing_wait": 600},
        },
    }
    with override_settings(
        SOCIAL_CHANNELS=channels,
        CROSSPOST_UPLOAD_LEASE_SECONDS=600,
        CROSSPOST_LEASE_MARGIN_SECONDS=2,
    ):
        problems = checks.lease_margin()

    assert [problem.id for problem in problems] == ["publishing.W002"]
    assert "youtube processing_wait (600 s)" in problems[0].msg
