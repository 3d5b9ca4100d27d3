"""X API v2 posts and users: create, delete, lookup and the user timeline."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Response

from ..seed import post_record, x_snowflake
from ..state import URL_RE
from ..web import Ctx, json_response
from .common import (
    authenticate,
    csv_param,
    invalid_request,
    not_found_problem,
    problem,
    router,
    xtime,
)
from .length import too_long

CREATE_FIELDS = {
    "card_uri",
    "community_id",
    "direct_message_deep_link",
    "edit_options",
    "for_super_followers_only",
    "geo",
    "media",
    "nullcast",
    "poll",
    "quote_tweet_id",
    "reply",
    "reply_settings",
    "share_with_followers",
    "text",
}
DUPLICATE_LOOKBACK = 50  # how many recent live posts the duplicate check compares


def _json_object(ctx: Ctx) -> dict[str, Any]:
    if not ctx.is_json():
        raise invalid_request(
            "Requests with bodies must have content-type of application/json."
        )
    try:
        body = ctx.json_body()
    except ValueError as exc:
        raise invalid_request(f"Request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise invalid_request("Request body must be a JSON object.")
    return body


def _media_for_create(
    ctx: Ctx, body: dict[str, Any], owner: str
) -> list[dict[str, Any]]:
    media = body.get("media")
    if media is None:
        return []
    ids = media.get("media_ids") if isinstance(media, dict) else None
    if (
        not isinstance(ids, list)
        or not 1 <= len(ids) <= 4
        or not all(isinstance(i, str) and i.isdigit() for i in ids)
    ):
        raise invalid_request(
            "media.media_ids must be a list of 1 to 4 media ids",
            {"media.media_ids": [str(ids)]},
        )
    items = []
    with ctx.state.lock:
        for mid in ids:
            meta = ctx.state.data["media"].get(mid)
            if (
                not meta
                or meta["platform"] != "x"
                or meta["owner"] != owner
                or meta["state"] != "succeeded"
            ):
                raise invalid_request(
                    "Your media IDs are invalid.", {"media.media_ids": list(ids)}
                )
            items.append(
                {
                    "id": mid,
                    "type": meta["type"],
                    "alt_text": meta.get("alt_text", ""),
                    "size": meta["size"],
                }
            )
    return items


@router.add("POST", r"/2/tweets", "publish")
def create(ctx: Ctx) -> Response:
    rec_token = authenticate(ctx, "tweet.write")
    body = _json_object(ctx)
    unknown = sorted(set(body) - CREATE_FIELDS)
    if unknown:
        raise invalid_request(
            f"The following fields are not allowed: {unknown}",
            {k: [str(body[k])] for k in unknown},
        )
    text = body.get("text", "")
    if not isinstance(text, str):
        raise invalid_request("text must be a string", {"text": [str(text)]})
    if "edit_options" in body:
        raise problem(403, "Forbidden", "Editing Posts is not available to this app.")
    user = rec_token["account_id"]
    items = _media_for_create(ctx, body, user)
    if not text.strip() and not items:
        raise invalid_request("Post text or media is required.", {"text": [text]})
    if text and too_long(text):
        raise invalid_request(
            "Post text is too long (the limit is 280 weighted characters).",
            {"text": [text]},
        )
    recent = ctx.state.account_posts("x", user, limit=DUPLICATE_LOOKBACK)
    if text.strip() and any(p["text"].strip() == text.strip() for p in recent):
        raise problem(
            403,
            "Forbidden",
            "You are not allowed to create a Tweet with duplicate content.",
        )
    now = time.time()
    tid = x_snowflake(now, ctx.state.next_seq())
    rec = post_record(
        "x",
        tid,
        user,
        now,
        text,
        media=items,
        kind="tweet",
        metrics={
            "like_count": 0,
            "retweet_count": 0,
            "reply_count": 0,
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": 0,
        },
    )
    reply = body.get("reply") if isinstance(body.get("reply"), dict) else {}
    rec["extra"] = {
        "in_reply_to": reply.get("in_reply_to_tweet_id"),
        "quote_tweet_id": body.get("quote_tweet_id"),
    }
    ctx.state.add_post(rec)
    resp = json_response(
        {
            "data": {
                "id": tid,
                "text": shortened(tid, text)[0],
                "edit_history_tweet_ids": [tid],
            }
        },
        201,
    )
    resp.headers["Location"] = f"{ctx.base}/x/2/tweets/{tid}"
    return resp


@router.add("DELETE", r"/2/tweets/(?P<tid>\d{1,19})", "delete")
def delete(ctx: Ctx) -> Response:
    rec_token = authenticate(ctx, "tweet.write")
    tid = ctx.params["tid"]
    with ctx.state.lock:
        rec = ctx.state.posts("x").get(tid)
        if rec is None or rec["deleted"]:
            raise problem(
                404,
                "Not Found Error",
                f"Could not find tweet with id: [{tid}].",
                "https://api.twitter.com/2/problems/resource-not-found",
                parameter="id",
                value=tid,
                resource_id=tid,
                resource_type="tweet",
            )
        if rec["account_id"] != rec_token["account_id"]:
            raise problem(403, "Forbidden", "You are not allowed to delete this Tweet.")
        rec["deleted"], rec["deleted_ts"] = True, time.time()
    ctx.state.mark_dirty()
    return json_response({"data": {"deleted": True}})


def shortened(tid: str, text: str) -> tuple[str, list[dict[str, Any]]]:
    """The text as X shows it, every link a t.co link, and its url entities
    (positions in the shortened text, the link as written, a display form)."""
    out, urls, last = [], [], 0
    for match in URL_RE.finditer(text):
        link = match.group(0)
        digest = hashlib.sha256(f"{tid} {link}".encode()).digest()
        short = "https://t.co/" + base64.b32encode(digest).decode()[:10].lower()
        out.append(text[last : match.start()])
        start = sum(len(part) for part in out)
        out.append(short)
        bare = link.split("//", 1)[-1]
        urls.append(
            {
                "start": start,
                "end": start + len(short),
                "url": short,
                "expanded_url": link,
                "display_url": bare if len(bare) <= 26 else bare[:25] + "…",
            }
        )
        last = match.end()
    out.append(text[last:])
    return "".join(out), urls


def render_tweet(ctx: Ctx, rec: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rec["id"],
        "text": rec["text"],
        "edit_history_tweet_ids": [rec["id"]],
    }
    keys = [
        f"3_{m['id']}" if m["type"] == "photo" else f"7_{m['id']}" for m in rec["media"]
    ]
    optional: dict[str, Any] = {
        "created_at": xtime(rec["created_ts"]),
        "author_id": rec["account_id"],
        "conversation_id": rec["id"],
        "lang": "en",
        "possibly_sensitive": False,
        "reply_settings": "everyone",
        "public_metrics": {
            k: rec["metrics"].get(k, 0)
            for k in (
                "retweet_count",
                "reply_count",
                "like_count",
                "quote_count",
                "bookmark_count",
                "impression_count",
            )
        },
        "edit_controls": {
            "is_edit_eligible": False,
            "edits_remaining": 0,
            "editable_until": xtime(rec["created_ts"] + 3600),
        },
    }
    if keys:
        optional["attachments"] = {"media_keys": keys}
    out["text"], urls = shortened(rec["id"], rec["text"])
    if urls:
        optional["entities"] = {"urls": urls}
    if ctx.faults.scenario("x", "omit_timestamps"):
        del optional["created_at"]
    for name in fields:
        if name in optional:
            out[name] = optional[name]
    return out


def _media_object(ctx: Ctx, mid: str, fields: list[str]) -> dict[str, Any] | None:
    meta = ctx.state.data["media"].get(mid)
    if meta is None:
        return None
    kind = meta["type"]
    out: dict[str, Any] = {
        "media_key": f"{'3' if kind == 'photo' else '7'}_{mid}",
        "type": kind,
    }
    url = f"{ctx.base}/x/media/{mid}"
    optional = {
        "url": url,
        "alt_text": meta.get("alt_text") or None,
        "width": meta.get("width") or None,
        "height": meta.get("height") or None,
        "preview_image_url": url if kind != "photo" else None,
    }
    for name in fields:
        if optional.get(name) is not None:
            out[name] = optional[name]
    return out


def _user_object(ctx: Ctx, uid: str, fields: list[str]) -> dict[str, Any]:
    acct = ctx.state.data["accounts"]["x"][uid]
    out = {"id": uid, "name": acct["name"], "username": acct["username"]}
    optional = {
        "created_at": acct["created_at"],
        "description": acct["description"],
        "protected": False,
        "verified": False,
        "url": f"{ctx.base}/x/web/{acct['username']}",
        "profile_image_url": f"{ctx.base}/x/media/1100000000000000101",
    }
    out.update({k: optional[k] for k in fields if k in optional})
    if "public_metrics" in fields:  # counting reads every post the account has
        out["public_metrics"] = {
            "followers_count": 23810,
            "following_count": 412,
            "tweet_count": len(ctx.state.account_posts("x", uid)),
            "listed_count": 198,
            "like_count": 1500,
        }
    return out


def with_includes(
    ctx: Ctx, body: dict[str, Any], tweets: list[dict[str, Any]]
) -> dict[str, Any]:
    expansions = csv_param(ctx, "expansions")
    includes: dict[str, Any] = {}
    if "attachments.media_keys" in expansions:
        media_fields = csv_param(ctx, "media.fields")
        found = [
            _media_object(ctx, m["id"], media_fields)
            for t in tweets
            for m in t["media"]
        ]
        if any(found):
            includes["media"] = [m for m in found if m]
    if "author_id" in expansions and tweets:
        authors = dict.fromkeys(t["account_id"] for t in tweets)
        includes["users"] = [
            _user_object(ctx, a, csv_param(ctx, "user.fields")) for a in authors
        ]
    if includes:
        body["includes"] = includes
    return body


def live(ctx: Ctx, tid: str) -> dict[str, Any] | None:
    rec = ctx.state.posts("x").get(tid)
    return None if rec is None or rec["deleted"] else rec


@router.add("GET", r"/2/tweets/(?P<tid>\d{1,19})", "get")
def get_one(ctx: Ctx) -> Response:
    authenticate(ctx, "tweet.read")
    rec = live(ctx, ctx.params["tid"])
    if rec is None:
        return json_response(
            {"errors": [not_found_problem("tweet", ctx.params["tid"])]}
        )
    body = {"data": render_tweet(ctx, rec, csv_param(ctx, "tweet.fields"))}
    return json_response(with_includes(ctx, body, [rec]))


@router.add("GET", r"/2/tweets", "get")
def get_many(ctx: Ctx) -> Response:
    authenticate(ctx, "tweet.read")
    ids = csv_param(ctx, "ids")
    if not 1 <= len(ids) <= 100 or not all(i.isdigit() for i in ids):
        raise invalid_request(
            "The `ids` query parameter must hold 1 to 100 post ids",
            {"ids": [ctx.request.args.get("ids", "")]},
        )
    found = [r for r in (live(ctx, i) for i in ids) if r]
    body: dict[str, Any] = {}
    if found:
        fields = csv_param(ctx, "tweet.fields")
        body["data"] = [render_tweet(ctx, r, fields) for r in found]
    missing = [i for i in ids if live(ctx, i) is None]
    if missing:
        body["errors"] = [not_found_problem("tweet", i, "ids") for i in missing]
    return json_response(with_includes(ctx, body, found))


@router.add("GET", r"/2/users/me", "me")
def users_me(ctx: Ctx) -> Response:
    rec = authenticate(ctx, "users.read")
    return json_response(
        {"data": _user_object(ctx, rec["account_id"], csv_param(ctx, "user.fields"))}
    )


@router.add("GET", r"/2/users/(?P<uid>\d{1,19})", "get")
def user_by_id(ctx: Ctx) -> Response:
    authenticate(ctx, "users.read")
    uid = ctx.params["uid"]
    if uid not in ctx.state.data["accounts"]["x"]:
        return json_response({"errors": [not_found_problem("user", uid)]})
    return json_response(
        {"data": _user_object(ctx, uid, csv_param(ctx, "user.fields"))}
    )


def _int_param(ctx: Ctx, name: str, default: int, low: int, high: int) -> int:
    raw = ctx.request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid_request(
            f"The `{name}` query parameter value [{raw}] is not "
            f"between {low} and {high}",
            {name: [raw]},
        )
    return int(raw)


@router.add("GET", r"/2/users/(?P<uid>\d{1,19})/tweets", "list")
def user_tweets(ctx: Ctx) -> Response:
    authenticate(ctx, "tweet.read", "users.read")
    uid = ctx.params["uid"]
    if uid not in ctx.state.data["accounts"]["x"]:
        return json_response({"errors": [not_found_problem("user", uid)]})
    limit = _int_param(ctx, "max_results", 10, 5, 100)
    tweets = sorted(
        ctx.state.account_posts("x", uid), key=lambda p: int(p["id"]), reverse=True
    )
    if "replies" in csv_param(ctx, "exclude"):
        tweets = [t for t in tweets if not t["extra"].get("in_reply_to")]
    tweets = _within_ids_and_times(ctx, tweets)
    token = ctx.request.args.get("pagination_token")
    if token:
        try:
            anchor = int(token, 36)
        except ValueError as exc:
            raise invalid_request(
                "The `pagination_token` query parameter value is invalid",
                {"pagination_token": [token]},
            ) from exc
        tweets = [t for t in tweets if int(t["id"]) <= anchor]
    page, rest = tweets[:limit], tweets[limit:]
    meta: dict[str, Any] = {"result_count": len(page)}
    body: dict[str, Any] = {}
    if page:
        fields = csv_param(ctx, "tweet.fields")
        body["data"] = [render_tweet(ctx, t, fields) for t in page]
        meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
    if rest:
        meta["next_token"] = _base36(int(rest[0]["id"]))
    body["meta"] = meta
    return json_response(with_includes(ctx, body, page))


def _time_arg(ctx: Ctx, name: str) -> float | None:
    """An RFC 3339 ``start_time``/``end_time`` as a unix time."""
    raw = ctx.request.args.get(name)
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise invalid_request(
            f"The `{name}` query parameter value [{raw}] is not a "
            "valid RFC 3339 date-time",
            {name: [raw]},
        )
    return parsed.timestamp()


def _within_ids_and_times(
    ctx: Ctx, tweets: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Apply since_id/until_id and start_time (inclusive)/end_time (exclusive);
    an id bound takes precedence over the time bound on the same side."""
    ids = {}
    for name in ("since_id", "until_id"):
        raw = ctx.request.args.get(name)
        if raw is not None and not raw.isdigit():
            raise invalid_request(f"Invalid {name}", {name: [raw]})
        ids[name] = None if raw is None else int(raw)
    start, end = _time_arg(ctx, "start_time"), _time_arg(ctx, "end_time")
    if start is not None and end is not None and start >= end:
        raise invalid_request(
            "Invalid 'start_time'. 'start_time' must be before 'end_time'",
            {"start_time": [ctx.request.args["start_time"]]},
        )
    if ids["since_id"] is not None:
        tweets = [t for t in tweets if int(t["id"]) > ids["since_id"]]
    elif start is not None:
        tweets = [t for t in tweets if t["created_ts"] >= start]
    if ids["until_id"] is not None:
        tweets = [t for t in tweets if int(t["id"]) < ids["until_id"]]
    elif end is not None:
        tweets = [t for t in tweets if t["created_ts"] < end]
    return tweets


def _base36(num: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while num:
        num, rem = divmod(num, 36)
        out = digits[rem] + out
    return out or "0"
