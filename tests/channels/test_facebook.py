"""Facebook Page adapter: the contract plus photo posts and token checks."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import PIL.Image
import pytest
import requests

from channels.errors import AuthError, RateLimitedError
from channels.facebook import FacebookAdapter
from channels.values import Credentials, Image, Post
from sandbox.png import make_png

from .contract import FACEBOOK_PAGE as PAGE
from .contract import TIMEOUT, AdapterContract, facebook_config


def png(tmp_path: Path, name: str = "map.png") -> Path:
    path = tmp_path / name
    path.write_bytes(make_png(32, 24, (10, 120, 200)))
    return path


class TestFacebookAdapter(AdapterContract):
    platform = "facebook"
    adapter_class = FacebookAdapter
    account_id = PAGE

    def config(self, url: str, *, timeout: float = TIMEOUT, **options: Any) -> dict:
        return facebook_config(url, timeout=timeout, **options)

    def make_post(self, tmp_path: Path, marker: str, text: str = "") -> Post:
        text = text or "Garden waste collections restart on Monday."
        return Post(text=text, link=marker, marker=marker, title="Garden waste")

    def mint(self, sandbox: Any):
        from channels.values import Credentials

        token = sandbox.mint_token("facebook", kind="page", account_id=PAGE)
        return Credentials(account_id=PAGE, access_token=token["access_token"])

    def rejection_words(self) -> str:
        return "Duplicate status message"

    def post_directly(self, url: str, sandbox: Any, count: int) -> None:
        token = sandbox.mint_token("facebook", kind="page", account_id=PAGE)
        headers = {"Authorization": f"OAuth {token['access_token']}"}
        with requests.Session() as session:
            for _ in range(count):
                session.post(
                    f"{url}/facebook/v24.0/{PAGE}/feed",
                    headers=headers,
                    data={"message": f"Road closure notice {uuid.uuid4().hex[:8]}"},
                    timeout=TIMEOUT,
                ).raise_for_status()

    # Quirks ------------------------------------------------------------------------

    def test_a_post_with_an_image_is_a_photo_post_with_alt_text(
        self, adapter, sandbox, tmp_path, marker
    ):
        image = Image(
            png(tmp_path), alt_text="Map of the closed road", content_type="image/png"
        )
        post = Post(
            text="Market Street closes overnight.",
            link=marker,
            marker=marker,
            images=(image,),
        )

        result = adapter.publish(post)

        record = self.record(sandbox, result.remote_id)
        assert [m["alt_text"] for m in record["media"]] == ["Map of the closed road"]
        assert marker in record["text"]  # a photo has no link preview
        assert adapter.find_by_marker(marker).remote_id == result.remote_id

    def test_several_images_make_one_post(self, adapter, sandbox, tmp_path, marker):
        images = tuple(
            Image(
                png(tmp_path, f"{n}.png"),
                alt_text=f"Photo {n}",
                content_type="image/png",
            )
            for n in range(3)
        )
        post = Post(text="Library open day.", link=marker, marker=marker, images=images)

        result = adapter.publish(post)

        record = self.record(sandbox, result.remote_id)
        assert [m["alt_text"] for m in record["media"]] == [
            "Photo 0",
            "Photo 1",
            "Photo 2",
        ]
        assert len(self.carrying(sandbox, marker)) == 1

    def test_expired_page_token_needs_a_reconnect_without_refresh(
        self, adapter, post, sandbox, credentials
    ):
        sandbox.expire_tokens("facebook", credentials.access_token)

        with pytest.raises(AuthError) as caught:
            adapter.publish(post)

        assert caught.value.code == 190
        with pytest.raises(AuthError, match="reconnect"):
            adapter.refresh()

    def test_retracting_without_permission_asks_for_reconnection(
        self, adapter, post, sandbox, sandbox_server
    ):
        result = adapter.publish(post)
        # A token of the other Page the user manages: no right to this post.
        other = sandbox.mint_token("facebook", kind="page", account_id="200000000002")
        stranger = self.build(
            sandbox_server.url, Credentials(PAGE, other["access_token"])
        )

        with pytest.raises(AuthError) as caught:
            stranger.retract(result.remote_id)

        assert "missing permission" in caught.value.message
        assert self.record(sandbox, result.remote_id)["deleted"] is False

    def test_validate_names_missing_alt_text_and_bad_types(self, adapter, tmp_path):
        gif = tmp_path / "anim.bmp"
        PIL.Image.new("RGB", (4, 4), "teal").save(gif, "BMP")
        post = Post(
            text="x",
            link="https://e.gov.uk/",
            marker="https://e.gov.uk/",
            images=(Image(gif, alt_text=" ", content_type="image/bmp"),),
        )

        problems = adapter.validate(post)

        assert "The image anim.bmp has no alt text." in problems
        assert "Facebook accepts GIF, JPEG, PNG images; anim.bmp is a BMP." in problems

    def test_check_token_refuses_a_personal_user_token(self, sandbox, sandbox_server):
        config = facebook_config(sandbox_server.url)
        user = sandbox.mint_token("facebook", kind="user")
        page = sandbox.mint_token("facebook", kind="page", account_id=PAGE)

        with pytest.raises(AuthError, match="personal user token"):
            FacebookAdapter.check_token(config, user["access_token"])
        assert (
            FacebookAdapter.check_token(config, page["access_token"])["type"] == "PAGE"
        )

    def test_rate_limit_reads_the_business_use_case_header(
        self, adapter, post, sandbox
    ):
        from datetime import UTC, datetime, timedelta

        from channels.errors import RateLimitedError

        sandbox.add_fault("facebook", "publish", "rate_limit", reset_after=1800)

        with pytest.raises(RateLimitedError) as caught:
            adapter.publish(post)

        now = datetime.now(UTC)
        assert caught.value.code == 80001  # a Page token's limit
        assert (
            now + timedelta(minutes=25)
            < caught.value.retry_at
            < now + timedelta(minutes=35)
        )

    def test_a_text_post_and_its_edit_take_one_call_each(
        self, adapter, post, sandbox, tmp_path, marker
    ):
        result = adapter.publish(post)
        adapter.update(result.remote_id, self.make_post(tmp_path, marker, "Edited."))

        calls = [
            (e["method"], e["operation"]) for e in sandbox.requests_log("facebook")
        ]
        assert calls == [("POST", "publish"), ("POST", "update")]
        assert result.permalink == self.record(sandbox, result.remote_id)["permalink"]

    def test_a_failed_read_back_after_the_write_is_adopted_later(
        self, adapter, post, sandbox, marker
    ):
        sandbox.add_fault("facebook", "get", "rate_limit", count=1, reset_after=60)

        with pytest.raises(RateLimitedError):
            adapter.publish(post)

        [created] = self.carrying(sandbox, marker)
        assert adapter.find_by_marker(marker).remote_id == created["id"]

    def test_feed_copies_link_to_the_unshimmed_address(self, adapter, sandbox, marker):
        made = adapter.publish(
            Post(text="Parking consultation", link=marker, marker=marker)
        )

        [item] = [i for i in adapter.recent_posts(5) if i.remote_id == made.remote_id]

        assert item.text == f"Parking consultation\n{marker}"
        assert adapter.find_by_marker(marker).remote_id == made.remote_id
