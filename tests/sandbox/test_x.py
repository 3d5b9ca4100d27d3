"""X API v2 through the unmodified tweepy client."""

from __future__ import annotations

import io
import time

import PIL.Image
import pytest
import requests
import tweepy

from sandbox.seed import X_USER_ID, X_USERNAME

from .helpers import PNG, tweepy_client


@pytest.fixture
def x_token(sandbox):
    return sandbox.mint_token("x")


@pytest.fixture
def client(sandbox_server, x_token):
    return tweepy_client(sandbox_server.url, x_token["access_token"])


def test_create_get_and_delete_tweet(client, sandbox):
    created = client.create_tweet(
        text="Library opening hours change on Monday", user_auth=False
    )
    tid = created.data["id"]
    assert created.data["edit_history_tweet_ids"] == [tid]
    fetched = client.get_tweet(
        tid, tweet_fields=["created_at", "public_metrics"], user_auth=False
    )
    assert fetched.data.text == "Library opening hours change on Monday"
    assert fetched.data.public_metrics["like_count"] == 0
    [post] = [p for p in sandbox.posts("x") if p["id"] == tid]
    assert post["permalink"].endswith(f"/x/web/{X_USERNAME}/status/{tid}")
    assert client.delete_tweet(tid, user_auth=False).data == {"deleted": True}
    assert (
        client.get_tweet(tid, user_auth=False).errors[0]["title"] == "Not Found Error"
    )
    assert [
        p["deleted"] for p in sandbox.posts("x", include_deleted=True) if p["id"] == tid
    ] == [True]
    with pytest.raises(tweepy.NotFound):
        client.delete_tweet(tid, user_auth=False)


def test_get_me(client):
    me = client.get_me(user_fields=["created_at", "public_metrics"], user_auth=False)
    assert (me.data.id, me.data.username) == (int(X_USER_ID), X_USERNAME)
    assert me.data.public_metrics["tweet_count"] == 4


def test_users_tweets_paging_and_media_expansion(client):
    for n in range(8):
        client.create_tweet(text=f"Roadworks update {n}", user_auth=False)
    seen, token, pages = [], None, 0
    while True:
        page = client.get_users_tweets(
            X_USER_ID,
            max_results=5,
            pagination_token=token,
            tweet_fields=["created_at", "attachments"],
            expansions=["attachments.media_keys"],
            media_fields=["url", "alt_text"],
            user_auth=False,
        )
        pages += 1
        seen += [t.id for t in page.data]
        token = page.meta.get("next_token")
        if page.includes.get("media"):
            media = page.includes["media"][0]
            assert media.alt_text.startswith("Road closure sign")
            assert requests.get(media.url, timeout=5).content[:4] == b"\x89PNG"
        if not token:
            break
    assert pages == 3 and len(seen) == 12 == len(set(seen))
    assert seen == sorted(seen, reverse=True)


def test_max_results_out_of_range_is_bad_request(client):
    with pytest.raises(tweepy.BadRequest) as info:
        client.get_users_tweets(X_USER_ID, max_results=3, user_auth=False)
    assert "between 5 and 100" in info.value.api_messages[0]


def test_duplicate_tweet_is_forbidden(client):
    client.create_tweet(text="Bins are collected as normal", user_auth=False)
    with pytest.raises(tweepy.Forbidden) as info:
        client.create_tweet(text="Bins are collected as normal", user_auth=False)
    assert info.value.api_messages == [
        "You are not allowed to create a Tweet with duplicate content."
    ]


def test_weighted_length_limit(client):
    client.create_tweet(text="a" * 280, user_auth=False)
    client.create_tweet(
        text="https://example.org/" + "x" * 300 + " " + "b" * 200, user_auth=False
    )  # a URL counts 23
    with pytest.raises(tweepy.BadRequest):
        client.create_tweet(text="日本語" * 47, user_auth=False)  # 282 weighted


def test_rate_limit_raises_too_many_requests(client, sandbox):
    sandbox.add_fault("x", "publish", "rate_limit", count=1, reset_after=120)
    before = int(time.time())
    with pytest.raises(tweepy.TooManyRequests) as info:
        client.create_tweet(text="Rate limited", user_auth=False)
    assert before + 118 <= info.value.reset_time <= before + 122
    # X API v2 answers a 429 with a problem, not v1.1's code 88.
    assert info.value.response.headers["Content-Type"].startswith(
        "application/problem+json"
    )
    assert info.value.response.json()["title"] == "Too Many Requests"
    assert info.value.api_codes == []
    assert info.value.response.headers["x-rate-limit-remaining"] == "0"
    assert info.value.response.headers["Retry-After"] == "120"
    assert client.create_tweet(text="Rate limited", user_auth=False).data["id"]


def test_auth_errors(sandbox, sandbox_server, x_token):
    url = f"{sandbox_server.url}/x/2/tweets"
    assert requests.post(url, json={"text": "x"}, timeout=5).status_code == 401
    bad = tweepy_client(sandbox_server.url, "not-a-token")
    with pytest.raises(tweepy.Unauthorized):
        bad.get_me(user_auth=False)
    sandbox.expire_tokens("x", x_token["access_token"])
    with pytest.raises(tweepy.Unauthorized) as info:
        tweepy_client(sandbox_server.url, x_token["access_token"]).get_me(
            user_auth=False
        )
    assert info.value.response.json()["title"] == "Unauthorized"
    read_only = sandbox.mint_token("x", scope="tweet.read users.read")
    with pytest.raises(tweepy.Forbidden):
        tweepy_client(sandbox_server.url, read_only["access_token"]).create_tweet(
            text="no write scope", user_auth=False
        )


def test_body_must_be_json(sandbox_server, x_token):
    url = f"{sandbox_server.url}/x/2/tweets"
    auth = {"Authorization": f"Bearer {x_token['access_token']}"}
    form = requests.post(url, data={"text": "hi"}, headers=auth, timeout=5)
    assert form.status_code == 400
    assert form.json()["type"].endswith("/invalid-request")
    assert "content-type of application/json" in form.json()["errors"][0]["message"]
    broken = requests.post(
        url,
        data=b'{"text": ',
        headers={**auth, "Content-Type": "application/json"},
        timeout=5,
    )
    assert broken.status_code == 400
    extra = requests.post(
        url, json={"text": "hi", "colour": "red"}, headers=auth, timeout=5
    )
    assert extra.status_code == 400


def _media_session(url: str, token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def test_chunked_media_upload_alt_text_and_attach(
    sandbox, sandbox_server, x_token, client
):
    base = f"{sandbox_server.url}/x/2/media"
    s = _media_session(base, x_token["access_token"])
    init = s.post(
        f"{base}/upload/initialize",
        json={
            "media_type": "image/png",
            "total_bytes": len(PNG),
            "media_category": "tweet_image",
        },
        timeout=5,
    ).json()["data"]
    mid, half = init["id"], len(PNG) // 2
    skipped = s.post(
        f"{base}/upload/{mid}/append",
        data={"segment_index": "1"},
        files={"media": PNG[half:]},
        timeout=5,
    )
    assert skipped.status_code == 400  # segment 0 has not arrived yet
    for index, chunk in enumerate((PNG[:half], PNG[half:])):
        resp = s.post(
            f"{base}/upload/{mid}/append",
            data={"segment_index": str(index)},
            files={"media": chunk},
            timeout=5,
        )
        assert resp.status_code == 200, resp.text
    done = s.post(f"{base}/upload/{mid}/finalize", timeout=5).json()["data"]
    assert done["size"] == len(PNG)
    status = s.get(
        f"{base}/upload", params={"command": "STATUS", "media_id": mid}, timeout=5
    ).json()["data"]
    assert status["media_key"] == f"3_{mid}"
    alt = s.post(
        f"{base}/metadata",
        json={"id": mid, "metadata": {"alt_text": {"text": "Gritter on the A38"}}},
        timeout=5,
    )
    assert (
        alt.json()["data"]["associated_metadata"]["alt_text"]["text"]
        == "Gritter on the A38"
    )
    tweet = client.create_tweet(
        text="Gritting tonight", media_ids=[mid], user_auth=False
    )
    [post] = [p for p in sandbox.posts("x") if p["id"] == tweet.data["id"]]
    assert post["media"] == [
        {"id": mid, "type": "photo", "alt_text": "Gritter on the A38", "size": len(PNG)}
    ]


def test_unfinalized_or_unknown_media_is_rejected(sandbox_server, x_token, client):
    base = f"{sandbox_server.url}/x/2/media"
    s = _media_session(base, x_token["access_token"])
    mid = s.post(
        f"{base}/upload/initialize",
        json={
            "media_type": "video/mp4",
            "total_bytes": 10,
            "media_category": "tweet_video",
        },
        timeout=5,
    ).json()["data"]["id"]
    with pytest.raises(tweepy.BadRequest):
        client.create_tweet(text="video soon", media_ids=[mid], user_auth=False)
    with pytest.raises(tweepy.BadRequest):
        client.create_tweet(text="video soon", media_ids=["123"], user_auth=False)
    short = s.post(f"{base}/upload/{mid}/finalize", timeout=5)
    assert short.status_code == 400


def test_one_shot_upload(sandbox_server, x_token):
    base = f"{sandbox_server.url}/x/2/media"
    s = _media_session(base, x_token["access_token"])
    resp = s.post(
        f"{base}/upload",
        data={"media_category": "tweet_image"},
        files={"media": ("a.png", PNG, "image/png")},
        timeout=5,
    )
    assert resp.status_code == 200 and resp.json()["data"]["size"] == len(PNG)
    wrong = s.post(
        f"{base}/upload",
        data={"media_category": "tweet_video"},
        files={"media": ("a.png", PNG, "image/png")},
        timeout=5,
    )
    assert wrong.status_code == 400


def test_web_page_escapes_text(sandbox_server, client):
    tid = client.create_tweet(
        text="<script>alert(1)</script> & more", user_auth=False
    ).data["id"]
    page = requests.get(
        f"{sandbox_server.url}/x/web/{X_USERNAME}/status/{tid}", timeout=5
    )
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page.text
    assert "<script>" not in page.text


def _rfc3339(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _timeline_ids(client: tweepy.Client, **params) -> list[str]:
    """Every tweet id of the demo user's timeline, following next_token."""
    ids, token = [], None
    while True:
        page = client.get_users_tweets(
            X_USER_ID, pagination_token=token, user_auth=False, **params
        )
        ids += [t.id for t in page.data or []]
        token = page.meta.get("next_token")
        if not token:
            return [str(i) for i in ids]


def test_start_and_end_time_bound_the_timeline_across_pages(client):
    start = int(time.time())
    new = [
        str(
            client.create_tweet(text=f"Road closure notice {n}", user_auth=False).data[
                "id"
            ]
        )
        for n in range(12)
    ]
    newest_first = new[::-1]

    since = _timeline_ids(client, start_time=_rfc3339(start), max_results=5)
    before = _timeline_ids(client, end_time=_rfc3339(start), max_results=100)
    later = _timeline_ids(client, start_time=_rfc3339(start + 3600))

    assert since == newest_first  # three pages of at most 5
    assert before and not set(before) & set(new)
    assert later == []


def test_since_id_takes_precedence_over_start_time(client):
    first = client.create_tweet(text="Agenda published", user_auth=False).data["id"]
    second = client.create_tweet(text="Minutes published", user_auth=False).data["id"]

    ids = _timeline_ids(client, since_id=first, start_time=_rfc3339(time.time() + 3600))

    assert ids == [str(second)]


@pytest.mark.parametrize(
    "params",
    [
        {"start_time": "yesterday"},
        {"start_time": "2026-01-01T00:00:00"},  # no zone
        {"start_time": "2026-02-01T00:00:00Z", "end_time": "2026-01-01T00:00:00Z"},
    ],
)
def test_bad_times_are_bad_requests(client, params):
    with pytest.raises(tweepy.BadRequest):
        client.get_users_tweets(X_USER_ID, user_auth=False, **params)


def test_links_come_back_as_tco_links_with_their_addresses(client):
    link = "https://www.exampleshire.gov.uk/news/library-opening-hours-this-summer/"
    made = client.create_tweet(text=f"New library hours {link}", user_auth=False)

    tweet = client.get_tweet(
        made.data["id"], tweet_fields=["entities"], user_auth=False
    ).data

    [url] = tweet.entities["urls"]
    assert made.data["text"] == tweet.text
    assert link not in tweet.text
    assert tweet.text[url["start"] : url["end"]] == url["url"]
    assert url["url"].startswith("https://t.co/")
    assert url["expanded_url"] == link
    assert url["display_url"] == "www.exampleshire.gov.uk/n…"


def test_the_one_shot_upload_refuses_a_gif(sandbox_server, x_token):
    gif = io.BytesIO()
    PIL.Image.new("RGB", (40, 30), "teal").save(gif, "GIF")

    answer = requests.post(
        f"{sandbox_server.url}/x/2/media/upload",
        headers={"Authorization": f"Bearer {x_token['access_token']}"},
        data={"media_category": "tweet_image", "media_type": "image/gif"},
        files={"media": ("notice.gif", gif.getvalue(), "image/gif")},
        timeout=5,
    )

    assert answer.status_code == 400
    assert (
        "chunked upload and media_category tweet_gif"
        in (answer.json()["errors"][0]["message"])
    )
