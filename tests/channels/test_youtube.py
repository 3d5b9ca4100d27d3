"""YouTube adapter: the contract plus resumable uploads and retract policies."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import time_machine

from channels import google_api
from channels.errors import (
    AuthError,
    ConfigurationError,
    RejectedError,
    TemporaryError,
)
from channels.values import Credentials, Post, Video
from channels.youtube import NO_VIDEO, YouTubeAdapter
from sandbox.video import make_mp4

from .contract import CHUNK, TIMEOUT, AdapterContract, youtube_config
from .contract import YOUTUBE_CHANNEL as CHANNEL


def video_file(tmp_path: Path, size: int = 2 * CHUNK + 1000) -> Path:
    path = tmp_path / "briefing.mp4"
    if not path.exists():
        # A real MP4, padded: enough for a three-chunk upload.
        path.write_bytes(make_mp4(size))
    return path


def send_all_but_the_last_chunk(adapter: YouTubeAdapter, post: Post) -> Any:
    """Start a resumable upload and stop before its last chunk."""
    request = adapter._insert_request(post, post.video)
    size = post.video.path.stat().st_size
    while request.resumable_progress + adapter.chunk_size < size:
        assert request.next_chunk(num_retries=0)[1] is None
    return request


class TestYouTubeAdapter(AdapterContract):
    platform = "youtube"
    adapter_class = YouTubeAdapter
    account_id = CHANNEL

    def config(self, url: str, *, timeout: float = TIMEOUT, **options: Any) -> dict:
        return youtube_config(url, timeout=timeout, **options)

    def make_post(
        self,
        tmp_path: Path,
        marker: str,
        text: str = "",
        title: str = "Council budget briefing",
    ) -> Post:
        text = text or "The leader explains next year's budget."
        video = Video(path=video_file(tmp_path), title=title, tags=("budget",))
        return Post(text=text, link=marker, marker=marker, title=title, video=video)

    def provoke_rejection(self, adapter, post) -> str:
        from channels.errors import RejectedError

        bad = self.make_post(
            Path(post.video.path).parent, post.marker, title="Budget <script>"
        )
        with pytest.raises(RejectedError) as caught:
            adapter.publish(bad)
        return caught.value.message

    def rejection_words(self) -> str:
        return "specifies an invalid or empty video title"

    def with_missing_media(self, post: Post, missing: Path) -> Post:
        return replace(post, video=replace(post.video, path=missing))

    def post_directly(self, url: str, sandbox: Any, count: int) -> None:
        # Simple (non-resumable) uploads, more than a day's default allowance.
        sandbox.quota(inserts_limit=10_000, uploads_limit=10_000)
        token = sandbox.mint_token("youtube", account_id=CHANNEL)["access_token"]
        with requests.Session() as session:
            for _ in range(count):
                session.post(
                    f"{url}/youtube/upload/youtube/v3/videos",
                    params={"uploadType": "media", "part": "snippet"},
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "video/mp4",
                    },
                    data=b"\x00" * 64,
                    timeout=TIMEOUT,
                ).raise_for_status()

    def lose_publish_response(self, adapter, post, sandbox) -> None:
        # The video exists once its last chunk arrives, so that is the answer
        # to lose. httplib2 re-sends a request once after a dropped connection,
        # so both answers are lost, and without retries the adapter cannot ask
        # the upload session how it ended.
        request = send_all_but_the_last_chunk(adapter, post)
        sandbox.add_fault("youtube", "publish", "drop_after_create", count=2)
        adapter.upload_retries = 0
        with pytest.raises(TemporaryError):
            adapter._call(lambda: adapter._upload(request))

    def assert_retracted(self, record: dict[str, Any]) -> None:
        assert record["privacy"] == "private"
        assert record["deleted"] is False

    # Quirks ------------------------------------------------------------------------

    def test_an_interrupted_upload_resumes_where_it_stopped(
        self, adapter, post, sandbox, marker
    ):
        request = send_all_but_the_last_chunk(adapter, post)
        sandbox.add_fault("youtube", "publish", "server_error", count=1)

        created = adapter._call(lambda: adapter._upload(request))

        puts = [
            r["status"] for r in sandbox.requests_log("youtube") if r["method"] == "PUT"
        ]
        # two chunks, the failed last one, the "how much arrived?" query, the last
        assert puts == [308, 308, 503, 308, 200]
        records = self.carrying(sandbox, marker)
        assert [r["id"] for r in records] == [created["id"]]
        assert records[0]["media"][0]["size"] == post.video.path.stat().st_size

    def test_a_lost_final_answer_is_recovered_from_the_upload_session(
        self, adapter, post, sandbox, marker
    ):
        request = send_all_but_the_last_chunk(adapter, post)
        # Lose the last chunk's answer twice (httplib2 re-sends once by itself).
        sandbox.add_fault("youtube", "publish", "drop_after_create", count=2)

        created = adapter._call(lambda: adapter._upload(request))

        puts = [
            r["status"] for r in sandbox.requests_log("youtube") if r["method"] == "PUT"
        ]
        assert puts == [308, 308, None, None, 200]  # the last is the status query
        assert [r["id"] for r in self.carrying(sandbox, marker)] == [created["id"]]

    def test_the_upload_session_is_handed_over_before_any_byte_is_sent(
        self, adapter, post, sandbox
    ):
        seen: list[tuple[str, list]] = []

        def keep(uri: str) -> None:
            puts = [r for r in sandbox.requests_log("youtube") if r["method"] == "PUT"]
            seen.append((uri, puts))

        result = adapter.publish(post, on_upload_session=keep)

        [(uri, puts_before)] = seen
        assert "upload_id=" in uri
        assert puts_before == []
        assert result.remote_id

    def test_a_lost_answer_is_settled_by_the_session_while_the_playlist_lags(
        self, adapter, post, sandbox, marker
    ):
        sandbox.set_scenario("youtube", playlist_lag_seconds=3600)
        request = send_all_but_the_last_chunk(adapter, post)
        sandbox.add_fault("youtube", "publish", "drop_after_create", count=2)
        adapter.upload_retries = 0
        with pytest.raises(TemporaryError):
            adapter._call(lambda: adapter._upload(request))

        # The video exists, but the uploads playlist does not list it yet.
        assert adapter.find_by_marker(marker) is None
        settled = adapter.resume_upload(request.resumable_uri, post)

        made = self.carrying(sandbox, marker)
        assert [r["id"] for r in made] == [settled.remote_id]
        assert settled.permalink.endswith(settled.remote_id)

    def test_an_unfinished_upload_goes_on_from_the_confirmed_offset(
        self, adapter, post, sandbox, marker
    ):
        request = send_all_but_the_last_chunk(adapter, post)
        before = len(sandbox.requests_log("youtube"))

        settled = adapter.resume_upload(request.resumable_uri, post)

        after = sandbox.requests_log("youtube")[before:]
        puts = [r["status"] for r in after if r["method"] == "PUT"]
        assert puts == [308, 200]  # "how much arrived?", then the last chunk only
        [record] = self.carrying(sandbox, marker)
        assert record["id"] == settled.remote_id
        assert record["media"][0]["size"] == post.video.path.stat().st_size

    def test_an_expired_session_leaves_the_search_to_the_marker(
        self, adapter, post, sandbox, marker
    ):
        request = send_all_but_the_last_chunk(adapter, post)
        assert sandbox.expire_upload_sessions() == 1

        assert adapter.resume_upload(request.resumable_uri, post) is None
        assert self.carrying(sandbox, marker) == []

    def test_a_missing_permission_asks_for_reconnection_not_a_failed_post(
        self, sandbox_server, sandbox, post
    ):
        upload_only = sandbox.mint_token(
            "youtube", scope="https://www.googleapis.com/auth/youtube.upload"
        )
        adapter = self.build(
            sandbox_server.url,
            Credentials(CHANNEL, upload_only["access_token"], "refresh"),
        )
        result = adapter.publish(post)

        with pytest.raises(AuthError, match="connect it again"):
            adapter.retract(result.remote_id)

    def test_retract_policy_delete_removes_the_video(
        self, sandbox_server, credentials, post, sandbox
    ):
        adapter = self.build(sandbox_server.url, credentials, retract_policy="delete")
        result = adapter.publish(post)

        adapter.retract(result.remote_id)
        adapter.retract(result.remote_id)

        assert self.record(sandbox, result.remote_id)["deleted"] is True

    def test_update_changes_title_and_description(
        self, adapter, post, sandbox, tmp_path, marker
    ):
        result = adapter.publish(post)
        changed = self.make_post(tmp_path, marker, "New words.", title="New title")

        adapter.update(result.remote_id, changed)

        record = self.record(sandbox, result.remote_id)
        assert record["title"] == "New title"
        assert record["description"] == f"New words.\n\n{marker}"

    def test_a_page_without_video_is_explained(self, adapter, marker):
        post = Post(text="No video here.", link=marker, marker=marker)

        assert adapter.validate(post) == [NO_VIDEO]

    def test_chunk_size_must_be_a_multiple_of_256_kib(
        self, sandbox_server, credentials
    ):
        with pytest.raises(ConfigurationError, match="256 KiB"):
            self.build(sandbox_server.url, credentials, chunk_size=1000)

    def test_adapters_sharing_a_threads_client_each_send_as_their_own_account(
        self, sandbox_server, credentials
    ):
        good = self.build(sandbox_server.url, credentials)
        revoked = self.build(
            sandbox_server.url,
            Credentials(account_id=CHANNEL, access_token="revoked-token"),
        )
        assert good.youtube.shared is revoked.youtube.shared

        assert isinstance(good.recent_posts(limit=1), list)
        with pytest.raises(AuthError):
            revoked.recent_posts(limit=1)
        # The shared client did not keep the last adapter's transport.
        assert isinstance(good.recent_posts(limit=1), list)
        request = good.youtube.videos().list(part="id", id="abc")
        assert request.http is good.authed_http

    def test_the_shared_client_cannot_send_by_itself(self, sandbox_server, credentials):
        adapter = self.build(sandbox_server.url, credentials)
        request = adapter.youtube.shared.resource("videos").list(part="id", id="abc")

        with pytest.raises(RuntimeError, match="without an account"):
            request.execute(num_retries=0)

    def test_the_client_is_built_on_first_use_from_a_per_thread_document(
        self, sandbox_server, credentials, post
    ):
        first = self.build(sandbox_server.url, credentials)
        second = self.build(sandbox_server.url, credentials)
        elsewhere: dict[str, Any] = {}

        def build_in_another_thread() -> None:
            adapter = self.build(sandbox_server.url, credentials)
            elsewhere["shared"] = adapter.youtube.shared

        thread = threading.Thread(target=build_in_another_thread)
        thread.start()
        thread.join()

        assert first.validate(post) == []
        assert "youtube" not in vars(first)  # validating built no client
        # One client per thread, built from one parsed document, shared by
        # every adapter the thread builds; each sends with its own account.
        assert first.youtube.shared is second.youtube.shared
        assert elsewhere["shared"] is not first.youtube.shared
        assert first.youtube.shared.client._rootDesc is google_api.parsed_document(
            first.api_url + "/"
        )
        assert first.recent_posts(limit=2) and second.recent_posts(limit=2)

    # Processing ----------------------------------------------------------------------

    def following(self, sandbox_server, credentials, sandbox, **scenario):
        """An adapter that follows processing, against a sandbox whose next
        video is processed as ``scenario`` says."""
        sandbox.set_scenario("youtube", **scenario)
        return self.build(sandbox_server.url, credentials, processing_wait=10)

    def test_a_video_youtube_rejects_fails_with_youtubes_reason(
        self, sandbox_server, credentials, sandbox, post
    ):
        adapter = self.following(
            sandbox_server,
            credentials,
            sandbox,
            processing_seconds=0,
            processing_outcome="rejected",
            rejection_reason="duplicate",
        )

        with pytest.raises(RejectedError) as caught:
            adapter.publish(post)

        assert caught.value.message == (
            "YouTube rejected the video: it duplicates a video already on the "
            "channel (duplicate)."
        )

    def test_processing_is_followed_until_it_fails(
        self, sandbox_server, credentials, sandbox, post
    ):
        adapter = self.following(
            sandbox_server,
            credentials,
            sandbox,
            processing_seconds=0.3,
            processing_outcome="failed",
            failure_reason="codec",
        )

        with pytest.raises(RejectedError) as caught:
            adapter.publish(post)

        assert "could not process the video: its video or audio codec" in str(
            caught.value
        )
        asked = [
            str(r["query"])
            for r in sandbox.requests_log("youtube")
            if r["method"] == "GET"
        ]
        assert any("processingDetails" in query for query in asked)

    def test_a_processed_video_is_posted_once_processing_ends(
        self, sandbox_server, credentials, sandbox, post
    ):
        adapter = self.following(
            sandbox_server, credentials, sandbox, processing_seconds=0.3
        )

        result = adapter.publish(post)

        assert result.state == "posted"

    def uploaded_while_processing(self, adapter, sandbox, post, **scenario):
        """Publish with the sandbox processing the video for ten minutes, then
        ending as ``scenario`` says; the result, recorded while processing."""
        sandbox.set_scenario("youtube", processing_seconds=600, **scenario)
        result = adapter.publish(post)
        assert result.state == "processing"
        return result

    def test_a_video_rejected_after_the_publish_is_refused_when_asked_later(
        self, adapter, sandbox, post
    ):
        result = self.uploaded_while_processing(
            adapter,
            sandbox,
            post,
            processing_outcome="rejected",
            rejection_reason="claim",
        )
        assert adapter.processing_outcome(result.remote_id) == "processing"

        with time_machine.travel(datetime.now(UTC) + timedelta(minutes=11)):
            with pytest.raises(RejectedError) as caught:
                adapter.processing_outcome(result.remote_id)

        assert caught.value.message == (
            "YouTube rejected the video: a copyright claim (claim)."
        )
        assert caught.value.code == "rejected"

    def test_a_video_youtube_failed_to_process_is_refused_with_the_reason(
        self, adapter, sandbox, post
    ):
        result = self.uploaded_while_processing(
            adapter,
            sandbox,
            post,
            processing_outcome="failed",
            failure_reason="invalidFile",
        )

        with time_machine.travel(datetime.now(UTC) + timedelta(minutes=11)):
            with pytest.raises(RejectedError) as caught:
                adapter.processing_outcome(result.remote_id)

        assert caught.value.message == (
            "YouTube could not process the video: it is not a video file YouTube "
            "can read (invalidFile)."
        )

    def test_asking_about_processing_costs_one_videos_list(
        self, adapter, sandbox, post
    ):
        result = self.uploaded_while_processing(adapter, sandbox, post)
        before = len(sandbox.requests_log("youtube"))

        adapter.processing_outcome(result.remote_id)

        [asked] = sandbox.requests_log("youtube")[before:]
        assert (asked["method"], asked["operation"]) == ("GET", "get")
        assert "processingDetails" in str(asked["query"])

    def test_a_server_error_while_asking_about_processing_is_temporary(
        self, adapter, sandbox, post
    ):
        result = self.uploaded_while_processing(adapter, sandbox, post)
        sandbox.add_fault("youtube", "get", "server_error", count=2)

        with pytest.raises(TemporaryError):
            adapter.processing_outcome(result.remote_id)

    def test_a_deleted_video_is_refused_when_asked_about(self, adapter, sandbox, post):
        result = self.uploaded_while_processing(adapter, sandbox, post)
        adapter._execute(adapter.youtube.videos().delete(id=result.remote_id))

        with pytest.raises(RejectedError, match="no longer on YouTube"):
            adapter.processing_outcome(result.remote_id)

    def test_a_video_found_by_its_link_is_followed_as_still_processing(
        self, adapter, post, sandbox, marker
    ):
        """The uploads playlist does not say how processing went."""
        self.lose_publish_response(adapter, post, sandbox)

        found = adapter.find_by_marker(marker)

        assert found is not None and found.state == "processing"

    def test_making_a_video_private_keeps_its_other_status_settings(
        self, adapter, post
    ):
        video = adapter.publish(post)
        settings = {
            "embeddable": False,
            "license": "creativeCommon",
            "publicStatsViewable": False,
            "selfDeclaredMadeForKids": False,
            "containsSyntheticMedia": True,
        }
        adapter._execute(
            adapter.youtube.videos().update(
                part="status",
                body={
                    "id": video.remote_id,
                    "status": {"privacyStatus": "public", **settings},
                },
            )
        )

        adapter.retract(video.remote_id)

        status = adapter._video(video.remote_id, "status")["status"]
        assert status["privacyStatus"] == "private"
        assert {key: status[key] for key in settings} == settings


def test_processing_is_asked_about_soon_then_less_often_without_an_estimate():
    from channels.youtube_upload import poll_interval

    waits = [poll_interval({}, 600.0, asked) for asked in range(6)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    estimate = {"processingProgress": {"timeLeftMs": "5000"}}
    assert poll_interval(estimate, 600.0, 3) == 5.0
    assert poll_interval(estimate, 0.5, 0) == 0.5  # never past what is left
