"""X through tweepy's v2 ``Client`` with an OAuth 2.0 user token.

tweepy 4.17 has no v2 media upload, so images go through ``self.session``
against ``/2/media/upload`` and ``/2/media/metadata`` (alt text).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests
import tweepy
from oauthlib.oauth2 import WebApplicationClient

from . import media_check
from .base import ChannelAdapter, SessionSaver
from .errors import (
    AuthError,
    ChannelError,
    RateLimitedError,
    RejectedError,
    UsageCappedError,
)
from .oauth import exchange_code, oauth_session, token_credentials
from .search import contains_marker, newest_first, parse_time
from .session import json_body, shared_session
from .values import (
    ConnectedAccount,
    Credentials,
    FeedItem,
    FeedMedia,
    Metrics,
    Post,
    PostResult,
    image_problems,
)
from .x_text import fit_x, warm_up_weighing, weighted_length

# tweepy.Client hard-codes this origin; a mounted adapter redirects it.
TWEEPY_HOST = "https://api.twitter.com"
SCOPES = ["tweet.read", "tweet.write", "users.read", "offline.access", "media.write"]
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
UPDATE_POLICIES = ("leave", "repost")
PAGE_SIZE = 100  # max_results may be 5 to 100
GIF_CHUNK = 4 * 1024 * 1024  # an append may carry up to 5 MB
GIF_PROCESSING_WAIT = 120  # seconds X may take to process a GIF before we give up


class XAdapter(ChannelAdapter):
    id = "x"
    name = "X"
    max_text_length = 280
    fit_measure = staticmethod(weighted_length)
    counting_rule = (
        "X allows {limit:,} characters: it counts links as 23, and emoji and "
        "Chinese, Japanese or Korean characters as 2."
    )
    supports_update = False
    default_web_url = "https://x.com"

    @classmethod
    def warm_up(cls, config: Mapping[str, Any]) -> None:
        """Build the weighing of X's text length once, before the pool forks."""
        warm_up_weighing()

    def __init__(self, config: Mapping[str, Any], credentials: Credentials, **kw: Any):
        super().__init__(config, credentials, **kw)
        self.update_policy = self.option("update_policy", "leave", UPDATE_POLICIES)
        self._username = credentials.extra.get("username", "")
        self._client = tweepy.Client(bearer_token="", return_type=dict)
        rewrite = None
        if self.api_url != TWEEPY_HOST:
            rewrite = (f"{TWEEPY_HOST}/", f"{self.api_url}/")
        # tweepy's Client takes no timeout and hard-codes its host: the shared
        # session's transport adds the one and rewrites the other.
        self._client.session = shared_session(self.timeout, rewrite=rewrite)

    @property
    def client(self) -> tweepy.Client:
        # Always the current token, including one just refreshed. Every call
        # passes user_auth=False: tweepy's default means OAuth 1.0a.
        self._client.bearer_token = self.credentials.access_token
        return self._client

    # Steps ---------------------------------------------------------------------------

    def _publish(
        self, post: Post, on_upload_session: SessionSaver | None = None
    ) -> PostResult:
        media_ids = [self._upload(image) for image in post.images]
        body = self.client.create_tweet(
            text=fit_x(post.text, post.link),
            media_ids=media_ids or None,
            user_auth=False,
        )
        tweet_id = str(body["data"]["id"])
        return PostResult(tweet_id, self._permalink(tweet_id))

    @property
    def updates_by_reposting(self) -> bool:
        return self.update_policy == "repost"

    def _update(self, remote_id: str, post: Post) -> PostResult:
        # X offers no edit to most accounts. Under "leave" the post stays as it
        # is; under "repost" the caller deletes it and posts anew.
        return PostResult(remote_id, self._permalink(remote_id))

    def _retract(self, remote_id: str) -> None:
        self.client.delete_tweet(remote_id, user_auth=False)

    def _find_by_marker(
        self, marker: str, limit: int, since: datetime | None
    ) -> PostResult | None:
        tweets = self._timeline(limit, since, tweet_fields=["entities", "created_at"])
        for tweet, _media in tweets:
            urls = [
                url.get("expanded_url") or url.get("unwound_url") or url.get("url")
                for url in tweet.get("entities", {}).get("urls", [])
            ]
            if any(
                contains_marker(text, marker) for text in [tweet.get("text"), *urls]
            ):
                return PostResult(str(tweet["id"]), self._permalink(str(tweet["id"])))
        return None

    def _recent_posts(self, limit: int) -> list[FeedItem]:
        items = []
        for tweet, media in self._timeline(
            limit,
            None,
            tweet_fields=["created_at", "attachments", "entities"],
            expansions=["attachments.media_keys"],
            media_fields=["url", "preview_image_url", "alt_text", "type"],
            exclude=["replies", "retweets"],
        ):
            keys = tweet.get("attachments", {}).get("media_keys", [])
            items.append(
                FeedItem(
                    remote_id=str(tweet["id"]),
                    text=_expanded(tweet),
                    permalink=self._permalink(str(tweet["id"])),
                    created_at=parse_time(
                        tweet.get("created_at"), self.name, "created_at"
                    ),
                    media=tuple(
                        FeedMedia(
                            url=m.get("url") or m.get("preview_image_url", ""),
                            alt_text=m.get("alt_text", ""),
                            kind="image" if m.get("type") == "photo" else "video",
                        )
                        for key in keys
                        if (m := media.get(key))
                    ),
                )
            )
        return items

    def _metrics(self, remote_id: str) -> Metrics:
        body = self.client.get_tweet(
            remote_id, tweet_fields=["public_metrics"], user_auth=False
        )
        if "data" not in body:
            # A deleted tweet is a 200 whose errors[] says it is not found.
            problem = next(iter(body.get("errors") or []), {})
            raise RejectedError(
                "This post is no longer on X: "
                f"{problem.get('detail') or 'X has no tweet with that id.'}",
                status=404,
                code=problem.get("type"),
            )
        counts = body["data"].get("public_metrics", {})
        return Metrics(
            likes=counts.get("like_count"),
            shares=counts.get("retweet_count", 0) + counts.get("quote_count", 0),
            comments=counts.get("reply_count"),
            views=counts.get("impression_count"),
        )

    @classmethod
    def text_length(cls, text: str) -> int:
        return weighted_length(text)

    @classmethod
    def fit_text(cls, text: str, link: str) -> str:
        return fit_x(text, link, cls.max_text_length)

    @classmethod
    def profile_path(
        cls, remote_id: str, display_name: str, extra: Mapping[str, str]
    ) -> str:
        return quote(extra.get("username") or display_name.lstrip("@"))

    @classmethod
    def validate(cls, post: Post) -> list[str]:
        problems = cls.link_problems(post)
        gifs = tuple(i for i in post.images if _picture_type(i) == "image/gif")
        stills = tuple(i for i in post.images if i not in gifs)
        if gifs and len(post.images) > 1:
            problems.append(
                "X takes a GIF only on its own: one GIF and no other image a post."
            )
        for images, max_bytes in ((stills, 5 * 1024 * 1024), (gifs, 15 * 1024 * 1024)):
            problems += image_problems(
                images,
                platform=cls.name,
                max_count=4,
                max_bytes=max_bytes,
                types=IMAGE_TYPES,
                max_side=8192,
            )
        problems += [
            f"Alt text for {image.path.name} is over X's 1,000 characters."
            for image in post.images
            if len(image.alt_text) > 1000
        ]
        return problems

    def refresh(self) -> Credentials:
        """Renew the access token. X rotates refresh tokens on every use."""
        response = self.session.post(
            self.config["TOKEN_URL"],
            data={
                "grant_type": "refresh_token",
                "refresh_token": self.credentials.refresh_token,
                "client_id": self.config["CLIENT_ID"],
            },
            auth=(self.config["CLIENT_ID"], self.config.get("CLIENT_SECRET", "")),
        )
        body = json_body(response, self.name)
        if response.status_code in (400, 401):
            raise AuthError(
                "X would not renew the sign-in; reconnect the account.",
                status=response.status_code,
                code=body.get("error"),
            )
        if response.status_code >= 400:
            raise self._error(response)
        return token_credentials(body, self.credentials)

    def classify_error(self, exc: Exception) -> ChannelError | None:
        if isinstance(exc, tweepy.HTTPException):
            return self._error(exc.response)
        return super().classify_error(exc)

    def retry_at(self, headers: Mapping[str, str]) -> datetime | None:
        """When X lets the account post again: when a 24-hour cap (the
        user's or the app's) ran out, its reset, hours away; else the
        15-minute window's reset."""
        return (
            _daily_reset(headers)
            or _epoch(headers.get("x-rate-limit-reset", ""))
            or super().retry_at(headers)
        )

    # Plumbing ------------------------------------------------------------------------

    def _upload(self, image: Any) -> str:
        """Upload one image, then set its alt text: JPEG, PNG and WEBP with the
        v2 one-shot endpoint; a GIF, which that endpoint refuses, in chunks as
        ``tweet_gif``."""
        content_type = _picture_type(image)
        if content_type == "image/gif":
            media_id = self._upload_gif(image)
        else:
            with image.path.open("rb") as fh:
                body = self._api(
                    "POST",
                    "2/media/upload",
                    data={
                        "media_category": "tweet_image",
                        "media_type": content_type,
                    },
                    files={"media": (image.path.name, fh, content_type)},
                )
            media_id = str(body["data"]["id"])
        self._api(
            "POST",
            "2/media/metadata",
            json={"id": media_id, "metadata": {"alt_text": {"text": image.alt_text}}},
        )
        return media_id

    def _upload_gif(self, image: Any) -> str:
        """A GIF through X's chunked upload (initialize, append, finalize),
        waiting while X processes it as ``processing_info`` asks."""
        body = self._api(
            "POST",
            "2/media/upload/initialize",
            json={
                "media_type": "image/gif",
                "media_category": "tweet_gif",
                "total_bytes": image.path.stat().st_size,
            },
        )
        media_id = str(body["data"]["id"])
        with image.path.open("rb") as fh:
            for index, chunk in enumerate(iter(lambda: fh.read(GIF_CHUNK), b"")):
                self._api(
                    "POST",
                    f"2/media/upload/{media_id}/append",
                    data={"segment_index": str(index)},
                    files={"media": (image.path.name, chunk, "image/gif")},
                )
        body = self._api("POST", f"2/media/upload/{media_id}/finalize")
        deadline = time.monotonic() + GIF_PROCESSING_WAIT
        while (info := body["data"].get("processing_info", {})).get("state") in (
            "pending",
            "in_progress",
        ) and time.monotonic() < deadline:
            time.sleep(min(int(info.get("check_after_secs", 1)), 10))
            body = self._api(
                "GET",
                "2/media/upload",
                params={"command": "STATUS", "media_id": media_id},
            )
        if info.get("state") not in (None, "succeeded"):
            reason = info.get("error", {}).get("message") or info.get("state")
            raise RejectedError(f"X could not use the GIF {image.path.name}: {reason}.")
        return media_id

    def _api(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.credentials.access_token}"}
        response = self.session.request(
            method, f"{self.api_url}/{path}", headers=headers, **kwargs
        )
        if response.status_code >= 400:
            raise self._error(response)
        return json_body(response, self.name)

    def _error(self, response: requests.Response) -> ChannelError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        # A 400's errors[] says what was wrong; its detail only that something
        # was ("One or more parameters to your request was invalid.").
        messages = [e.get("message") or e.get("detail") for e in body.get("errors", [])]
        message = (
            " ".join(filter(None, messages))
            or body.get("detail")
            or (f"X answered HTTP {status}.")
        )
        if str(body.get("type", "")).endswith("/usage-capped"):
            return self._usage_capped(response, body, message)
        return self.status_error(
            status,
            message,
            headers=response.headers,
            code=body.get("type"),
            body=response.content,
        )

    def _usage_capped(
        self, response: requests.Response, body: dict[str, Any], message: str
    ) -> ChannelError:
        """X's ``usage-capped`` problem: a daily cap waits for its 24-hour
        reset, a monthly one for the first of next month (UTC)."""
        info = {
            "status": response.status_code,
            "code": body["type"],
            "body": response.content,
        }
        if body.get("period") == "Monthly":
            now = datetime.now(UTC)
            month = datetime(
                now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC
            )
            return UsageCappedError(
                f"X's monthly usage cap is reached ({message}): nothing more "
                f"posts to X until {month:%d %B %Y}.",
                retry_at=month,
                **info,
            )
        retry_at = _daily_reset(response.headers) or datetime.now(UTC) + timedelta(
            hours=24
        )
        return RateLimitedError(
            f"X's daily cap is reached ({message}).", retry_at=retry_at, **info
        )

    def _permalink(self, tweet_id: str) -> str:
        if not self._username:
            self._username = self._me()["username"]
        return f"{self.web_url}/{self._username}/status/{tweet_id}"

    def _me(self) -> dict[str, Any]:
        return self.client.get_me(user_auth=False)["data"]

    def _timeline(
        self, limit: int, since: datetime | None, **fields: Any
    ) -> Iterator[tuple[dict[str, Any], dict[str, dict[str, Any]]]]:
        """The account's tweets, newest first, with their media by media key:
        at most ``limit``, and with ``since`` only those created from then on
        (``start_time``)."""
        return newest_first(
            self._timeline_pages(min(max(limit, 5), PAGE_SIZE), since, fields),
            limit=limit,
            since=since,
            created=lambda pair: parse_time(
                pair[0].get("created_at"), self.name, "created_at"
            ),
        )

    def _timeline_pages(
        self, size: int, since: datetime | None, fields: dict[str, Any]
    ) -> Iterator[tuple[dict[str, Any], dict[str, dict[str, Any]]]]:
        """Every tweet of the user's timeline, page after page (``next_token``)."""
        if since is not None:
            # RFC 3339 to the second, as X documents start_time.
            fields["start_time"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        token = None
        while True:
            body = self.client.get_users_tweets(
                self.credentials.account_id,
                max_results=size,
                pagination_token=token,
                user_auth=False,
                **fields,
            )
            media = {
                m["media_key"]: m for m in body.get("includes", {}).get("media", [])
            }
            for tweet in body.get("data", []):
                yield tweet, media
            token = body.get("meta", {}).get("next_token")
            if not token or not body.get("data"):
                return

    # Connecting an account -----------------------------------------------------------

    @classmethod
    def begin_connect(
        cls, config: Mapping[str, Any], redirect_uri: str, state: str
    ) -> tuple[str, str]:
        pkce = WebApplicationClient(config["CLIENT_ID"])
        verifier = pkce.create_code_verifier(96)
        url, _state = oauth_session(
            config, redirect_uri, state=state, scope=SCOPES
        ).authorization_url(
            config["AUTHORIZE_URL"],
            code_challenge=pkce.create_code_challenge(verifier, "S256"),
            code_challenge_method="S256",
        )
        return url, verifier

    @classmethod
    def complete_connect(
        cls,
        config: Mapping[str, Any],
        redirect_uri: str,
        params: Mapping[str, str],
        state: str,
        code_verifier: str,
    ) -> list[ConnectedAccount]:
        # A confidential client: Basic auth, and the client_id in the body too.
        token = exchange_code(
            config,
            redirect_uri,
            params,
            state,
            "X",
            code_verifier=code_verifier,
            auth=(config["CLIENT_ID"], config.get("CLIENT_SECRET", "")),
            include_client_id=True,
        )
        adapter = cls(config, token_credentials(token, Credentials("", "")))
        me = adapter._classified(adapter._me)
        return [
            ConnectedAccount(
                platform=cls.id,
                remote_id=str(me["id"]),
                display_name=f"@{me['username']}",
                credentials=adapter.credentials.with_tokens(
                    account_id=str(me["id"]), extra={"username": me["username"]}
                ),
            )
        ]


def _picture_type(image: Any) -> str:
    """The image's content type as its bytes say (a rendition named .jpg may
    hold a GIF); as declared when they say nothing."""
    found = media_check.picture(image.path)
    return found.content_type if found else image.content_type


def _expanded(tweet: Mapping[str, Any]) -> str:
    """The tweet's text with each t.co link X put in it replaced by the address
    it stands for, so residents see (and the site checks) where it goes."""
    text = tweet.get("text", "")
    for url in tweet.get("entities", {}).get("urls", []):
        if url.get("url") and url.get("expanded_url"):
            text = text.replace(url["url"], url["expanded_url"])
    return text


def _epoch(value: str) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value.isdigit() else None


def _daily_reset(headers: Mapping[str, str]) -> datetime | None:
    """The latest reset of X's 24-hour caps that have run out, if any has."""
    resets = [
        _epoch(headers.get(f"x-{who}-limit-24hour-reset", ""))
        for who in ("user", "app")
        if headers.get(f"x-{who}-limit-24hour-remaining") == "0"
    ]
    return max(filter(None, resets), default=None)
