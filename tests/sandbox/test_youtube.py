"""YouTube Data API through google-api-python-client built from its bundled
discovery document (rootUrl rewritten to the sandbox)."""

from __future__ import annotations

import io
import json

import pytest
import requests
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from sandbox.seed import YT_CHANNEL_ID, YT_UPLOADS_PLAYLIST

from .helpers import PNG, youtube_client

VIDEO = bytes(range(256)) * 4096  # 1 MiB
BODY = {
    "snippet": {
        "title": "Budget consultation explained",
        "description": "How to respond: https://example.gov.uk/budget",
        "tags": ["budget"],
        "categoryId": "25",
    },
    "status": {"privacyStatus": "unlisted", "selfDeclaredMadeForKids": False},
}


@pytest.fixture
def yt_token(sandbox):
    return sandbox.mint_token("youtube")


@pytest.fixture
def yt(sandbox_server, yt_token):
    return youtube_client(sandbox_server.url, yt_token)[0]


def _reason(err: HttpError) -> str:
    return json.loads(err.content)["error"]["errors"][0]["reason"]


def test_resumable_upload_interrupted_and_resumed(yt, sandbox):
    media = MediaIoBaseUpload(
        io.BytesIO(VIDEO), mimetype="video/mp4", chunksize=256 * 1024, resumable=True
    )
    request = yt.videos().insert(part="snippet,status", body=BODY, media_body=media)
    status, response = request.next_chunk()
    assert response is None and status.resumable_progress == 256 * 1024
    sandbox.add_fault("youtube", "publish", "server_error", count=1)
    with pytest.raises(HttpError) as info:
        request.next_chunk()
    assert info.value.resp.status == 503
    response = None
    while response is None:
        status, response = request.next_chunk()
    assert response["snippet"]["title"] == "Budget consultation explained"
    assert response["status"]["uploadStatus"] == "uploaded"
    [post] = [p for p in sandbox.posts("youtube") if p["id"] == response["id"]]
    assert post["media"][0]["size"] == len(VIDEO) and post["privacy"] == "unlisted"
    assert post["urls"] == ["https://example.gov.uk/budget"]
    puts = [r for r in sandbox.requests_log("youtube") if r["method"] == "PUT"]
    assert [r["status"] for r in puts] == [308, 503, 308, 308, 308, 200]


def test_status_query_and_out_of_order_chunk(sandbox_server, yt_token):
    url = f"{sandbox_server.url}/youtube/upload/youtube/v3/videos"
    auth = {"Authorization": f"Bearer {yt_token['access_token']}"}
    start = requests.post(
        url,
        params={"uploadType": "resumable", "part": "snippet"},
        json=BODY,
        headers={**auth, "X-Upload-Content-Length": "20"},
        timeout=5,
    )
    assert start.status_code == 200
    session = start.headers["Location"]
    assert session.startswith(sandbox_server.url)
    gap = requests.put(
        session, data=b"x" * 5, headers={"Content-Range": "bytes 10-14/20"}, timeout=5
    )
    assert gap.status_code == 400
    first = requests.put(
        session, data=b"x" * 10, headers={"Content-Range": "bytes 0-9/20"}, timeout=5
    )
    assert (first.status_code, first.headers["Range"]) == (308, "bytes=0-9")
    query = requests.put(session, headers={"Content-Range": "bytes */20"}, timeout=5)
    assert (query.status_code, query.headers["Range"]) == (308, "bytes=0-9")
    done = requests.put(
        session, data=b"y" * 10, headers={"Content-Range": "bytes 10-19/20"}, timeout=5
    )
    assert done.status_code == 200 and done.json()["kind"] == "youtube#video"


def test_refreshes_automatically_on_401(sandbox, sandbox_server, yt_token):
    yt, creds = youtube_client(sandbox_server.url, yt_token)
    sandbox.expire_tokens("youtube", yt_token["access_token"])
    found = yt.channels().list(part="contentDetails,snippet", mine=True).execute()
    assert (
        found["items"][0]["contentDetails"]["relatedPlaylists"]["uploads"]
        == YT_UPLOADS_PLAYLIST
    )
    assert creds.token != yt_token["access_token"]
    statuses = [r["status"] for r in sandbox.requests_log("youtube")]
    assert statuses == [401, 200, 200]  # channels, token refresh, channels


def test_revoked_refresh_token_fails(sandbox, sandbox_server, yt_token):
    yt, _creds = youtube_client(sandbox_server.url, yt_token)
    sandbox.revoke_tokens("youtube")
    from google.auth.exceptions import RefreshError

    with pytest.raises(RefreshError) as info:
        yt.channels().list(part="id", mine=True).execute()
    assert "invalid_grant" in str(info.value)


def test_update_list_delete(yt, sandbox):
    media = MediaIoBaseUpload(
        io.BytesIO(VIDEO[:1000]), mimetype="video/mp4", resumable=False
    )
    video = (
        yt.videos().insert(part="snippet,status", body=BODY, media_body=media).execute()
    )
    vid = video["id"]
    updated = (
        yt.videos()
        .update(
            part="snippet",
            body={
                "id": vid,
                "snippet": {
                    "title": "Budget consultation: updated",
                    "categoryId": "25",
                },
            },
        )
        .execute()
    )
    assert updated["snippet"]["title"] == "Budget consultation: updated"
    listed = (
        yt.videos()
        .list(part="snippet,status,statistics,contentDetails", id=vid)
        .execute()
    )
    assert listed["items"][0]["statistics"]["viewCount"] == "0"
    assert [p["edits"] for p in sandbox.posts("youtube") if p["id"] == vid] == [1]
    assert yt.videos().delete(id=vid).execute() == ""
    assert yt.videos().list(part="id", id=vid).execute()["items"] == []
    with pytest.raises(HttpError) as info:
        yt.videos().delete(id=vid).execute()
    assert info.value.resp.status == 404 and _reason(info.value) == "videoNotFound"


def test_playlist_items_paging(yt):
    first = (
        yt.playlistItems()
        .list(
            part="snippet,contentDetails", playlistId=YT_UPLOADS_PLAYLIST, maxResults=2
        )
        .execute()
    )
    assert first["pageInfo"]["totalResults"] == 3 and len(first["items"]) == 2
    second = (
        yt.playlistItems()
        .list(
            part="snippet",
            playlistId=YT_UPLOADS_PLAYLIST,
            maxResults=2,
            pageToken=first["nextPageToken"],
        )
        .execute()
    )
    assert len(second["items"]) == 1 and "nextPageToken" not in second
    ids = [
        i["snippet"]["resourceId"]["videoId"] for i in first["items"] + second["items"]
    ]
    assert len(set(ids)) == 3
    with pytest.raises(HttpError) as info:
        yt.playlistItems().list(part="id", playlistId="UUnope").execute()
    assert _reason(info.value) == "playlistNotFound"


def test_thumbnail_and_caption_uploads(yt, sandbox_server):
    vid = (
        yt.playlistItems()
        .list(part="contentDetails", playlistId=YT_UPLOADS_PLAYLIST)
        .execute()["items"][0]["contentDetails"]["videoId"]
    )
    thumb = (
        yt.thumbnails()
        .set(
            videoId=vid,
            media_body=MediaIoBaseUpload(io.BytesIO(PNG), mimetype="image/png"),
        )
        .execute()
    )
    url = thumb["items"][0]["default"]["url"]
    assert requests.get(url, timeout=5).content == PNG
    caption = (
        yt.captions()
        .insert(
            part="snippet",
            body={"snippet": {"videoId": vid, "language": "en", "name": "English"}},
            media_body=MediaIoBaseUpload(
                io.BytesIO(b"1\n00:00:00,000 --> 00:00:01,000\nHello\n"),
                mimetype="application/octet-stream",
            ),
        )
        .execute()
    )
    assert caption["snippet"]["videoId"] == vid
    details = yt.videos().list(part="contentDetails", id=vid).execute()
    assert details["items"][0]["contentDetails"]["caption"] == "true"


def test_invalid_title_and_missing_part(yt):
    bad = {"snippet": {"title": "<b>no</b>"}, "status": {"privacyStatus": "public"}}
    with pytest.raises(HttpError) as info:
        yt.videos().insert(
            part="snippet,status",
            body=bad,
            media_body=MediaIoBaseUpload(
                io.BytesIO(b"v"), mimetype="video/mp4", resumable=True
            ),
        ).execute()
    assert info.value.resp.status == 400 and _reason(info.value) == "invalidTitle"


def test_quota_exceeded_and_upload_limit(yt, sandbox):
    sandbox.quota(units_used=9990)
    with pytest.raises(HttpError) as info:
        yt.videos().update(
            part="snippet",
            body={"id": "exCouncil01", "snippet": {"title": "t", "categoryId": "25"}},
        ).execute()
    assert info.value.resp.status == 403 and _reason(info.value) == "quotaExceeded"
    assert sandbox.quota()["units"] == 9990  # a refused call spends nothing
    yt.videos().list(part="id", id="exCouncil01").execute()
    assert sandbox.quota()["units"] == 9991
    sandbox.quota(uploads_used=100)
    with pytest.raises(HttpError) as info:
        yt.videos().insert(
            part="snippet",
            body=BODY,
            media_body=MediaIoBaseUpload(
                io.BytesIO(b"v"), mimetype="video/mp4", resumable=True
            ),
        ).execute()
    assert info.value.resp.status == 400
    assert _reason(info.value) == "uploadLimitExceeded"


def test_auth_error_shape(sandbox_server):
    resp = requests.get(
        f"{sandbox_server.url}/youtube/youtube/v3/channels",
        params={"part": "id", "mine": "true"},
        headers={"Authorization": "Bearer nope"},
        timeout=5,
    )
    error = resp.json()["error"]
    assert resp.status_code == 401
    assert (
        error["errors"][0]
        == {
            "message": "Invalid Credentials",
            "domain": "global",
            "reason": "authError",
            "location": "Authorization",
            "locationType": "header",
        }
        or error["errors"][0]["reason"] == "authError"
    )
    assert error["status"] == "UNAUTHENTICATED"


def test_watch_page(sandbox_server, yt):
    page = requests.get(
        f"{sandbox_server.url}/youtube/web/watch",
        params={"v": "exRecycle02"},
        timeout=5,
    )
    assert "How to sort your recycling" in page.text
    channel = yt.channels().list(part="snippet", id=YT_CHANNEL_ID).execute()
    assert channel["items"][0]["snippet"]["title"] == "Exampleshire County Council"


def test_uploads_playlist_pages_newest_first(yt, sandbox):
    sandbox.quota(inserts_limit=1000, uploads_limit=1000)
    for n in range(60):
        media = MediaIoBaseUpload(io.BytesIO(b"\0" * 64), mimetype="video/mp4")
        body = {"snippet": {"title": f"Planning committee {n}"}}
        yt.videos().insert(part="snippet", body=body, media_body=media).execute()

    items, request = (
        [],
        yt.playlistItems().list(
            part="snippet", playlistId=YT_UPLOADS_PLAYLIST, maxResults=50
        ),
    )
    while request is not None:  # the client's own pageToken paging
        page = request.execute()
        items += page["items"]
        request = yt.playlistItems().list_next(request, page)

    titles = [i["snippet"]["title"] for i in items]
    published = [i["snippet"]["publishedAt"] for i in items]
    assert len(items) == 63 == len({i["id"] for i in items})
    assert titles[:60] == [f"Planning committee {n}" for n in reversed(range(60))]
    assert published == sorted(published, reverse=True)


@pytest.mark.parametrize(
    ("outcome", "reason_field", "reason", "processing"),
    [
        ("rejected", "rejectionReason", "duplicate", "terminated"),
        ("failed", "failureReason", "codec", "failed"),
    ],
)
def test_processing_can_reject_or_fail_a_video(
    yt, sandbox, outcome, reason_field, reason, processing
):
    sandbox.set_scenario("youtube", processing_seconds=0, processing_outcome=outcome)
    media = MediaIoBaseUpload(io.BytesIO(VIDEO), mimetype="video/mp4")
    made = yt.videos().insert(part="status", body=BODY, media_body=media).execute()

    listed = yt.videos().list(part="status,processingDetails", id=made["id"])
    [video] = listed.execute()["items"]

    assert made["status"]["uploadStatus"] == outcome
    assert video["status"][reason_field] == reason
    assert video["processingDetails"]["processingStatus"] == processing


def test_a_video_being_processed_says_how_long_is_left(yt, sandbox):
    sandbox.set_scenario("youtube", processing_seconds=600)
    media = MediaIoBaseUpload(io.BytesIO(VIDEO), mimetype="video/mp4")
    made = yt.videos().insert(part="status", body=BODY, media_body=media).execute()

    listed = yt.videos().list(part="processingDetails", id=made["id"])
    [video] = listed.execute()["items"]

    details = video["processingDetails"]
    assert details["processingStatus"] == "processing"
    assert 590_000 < int(details["processingProgress"]["timeLeftMs"]) <= 600_000
