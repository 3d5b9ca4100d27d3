"""Facebook Graph API with plain requests, as the site's adapter uses it."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime

import PIL.Image
import pytest
import requests

from sandbox.seed import FB_APP_ID, FB_APP_SECRET, FB_PAGE_COUNCIL, FB_PAGE_LIBRARIES

from .helpers import PNG, graph


@pytest.fixture
def page_token(sandbox):
    return sandbox.mint_token("facebook")["access_token"]


@pytest.fixture
def g(sandbox_server):
    return graph(sandbox_server.url)


def _error(resp: requests.Response) -> dict:
    return resp.json()["error"]


def test_feed_post_read_edit_delete(sandbox, g, page_token):
    resp = requests.post(
        f"{g}/{FB_PAGE_COUNCIL}/feed",
        data={
            "message": "Parking charges consultation",
            "access_token": page_token,
            "link": "https://www.exampleshire.gov.uk/parking",
        },
        timeout=5,
    )
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json; charset=UTF-8"
    usage = json.loads(resp.headers["X-Business-Use-Case-Usage"])
    assert usage[FB_PAGE_COUNCIL][0]["type"] == "pages"
    assert "call_count" in json.loads(resp.headers["X-App-Usage"])
    pid = resp.json()["id"]
    assert pid.startswith(f"{FB_PAGE_COUNCIL}_")
    fields = "id,message,created_time,permalink_url,attachments,reactions.summary(true)"
    post = requests.get(
        f"{g}/{pid}",
        params={"fields": fields},
        headers={"Authorization": f"OAuth {page_token}"},
        timeout=5,
    ).json()
    assert post["permalink_url"].endswith(
        f"/facebook/web/{FB_PAGE_COUNCIL}/posts/{pid.split('_')[1]}"
    )
    # As on Graph: the link itself, and Facebook's redirect to it.
    [link] = post["attachments"]["data"]
    assert link["unshimmed_url"] == "https://www.exampleshire.gov.uk/parking"
    assert link["url"].startswith("https://l.facebook.com/l.php?u=https%3A%2F%2F")
    assert link["target"]["url"] == link["url"]
    assert post["reactions"]["summary"]["total_count"] == 0
    assert (
        "Parking charges consultation"
        in requests.get(post["permalink_url"], timeout=5).text
    )
    edited = requests.post(
        f"{g}/{pid}",
        json={"message": "Parking: updated", "access_token": page_token},
        timeout=5,
    )
    assert edited.json() == {"success": True}
    assert requests.delete(
        f"{g}/{pid}", params={"access_token": page_token}, timeout=5
    ).json() == {"success": True}
    [record] = [
        p for p in sandbox.posts("facebook", include_deleted=True) if p["id"] == pid
    ]
    assert (record["text"], record["edits"], record["deleted"]) == (
        "Parking: updated",
        1,
        True,
    )
    gone = requests.get(f"{g}/{pid}", params={"access_token": page_token}, timeout=5)
    assert _error(gone)["code"] == 100


def test_photo_upload_multipart_and_unpublished_attach(sandbox, g, page_token):
    resp = requests.post(
        f"{g}/{FB_PAGE_COUNCIL}/photos",
        data={
            "caption": "New play area",
            "alt_text_custom": "Children on a climbing frame",
            "access_token": page_token,
        },
        files={"source": ("p.png", PNG, "image/png")},
        timeout=5,
    ).json()
    assert set(resp) == {"id", "post_id"}
    post = requests.get(
        f"{g}/{resp['post_id']}",
        params={"access_token": page_token, "fields": "full_picture,message"},
        timeout=5,
    ).json()
    assert requests.get(post["full_picture"], timeout=5).content == PNG
    staged = [
        requests.post(
            f"{g}/{FB_PAGE_COUNCIL}/photos",
            data={"published": "false", "access_token": page_token},
            files={"source": ("p.png", PNG, "image/png")},
            timeout=5,
        ).json()["id"]
        for _ in range(2)
    ]
    album = requests.post(
        f"{g}/{FB_PAGE_COUNCIL}/feed",
        data={
            "message": "Two photos",
            "access_token": page_token,
            **{
                f"attached_media[{i}]": json.dumps({"media_fbid": m})
                for i, m in enumerate(staged)
            },
        },
        timeout=5,
    ).json()
    [record] = [p for p in sandbox.posts("facebook") if p["id"] == album["id"]]
    assert [m["id"] for m in record["media"]] == staged
    [photo] = [p for p in sandbox.posts("facebook") if p["id"] == resp["post_id"]]
    assert photo["media"][0]["alt_text"] == "Children on a climbing frame"


def test_photo_by_url_fetches_the_image(g, page_token, sandbox_server):
    url = f"{sandbox_server.url}/facebook/media/700000000000101"
    ok = requests.post(
        f"{g}/{FB_PAGE_COUNCIL}/photos",
        data={"url": url, "access_token": page_token},
        timeout=10,
    )
    assert "post_id" in ok.json()
    bad = requests.post(
        f"{g}/{FB_PAGE_COUNCIL}/photos",
        data={
            "url": f"{sandbox_server.url}/facebook/media/nope",
            "access_token": page_token,
        },
        timeout=10,
    )
    assert _error(bad)["code"] == 324


def test_duplicate_is_506_then_368(g, page_token):
    data = {"message": "Bins out by 7am", "access_token": page_token}
    assert (
        requests.post(f"{g}/{FB_PAGE_COUNCIL}/feed", data=data, timeout=5).status_code
        == 200
    )
    codes = [
        _error(requests.post(f"{g}/{FB_PAGE_COUNCIL}/feed", data=data, timeout=5))[
            "code"
        ]
        for _ in range(3)
    ]
    assert codes == [506, 506, 368]
    other = requests.post(f"{g}/{FB_PAGE_LIBRARIES}/feed", data=data, timeout=5)
    assert _error(other)["code"] == 200  # council token cannot post as Libraries


def test_token_errors(sandbox, g):
    url = f"{g}/{FB_PAGE_COUNCIL}/feed"
    missing = requests.post(url, data={"message": "x"}, timeout=5)
    assert _error(missing)["code"] == 104
    garbage = requests.post(
        url, data={"message": "x", "access_token": "EAAxx"}, timeout=5
    )
    assert (_error(garbage)["code"], _error(garbage)["error_subcode"]) == (190, 467)
    token = sandbox.mint_token("facebook")["access_token"]
    sandbox.expire_tokens("facebook", token)
    expired = requests.post(
        url, data={"message": "x", "access_token": token}, timeout=5
    )
    assert (
        expired.status_code,
        _error(expired)["code"],
        _error(expired)["error_subcode"],
    ) == (400, 190, 463)
    token = sandbox.mint_token("facebook")["access_token"]
    sandbox.revoke_tokens("facebook", token)
    revoked = requests.post(
        url, data={"message": "x", "access_token": token}, timeout=5
    )
    assert _error(revoked)["error_subcode"] == 460
    weak = sandbox.mint_token("facebook", scope="pages_show_list")["access_token"]
    denied = requests.post(url, data={"message": "x", "access_token": weak}, timeout=5)
    assert _error(denied)["code"] == 200


def test_rate_limit_codes_by_token_type(sandbox, g):
    page = sandbox.mint_token("facebook")["access_token"]
    user = sandbox.mint_token("facebook", kind="user")["access_token"]
    sandbox.add_fault("facebook", "*", "rate_limit", count=3, reset_after=300)
    limited = requests.get(f"{g}/me", params={"access_token": page}, timeout=5)
    # A Page token's limit is its business use case's: code 80001.
    assert (limited.status_code, _error(limited)["code"]) == (400, 80001)
    usage = json.loads(limited.headers["X-Business-Use-Case-Usage"])
    assert usage[FB_PAGE_COUNCIL][0]["estimated_time_to_regain_access"] == 5
    assert json.loads(limited.headers["X-App-Usage"])["call_count"] == 100
    assert limited.headers["Retry-After"] == "300"
    assert (
        _error(requests.get(f"{g}/me", params={"access_token": user}, timeout=5))[
            "code"
        ]
        == 17
    )
    app = requests.get(
        f"{g}/me", params={"access_token": f"{FB_APP_ID}|{FB_APP_SECRET}"}, timeout=5
    )
    assert (app.status_code, _error(app)["code"]) == (403, 4)


def test_cursor_paging(g, page_token):
    for n in range(5):
        requests.post(
            f"{g}/{FB_PAGE_COUNCIL}/feed",
            data={"message": f"Update {n}", "access_token": page_token},
            timeout=5,
        )
    url, seen = f"{g}/{FB_PAGE_COUNCIL}/posts", []
    params = {"access_token": page_token, "limit": 3, "fields": "id,message"}
    body = requests.get(url, params=params, timeout=5).json()
    while True:
        seen += [p["id"] for p in body["data"]]
        assert body["paging"]["cursors"]["after"]
        if "next" not in body["paging"]:
            break
        body = requests.get(body["paging"]["next"], timeout=5).json()
    assert len(seen) == 9 == len(set(seen))
    assert seen[0].endswith(seen[0].split("_")[1])  # newest first
    assert (
        requests.get(url, params={**params, "fields": "id,link"}, timeout=5).json()[
            "error"
        ]["code"]
        == 12
    )


def test_video_upload_phases_and_resumable_api(sandbox, g, page_token):
    video = b"\x00\x01" * 700_000
    start = requests.post(
        f"{g}/{FB_PAGE_COUNCIL}/videos",
        data={
            "upload_phase": "start",
            "file_size": len(video),
            "access_token": page_token,
        },
        timeout=5,
    ).json()
    sid, offset = start["upload_session_id"], int(start["start_offset"])
    wrong = requests.post(
        f"{g}/{FB_PAGE_COUNCIL}/videos",
        data={
            "upload_phase": "transfer",
            "upload_session_id": sid,
            "start_offset": "5",
            "access_token": page_token,
        },
        files={"video_file_chunk": b"x"},
        timeout=5,
    )
    assert _error(wrong)["error_subcode"] == 1363037
    while offset < len(video):
        end = int(start["end_offset"])
        start = requests.post(
            f"{g}/{FB_PAGE_COUNCIL}/videos",
            data={
                "upload_phase": "transfer",
                "upload_session_id": sid,
                "start_offset": str(offset),
                "access_token": page_token,
            },
            files={"video_file_chunk": video[offset:end]},
            timeout=5,
        ).json()
        offset = int(start["start_offset"])
    done = requests.post(
        f"{g}/{FB_PAGE_COUNCIL}/videos",
        data={
            "upload_phase": "finish",
            "upload_session_id": sid,
            "title": "Gritting",
            "description": "Night shift",
            "access_token": page_token,
        },
        timeout=5,
    )
    assert done.json() == {"success": True}
    user = sandbox.mint_token("facebook", kind="user")["access_token"]
    session = requests.post(
        f"{g}/{FB_APP_ID}/uploads",
        params={
            "file_name": "v.mp4",
            "file_length": 10,
            "file_type": "video/mp4",
            "access_token": user,
        },
        timeout=5,
    ).json()["id"]
    head = {"Authorization": f"OAuth {user}"}
    part = requests.post(
        f"{g}/{session}", data=b"01234", headers={**head, "file_offset": "0"}, timeout=5
    ).json()
    assert part["file_offset"] == 5
    assert (
        requests.get(f"{g}/{session}", headers=head, timeout=5).json()["file_offset"]
        == 5
    )
    handle = requests.post(
        f"{g}/{session}", data=b"56789", headers={**head, "file_offset": "5"}, timeout=5
    ).json()["h"]
    vid = requests.post(
        f"{g}/{FB_PAGE_COUNCIL}/videos",
        data={
            "fbuploader_video_file_chunk": handle,
            "title": "Handle upload",
            "access_token": page_token,
        },
        timeout=5,
    ).json()["id"]
    meta = requests.get(
        f"{g}/{vid}",
        params={"fields": "permalink_url,title", "access_token": page_token},
        timeout=5,
    ).json()
    assert meta["title"] == "Handle upload"
    sizes = sorted(
        p["media"][0]["size"]
        for p in sandbox.posts("facebook")
        if p["media"] and p["media"][0]["type"] == "video"
    )
    assert sizes == [10, len(video)]


def test_me_accounts_and_page_fields(sandbox, g):
    user = sandbox.mint_token("facebook", kind="user")["access_token"]
    me = requests.get(
        f"{g}/me", params={"fields": "id,name", "access_token": user}, timeout=5
    ).json()
    assert me == {"id": "10000000001", "name": "Sam Comms"}
    pages = requests.get(
        f"{g}/me/accounts", params={"access_token": user}, timeout=5
    ).json()["data"]
    assert {p["id"] for p in pages} == {FB_PAGE_COUNCIL, FB_PAGE_LIBRARIES}
    assert all("CREATE_CONTENT" in p["tasks"] for p in pages)
    field = requests.get(
        f"{g}/{FB_PAGE_LIBRARIES}",
        params={"fields": "access_token,name", "access_token": user},
        timeout=5,
    ).json()
    assert field["name"] == "Exampleshire Libraries"
    posted = requests.post(
        f"{g}/{FB_PAGE_LIBRARIES}/feed",
        data={"message": "Story time", "access_token": field["access_token"]},
        timeout=5,
    )
    assert posted.status_code == 200
    debug = requests.get(
        f"{g}/debug_token",
        params={
            "input_token": field["access_token"],
            "access_token": f"{FB_APP_ID}|{FB_APP_SECRET}",
        },
        timeout=5,
    ).json()["data"]
    assert (
        debug["type"],
        debug["expires_at"],
        debug["is_valid"],
        debug["profile_id"],
    ) == ("PAGE", 0, True, FB_PAGE_LIBRARIES)


def test_unknown_path_and_object(g, page_token):
    resp = requests.get(f"{g}/99999", params={"access_token": page_token}, timeout=5)
    assert _error(resp)["code"] == 100 and _error(resp)["error_subcode"] == 33
    assert "fbtrace_id" in _error(resp)


def _post(g: str, token: str, message: str, **params) -> requests.Response:
    return requests.post(
        f"{g}/{FB_PAGE_COUNCIL}/feed",
        data={"message": message},
        params=params,
        headers={"Authorization": f"OAuth {token}"},
        timeout=5,
    )


def _ids(g: str, token: str, **params) -> list[str]:
    """Every post id of the council Page's /posts edge, following paging.next."""
    headers = {"Authorization": f"OAuth {token}"}
    body = requests.get(
        f"{g}/{FB_PAGE_COUNCIL}/posts", params=params, headers=headers, timeout=5
    ).json()
    ids = [p["id"] for p in body["data"]]
    while "next" in body.get("paging", {}):
        body = requests.get(body["paging"]["next"], headers=headers, timeout=5).json()
        ids += [p["id"] for p in body["data"]]
    return ids


def test_since_and_until_bound_the_posts_and_page_by_time(sandbox, g, page_token):
    since = int(time.time())
    new = [_post(g, page_token, f"Road closure {n}").json()["id"] for n in range(7)]
    newest_first = new[::-1]
    headers = {"Authorization": f"OAuth {page_token}"}

    first = requests.get(
        f"{g}/{FB_PAGE_COUNCIL}/posts",
        params={"since": since, "limit": 3},
        headers=headers,
        timeout=5,
    ).json()

    assert [p["id"] for p in first["data"]] == newest_first[:3]
    assert "until=" in first["paging"]["next"]
    assert "__paging_token=" in first["paging"]["next"]
    assert _ids(g, page_token, since=since, limit=3) == newest_first
    iso = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
    assert _ids(g, page_token, since=iso, limit=100) == newest_first
    older = _ids(g, page_token, until=since - 1, limit=100)
    assert older and not set(older) & set(new)
    assert _ids(g, page_token, since=since + 3600) == []


def test_a_bad_since_is_refused(sandbox, g, page_token):
    resp = requests.get(
        f"{g}/{FB_PAGE_COUNCIL}/posts",
        params={"since": "next tuesday-ish"},
        headers={"Authorization": f"OAuth {page_token}"},
        timeout=5,
    )

    assert resp.status_code == 400
    assert _error(resp)["code"] == 100


def test_a_write_with_fields_answers_with_them(sandbox, g, page_token):
    created = _post(g, page_token, "Bin day moves", fields="id,permalink_url")

    body = created.json()
    assert set(body) == {"id", "permalink_url"}
    read = requests.get(
        f"{g}/{body['id']}",
        params={"fields": "permalink_url"},
        headers={"Authorization": f"OAuth {page_token}"},
        timeout=5,
    )
    assert body["permalink_url"] == read.json()["permalink_url"]
    edited = requests.post(
        f"{g}/{body['id']}",
        data={"message": "Bin day moved"},
        params={"fields": "id,message"},
        headers={"Authorization": f"OAuth {page_token}"},
        timeout=5,
    )
    assert edited.json() == {"id": body["id"], "message": "Bin day moved"}
    photo = requests.post(
        f"{g}/{FB_PAGE_COUNCIL}/photos",
        data={"caption": "Play area", "alt_text_custom": "A slide"},
        params={"fields": "id,alt_text"},
        headers={"Authorization": f"OAuth {page_token}"},
        files={"source": ("p.png", PNG, "image/png")},
        timeout=5,
    )
    assert photo.json()["alt_text"] == "A slide"
    plain = _post(g, page_token, "Library hours")
    assert set(plain.json()) == {"id"}


def test_a_read_fault_fails_the_read_back_after_the_write(sandbox, g, page_token):
    sandbox.add_fault(
        "facebook",
        "get",
        "error",
        count=1,
        code=190,
        subcode=460,
        message="Error validating access token: session invalidated.",
    )

    resp = _post(g, page_token, "Parking permits renew", fields="id,permalink_url")

    assert resp.status_code == 400
    assert _error(resp)["code"] == 190
    assert [p["text"] for p in sandbox.posts("facebook")].count(
        "Parking permits renew"
    ) == 1
    entry = sandbox.requests_log("facebook")[-1]
    assert (entry["operation"], entry["fault"]) == ("publish", "error")


def test_a_write_without_fields_leaves_read_faults_alone(sandbox, g, page_token):
    sandbox.add_fault("facebook", "get", "server_error", count=1)

    assert _post(g, page_token, "Leisure centre reopens").status_code == 200

    assert [f["operation"] for f in sandbox.faults()] == ["get"]


def picture(image_format: str, size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    PIL.Image.new("RGB", size, "teal").save(out, image_format)
    return out.getvalue()


@pytest.mark.parametrize(
    ("image_format", "mime"), [("GIF", "image/gif"), ("WEBP", "image/webp")]
)
def test_gif_and_webp_photos_are_taken_with_their_size(
    sandbox, g, page_token, image_format, mime
):
    photo = requests.post(
        f"{g}/{FB_PAGE_COUNCIL}/photos",
        data={"caption": "Bin day", "access_token": page_token},
        files={"source": (f"p.{image_format.lower()}", picture(image_format), mime)},
        timeout=5,
    )

    assert photo.status_code == 200, photo.text
    post = requests.get(
        f"{g}/{photo.json()['post_id']}",
        params={"access_token": page_token, "fields": "attachments"},
        timeout=5,
    ).json()
    image = post["attachments"]["data"][0]["media"]["image"]
    assert (image["width"], image["height"]) == (40, 30)
