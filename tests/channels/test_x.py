"""X adapter: the contract plus X's quirks (length, policies, media alt text)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import PIL.Image
import pytest
import requests

from channels.errors import RateLimitedError, RejectedError, UsageCappedError
from channels.values import Image, Post
from channels.x import XAdapter
from channels.x_text import weighted_length
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

    def test_every_post_reports_the_24_hour_caps(self, sandbox):
        token = sandbox.mint_token("x")["access_token"]
        reply = requests.post(
            f"{sandbox.url}/x/2/tweets",
            json={"text": f"Caps {uuid.uuid4().hex}"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
        )
        for who in ("user", "app"):
            for part in ("limit", "remaining", "reset"):
                assert reply.headers[f"x-{who}-limit-24hour-{part}"].isdigit()

    def capped(self, adapter, post, sandbox, **fault) -> RateLimitedError:
        """The error of a publish X refuses for a spent cap (a 429 whose
        15-minute window resets in 10 minutes)."""
        sandbox.add_fault("x", "publish", "rate_limit", reset_after=600, **fault)
        with pytest.raises(RateLimitedError) as caught:
            adapter.publish(post)
        return caught.value

    def hours_until(self, error: RateLimitedError) -> float:
        return (error.retry_at - datetime.now(UTC)) / timedelta(hours=1)

    def test_a_spent_daily_cap_waits_for_its_24_hour_reset(
        self, adapter, post, sandbox
    ):
        error = self.capped(
            adapter, post, sandbox, style="daily", daily_reset_after=6 * 3600
        )

        assert 5.9 < self.hours_until(error) < 6.1  # not the window's 10 minutes

    def test_a_daily_usage_cap_waits_until_its_reset(self, adapter, post, sandbox):
        error = self.capped(
            adapter,
            post,
            sandbox,
            style="usage_capped",
            period="Daily",
            daily_reset_after=20 * 3600,
        )

        assert not isinstance(error, UsageCappedError)
        assert 19.9 < self.hours_until(error) < 20.1
        assert "Usage cap exceeded: Daily product cap" in error.message

    def test_a_monthly_usage_cap_waits_for_next_month(self, adapter, post, sandbox):
        error = self.capped(
            adapter, post, sandbox, style="usage_capped", period="Monthly"
        )

        assert isinstance(error, UsageCappedError)
        assert error.retry_at.day == 1
        assert 0 < self.hours_until(error) < 32 * 24
        assert "monthly usage cap" in error.message

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

        assert "X takes at most 4 images; this page has 5." in problems
        assert "The image a.png has no alt text." in problems

    # Error detail --------------------------------------------------------------------

    def test_a_400_gives_xs_reason_not_its_generic_detail(
        self, adapter, tmp_path, marker
    ):
        not_an_image = tmp_path / "notice.png"
        not_an_image.write_bytes(b"Opening hours: 9 to 5")
        image = Image(not_an_image, "Opening hours", "image/png")

        with pytest.raises(RejectedError) as caught:
            adapter._call(lambda: adapter._upload(image))

        assert caught.value.status == 400
        assert caught.value.message == "The media could not be processed as an image"

    def test_metrics_of_a_deleted_tweet_say_it_is_gone(self, adapter, post):
        tweet = adapter.publish(post)
        adapter.retract(tweet.remote_id)

        with pytest.raises(RejectedError) as caught:
            adapter.metrics(tweet.remote_id)

        assert adapter.is_gone(caught.value)
        assert caught.value.message.startswith("This post is no longer on X")

    # t.co links ----------------------------------------------------------------------

    def test_feed_copies_link_to_the_address_not_to_tco(self, adapter, post, marker):
        tweet = adapter.publish(post)

        [item] = [i for i in adapter.recent_posts(5) if i.remote_id == tweet.remote_id]

        assert marker in item.text
        assert "t.co/" not in item.text
        assert adapter.find_by_marker(marker).remote_id == tweet.remote_id

    # Media types ---------------------------------------------------------------------

    def picture_post(self, tmp_path, marker, *pictures: tuple[str, str]) -> Post:
        """A post with a picture in each (Pillow format, content type) given."""
        images = []
        for n, (image_format, content_type) in enumerate(pictures):
            path = tmp_path / f"notice{n}.{image_format.lower()}"
            PIL.Image.new("RGB", (40, 30), "teal").save(path, image_format)
            images.append(Image(path, "The new bin calendar", content_type))
        return Post(
            text=f"Bin calendar {marker}",
            link=marker,
            marker=marker,
            images=tuple(images),
        )

    @pytest.mark.parametrize(
        ("image_format", "content_type", "kind"),
        [("GIF", "image/gif", "animated_gif"), ("WEBP", "image/webp", "photo")],
    )
    def test_gif_and_webp_pictures_reach_x(
        self, adapter, sandbox, tmp_path, marker, image_format, content_type, kind
    ):
        post = self.picture_post(tmp_path, marker, (image_format, content_type))
        assert adapter.validate(post) == []

        result = adapter.publish(post)

        media = self.record(sandbox, result.remote_id)["media"]
        assert [(m["type"], m["alt_text"]) for m in media] == [
            (kind, "The new bin calendar")
        ]

    def test_a_gif_goes_on_its_own(self, adapter, tmp_path, marker):
        post = self.picture_post(
            tmp_path, marker, ("GIF", "image/gif"), ("PNG", "image/png")
        )

        assert (
            "X takes a GIF only on its own: one GIF and no other image a post."
            in adapter.validate(post)
        )
