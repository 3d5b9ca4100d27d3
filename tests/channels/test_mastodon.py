"""Mastodon adapter: the contract plus Mastodon's quirks (the
Idempotency-Key, counting, edits in place, alt text, its rate-limit headers)."""

from __future__ import annotations

import random
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from mastodon import Mastodon

from channels.errors import AuthError, RejectedError, TemporaryError
from channels.mastodon import (
    MastodonAdapter,
    idempotency_key,
    plain_text,
    status_length,
)
from channels.values import Image, Post
from sandbox.png import make_png

from .contract import TIMEOUT, AdapterContract, mastodon_config

ACCOUNT = "109000000000000001"



class TestMastodonAdapter(AdapterContract):
    platform = "mastodon"
    adapter_class = MastodonAdapter
    account_id = ACCOUNT

    def config(self, url: str, *, timeout: float = TIMEOUT, **options: Any) -> dict:
        return mastodon_config(url, timeout=timeout, **options)

    def make_post(self, tmp_path: Path, marker: str, text: str = "") -> Post:
        text = text or "Garden waste collections restart on Monday."
        return Post(text=f"{text} {marker}", link=marker, marker=marker)

    def provoke_rejection(self, adapter, post: Post) -> str:
        # Mastodon takes the same words twice; it refuses a status too long.
        with pytest.raises(RejectedError) as caught:
            adapter.publish(Post(text="Bins " * 200, link="", marker=post.marker))
        return caught.value.message

    def rejection_words(self) -> str:
        return "Validation failed: Text character limit of 500 exceeded"

    def post_directly(self, url: str, sandbox: Any, count: int) -> None:
        token = sandbox.mint_token("mastodon", account_id=ACCOUNT)["access_token"]
        with requests.Session() as session:
            for _ in range(count):
                session.post(
                    f"{url}/mastodon/api/v1/statuses",
                    headers={"Authorization": f"Bearer {token}"},
                    data={"status": f"Road closure notice {uuid.uuid4().hex[:8]}"},
                    timeout=TIMEOUT,
                ).raise_for_status()

    # Quirks ------------------------------------------------------------------------

    def test_a_retry_after_a_lost_answer_gets_the_same_status(
        self, adapter, post, sandbox, marker
    ):
        self.lose_publish_response(adapter, post, sandbox)

        again = adapter.publish(post)

        created = self.carrying(sandbox, marker)
        assert [p["id"] for p in created] == [again.remote_id]

    def test_every_new_status_carries_an_idempotency_key(
        self, adapter, post, sandbox, credentials, marker
    ):
        result = adapter.publish(post)
        again = adapter.publish(post)  # as a retry would, within the hour

        assert again == result
        assert len(self.carrying(sandbox, marker)) == 1
        key = idempotency_key(credentials.account_id, post)
        assert key.startswith("council-publishing-")
        # Another post, or the same post on another account, gets another key.
        other = Post(text=post.text + " Updated.", link=post.link, marker=post.marker)
        assert idempotency_key(credentials.account_id, other) != key
        assert idempotency_key("109000000000000002", post) != key

    def test_a_deleted_status_does_not_swallow_its_key(self, adapter, post, sandbox):
        first = adapter.publish(post)
        adapter.retract(first.remote_id)

        second = adapter.publish(post)

        assert second.remote_id != first.remote_id
        assert not self.record(sandbox, second.remote_id)["deleted"]

    def test_update_edits_the_status_in_place(self, adapter, post, sandbox, tmp_path):
        result = adapter.publish(post)
        changed = self.make_post(tmp_path, post.marker, text="Now on Tuesday.")

        updated = adapter.update(result.remote_id, changed)

        record = self.record(sandbox, result.remote_id)
        assert updated == result
        assert record["edits"] == 1
        assert record["text"].startswith("Now on Tuesday.")

    def test_feed_copies_keep_the_pictures_alt_text(self, adapter, tmp_path, marker):
        self.publish_with_image(adapter, tmp_path, marker)

        feed = adapter.recent_posts(limit=1)[0]
        assert [m.alt_text for m in feed.media] == ["A green wheelie bin"]

    def test_rate_limit_reads_mastodons_iso_reset_header(self, adapter, post, sandbox):
        sandbox.add_fault("mastodon", "publish", "rate_limit", reset_after=600)
        reply = requests.post(
            f"{sandbox.url}/mastodon/api/v1/statuses",
            headers={"Authorization": f"Bearer {adapter.credentials.access_token}"},
            data={"status": "x"},
            timeout=TIMEOUT,
        )

        assert reply.status_code == 429
        assert reply.headers["X-RateLimit-Remaining"] == "0"
        assert "T" in reply.headers["X-RateLimit-Reset"]  # ISO 8601, not epoch
        assert "Retry-After" not in reply.headers

    def test_an_expired_token_asks_for_reconnection(
        self, adapter, post, sandbox, credentials
    ):
        sandbox.expire_tokens("mastodon", credentials.access_token)

        with pytest.raises(AuthError, match="The access token expired"):
            adapter.publish(post)

    def test_recent_posts_give_the_text_not_the_html(self, adapter, marker):
        adapter.publish(
            Post(text=f"Fish & chips\n\nat 5pm {marker}", link=marker, marker=marker)
        )

        newest = adapter.recent_posts(limit=1)[0]

        assert newest.text == f"Fish & chips\n\nat 5pm {marker}"

    def test_plain_text_keeps_line_breaks(self):
        content = "<p>One<br />two</p><p>three &amp; <a href='x'>four</a></p>"

        assert plain_text(content) == "One\ntwo\n\nthree & four"

    def test_metrics_are_favourites_boosts_and_replies(self, adapter, sandbox):
        status = sandbox.posts("mastodon")[0]  # a seeded status with figures

        metrics = adapter.metrics(status["id"])

        assert (metrics.likes, metrics.shares, metrics.comments) == (9, 4, 1)
        assert metrics.views is None

    def test_the_accounts_own_instance_wins_over_the_setting(
        self, sandbox_server, credentials, post
    ):
        moved = credentials.with_tokens(
            extra={"instance_url": f"{sandbox_server.url}/mastodon"}
        )
        adapter = MastodonAdapter(
            mastodon_config("http://127.0.0.1:9"),
            moved,  # nothing listens there
        )

        assert adapter.publish(post).permalink.startswith(sandbox_server.url)

    def test_an_account_on_another_instance_is_seen_on_that_instance(self):
        config = mastodon_config("http://127.0.0.1:8700")
        elsewhere = {"instance_url": "https://social.example.gov.uk"}
        configured = {"instance_url": "http://127.0.0.1:8700/mastodon/"}

        assert (
            MastodonAdapter.account_web_url(config, elsewhere)
            == "https://social.example.gov.uk"
        )
        assert MastodonAdapter.account_web_url(config, configured) == config["WEB_URL"]
        assert MastodonAdapter.account_web_url(config, {}) == config["WEB_URL"]

    def test_an_unreachable_instance_is_temporary(self, credentials, post):
        adapter = MastodonAdapter(mastodon_config("http://127.0.0.1:9"), credentials)

        with pytest.raises(TemporaryError):
            adapter.publish(post)

    def test_connect_signs_in_on_the_instance_and_keeps_it(
        self, sandbox_server, sandbox
    ):
        config = self.config(sandbox_server.url)
        redirect = "http://testserver/admin/social/accounts/callback/"
        url, verifier = MastodonAdapter.begin_connect(config, redirect, "st4te")
        consent = requests.post(
            url,
            data={**parse_qs(urlsplit(url).query), "decision": "allow"},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        callback = parse_qs(urlsplit(consent.headers["Location"]).query)

        found = MastodonAdapter.complete_connect(
            config,
            redirect,
            {k: v[0] for k, v in callback.items()},
            "st4te",
            verifier,
        )

        [account] = found
        assert account.remote_id == ACCOUNT
        assert account.display_name == "@exampleshire"
        assert account.credentials.refresh_token == ""
        assert account.credentials.extra["instance_url"] == config["API_URL"]
        adapter = MastodonAdapter(config, account.credentials)
        assert adapter.recent_posts(limit=1)

    def test_an_app_registered_on_the_instance_connects_an_account(
        self, sandbox_server, sandbox
    ):
        instance = f"{sandbox_server.url}/mastodon"
        redirect = "http://council.example/admin/social/accounts/callback/"

        app = MastodonAdapter.register_app(
            self.config(sandbox_server.url), instance, redirect, name="Council"
        )

        assert app.client_id != "sandbox-mastodon-client-id"
        assert app.client_secret not in repr(app)
        config = MastodonAdapter.on_instance({"API_URL": "unused"}, instance, app)
        config["TIMEOUT"] = TIMEOUT
        url, verifier = MastodonAdapter.begin_connect(config, redirect, "st4te")
        assert parse_qs(urlsplit(url).query)["client_id"] == [app.client_id]
        consent = requests.post(
            url,
            data={**parse_qs(urlsplit(url).query), "decision": "allow"},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        callback = parse_qs(urlsplit(consent.headers["Location"]).query)
        [account] = MastodonAdapter.complete_connect(
            config, redirect, {k: v[0] for k, v in callback.items()}, "st4te", ""
        )
        assert account.credentials.extra["instance_url"] == instance

    @pytest.mark.parametrize(
        ("path", "error", "words"),
        [
            ("/facebook", RejectedError, "does not look like a Mastodon server"),
            ("/mastodon/api/v1/statuses/1", RejectedError, "no app registration"),
        ],
    )
    def test_a_server_that_is_not_mastodon_is_refused(
        self, sandbox_server, sandbox, path, error, words
    ):
        with pytest.raises(error, match=words):
            MastodonAdapter.register_app(
                self.config(sandbox_server.url),
                f"{sandbox_server.url}{path}",
                "http://council.example/cb",
                name="Council",
            )

    def test_a_refused_registration_gives_the_instances_words(
        self, sandbox_server, sandbox
    ):
        sandbox.add_fault(
            "mastodon", "token", "error", status=403, error="Sign-ups are closed"
        )

        with pytest.raises(RejectedError, match="refused to register the app: Sign"):
            MastodonAdapter.register_app(
                self.config(sandbox_server.url),
                f"{sandbox_server.url}/mastodon",
                "http://council.example/cb",
                name="Council",
            )

    @pytest.mark.parametrize(
        ("fault", "words"),
        [("server_error", r"failed to register the app \(HTTP 503\)"),
         ("hang", "did not answer")],
    )
    def test_an_instance_that_fails_to_register_is_temporary(
        self, sandbox_server, sandbox, fault, words
    ):
        sandbox.add_fault("mastodon", "token", fault, hang_seconds=TIMEOUT * 2)

        with pytest.raises(TemporaryError, match=words):
            MastodonAdapter.register_app(
                self.config(sandbox_server.url),
                f"{sandbox_server.url}/mastodon",
                "http://council.example/cb",
                name="Council",
            )

    def test_an_unreachable_instance_cannot_register(self):
        with pytest.raises(TemporaryError, match="Could not reach 127.0.0.1:9"):
            MastodonAdapter.register_app(
                mastodon_config("http://127.0.0.1:9"),
                "http://127.0.0.1:9/mastodon",
                "http://council.example/cb",
                name="Council",
            )

    def test_connect_refuses_a_forged_state(self, sandbox_server):
        with pytest.raises(AuthError, match="state"):
            MastodonAdapter.complete_connect(
                self.config(sandbox_server.url),
                "http://testserver/cb",
                {"code": "abc", "state": "forged"},
                "st4te",
                "",
            )

    def test_validate_names_mastodons_limits(self, tmp_path):
        path = tmp_path / "a.png"
        path.write_bytes(make_png(4, 4, (0, 0, 0)))
        images = tuple(
            Image(path, "" if n == 0 else "a" * 1501, "image/png") for n in range(5)
        )
        post = Post(
            text="x",
            link="https://e.gov.uk/",
            marker="https://e.gov.uk/",
            images=images,
        )

        problems = MastodonAdapter.validate(post)

        assert "Mastodon takes at most 4 images; this page has 5." in problems
        assert "The image a.png has no alt text." in problems
        assert "Alt text for a.png is over Mastodon's 1,500 characters." in problems


class TestMastodonCounting:
    """Mastodon counts grapheme clusters, each link as 23."""

    @pytest.mark.parametrize(
        ("text", "length"),
        [
            ("Bins", 4),
            ("👩‍👩‍👧‍👦", 1),  # one family: seven code points, 25 UTF-8 bytes
            ("🏴󠁧󠁢󠁷󠁬󠁳󠁿", 1),  # the flag of Wales: seven code points
            ("Croeso i Gymru: ŵ ŷ", 19),
            ("w\u0302", 1),  # w and a combining circumflex, not yet composed
            ("ごみ収集は月曜日です", 10),  # Japanese: 1 each, not 2 as on X
            ("https://www.exampleshire.gov.uk/news/a-very-long-address/", 23),
            ("http://127.0.0.1:8000/news/a-very-long-address/", 23),
        ],
    )
    def test_length(self, text, length):
        assert MastodonAdapter.text_length(text) == length

    def test_bytes_do_not_count(self):
        text = "🏴󠁧󠁢󠁷󠁬󠁳󠁿" * 500

        assert len(text.encode("utf-8")) > 500 * 20
        assert MastodonAdapter.text_length(text) == 500

    def test_long_text_is_cut_to_500_keeping_the_link(self):
        link = "https://www.exampleshire.gov.uk/news/budget/"
        text = "Cyllideb y cyngor 💷 " * 60

        fitted = MastodonAdapter.fit_text(text, link)

        assert MastodonAdapter.text_length(fitted) <= 500
        assert fitted.endswith("…\n" + link)


# Pieces of posts: links of every shape Mastodon.py finds (and near misses),
# line ends of each kind, mentions, and characters beyond ASCII.
_PIECES = [
    "a", " ", ".", "#Bins", "\t", "\r\n", "\n", "\r", "x.y",
    "https://www.exampleshire.gov.uk/news/bins/?utm_source=mastodon",
    "http://example.net:8000/a", "www.example.org", "example.com/path",
    "(https://x.org)", "https://", "ftp://a.b", "@jo", "@jo@example.org",
    "jo@example.org", "e\u0301", "\U0001f3f4", "\u0175", "日本",
]


@pytest.mark.parametrize("seed", range(2))
def test_status_length_is_what_mastodon_py_counts(seed):
    """The count without the cluster search (ASCII, no mention) is always
    Mastodon.py's, as is every other text's."""
    chooser = random.Random(seed)
    for _ in range(1500):
        text = "".join(
            chooser.choice(_PIECES) for _ in range(chooser.randint(0, 30))
        )
        assert status_length(text) == Mastodon.get_status_length(text), text
