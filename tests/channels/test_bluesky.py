"""Bluesky adapter: the contract plus Bluesky's quirks (graphemes, facets, the
record key that settles a lost answer, app passwords, the session refresh)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from channels.bluesky import BlueskyAdapter
from channels.errors import AuthError
from channels.values import Credentials, Image, Post
from sandbox.png import make_png
from sandbox.seed import BSKY_APP_PASSWORD, BSKY_DID, BSKY_HANDLE

from .contract import TIMEOUT, AdapterContract, bluesky_config


class TestBlueskyAdapter(AdapterContract):
    platform = "bluesky"
    adapter_class = BlueskyAdapter
    account_id = BSKY_DID

    def config(self, url: str, *, timeout: float = TIMEOUT, **options: Any) -> dict:
        return bluesky_config(url, timeout=timeout, **options)

    def make_post(self, tmp_path: Path, marker: str, text: str = "") -> Post:
        text = text or "Garden waste collections restart on Monday."
        return Post(
            text=f"{text} {marker}", link=marker, marker=marker, title="Garden waste"
        )

    def provoke_rejection(self, adapter, post: Post) -> str:
        """Bluesky takes the same text twice; it refuses a text over 300
        graphemes (the adapter sends what it is given, fitted earlier)."""
        from channels.errors import RejectedError

        long = Post(text="Bins " * 70 + post.link, link=post.link, marker=post.marker)
        with pytest.raises(RejectedError) as caught:
            adapter.publish(long)
        return caught.value.message

    def rejection_words(self) -> str:
        return "Record/text must not be longer than 300 graphemes"

    def post_directly(self, url: str, sandbox: Any, count: int) -> None:
        token = sandbox.mint_token("bluesky")["access_token"]
        with requests.Session() as session:
            for _ in range(count):
                session.post(
                    f"{url}/bluesky/xrpc/com.atproto.repo.createRecord",
                    headers={"Authorization": f"Bearer {token}"},
                    json={
                        "repo": BSKY_DID,
                        "collection": "app.bsky.feed.post",
                        "record": {
                            "$type": "app.bsky.feed.post",
                            "text": f"Road closure notice {uuid.uuid4().hex[:8]}",
                            "createdAt": "2025-01-01T00:00:00.000Z",
                        },
                    },
                    timeout=TIMEOUT,
                ).raise_for_status()

    # Quirks ------------------------------------------------------------------------

    def test_permalink_uses_the_handle_from_the_profile(
        self, adapter, post, sandbox_server
    ):
        result = adapter.publish(post)

        assert result.permalink == (
            f"{sandbox_server.url}/bluesky/web/profile/{BSKY_HANDLE}/post/"
            f"{result.remote_id}"
        )

    def test_the_link_is_a_facet_at_its_byte_offsets(self, adapter, sandbox, marker):
        text = f"Croeso! Ysgol ar gau 🌧️ 雨 #Exampleshire {marker}"
        result = adapter.publish(Post(text=text, link=marker, marker=marker))

        record = self.record(sandbox, result.remote_id)
        stored = self.raw_record(sandbox, result.remote_id)
        data = text.encode()
        spans = {
            data[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(): f[
                "features"
            ][0]
            for f in stored["facets"]
        }
        assert spans[marker]["uri"] == marker
        assert spans["#Exampleshire"]["tag"] == "Exampleshire"
        assert record["link"] == marker

    def raw_record(self, sandbox: Any, rkey: str) -> dict[str, Any]:
        reply = requests.get(
            f"{sandbox.url}/bluesky/xrpc/com.atproto.repo.getRecord",
            params={
                "repo": BSKY_DID,
                "collection": "app.bsky.feed.post",
                "rkey": rkey,
            },
            timeout=TIMEOUT,
        )
        return reply.json()["value"]

    def test_a_page_without_pictures_gets_a_link_card(self, adapter, post, sandbox):
        result = adapter.publish(post)

        embed = self.raw_record(sandbox, result.remote_id)["embed"]
        assert embed["$type"] == "app.bsky.embed.external"
        assert embed["external"]["uri"] == post.link
        assert embed["external"]["title"] == "Garden waste"

    def test_feed_copies_keep_the_pictures_alt_text(self, adapter, tmp_path, marker):
        self.publish_with_image(adapter, tmp_path, marker)

        feed = adapter.recent_posts(limit=1)
        assert feed[0].media[0].alt_text == "A green wheelie bin"
        assert requests.get(feed[0].media[0].url, timeout=TIMEOUT).status_code == 200

    def test_a_lost_answer_is_settled_by_its_record_key(
        self, adapter, post, sandbox, marker
    ):
        kept: list[str] = []
        sandbox.add_fault("bluesky", "publish", "drop_after_create", count=1)

        with pytest.raises(Exception):  # noqa: B017 - the answer never came
            adapter.publish(post, on_upload_session=kept.append)
        settled = adapter.resume_upload(kept[0], post)

        assert kept[0].startswith(f"at://{BSKY_DID}/app.bsky.feed.post/")
        [created] = self.carrying(sandbox, marker)
        assert settled is not None and settled.remote_id == created["id"]
        assert kept[0].endswith("/" + created["id"])
        lists = [e for e in sandbox.requests_log("bluesky") if e["operation"] == "list"]
        assert lists == []  # found by its key, not searched for

    def test_a_key_whose_record_was_never_made_settles_nothing(
        self, adapter, post, sandbox
    ):
        kept: list[str] = []
        sandbox.add_fault("bluesky", "publish", "server_error", count=1)

        with pytest.raises(Exception):  # noqa: B017
            adapter.publish(post, on_upload_session=kept.append)

        assert adapter.resume_upload(kept[0], post) is None

    def test_an_edited_page_is_posted_again_by_default(
        self, sandbox_server, credentials
    ):
        policies = {
            policy: self.build(
                sandbox_server.url, credentials, update_policy=policy
            ).updates_by_reposting
            for policy in ("leave", "repost")
        }

        assert policies == {"leave": False, "repost": True}
        assert self.build(sandbox_server.url, credentials).updates_by_reposting

    def test_an_app_password_connects_the_account(self, sandbox_server, sandbox):
        config = self.config(sandbox_server.url)

        [account] = BlueskyAdapter.connect_with_app_password(
            config, f"@{BSKY_HANDLE}", BSKY_APP_PASSWORD
        )

        assert account.remote_id == BSKY_DID
        assert account.display_name == f"@{BSKY_HANDLE}"
        assert account.credentials.extra["handle"] == BSKY_HANDLE
        assert account.credentials.expires_at is not None
        assert BSKY_APP_PASSWORD not in repr(account.credentials)
        adapter = BlueskyAdapter(config, account.credentials)
        assert adapter.recent_posts(limit=1)

    def test_a_wrong_app_password_is_an_auth_error(self, sandbox_server):
        with pytest.raises(AuthError, match="Invalid identifier or password"):
            BlueskyAdapter.connect_with_app_password(
                self.config(sandbox_server.url), BSKY_HANDLE, "wrong-pass-word-here"
            )

    def test_the_refresh_token_rotates(self, adapter, post, sandbox, credentials):
        sandbox.expire_tokens("bluesky", credentials.access_token)
        adapter.publish(post)

        stale = Credentials(
            BSKY_DID, credentials.access_token, credentials.refresh_token
        )
        again = self.build(sandbox.url, stale)
        with pytest.raises(AuthError, match="revoked"):
            again.publish(post)

    def test_connecting_through_a_sign_in_page_says_how_to_connect(self):
        from channels.errors import ChannelError

        with pytest.raises(ChannelError, match="app password"):
            BlueskyAdapter.begin_connect({}, "http://testserver/cb", "state")

    def test_validate_counts_images_and_their_size(self, tmp_path):
        big = tmp_path / "big.png"
        big.write_bytes(b"\x89PNG" + b"0" * 1_000_001)
        ok = tmp_path / "ok.png"
        ok.write_bytes(make_png(4, 4, (0, 0, 0)))
        images = (Image(big, "big", "image/png"),) + tuple(
            Image(ok, "" if n == 0 else "ok", "image/png") for n in range(4)
        )
        post = Post(
            text="x",
            link="https://e.gov.uk/",
            marker="https://e.gov.uk/",
            images=images,
        )

        problems = BlueskyAdapter.validate(post)

        assert "Bluesky takes at most 4 images; this page has 5." in problems
        assert "The image ok.png has no alt text." in problems
        assert "The image big.png is larger than Bluesky's limit of 1 MB." in problems
