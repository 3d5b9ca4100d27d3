"""Facebook Pages through the Graph API, with plain requests.

Publishing uses a long-lived Page token, which does not expire but cannot be
refreshed either: when Facebook rejects it the Page must be connected again.

Posts and edits are sent with ``fields``, so Graph answers with the post's
permalink in the same round trip (read-after-write). That read happens after the
write: an error in it means the post exists, which reconciliation then finds.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import requests

from .base import ChannelAdapter, SessionSaver
from .errors import (
    AuthError,
    ChannelError,
    RateLimitedError,
    RejectedError,
    TemporaryError,
)
from .oauth import exchange_code, oauth_session
from .search import contains_marker, newest_first, parse_time
from .session import json_body
from .values import (
    ConnectedAccount,
    Credentials,
    FeedItem,
    FeedMedia,
    Image,
    Metrics,
    Post,
    PostResult,
    image_problems,
)

logger = logging.getLogger(__name__)

SCOPES = ["pages_show_list", "pages_manage_posts", "pages_read_engagement"]
# Graph error codes: https://developers.facebook.com/docs/graph-api/guides/error-handling
AUTH_CODES = {102, 190, 10} | set(range(200, 300))
RATE_CODES = {4, 17, 32, 341, 613, 80001}
TEMPORARY_CODES = {1, 2}
#: Code 100's subcode for an object that does not exist (any more).
GONE_SUBCODE = 33
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
POST_FIELDS = "id,message,permalink_url,created_time,attachments{url,unshimmed_url}"
#: Asked for on writes: Graph's read-after-write answers them with the write, so
#: the permalink costs no second call.
WRITE_FIELDS = "id,permalink_url"
PAGE_SIZE = 100  # the most posts Graph gives in one page
#: Facebook's link shim: outgoing links in Graph answers go through it.
SHIM_HOSTS = frozenset({"l.facebook.com", "lm.facebook.com"})


class FacebookAdapter(ChannelAdapter):
    id = "facebook"
    name = "Facebook"
    max_text_length = 63206
    counting_rule = "Facebook allows {limit:,} characters."
    default_web_url = "https://www.facebook.com"

    def __init__(self, config: Mapping[str, Any], credentials: Credentials, **kw: Any):
        super().__init__(config, credentials, **kw)
        self.version = str(config.get("API_VERSION") or "v24.0")

    # Steps ---------------------------------------------------------------------------

    def _publish(
        self, post: Post, on_upload_session: SessionSaver | None = None
    ) -> PostResult:
        page = self.credentials.account_id
        if not post.images:
            return self._written(
                self._graph(
                    "POST",
                    f"{page}/feed",
                    data={"message": post.text, "link": post.link},
                    params={"fields": WRITE_FIELDS},
                )
            )
        # Photo posts get no link preview, so the link goes into the text.
        text = post.text if post.link in post.text else f"{post.text}\n\n{post.link}"
        if len(post.images) > 1:
            # Several photos: upload each unpublished, then one post holding all.
            data = {"message": text}
            for index, image in enumerate(post.images):
                photo = self._photo(image, caption="", published=False)
                data[f"attached_media[{index}]"] = json.dumps(
                    {"media_fbid": photo["id"]}
                )
            return self._written(
                self._graph(
                    "POST", f"{page}/feed", data=data, params={"fields": WRITE_FIELDS}
                )
            )
        body = self._photo(post.images[0], caption=text, published=True)
        post_id = str(body.get("post_id") or body["id"])
        # Reading back a photo would give the photo, not its post: the post's
        # permalink takes a second call.
        return PostResult(post_id, self._permalink(post_id))

    def _photo(self, image: Image, *, caption: str, published: bool) -> dict[str, Any]:
        with image.path.open("rb") as fh:
            return self._graph(
                "POST",
                f"{self.credentials.account_id}/photos",
                data={
                    "caption": caption,
                    "published": str(published).lower(),
                    "alt_text_custom": image.alt_text,
                },
                files={"source": (image.path.name, fh, image.content_type)},
            )

    def _update(self, remote_id: str, post: Post) -> PostResult:
        body = self._graph(
            "POST",
            remote_id,
            data={"message": post.text},
            params={"fields": WRITE_FIELDS},
        )
        return self._written({**body, "id": remote_id})

    def _retract(self, remote_id: str) -> None:
        self._graph("DELETE", remote_id)

    def is_gone(self, error: RejectedError) -> bool:
        # Code 100 with subcode 33 is "object does not exist", sent with a 400;
        # without the subcode only wording with no permission clause says so
        # (a missing permission is an auth error, see _graph_error).
        return super().is_gone(error) or (
            error.code == 100
            and (
                error.subcode == GONE_SUBCODE
                or (
                    "does not exist" in error.message
                    and not _lacks_permission(error.message)
                )
            )
        )

    def _find_by_marker(
        self, marker: str, limit: int, since: datetime | None
    ) -> PostResult | None:
        for item in self._page_posts(POST_FIELDS, limit, since):
            links = [_unshimmed(a) for a in item.get("attachments", {}).get("data", [])]
            if any(contains_marker(t, marker) for t in [item.get("message"), *links]):
                permalink = item.get("permalink_url") or self._permalink(item["id"])
                return PostResult(str(item["id"]), permalink)
        return None

    def _recent_posts(self, limit: int) -> list[FeedItem]:
        fields = (
            "id,message,permalink_url,created_time,full_picture,"
            "attachments{media_type,url,unshimmed_url}"
        )
        return [
            FeedItem(
                remote_id=str(item["id"]),
                text=_with_link(item),
                permalink=item.get("permalink_url", ""),
                created_at=parse_time(
                    item.get("created_time"), self.name, "created_time"
                ),
                media=(FeedMedia(item["full_picture"]),)
                if item.get("full_picture")
                else (),
            )
            for item in self._page_posts(fields, limit)
        ]

    def _metrics(self, remote_id: str) -> Metrics:
        fields = (
            "reactions.summary(true).limit(0),shares,comments.summary(true).limit(0)"
        )
        body = self._graph("GET", remote_id, params={"fields": fields})
        return Metrics(
            likes=body.get("reactions", {}).get("summary", {}).get("total_count"),
            shares=body.get("shares", {}).get("count", 0),
            comments=body.get("comments", {}).get("summary", {}).get("total_count"),
        )

    @classmethod
    def validate(cls, post: Post) -> list[str]:
        problems: list[str] = []
        if len(post.text) > cls.max_text_length:
            problems.append(
                f"Facebook posts can be {cls.max_text_length} characters at most; "
                f"this one has {len(post.text)}."
            )
        problems += image_problems(
            post.images,
            platform=cls.name,
            max_count=10,
            max_bytes=4 * 1024 * 1024,
            types=IMAGE_TYPES,
        )
        return problems

    def refresh(self) -> Credentials:
        raise AuthError(
            "Facebook Page tokens cannot be refreshed; reconnect the Page to "
            "keep posting."
        )

    # Graph plumbing ------------------------------------------------------------------

    def _graph(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One Graph API call; a Graph error becomes a ChannelError."""
        # The token travels in a header, never in a URL that could be logged.
        headers = {"Authorization": f"OAuth {self.credentials.access_token}"}
        url = f"{self.api_url}/{self.version}/{path.lstrip('/')}"
        response = self.session.request(method, url, headers=headers, **kwargs)
        body = json_body(response, self.name)
        if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            raise self._graph_error(response, body)
        return body if isinstance(body, dict) else {}

    def _graph_error(self, response: requests.Response, body: Any) -> ChannelError:
        # Graph answers 400 for most failures; the error code says what happened.
        error = body.get("error", {}) if isinstance(body, dict) else {}
        code = error.get("code")
        message = (
            error.get("error_user_msg")
            or error.get("message")
            or (f"Facebook answered HTTP {response.status_code}.")
        )
        subcode = error.get("error_subcode")
        info = {
            "status": response.status_code,
            "code": code,
            "subcode": subcode,
            "body": response.content,
        }
        if code in AUTH_CODES or (
            code == 100 and subcode != GONE_SUBCODE and _lacks_permission(message)
        ):
            # "(#100) Object does not exist, cannot be loaded due to missing
            # permission": the post may well stand; only a reconnection with
            # the permission can take it down.
            return AuthError(message, **info)
        if code in RATE_CODES:
            return RateLimitedError(
                message, retry_at=self.retry_at(response.headers), **info
            )
        if code in TEMPORARY_CODES or error.get("is_transient"):
            return TemporaryError(message, **info)
        return self.status_error(
            response.status_code,
            message,
            headers=response.headers,
            code=code,
            subcode=subcode,
            body=response.content,
        )

    def retry_at(self, headers: Mapping[str, str]) -> datetime | None:
        """When a throttled Page may call again.

        The X-Business-Use-Case-Usage header maps business ids to lists of usage
        entries whose estimated_time_to_regain_access is in minutes.
        """
        return _regain_at(headers) or super().retry_at(headers)

    def _written(self, body: dict[str, Any]) -> PostResult:
        """The result of a write that asked for ``WRITE_FIELDS``.

        Should the answer lack the permalink (a write that does not read back),
        it is read with a second call.
        """
        post_id = str(body["id"])
        permalink = body.get("permalink_url") or self._permalink(post_id)
        return PostResult(post_id, str(permalink))

    def _permalink(self, post_id: str) -> str:
        body = self._graph("GET", post_id, params={"fields": "permalink_url"})
        if body.get("permalink_url"):
            return str(body["permalink_url"])
        page, _, post = post_id.partition("_")
        return f"{self.web_url}/{page}/posts/{post or page}"

    def _page_posts(
        self, fields: str, limit: int, since: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """The Page's own posts, newest first: at most ``limit``, and with
        ``since`` only those created from then on (Graph's ``since``)."""
        return newest_first(
            self._post_pages(fields, min(limit, PAGE_SIZE), since),
            limit=limit,
            since=since,
            created=lambda item: parse_time(
                item.get("created_time"), self.name, "created_time"
            ),
        )

    def _post_pages(
        self, fields: str, size: int, since: datetime | None
    ) -> Iterator[dict[str, Any]]:
        """Every post of the Page's ``/posts`` edge, page after page."""
        params = {"fields": fields, "limit": str(size)}
        if since is not None:
            params["since"] = str(int(since.timestamp()))
        return self._edge(f"{self.credentials.account_id}/posts", params)

    def _edge(self, path: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        """Every item of a Graph edge, following ``paging.next`` page after page."""
        while True:
            body = self._graph("GET", path, params=params)
            yield from body.get("data", [])
            following = body.get("paging", {}).get("next")
            if not following or not body.get("data"):
                return
            # Graph's next link carries whatever the next page needs (a cursor,
            # or until and a paging token). Its query is sent to our own API
            # URL with the token in the header, never to a host taken from an
            # answer, and never with the token in a URL.
            params = {
                key: value
                for key, value in parse_qsl(urlsplit(following).query)
                if key != "access_token"
            }

    # Connecting a Page ---------------------------------------------------------------

    @classmethod
    def begin_connect(
        cls, config: Mapping[str, Any], redirect_uri: str, state: str
    ) -> tuple[str, str]:
        oauth = oauth_session(config, redirect_uri, state=state, scope=SCOPES)
        return oauth.authorization_url(config["AUTHORIZE_URL"])[0], ""

    @classmethod
    def complete_connect(
        cls,
        config: Mapping[str, Any],
        redirect_uri: str,
        params: Mapping[str, str],
        state: str,
        code_verifier: str,
    ) -> list[ConnectedAccount]:
        token = exchange_code(
            config,
            redirect_uri,
            params,
            state,
            "Facebook",
            client_secret=config["CLIENT_SECRET"],
            include_client_id=True,  # Facebook wants the app id in the body
        )
        user = cls(config, Credentials("me", access_token=token["access_token"]))
        # Facebook has no refresh tokens: swap the short-lived user token for a
        # 60-day one, whose Page tokens then never expire. Meta documents the
        # exchange as a GET.
        long_lived = user._classified(
            lambda: user._graph(
                "GET",
                "oauth/access_token",
                params={
                    "grant_type": "fb_exchange_token",
                    "client_id": config["CLIENT_ID"],
                    "client_secret": config["CLIENT_SECRET"],
                    "fb_exchange_token": token["access_token"],
                },
            )
        )
        user.credentials = user.credentials.with_tokens(
            access_token=long_lived["access_token"]
        )
        granted = cls._granted_scopes(config, long_lived["access_token"])
        pages = user._classified(
            lambda: list(
                user._edge("me/accounts", {"fields": "id,name,access_token,tasks"})
            )
        )
        return [
            ConnectedAccount(
                platform=cls.id,
                remote_id=str(page["id"]),
                display_name=page.get("name", ""),
                credentials=Credentials(
                    account_id=str(page["id"]),
                    access_token=page["access_token"],
                    scopes=granted,
                ),
            )
            for page in pages
            if "CREATE_CONTENT" in page.get("tasks", []) and page.get("access_token")
        ]

    @classmethod
    def check_token(cls, config: Mapping[str, Any], token: str) -> dict[str, Any]:
        """What Facebook says about ``token`` (debug_token), refusing user tokens.

        Raises ``AuthError`` for a personal user token or an invalid one.
        """
        data = cls._debug_token(config, token)
        if data.get("type") == "USER":
            raise AuthError(
                "This is a personal user token; connect a Facebook Page instead."
            )
        if not data.get("is_valid"):
            raise AuthError(
                "Facebook says this token is not valid; connect the Page again."
            )
        return data

    @classmethod
    def _debug_token(cls, config: Mapping[str, Any], token: str) -> dict[str, Any]:
        """Graph's ``debug_token`` answer for ``token``, asked as the app."""
        app_token = f"{config['CLIENT_ID']}|{config['CLIENT_SECRET']}"
        app = cls(config, Credentials(account_id="app", access_token=app_token))
        body = app._classified(
            lambda: app._graph("GET", "debug_token", params={"input_token": token})
        )
        return body.get("data", {})

    @classmethod
    def _granted_scopes(cls, config: Mapping[str, Any], user_token: str) -> tuple:
        """The permissions the person granted the app, which the Page tokens
        derived from ``user_token`` carry: the accounts screen words them
        ("publish to the Page"). They only describe the connection, so when
        Facebook cannot say, the Page connects without them."""
        try:
            return tuple(cls._debug_token(config, user_token).get("scopes") or ())
        except ChannelError as exc:
            logger.warning("Facebook did not say what the app was granted: %s", exc)
            return ()


def _regain_at(headers: Mapping[str, str]) -> datetime | None:
    try:
        usage = json.loads(headers.get("X-Business-Use-Case-Usage", "{}"))
        minutes = max(
            (
                float(entry.get("estimated_time_to_regain_access") or 0)
                for entries in usage.values()
                for entry in entries
            ),
            default=0.0,
        )
    except (ValueError, AttributeError, TypeError):
        minutes = 0.0
    if minutes > 0:
        return datetime.now(UTC) + timedelta(minutes=minutes)
    return None


def _lacks_permission(message: str) -> bool:
    """Whether Graph's words blame a missing permission."""
    return "permission" in message.lower()


def _unshimmed(attachment: Mapping[str, Any]) -> str:
    """The address a link attachment goes to. Graph gives it as
    ``unshimmed_url``; its ``url`` is Facebook's ``l.facebook.com`` redirect,
    which carries the address in ``u``."""
    if attachment.get("unshimmed_url"):
        return str(attachment["unshimmed_url"])
    url = str(attachment.get("url", ""))
    if urlsplit(url).hostname in SHIM_HOSTS:
        return dict(parse_qsl(urlsplit(url).query)).get("u", "")
    return unquote(url)


def _with_link(item: Mapping[str, Any]) -> str:
    """A feed post's message, ending with its link attachment's address when
    the message does not give it, so the feed copy links where the post does
    (never through Facebook's redirect)."""
    text = item.get("message", "")
    for attachment in item.get("attachments", {}).get("data", []):
        link = _unshimmed(attachment)
        if attachment.get("media_type") == "link" and link and link not in text:
            text = f"{text}\n{link}".strip()
    return text
