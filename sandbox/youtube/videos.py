"""YouTube videos, thumbnails and captions (insert/update/delete/list)."""

from __future__ import annotations

import json
import secrets
import string
import time
from typing import Any

from werkzeug.wrappers import Response

from ..seed import post_record
from ..state import iso
from ..web import Ctx, image_size, json_response
from .common import (
    COSTS,
    MANAGE_SCOPES,
    READ_SCOPES,
    UPLOAD_SCOPES,
    GoogleError,
    authenticate,
    bad_request,
    charge,
    etag,
    quota,
    router,
    video_not_found,
)
from .uploads import parse_related, put_chunk, start_session

CATEGORIES = {"1", "2", "10", "15", "17", "19", "20", "22", "23", "24", "25", "26",
              "27", "28", "29"}
PRIVACY = {"public", "unlisted", "private"}
ID_CHARS = string.ascii_letters + string.digits + "-_"
#: How a video's processing can end: uploadStatus, then processingDetails'
#: processingStatus and the reason fields of each.
OUTCOMES = {
    "processed": ("succeeded", None),
    "rejected": ("terminated", "rejectionReason"),
    "failed": ("failed", "failureReason"),
}


def requested_parts(ctx: Ctx) -> list[str]:
    parts = [p.strip() for p in (ctx.request.args.get("part") or "").split(",")
             if p.strip()]
    if not parts:
        raise GoogleError(400, "Required parameter: part", "required",
                          location="part", location_type="parameter")
    return parts


def validate_metadata(meta: dict[str, Any], *, require_category: bool = False
                      ) -> None:
    snippet = meta.get("snippet") or {}
    title = snippet.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 100 \
            or "<" in title or ">" in title:
        raise bad_request("The request metadata specifies an invalid or empty video "
                          "title.", "invalidTitle")
    desc = snippet.get("description") or ""
    if len(desc.encode()) > 5000 or "<" in desc or ">" in desc:
        raise bad_request("The request metadata specifies an invalid video "
                          "description.", "invalidDescription")
    tags = snippet.get("tags") or []
    if not isinstance(tags, list) or sum(len(str(t)) for t in tags) > 500:
        raise bad_request("The request metadata specifies invalid video keywords.",
                          "invalidTags")
    category = snippet.get("categoryId")
    if (category is not None or require_category) and str(category) not in CATEGORIES:
        raise bad_request("The video category specified in the request is invalid.",
                          "invalidCategoryId")
    privacy = (meta.get("status") or {}).get("privacyStatus", "public")
    if privacy not in PRIVACY:
        raise bad_request("The request metadata specifies an invalid privacy status.",
                          "invalidVideoMetadata")


def _create_video(ctx: Ctx, meta: dict[str, Any], data: bytes, channel: str
                  ) -> dict[str, Any]:
    snippet, status = meta.get("snippet") or {}, meta.get("status") or {}
    vid = "".join(secrets.choice(ID_CHARS) for _ in range(11))
    desc = str(snippet.get("description") or "")
    rec = post_record("youtube", vid, channel, time.time(), desc,
                      title=str(snippet["title"]), description=desc,
                      tags=[str(t) for t in snippet.get("tags") or []],
                      privacy=status.get("privacyStatus", "public"), kind="video",
                      media=[{"id": vid, "type": "video", "alt_text": "",
                              "size": len(data)}],
                      metrics={"viewCount": 0, "likeCount": 0, "commentCount": 0})
    rec["extra"] = {"categoryId": str(snippet.get("categoryId") or "22"),
                    "thumbnail": None, "size": len(data), "duration": "PT0S",
                    "captions": [], "status": dict(status),
                    "defaultLanguage": snippet.get("defaultLanguage"),
                    "processing": _processing(ctx)}
    with ctx.state.lock:
        quota(ctx)["uploads"] += 1
    return ctx.state.add_post(rec)


def _processing(ctx: Ctx) -> dict[str, Any]:
    """How the new video's processing goes, as the scenario says now."""
    outcome = ctx.faults.scenario("youtube", "processing_outcome")
    reason = {"rejected": "rejection_reason", "failed": "failure_reason"}.get(outcome)
    return {"seconds": ctx.faults.scenario("youtube", "processing_seconds"),
            "outcome": outcome,
            "reason": ctx.faults.scenario("youtube", reason) if reason else None}


def _render_processing(rec: dict[str, Any], out: dict[str, Any],
                       parts: list[str]) -> None:
    """status.uploadStatus (with YouTube's reason for a rejected or failed
    video) and processingDetails, as processing has gone so far."""
    processing = rec["extra"].get("processing") or {"seconds": 0.0,
                                                    "outcome": "processed"}
    left = rec["created_ts"] + processing["seconds"] - time.time()
    outcome = processing["outcome"] if left <= 0 else "uploaded"
    if "status" in parts:
        out["status"]["uploadStatus"] = outcome
        reason_field = OUTCOMES.get(outcome, (None, None))[1]
        if reason_field:
            out["status"][reason_field] = processing["reason"]
    if "processingDetails" in parts:
        details: dict[str, Any] = {
            "processingStatus": OUTCOMES[outcome][0] if left <= 0 else "processing"}
        if left > 0:
            details["processingProgress"] = {
                "partsTotal": 1000, "timeLeftMs": str(int(left * 1000)),
                "partsProcessed": int(1000 * (1 - left / processing["seconds"]))}
        if outcome == "failed":
            details["processingFailureReason"] = "transcodeFailed"
        out["processingDetails"] = details


def render_video(ctx: Ctx, rec: dict[str, Any], parts: list[str]) -> dict[str, Any]:
    extra = rec["extra"]
    account = ctx.state.data["accounts"]["youtube"][rec["account_id"]]
    out: dict[str, Any] = {"kind": "youtube#video",
                           "etag": etag(rec["id"], rec["updated_ts"]), "id": rec["id"]}
    if "snippet" in parts:
        out["snippet"] = {
            "publishedAt": iso(rec["created_ts"]), "channelId": rec["account_id"],
            "title": rec["title"], "description": rec["description"],
            "thumbnails": thumbnails(ctx, rec), "channelTitle": account["title"],
            "tags": list(rec["tags"]), "categoryId": extra["categoryId"],
            "liveBroadcastContent": "none",
            "localized": {"title": rec["title"], "description": rec["description"]}}
        if not rec["tags"]:
            del out["snippet"]["tags"]
    if "status" in parts:
        status = extra.get("status") or {}
        # What the last write of "status" left out is back at its default,
        # as on YouTube.
        out["status"] = {"privacyStatus": rec["privacy"],
                         "license": status.get("license", "youtube"),
                         "embeddable": status.get("embeddable", True),
                         "publicStatsViewable": status.get("publicStatsViewable",
                                                           True),
                         "containsSyntheticMedia": status.get(
                             "containsSyntheticMedia", False),
                         "madeForKids": bool(
                             status.get("selfDeclaredMadeForKids", False))}
        if "selfDeclaredMadeForKids" in status:
            out["status"]["selfDeclaredMadeForKids"] = status["selfDeclaredMadeForKids"]
    _render_processing(rec, out, parts)
    if "statistics" in parts:
        out["statistics"] = {k: str(rec["metrics"].get(k, 0)) for k in (
            "viewCount", "likeCount", "commentCount")} | {"favoriteCount": "0"}
    if "contentDetails" in parts:
        out["contentDetails"] = {
            "duration": extra["duration"], "dimension": "2d", "definition": "hd",
            "caption": "true" if extra["captions"] else "false",
            "licensedContent": False, "contentRating": {}, "projection": "rectangular"}
    return out


def thumbnails(ctx: Ctx, rec: dict[str, Any]) -> dict[str, Any]:
    mid = rec["extra"].get("thumbnail")
    url = (f"{ctx.base}/youtube/media/{mid}" if mid
           else f"{ctx.base}/youtube/media/default-thumbnail")
    return {"default": {"url": url, "width": 120, "height": 90},
            "medium": {"url": url, "width": 320, "height": 180},
            "high": {"url": url, "width": 480, "height": 360}}


def _finish_video(ctx: Ctx, sess: dict[str, Any], data: bytes) -> Response:
    payload = sess["payload"]
    rec = _create_video(ctx, payload["meta"], data, payload["channel"])
    return json_response(render_video(ctx, rec, payload["parts"]))


@router.add("POST", r"/upload/youtube/v3/videos", "publish")
def insert(ctx: Ctx) -> Response:
    token = authenticate(ctx, UPLOAD_SCOPES) or {}
    parts = requested_parts(ctx)
    upload_type = ctx.request.args.get("uploadType", "media")
    if upload_type == "multipart":
        meta, data, _mime = parse_related(ctx.request.content_type or "",
                                          ctx.request.get_data())
    elif upload_type == "resumable":
        try:
            raw = ctx.request.get_data()
            meta, data = (json.loads(raw) if raw.strip() else {}), b""
        except ValueError as exc:
            raise bad_request("Parse Error", "parseError", "global") from exc
    else:
        meta = {"snippet": {"title": "Untitled video"}}
        data = ctx.request.get_data()
    validate_metadata(meta)
    q = quota(ctx)
    if q["uploads"] >= q["limits"]["uploads"]:
        raise bad_request("The user has exceeded the number of videos they may "
                          "upload.", "uploadLimitExceeded")
    charge(ctx, inserts=1)
    channel = token["account_id"]
    if upload_type == "resumable":
        return start_session(ctx, "videos", {"meta": meta, "parts": parts,
                                             "channel": channel})
    if not data:
        raise bad_request("Media upload requires a media body.", "mediaBodyRequired")
    rec = _create_video(ctx, meta, data, channel)
    return json_response(render_video(ctx, rec, parts))


def _finish_thumbnail(ctx: Ctx, sess: dict[str, Any], data: bytes) -> Response:
    return _set_thumbnail(ctx, sess["payload"]["video"], data)


def _finish_caption(ctx: Ctx, sess: dict[str, Any], data: bytes) -> Response:
    return _insert_caption(ctx, sess["payload"]["meta"], data)


FINISHERS = {"videos": _finish_video, "thumbnails": _finish_thumbnail,
             "captions": _finish_caption}


@router.add("PUT", r"/upload/youtube/v3/videos", "publish")
def video_chunk(ctx: Ctx) -> Response:
    return put_chunk(ctx, FINISHERS)


@router.add("PUT", r"/upload/youtube/v3/(?:thumbnails/set|captions)", "media")
def media_chunk(ctx: Ctx) -> Response:
    return put_chunk(ctx, FINISHERS)


def own_video(ctx: Ctx, vid: str | None, status: int = 404) -> dict[str, Any]:
    rec = ctx.state.posts("youtube").get(vid or "")
    if rec is None or rec["deleted"]:
        raise video_not_found(status)
    if ctx.token_record and rec["account_id"] != ctx.token_record["account_id"]:
        raise GoogleError(403, "The video that you are trying to modify is not owned "
                          "by you.", "forbidden", "youtube.video")
    return rec


@router.add("PUT", r"/youtube/v3/videos", "update")
def update(ctx: Ctx) -> Response:
    authenticate(ctx, MANAGE_SCOPES)
    parts = requested_parts(ctx)
    charge(ctx, units=COSTS["update"])
    try:
        body = json.loads(ctx.request.get_data() or b"{}")
    except ValueError as exc:
        raise bad_request("Parse Error", "parseError", "global") from exc
    rec = own_video(ctx, body.get("id"))
    if "snippet" in parts:
        validate_metadata(body, require_category=True)
    with ctx.state.lock:
        if "snippet" in parts:
            snippet = body["snippet"]
            rec["title"] = snippet["title"]
            rec["description"] = rec["text"] = snippet.get("description") or ""
            rec["tags"] = list(snippet.get("tags") or [])
            rec["extra"]["categoryId"] = str(snippet["categoryId"])
        if "status" in parts:
            status = body.get("status") or {}
            rec["privacy"] = status.get("privacyStatus", "public")
            rec["extra"]["status"] = dict(status)
        rec["edits"] += 1
        rec["updated_ts"] = time.time()
    ctx.state.mark_dirty()
    return json_response(render_video(ctx, rec, parts))


@router.add("DELETE", r"/youtube/v3/videos", "delete")
def delete(ctx: Ctx) -> Response:
    authenticate(ctx, MANAGE_SCOPES)
    charge(ctx, units=COSTS["delete"])
    rec = own_video(ctx, ctx.request.args.get("id"))
    with ctx.state.lock:
        rec["deleted"], rec["deleted_ts"] = True, time.time()
    ctx.state.mark_dirty()
    return Response(b"", status=204)


@router.add("GET", r"/youtube/v3/videos", "get")
def list_videos(ctx: Ctx) -> Response:
    token = authenticate(ctx, READ_SCOPES, allow_key=True)
    parts = requested_parts(ctx)
    charge(ctx, units=COSTS["list"])
    ids = [i for i in (ctx.request.args.get("id") or "").split(",") if i]
    if not ids:
        raise GoogleError(400, "No filter selected. Expected one of: id, myRating, "
                          "chart", "missingRequiredParameter", "youtube.parameter")
    owner = token["account_id"] if token else None
    items = []
    for vid in ids[:50]:
        rec = ctx.state.posts("youtube").get(vid)
        if rec is None or rec["deleted"]:
            continue
        if rec["privacy"] == "private" and rec["account_id"] != owner:
            continue
        items.append(render_video(ctx, rec, parts))
    return json_response({"kind": "youtube#videoListResponse",
                          "etag": etag(ids, len(items)), "items": items,
                          "pageInfo": {"totalResults": len(items),
                                       "resultsPerPage": len(items)}})


def _media_body(ctx: Ctx) -> tuple[dict[str, Any], bytes]:
    upload_type = ctx.request.args.get("uploadType", "media")
    if upload_type == "multipart":
        meta, data, _mime = parse_related(ctx.request.content_type or "",
                                          ctx.request.get_data())
        return meta, data
    return {}, ctx.request.get_data()


@router.add("POST", r"/upload/youtube/v3/thumbnails/set", "media")
def set_thumbnail(ctx: Ctx) -> Response:
    authenticate(ctx, UPLOAD_SCOPES)
    charge(ctx, units=COSTS["thumbnails"])
    vid = ctx.request.args.get("videoId")
    own_video(ctx, vid)
    if ctx.request.args.get("uploadType") == "resumable":
        return start_session(ctx, "thumbnails", {"video": vid})
    _meta, data = _media_body(ctx)
    return _set_thumbnail(ctx, str(vid), data)


def _set_thumbnail(ctx: Ctx, vid: str, data: bytes) -> Response:
    width, height = image_size(data)
    if not width:
        raise bad_request("The thumbnail image is invalid or missing.", "invalidImage")
    rec = own_video(ctx, vid)
    mid = f"thumb-{vid}-{ctx.state.next_seq()}"
    with ctx.state.lock:
        ctx.state.data["media"][mid] = {
            "id": mid, "platform": "youtube", "type": "photo", "alt_text": "",
            "mime": "image/png" if data[:4] == b"\x89PNG" else "image/jpeg",
            "size": len(data), "owner": rec["account_id"], "state": "succeeded",
            "width": width, "height": height}
        ctx.state.blobs[mid] = data
        rec["extra"]["thumbnail"] = mid
    ctx.state.mark_dirty()
    return json_response({"kind": "youtube#thumbnailSetResponse",
                          "etag": etag(mid), "items": [thumbnails(ctx, rec)]})


@router.add("POST", r"/upload/youtube/v3/captions", "media")
def insert_caption(ctx: Ctx) -> Response:
    authenticate(ctx, MANAGE_SCOPES)
    requested_parts(ctx)
    charge(ctx, units=COSTS["captions"])
    if ctx.request.args.get("uploadType") == "resumable":
        try:
            meta = json.loads(ctx.request.get_data() or b"{}")
        except ValueError as exc:
            raise bad_request("Parse Error", "parseError", "global") from exc
        own_video(ctx, (meta.get("snippet") or {}).get("videoId"))
        return start_session(ctx, "captions", {"meta": meta})
    meta, data = _media_body(ctx)
    return _insert_caption(ctx, meta, data)


def _insert_caption(ctx: Ctx, meta: dict[str, Any], data: bytes) -> Response:
    snippet = meta.get("snippet") or {}
    rec = own_video(ctx, snippet.get("videoId"))
    if not snippet.get("language") or not data:
        raise bad_request("The caption track is missing its language or content.",
                          "invalidMetadata", "youtube.caption")
    cid = "AUieDa" + secrets.token_urlsafe(18)
    caption = {"kind": "youtube#caption", "etag": etag(cid), "id": cid, "snippet": {
        "videoId": rec["id"], "lastUpdated": iso(time.time()), "trackKind": "standard",
        "language": snippet["language"], "name": snippet.get("name", ""),
        "audioTrackType": "unknown", "isCC": False, "isLarge": False,
        "isEasyReader": False, "isDraft": bool(snippet.get("isDraft", False)),
        "isAutoSynced": False, "status": "serving"}}
    with ctx.state.lock:
        rec["extra"]["captions"].append({"id": cid, "language": snippet["language"],
                                         "size": len(data)})
    ctx.state.mark_dirty()
    return json_response(caption)
