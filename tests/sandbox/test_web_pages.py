"""The sandbox's public profile pages, at the addresses the site's footer and
feeds link to (``council_site.core.social.profile_url``)."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import requests
from googleapiclient.http import MediaIoBaseUpload

from council_site.core.social import profile_url
from sandbox.seed import FB_PAGE_COUNCIL, FB_PAGE_LIBRARIES, X_USER_ID, X_USERNAME
from sandbox.seed import YT_CHANNEL_ID as CHANNEL

from .helpers import PNG, graph, tweepy_client, youtube_client

FACEBOOK = SimpleNamespace(
    platform="facebook", remote_id=FB_PAGE_COUNCIL, display_name="", extra={}
)
X = SimpleNamespace(
    platform="x", remote_id=X_USER_ID, display_name="", extra={"username": X_USERNAME}
)
YOUTUBE = SimpleNamespace(
    platform="youtube", remote_id=CHANNEL, display_name="", extra={}
)


def links(html: str) -> list[str]:
    return [m.replace("&amp;", "&") for m in re.findall(r'href="([^"]+)"', html)]


def page(url: str) -> requests.Response:
    return requests.get(url, timeout=5)


def test_the_sites_profile_links_open_the_sandbox_pages(sandbox, sandbox_server):
    for account, name in [
        (FACEBOOK, "Exampleshire County Council"),
        (X, f"@{X_USERNAME}"),
        (YOUTUBE, "Exampleshire County Council"),
    ]:
        url = profile_url(account)
        assert url.startswith(sandbox_server.url), url

        resp = page(url)

        assert resp.status_code == 200, url
        assert resp.headers["Content-Type"].startswith("text/html")
        assert name in resp.text
        posts = [link for link in links(resp.text) if "/web/" in link]
        assert posts, url  # every demo account has history
        assert all(page(link).status_code == 200 for link in posts)


def test_facebook_profile_lists_the_pages_own_published_posts(sandbox, sandbox_server):
    token = sandbox.mint_token("facebook")["access_token"]
    headers = {"Authorization": f"OAuth {token}"}
    g = graph(sandbox_server.url)
    post = requests.post(
        f"{g}/{FB_PAGE_COUNCIL}/feed",
        data={"message": "Bins <b>Tuesday</b>"},
        params={"fields": "id,permalink_url"},
        headers=headers,
        timeout=5,
    ).json()
    requests.post(  # an unpublished photo is no post of the Page's
        f"{g}/{FB_PAGE_COUNCIL}/photos",
        data={"published": "false", "caption": "Staged photo"},
        headers=headers,
        files={"source": ("p.png", PNG, "image/png")},
        timeout=5,
    ).raise_for_status()

    council = page(profile_url(FACEBOOK)).text
    libraries = page(f"{sandbox_server.url}/facebook/web/{FB_PAGE_LIBRARIES}").text

    assert links(council)[0] == post["permalink_url"]  # newest first
    assert "Bins &lt;b&gt;Tuesday&lt;/b&gt;" in council
    assert "Staged photo" not in council
    assert post["permalink_url"] not in links(libraries)
    assert page(f"{sandbox_server.url}/facebook/web/1").status_code == 404


def test_x_profile_lists_live_posts_in_any_case_of_username(sandbox, sandbox_server):
    client = tweepy_client(sandbox_server.url, sandbox.mint_token("x")["access_token"])
    kept = client.create_tweet(text="Library hours change", user_auth=False)
    gone = client.create_tweet(text="Posted by mistake", user_auth=False)
    client.delete_tweet(gone.data["id"], user_auth=False)

    html = page(f"{sandbox_server.url}/x/web/{X_USERNAME.lower()}").text

    assert links(html)[0].endswith(f"/x/web/{X_USERNAME}/status/{kept.data['id']}")
    assert "Posted by mistake" not in html
    assert page(f"{sandbox_server.url}/x/web/nobody_here").status_code == 404


def test_youtube_channel_page_lists_public_videos_only(sandbox, sandbox_server):
    yt = youtube_client(sandbox_server.url, sandbox.mint_token("youtube"))[0]

    def upload(title: str, privacy: str) -> str:
        media = MediaIoBaseUpload(io.BytesIO(b"\0" * 64), mimetype="video/mp4")
        body = {"snippet": {"title": title}, "status": {"privacyStatus": privacy}}
        request = yt.videos().insert(part="snippet,status", body=body, media_body=media)
        return request.execute()["id"]

    public = upload("Budget briefing", "public")
    private = upload("Draft briefing", "private")

    html = page(profile_url(YOUTUBE)).text

    watched = [link.rpartition("v=")[2] for link in links(html) if "watch?v=" in link]
    assert watched[0] == public
    assert private not in watched and "Draft briefing" not in html
    assert page(f"{sandbox_server.url}/youtube/web/channel/UCnope").status_code == 404
