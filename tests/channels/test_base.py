"""Shared plumbing of the adapters: markers, timeouts, token hygiene."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from channels.errors import AuthError, RejectedError
from channels.oauth import check_callback, token_credentials
from channels.search import contains_marker, newest_first
from channels.session import RedactSecrets
from channels.values import Credentials

MARKER = "https://www.exampleshire.gov.uk/news/bins/"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (f"Read more: {MARKER}", True),
        (f"{MARKER}?utm_source=x&utm_medium=social", True),
        ("https://www.exampleshire.gov.uk/news/bins", True),
        (f"({MARKER}).", True),
        (f"{MARKER}recycling/", False),
        ("https://www.exampleshire.gov.uk/news/bins-and-boxes/", False),
        ("", False),
    ],
)
def test_contains_marker_matches_the_whole_url_only(text, found):
    assert contains_marker(text, MARKER) is found


def test_redaction_masks_tokens_in_library_debug_logs():
    record = logging.LogRecord(
        "tweepy.client",
        logging.DEBUG,
        __file__,
        1,
        "Headers: %s body=%s url=%s",
        (
            {"Authorization": "Bearer abc.def"},
            '{"access_token": "s3cr3t", "refresh_token": "r3fr3sh"}',
            "/debug_token?input_token=tok123&x=1",
        ),
        None,
    )
    RedactSecrets().filter(record)
    message = record.getMessage()
    for secret in ("abc.def", "s3cr3t", "r3fr3sh", "tok123"):
        assert secret not in message
    assert "x=1" in message


def test_token_response_without_refresh_token_keeps_the_old_one():
    old = Credentials("1", "old-access", refresh_token="old-refresh")
    new = token_credentials({"access_token": "new", "expires_in": 60}, old)
    assert (new.access_token, new.refresh_token) == ("new", "old-refresh")
    rotated = token_credentials({"access_token": "n", "refresh_token": "r2"}, old)
    assert rotated.refresh_token == "r2"
    assert "old" not in repr(new) and "new" not in repr(new)


def test_callback_state_is_checked_before_anything_else():
    with pytest.raises(AuthError, match="state"):
        check_callback({"error": "access_denied", "state": "forged"}, "mine", "X")
    with pytest.raises(AuthError, match="not granted"):
        check_callback({"error": "access_denied", "state": "mine"}, "mine", "X")
    assert check_callback({"code": "c", "state": "mine"}, "mine", "X") == "c"


def test_newest_first_stops_at_since_and_fetches_no_further():
    start = datetime(2026, 5, 1, 12, tzinfo=UTC)
    fetched: list[int] = []

    def pages():  # ten posts a minute apart, newest first, counted as fetched
        for minutes in range(10, 0, -1):
            fetched.append(minutes)
            yield start + timedelta(minutes=minutes)

    since = start + timedelta(minutes=7)
    kept = list(newest_first(pages(), limit=100, since=since, created=lambda t: t))

    assert kept == [start + timedelta(minutes=m) for m in (10, 9, 8, 7)]
    assert fetched == [10, 9, 8, 7, 6]  # the first older one ends it


def test_newest_first_refuses_to_guess_when_a_search_back_reaches_its_cap(caplog):
    now = datetime.now(UTC)
    posts = [now - timedelta(seconds=s) for s in range(10)]
    since = now - timedelta(hours=1)

    seen = []
    with pytest.raises(RejectedError, match="over 3 posts"):
        for item in newest_first(
            iter(posts), limit=3, since=since, created=lambda t: t
        ):
            seen.append(item)
    plain = list(newest_first(iter(posts), limit=3, since=None, created=lambda t: t))

    assert seen == plain == posts[:3]
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "after 3 posts" in caplog.text
