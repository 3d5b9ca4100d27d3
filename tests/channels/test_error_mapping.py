"""The error mapping every adapter shares, and the "already gone" rule.

The platforms' own quirks (Graph error codes, X's reset headers, YouTube's
reasons) are proven against the sandbox in each adapter's test file; this file
proves the shared part once, on an adapter with no platform behind it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from channels.base import ChannelAdapter
from channels.errors import (
    AuthError,
    ChannelError,
    RateLimitedError,
    RejectedError,
    TemporaryError,
)
from channels.values import Credentials


class Bare(ChannelAdapter):
    """An adapter whose only step is a retract that fails as it is told."""

    id = "bare"
    name = "Bare"
    max_text_length = 100

    def __init__(self, retract_fails_with: ChannelError | None = None) -> None:
        # A port nothing listens on: nothing here may reach the network.
        super().__init__({"API_URL": "http://127.0.0.1:9"}, Credentials("a", "t"))
        self.retract_fails_with = retract_fails_with
        self.retracted: list[str] = []

    def _retract(self, remote_id: str) -> None:
        self.retracted.append(remote_id)
        if self.retract_fails_with is not None:
            raise self.retract_fails_with


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, AuthError),
        (429, RateLimitedError),
        (500, TemporaryError),
        (502, TemporaryError),
        (503, TemporaryError),
        (400, RejectedError),
        (403, RejectedError),
        (404, RejectedError),
        (409, RejectedError),
    ],
)
def test_an_http_status_maps_to_one_error_kind(status, expected):
    error = Bare().status_error(status, "The platform said no.", body=b"{}")

    assert type(error) is expected
    assert (error.status, error.message) == (status, "The platform said no.")


def test_a_rate_limit_reads_when_to_retry_from_retry_after():
    now = datetime.now(UTC)
    error = Bare().status_error(429, "Slow down.", headers={"retry-after": "120"})

    assert isinstance(error, RateLimitedError)
    assert now + timedelta(seconds=119) <= error.retry_at
    assert error.retry_at <= datetime.now(UTC) + timedelta(seconds=121)


@pytest.mark.parametrize(
    "exc",
    [
        requests.ReadTimeout("read timed out"),
        requests.ConnectTimeout("connect timed out"),
        requests.ConnectionError("connection reset by peer"),
        json.JSONDecodeError("Expecting value", "<html>", 0),
    ],
    ids=["read timeout", "connect timeout", "connection reset", "not JSON"],
)
def test_timeouts_dropped_connections_and_unreadable_answers_are_temporary(exc):
    assert isinstance(Bare().classify_error(exc), TemporaryError)


def test_a_bug_is_not_taken_for_the_platforms_doing():
    assert Bare().classify_error(KeyError("id")) is None


def test_retracting_a_post_that_is_already_gone_counts_as_retracted():
    adapter = Bare(RejectedError("No such post.", status=404))

    adapter.retract("42")

    assert adapter.retracted == ["42"]


@pytest.mark.parametrize(
    "error",
    [
        RejectedError("You cannot delete this.", status=403),
        TemporaryError("Try later.", status=503),
    ],
    ids=["refused", "temporary"],
)
def test_retract_raises_every_other_failure(error):
    with pytest.raises(type(error)):
        Bare(error).retract("42")
