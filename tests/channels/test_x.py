"""X adapter: the contract plus X's quirks (length, policies, media alt text)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import requests

from channels.base import Image, Post
from channels.compose import weighted_length
from channels.x import XAdapter
from sandbox.png import make_png

from .contract import TIMEOUT, AdapterContract, x_config
from .contract import X_USER as USER


class TestXAdapter(AdapterContract):
    platform = "x"
    adapter_class = XAdapter
    account_id = USER

    def config(self, url: str, *, timeout: float = TIMEOUT, **options: Any) -> dict:
        return x_config(url, timeout=timeout, **options)

    def make_post(self, tmp_path: Path, marker: str, text: str = "") -> Post:
        text = text or "Garden waste collections restart on Monday."
        return Post(text=f"{text} {marker}", link=marker, marker=marker)

    def rejection_words(self) -> str:
        return "You are not allowed to create a Tweet with duplicate content."

    def post_directly(self, url: str, sandbox: Any, count: int) -> None:
        token = sandbox.mint_token("x", account_id=USER)["access_token"]
        with requests.Session() as session:
            for _ in range(count):
                session.post(
                    f"{url}/x/2/tweets",
                    headers={"Authorization": f"Bearer {token}"},
                    json={"text": f"Road closure notice {uuid.uuid4().hex[:8]}"},
                    timeout=TIMEOUT,
                ).raise_for_status()

    # Quirks ------------------------------------------------------------------------

    def test_long_text_is_cut_but_the_link_survives(self, adapter, sandbox, marker):
        post = Post(
            text="Council budget consultation " * 30 + marker,
            link=marker,
            marker=marker,
        )

        result = adapter.publish(post)

        text = self.record(sandbox, result.remote_id)["text"]
        assert weighted_length(text) <= 280
        assert text.endswith("…\n" + marker)

    def test_only_the_repost_policy_updates_by_reposting(
        self, sandbox_server, credentials
    ):
        policies = {
            policy: self.build(
                sandbox_server.url, credentials, update_policy=policy
            ).updates_by_reposting
            for policy in ("leave", "repost")
        }

        assert policies == {"leave": False, "repost": True}

    def test_images_reach_x_with_their_alt_text(
        self, adapter, sandbox, tmp_path, marker
    ):
        path = tmp_path / "bin.png"
        path.write_bytes(make_png(40, 30, (20, 160, 60)))
        post = Post(
            text=f"New bins {marker}",
            link=marker,
            marker=marker,
            images=(Image(path, "A green wheelie bin", "image/png"),),
        )

        result = adapter.publish(post)

        media = self.record(sandbox, result.remote_id)["media"]
        assert [m["alt_text"] for m in media] == ["A green wheelie bin"]

    def test_permalink_uses_the_username_from_the_api(
        self, adapter, post, sandbox_server
    ):
        result = adapter.publish(post)

        assert result.permalink == (
            f"{sandbox_server.url}/x/web/ExampleshireCC/status/{result.remote_id}"
        )

    def test_validate_counts_images_and_alt_text(self, adapter, tmp_path):
        path = tmp_path / "a.png"
        path.write_bytes(make_png(4, 4, (0, 0, 0)))
        images = tuple(
            Image(path, "" if n == 0 else "ok", "image/png") for n in range(5)
        )
        post = Post(
            text="x",
            link="https://e.gov.uk/",
            marker="https://e.gov.uk/",
            images=images,
        )

        problems = adapter.validate(post)

        assert "X takes at most 4 image(s); this page has 5." in problems
        assert "The image a.png has no alt text." in problems
