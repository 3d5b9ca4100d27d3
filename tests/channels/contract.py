"""The behaviour every channel adapter owes the publishing service.

Each platform's test class inherits :class:`AdapterContract` and supplies the
platform specifics (config, credentials, a post, how a rejection is provoked).
The tests run the real client libraries against the sandbox over loopback HTTP.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest
import requests
import time_machine

from channels.base import ChannelAdapter
from channels.errors import AuthError, RateLimitedError, RejectedError, TemporaryError
from channels.values import Credentials, Image, Post
from sandbox.png import make_png

TIMEOUT = 2.0
# Each call below waits out this timeout against a hanging platform: short, so
# the five adapters' six calls take seconds, not half a minute.
SHORT_TIMEOUT = 0.2

# The sandbox's seeded accounts: the council's Facebook Page, X user, YouTube channel.
FACEBOOK_PAGE = "200000000001"
X_USER = "3000000001"
YOUTUBE_CHANNEL = "UCexampleshire0000000001"

# Each adapter's settings entry (SOCIAL_CHANNELS shape), pointed at a sandbox.
APP_ID = "100200300400500"
APP_SECRET = "sandbox-facebook-app-secret"
CHUNK = 256 * 1024


def facebook_config(url: str, *, timeout: float = TIMEOUT, **options: Any) -> dict:
    return {
        "API_URL": f"{url}/facebook",
        "API_VERSION": "v24.0",
        "AUTHORIZE_URL": f"{url}/facebook/v24.0/dialog/oauth",
        "TOKEN_URL": f"{url}/facebook/v24.0/oauth/access_token",
        "WEB_URL": f"{url}/facebook/web",
        "CLIENT_ID": APP_ID,
        "CLIENT_SECRET": APP_SECRET,
        "TIMEOUT": timeout,
        "OPTIONS": options,
    }


def x_config(url: str, *, timeout: float = TIMEOUT, **options: Any) -> dict:
    return {
        "API_URL": f"{url}/x",
        "AUTHORIZE_URL": f"{url}/x/i/oauth2/authorize",
        "TOKEN_URL": f"{url}/x/2/oauth2/token",
        "WEB_URL": f"{url}/x/web",
        "CLIENT_ID": "sandbox-x-client-id",
        "CLIENT_SECRET": "sandbox-x-client-secret",
        "TIMEOUT": timeout,
        "OPTIONS": options,
    }


def youtube_config(url: str, *, timeout: float = TIMEOUT, **options: Any) -> dict:
    return {
        "API_URL": f"{url}/youtube/",
        "AUTHORIZE_URL": f"{url}/youtube/o/oauth2/auth",
        "TOKEN_URL": f"{url}/youtube/token",
        "WEB_URL": f"{url}/youtube/web",
        "CLIENT_ID": "sandbox-google-client-id.apps.googleusercontent.com",
        "CLIENT_SECRET": "sandbox-google-client-secret",
        "TIMEOUT": timeout,
        "OPTIONS": {"chunk_size": CHUNK, **options},
    }



def bluesky_config(url: str, *, timeout: float = TIMEOUT, **options: Any) -> dict:
    return {
        "API_URL": f"{url}/bluesky",
        "WEB_URL": f"{url}/bluesky/web",
        "TIMEOUT": timeout,
        "OPTIONS": options,
    }


def mastodon_config(url: str, *, timeout: float = TIMEOUT, **options: Any) -> dict:
    return {
        "API_URL": f"{url}/mastodon",
        "WEB_URL": f"{url}/mastodon",
        "CLIENT_ID": "sandbox-mastodon-client-id",
        "CLIENT_SECRET": "sandbox-mastodon-client-secret",
        "TIMEOUT": timeout,
        "OPTIONS": options,
    }


#: More posts than a search of the newest 50 reaches, over several pages.
BURIED_UNDER = 120


class AdapterContract:
    platform: ClassVar[str]
    adapter_class: ClassVar[type[ChannelAdapter]]
    account_id: ClassVar[str]

    # Platform specifics ----------------------------------------------------------

    def config(
        self, url: str, *, timeout: float = TIMEOUT, **options: Any
    ) -> dict[str, Any]:
        raise NotImplementedError

    def make_post(self, tmp_path: Path, marker: str, text: str = "") -> Post:
        raise NotImplementedError

    def provoke_rejection(self, adapter: ChannelAdapter, post: Post) -> str:
        """Make the platform refuse content; return words its answer contains."""
        adapter.publish(post)
        with pytest.raises(RejectedError) as caught:
            adapter.publish(post)
        return caught.value.message

    def rejection_words(self) -> str:
        raise NotImplementedError

    def with_missing_media(self, post: Post, missing: Path) -> Post:
        """``post`` carrying a media file at ``missing``, which does not exist."""
        return replace(post, images=(Image(missing, "A bin lorry"),))

    def lose_publish_response(
        self, adapter: ChannelAdapter, post: Post, sandbox: Any
    ) -> None:
        """Publish so that the post is created but the answer never arrives."""
        sandbox.add_fault(self.platform, "publish", "drop_after_create", count=1)
        with pytest.raises(TemporaryError):
            adapter.publish(post)

    def assert_retracted(self, record: dict[str, Any]) -> None:
        assert record["deleted"] is True

    def post_directly(self, url: str, sandbox: Any, count: int) -> None:
        """Make ``count`` posts on the account through the platform's own API,
        as staff posting by hand would, not through the adapter."""
        raise NotImplementedError

    def mint(self, sandbox: Any) -> Credentials:
        token = sandbox.mint_token(self.platform, account_id=self.account_id)
        return Credentials(
            account_id=self.account_id,
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token") or "",
        )

    # Fixtures ----------------------------------------------------------------------

    @pytest.fixture
    def marker(self) -> str:
        return f"https://www.exampleshire.gov.uk/news/{uuid.uuid4().hex[:12]}/"

    @pytest.fixture
    def credentials(self, sandbox: Any) -> Credentials:
        return self.mint(sandbox)

    @pytest.fixture
    def refreshed(self) -> list[Credentials]:
        return []

    @pytest.fixture
    def adapter(
        self, sandbox_server: Any, credentials: Credentials, refreshed: list
    ) -> ChannelAdapter:
        return self.build(sandbox_server.url, credentials, refreshed)

    @pytest.fixture
    def post(self, tmp_path: Path, marker: str) -> Post:
        return self.make_post(tmp_path, marker)

    def build(
        self,
        url: str,
        credentials: Credentials,
        refreshed: list | None = None,
        **options: Any,
    ) -> ChannelAdapter:
        saver = refreshed.append if refreshed is not None else None
        return self.adapter_class(
            self.config(url, **options), credentials, on_token_refresh=saver
        )

    def publish_with_image(self, adapter, tmp_path, marker):
        """Publish a post carrying one picture with its alt text; its result."""
        path = tmp_path / "bin.png"
        path.write_bytes(make_png(40, 30, (20, 160, 60)))
        post = Post(
            text=f"New bins {marker}",
            link=marker,
            marker=marker,
            images=(Image(path, "A green wheelie bin", "image/png"),),
        )
        return adapter.publish(post)

    def test_images_reach_the_platform_with_their_alt_text(
        self, adapter, sandbox, tmp_path, marker
    ):
        if not adapter.supports_images or self.platform == "facebook":
            pytest.skip("no pictures here, or a photo post of its own (its tests)")
        result = self.publish_with_image(adapter, tmp_path, marker)

        media = self.record(sandbox, result.remote_id)["media"]
        assert [m["alt_text"] for m in media] == ["A green wheelie bin"]

    def record(self, sandbox: Any, remote_id: str) -> dict[str, Any]:
        posts = sandbox.posts(self.platform, include_deleted=True)
        return next(p for p in posts if p["id"] == remote_id)

    def carrying(self, sandbox: Any, marker: str) -> list[dict[str, Any]]:
        return [
            p
            for p in sandbox.posts(self.platform)
            if any(u.startswith(marker) for u in p["urls"])
        ]

    def token_calls(self, sandbox: Any) -> int:
        return sum(
            1
            for entry in sandbox.requests_log(self.platform)
            if entry.get("operation") == "token"
        )

    # The contract ------------------------------------------------------------------

    def test_publish_returns_an_absolute_permalink(
        self, adapter, post, sandbox, sandbox_server, marker
    ):
        result = adapter.publish(post)

        permalink = urlsplit(result.permalink)
        assert permalink.scheme == "http"
        assert permalink.netloc == urlsplit(sandbox_server.url).netloc
        assert result.remote_id.rpartition("_")[2] in result.permalink
        assert requests.get(result.permalink, timeout=TIMEOUT).status_code == 200
        assert [p["id"] for p in self.carrying(sandbox, marker)] == [result.remote_id]

    def test_update_follows_the_platform(
        self, adapter, post, sandbox, tmp_path, marker
    ):
        result = adapter.publish(post)
        before = self.record(sandbox, result.remote_id)
        changed = self.make_post(tmp_path, marker, text="Updated: bins on Tuesday.")

        updated = adapter.update(result.remote_id, changed)

        after = self.record(sandbox, result.remote_id)
        assert updated.remote_id == result.remote_id
        if adapter.supports_update:
            assert "Updated: bins on Tuesday." in after["text"] + after["description"]
        else:  # the default "leave" policy
            assert updated == result
            assert (after["text"], after["edits"]) == (before["text"], before["edits"])

    def test_retract_removes_the_post_and_is_idempotent(self, adapter, post, sandbox):
        result = adapter.publish(post)

        adapter.retract(result.remote_id)
        adapter.retract(result.remote_id)

        self.assert_retracted(self.record(sandbox, result.remote_id))

    def test_find_by_marker_adopts_a_post_whose_response_was_lost(
        self, adapter, post, sandbox, marker
    ):
        assert adapter.find_by_marker(marker) is None

        self.lose_publish_response(adapter, post, sandbox)
        found = adapter.find_by_marker(marker)

        created = self.carrying(sandbox, marker)
        assert len(created) == 1
        assert found is not None and found.remote_id == created[0]["id"]
        assert found.permalink.startswith("http")

    def test_a_post_is_processed_once_the_platform_is_done_with_it(
        self, adapter, post
    ):
        """At once, or (a YouTube video, encoded after its upload) once the
        platform has finished: asked later with ``processing_outcome``."""
        result = adapter.publish(post)

        with time_machine.travel(datetime.now(UTC) + timedelta(minutes=1)):
            assert adapter.processing_outcome(result.remote_id) == "processed"

    def list_calls(self, sandbox: Any) -> int:
        return sum(
            1
            for entry in sandbox.requests_log(self.platform)
            if entry.get("operation") == "list"
        )

    def test_find_by_marker_since_reaches_past_many_newer_posts(
        self, adapter, post, sandbox, sandbox_server, marker
    ):
        since = datetime.now(UTC)
        published = adapter.publish(post)
        self.post_directly(sandbox_server.url, sandbox, BURIED_UNDER)

        assert adapter.find_by_marker(marker) is None  # the newest 50 only
        found = adapter.find_by_marker(marker, since=since)

        assert found is not None
        assert found.remote_id == published.remote_id
        assert found.permalink.startswith("http")

    def test_find_by_marker_since_stops_at_older_posts(
        self, adapter, post, sandbox, sandbox_server, marker
    ):
        adapter.publish(post)
        self.post_directly(sandbox_server.url, sandbox, BURIED_UNDER)
        # Platforms give post times to the second: the rest happens two seconds
        # later (the sandbox serves from this process, so it sees this clock).
        with time_machine.travel(datetime.now(UTC) + timedelta(seconds=2)):
            since = datetime.now(UTC)
            self.post_directly(sandbox_server.url, sandbox, 3)
            adapter.clock_skew = timedelta(0)
            before = self.list_calls(sandbox)

            found = adapter.find_by_marker(marker, since=since)

        assert found is None  # the marked post is older than ``since``
        # The newer posts fit in the first page, and no page past them is read.
        assert self.list_calls(sandbox) - before == 1

    def test_find_by_marker_since_allows_for_clock_skew(self, adapter, post, marker):
        published = adapter.publish(post)
        now = datetime.now(UTC)

        # A platform clock a few minutes behind ours: still found...
        found = adapter.find_by_marker(marker, since=now + timedelta(minutes=4))
        # ...but not a post from well before the search's time.
        missed = adapter.find_by_marker(marker, since=now + timedelta(minutes=6))

        assert found is not None and found.remote_id == published.remote_id
        assert missed is None

    def test_find_by_marker_since_refuses_to_guess_past_its_cap(
        self, adapter, post, sandbox, sandbox_server, marker
    ):
        since = datetime.now(UTC)
        adapter.publish(post)
        self.post_directly(sandbox_server.url, sandbox, 8)
        adapter.max_scan = 5

        # Not "not found", which would send the post again: a person must look.
        with pytest.raises(RejectedError, match="over 5 posts"):
            adapter.find_by_marker(marker, since=since)

    def test_a_post_without_its_time_is_an_error_never_now(
        self, adapter, post, sandbox, marker
    ):
        adapter.publish(post)
        sandbox.set_scenario(self.platform, omit_timestamps=True)
        missing = f"^{adapter.name} sent a post without its "

        with pytest.raises(TemporaryError, match=missing):
            adapter.find_by_marker(marker, since=datetime.now(UTC) - timedelta(hours=1))
        with pytest.raises(TemporaryError, match=missing):
            adapter.recent_posts(limit=5)

    def test_find_by_marker_since_needs_an_aware_time(self, adapter, marker):
        with pytest.raises(ValueError, match="aware"):
            adapter.find_by_marker(marker, since=datetime.now())

    def test_validate_needs_no_account_or_client(self, post, tmp_path):
        missing = Image(tmp_path / "gone.png", alt_text="", content_type="image/png")
        bad = replace(post, video=None, images=(missing,))

        # Called on the class: no credentials, no client, no network.
        assert self.adapter_class.validate(post) == []
        assert self.adapter_class.validate(bad) != []

    def test_expired_token_is_refreshed_once_and_stored(
        self, adapter, post, sandbox, credentials, refreshed
    ):
        sandbox.expire_tokens(self.platform, credentials.access_token)

        if not credentials.refresh_token:  # Facebook Page tokens
            with pytest.raises(AuthError):
                adapter.publish(post)
            assert refreshed == []
            return
        result = adapter.publish(post)

        assert result.remote_id
        assert self.token_calls(sandbox) == 1
        assert len(refreshed) == 1
        assert refreshed[0].access_token != credentials.access_token
        assert refreshed[0].refresh_token
        assert adapter.credentials == refreshed[0]

    def test_revoked_token_is_an_auth_error_after_one_refresh(
        self, adapter, post, sandbox, credentials
    ):
        sandbox.revoke_tokens(self.platform)

        with pytest.raises(AuthError) as caught:
            adapter.publish(post)

        assert self.token_calls(sandbox) == (1 if credentials.refresh_token else 0)
        assert credentials.access_token not in str(caught.value)
        assert credentials.access_token not in caught.value.body

    def test_rate_limit_says_when_to_retry(self, adapter, post, sandbox):
        sandbox.add_fault(self.platform, "publish", "rate_limit", reset_after=600)

        with pytest.raises(RateLimitedError) as caught:
            adapter.publish(post)

        self.assert_retry_at(caught.value.retry_at, datetime.now(UTC))

    def assert_retry_at(self, retry_at: datetime | None, now: datetime) -> None:
        assert retry_at is not None
        assert now + timedelta(seconds=500) < retry_at < now + timedelta(seconds=700)

    def test_server_errors_are_temporary(self, adapter, post, sandbox):
        sandbox.add_fault(self.platform, "publish", "server_error")

        with pytest.raises(TemporaryError) as caught:
            adapter.publish(post)

        assert caught.value.status is None or caught.value.status >= 500

    @pytest.mark.parametrize("kind", ["html_error", "truncated_json"])
    def test_unreadable_answers_are_temporary(self, adapter, post, sandbox, kind):
        sandbox.add_fault(self.platform, "*", kind)

        with pytest.raises(TemporaryError):
            adapter.find_by_marker("https://www.exampleshire.gov.uk/none/")

    def test_every_call_has_a_timeout(
        self, sandbox_server, credentials, post, sandbox, tmp_path, marker
    ):
        # The post to update and read is made at the usual timeout (a busy
        # machine may take longer than the short one to answer at all).
        result = self.build(sandbox_server.url, credentials).publish(post)
        adapter = self.build(sandbox_server.url, credentials, timeout=SHORT_TIMEOUT)
        sandbox.add_fault(self.platform, "*", "hang", hang_seconds=5)
        calls = {
            "publish": lambda: adapter.publish(
                self.make_post(tmp_path, marker + "again/")
            ),
            "update": lambda: adapter.update(result.remote_id, post),
            "retract": lambda: adapter.retract(result.remote_id),
            "find_by_marker": lambda: adapter.find_by_marker(marker),
            "recent_posts": lambda: adapter.recent_posts(),
            "metrics": lambda: adapter.metrics(result.remote_id),
        }
        if not adapter.supports_update:
            del calls["update"]  # "leave" makes no call at all

        for name, call in calls.items():
            started = time.monotonic()
            with pytest.raises(TemporaryError):
                call()
            assert time.monotonic() - started < 4, name

    def test_platform_rejection_keeps_the_platforms_words(self, adapter, post):
        message = self.provoke_rejection(adapter, post)

        assert self.rejection_words() in message

    def test_a_missing_media_file_is_a_rejection_naming_it(
        self, adapter, post, tmp_path, marker
    ):
        gone = self.with_missing_media(post, tmp_path / "deleted-since.jpg")

        with pytest.raises(RejectedError) as caught:
            adapter.publish(gone)

        assert "deleted-since.jpg" in caught.value.message
        assert "Upload it again" in caught.value.message
        assert adapter.find_by_marker(marker) is None

    def test_recent_posts_are_normalised(self, adapter, post):
        result = adapter.publish(post)

        items = adapter.recent_posts(limit=5)

        assert 1 <= len(items) <= 5
        newest = items[0]
        assert newest.remote_id == result.remote_id
        assert newest.created_at.tzinfo is not None
        assert newest.permalink.startswith("http")
        assert items == sorted(items, key=lambda i: i.created_at, reverse=True)

    def test_no_token_reaches_the_logs(
        self, adapter, post, sandbox, credentials, refreshed, caplog
    ):
        sandbox.expire_tokens(self.platform, credentials.access_token)
        for name in ("", "urllib3", "tweepy", "requests_oauthlib", "googleapiclient"):
            caplog.set_level(logging.DEBUG, logger=name)

        try:
            adapter.publish(post)
        except AuthError:
            pass  # Facebook: a Page token cannot be refreshed

        assert caplog.records  # the HTTP libraries did log at DEBUG
        secrets = [credentials.access_token, credentials.refresh_token]
        secrets += [t for c in refreshed for t in (c.access_token, c.refresh_token)]
        for secret in filter(None, secrets):
            assert secret not in caplog.text

    def test_metrics_are_numbers(self, adapter, post):
        result = adapter.publish(post)

        metrics = adapter.metrics(result.remote_id)

        assert isinstance(metrics.likes, int)
        assert isinstance(metrics.comments, int)
