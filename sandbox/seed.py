"""Demo accounts and believable historical council posts.

``build_seed()`` returns a fresh state document plus the media bytes it refers to.
Reset restores exactly this, so tests always start from the same world (timestamps
are relative to the moment of seeding).
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from .png import make_png

FB_APP_ID = "100200300400500"
FB_APP_SECRET = "sandbox-facebook-app-secret"  # noqa: S105 - published demo value
FB_USER_ID = "10000000001"
FB_USER_NAME = "Sam Comms"
FB_PAGE_COUNCIL = "200000000001"
FB_PAGE_LIBRARIES = "200000000002"

X_CLIENT_ID = "sandbox-x-client-id"
X_CLIENT_SECRET = "sandbox-x-client-secret"  # noqa: S105 - published demo value
X_USER_ID = "3000000001"
X_USERNAME = "ExampleshireCC"

GOOGLE_CLIENT_ID = "sandbox-google-client-id.apps.googleusercontent.com"
GOOGLE_CLIENT_SECRET = "sandbox-google-client-secret"  # noqa: S105 - demo value
YT_CHANNEL_ID = "UCexampleshire0000000001"
YT_UPLOADS_PLAYLIST = "UUexampleshire0000000001"

MASTODON_CLIENT_ID = "sandbox-mastodon-client-id"
MASTODON_CLIENT_SECRET = "sandbox-mastodon-client-secret"  # noqa: S105 - demo value
MASTODON_ACCOUNT_ID = "109000000000000001"
MASTODON_USERNAME = "exampleshire"
#: Where the demo site's app is registered to send people back after consent.
MASTODON_REDIRECT_URIS = [
    "http://127.0.0.1:8000/admin/social/accounts/callback/",
    "http://localhost:8000/admin/social/accounts/callback/",
    "http://testserver/admin/social/accounts/callback/",
]
BSKY_DID = "did:plc:exampleshirecouncil2bsky"
BSKY_HANDLE = "exampleshire.bsky.social"
BSKY_EMAIL = "comms@exampleshire.gov.uk"
BSKY_APP_PASSWORD = "sand-demo-bsky-pass"  # noqa: S105 - published demo value

DAY = 86400.0

# Demo grants, so a fresh or reset sandbox already trusts the demo site's accounts
# (``manage.py seed_demo`` stores the same values). These are published values for
# the local sandbox only: no real platform has ever issued or accepted them.
# Each behaves like a token minted by the matching OAuth flow: same prefix, scopes,
# lifetime and account binding, and one grant family, so revoking any of them
# revokes the whole grant and a refresh keeps the family.
DEMO_FB_PAGE_TOKEN = "EAAsandboxDemoExampleshireCouncilPageToken"  # noqa: S105 - published demo value
DEMO_X_ACCESS_TOKEN = "sandbox-demo-x-access-token-ExampleshireCC"  # noqa: S105 - published demo value
DEMO_X_REFRESH_TOKEN = "sandbox-demo-x-refresh-token-ExampleshireCC"  # noqa: S105 - published demo value
DEMO_YT_ACCESS_TOKEN = "ya29.sandbox-demo-youtube-access-token"  # noqa: S105 - published demo value
DEMO_YT_REFRESH_TOKEN = "1//sandbox-demo-youtube-refresh-token"  # noqa: S105 - published demo value
DEMO_MASTODON_TOKEN = "sandbox-demo-mastodon-access-token-exampleshire"  # noqa: S105 - published demo value
DEMO_BSKY_ACCESS_TOKEN = "sandbox-demo-bluesky-access-jwt-exampleshire"  # noqa: S105 - published demo value
DEMO_BSKY_REFRESH_TOKEN = "sandbox-demo-bluesky-refresh-jwt-exampleshire"  # noqa: S105 - published demo value
# What Council Publishing asks for when it connects each platform.
DEMO_FB_SCOPES = ["pages_show_list", "pages_manage_posts", "pages_read_engagement"]
DEMO_X_SCOPES = [
    "tweet.read",
    "tweet.write",
    "users.read",
    "offline.access",
    "media.write",
]
DEMO_YT_SCOPES = [
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.force-ssl",
]
DEMO_MASTODON_SCOPES = ["read", "write"]
# Access token lifetimes as the token endpoints grant them (x/auth.py, youtube/auth.py).
X_ACCESS_TTL = 7200.0
GOOGLE_ACCESS_TTL = 3599.0
BSKY_ACCESS_TTL = 7200.0
BSKY_SCOPES = ["com.atproto.appPass"]

_FB_SCOPES = [
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_posts",
    "pages_manage_engagement",
    "publish_video",
]


def _accounts() -> dict[str, Any]:
    return {
        "facebook": {
            FB_USER_ID: {
                "type": "user",
                "name": FB_USER_NAME,
                "pages": [FB_PAGE_COUNCIL, FB_PAGE_LIBRARIES],
            },
            FB_PAGE_COUNCIL: {
                "type": "page",
                "name": "Exampleshire County Council",
                "category": "Government organisation",
                "fan_count": 18450,
            },
            FB_PAGE_LIBRARIES: {
                "type": "page",
                "name": "Exampleshire Libraries",
                "category": "Library",
                "fan_count": 5120,
            },
        },
        "x": {
            X_USER_ID: {
                "name": "Exampleshire County Council",
                "username": X_USERNAME,
                "created_at": "2010-04-12T09:30:00.000Z",
                "description": "Official account of Exampleshire County "
                "Council. Monitored 9am-5pm, Monday to Friday.",
            },
        },
        "mastodon": {
            MASTODON_ACCOUNT_ID: {
                "username": MASTODON_USERNAME,
                "display_name": "Exampleshire County Council",
                "note": "Official account of Exampleshire County Council.",
                "created_at": "2022-11-07T00:00:00.000Z",
                "avatar": "110000000000000901",
            },
        },
        "youtube": {
            YT_CHANNEL_ID: {
                "title": "Exampleshire County Council",
                "uploads": YT_UPLOADS_PLAYLIST,
                "customUrl": "@exampleshirecc",
                "description": "Videos from Exampleshire County Council.",
            },
        },
        "bluesky": {
            BSKY_DID: {
                "name": "Exampleshire County Council",
                "handle": BSKY_HANDLE,
                "email": BSKY_EMAIL,
                "app_password": BSKY_APP_PASSWORD,
                "created_at": "2024-11-18T09:00:00.000Z",
                "followers": 3210,
                "description": "Official account of Exampleshire County "
                "Council. Monitored 9am-5pm, Monday to Friday.",
            },
        },
    }


def demo_tokens(now: float) -> dict[str, dict[str, Any]]:
    """The demo grants' token records, shaped as ``State.issue_token`` stores them.

    The Page token is the kind derived from a long-lived user token, so it never
    expires. The X and Google access tokens expire after their usual lifetime,
    counted from ``now``; their refresh tokens then get new ones as usual (X's
    rotates: once used, the seeded one stops working until the next reset).
    """

    def record(
        platform: str,
        account: str,
        scope: list[str],
        client_id: str,
        family: str,
        *,
        kind: str = "access",
        subject: str = "",
        lifetime: float | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        return {
            "platform": platform,
            "kind": kind,
            "type": subject,
            "account_id": account,
            "scope": list(scope),
            "client_id": client_id,
            "issued_at": now,
            "expires_at": None if lifetime is None else now + lifetime,
            "revoked": False,
            "family": family,
            **extra,
        }

    return {
        DEMO_FB_PAGE_TOKEN: record(
            "facebook",
            FB_PAGE_COUNCIL,
            DEMO_FB_SCOPES,
            FB_APP_ID,
            "demo-facebook",
            subject="page",
            user_id=FB_USER_ID,
        ),
        DEMO_X_ACCESS_TOKEN: record(
            "x", X_USER_ID, DEMO_X_SCOPES, X_CLIENT_ID, "demo-x", lifetime=X_ACCESS_TTL
        ),
        DEMO_X_REFRESH_TOKEN: record(
            "x", X_USER_ID, DEMO_X_SCOPES, X_CLIENT_ID, "demo-x", kind="refresh"
        ),
        DEMO_YT_ACCESS_TOKEN: record(
            "youtube",
            YT_CHANNEL_ID,
            DEMO_YT_SCOPES,
            GOOGLE_CLIENT_ID,
            "demo-youtube",
            lifetime=GOOGLE_ACCESS_TTL,
        ),
        DEMO_YT_REFRESH_TOKEN: record(
            "youtube",
            YT_CHANNEL_ID,
            DEMO_YT_SCOPES,
            GOOGLE_CLIENT_ID,
            "demo-youtube",
            kind="refresh",
        ),
        # Mastodon grants no refresh token: its access tokens last until revoked.
        DEMO_MASTODON_TOKEN: record(
            "mastodon",
            MASTODON_ACCOUNT_ID,
            DEMO_MASTODON_SCOPES,
            MASTODON_CLIENT_ID,
            "demo-mastodon",
        ),
        DEMO_BSKY_ACCESS_TOKEN: record(
            "bluesky",
            BSKY_DID,
            BSKY_SCOPES,
            "",
            "demo-bluesky",
            lifetime=BSKY_ACCESS_TTL,
        ),
        DEMO_BSKY_REFRESH_TOKEN: record(
            "bluesky",
            BSKY_DID,
            ["com.atproto.refresh"],
            "",
            "demo-bluesky",
            kind="refresh",
        ),
    }


def _image(
    media: dict[str, Any],
    blobs: dict[str, bytes],
    mid: str,
    platform: str,
    colour: tuple[int, int, int],
    alt: str,
    owner: str,
) -> dict[str, Any]:
    data = make_png(96, 64, colour)
    blobs[mid] = data
    media[mid] = {
        "id": mid,
        "platform": platform,
        "type": "photo",
        "mime": "image/png",
        "size": len(data),
        "alt_text": alt,
        "owner": owner,
        "state": "succeeded",
        "width": 96,
        "height": 64,
    }
    return {"id": mid, "type": "photo", "alt_text": alt, "size": len(data)}


def post_record(
    platform: str,
    pid: str,
    account: str,
    ts: float,
    text: str,
    *,
    link: str = "",
    title: str = "",
    description: str = "",
    tags: list[str] | None = None,
    privacy: str = "public",
    media: list[dict[str, Any]] | None = None,
    kind: str = "status",
    metrics: dict[str, int] | None = None,
) -> dict[str, Any]:
    return {
        "platform": platform,
        "id": pid,
        "account_id": account,
        "text": text,
        "link": link,
        "title": title,
        "description": description,
        "tags": tags or [],
        "privacy": privacy,
        "media": media or [],
        "created_ts": ts,
        "updated_ts": ts,
        "deleted": False,
        "deleted_ts": None,
        "edits": 0,
        "kind": kind,
        "metrics": metrics or {},
        "extra": {},
    }


def x_snowflake(ts: float, seq: int) -> str:
    """An X-style id: milliseconds since the X epoch shifted left 22 bits."""
    return str(((int(ts * 1000) - 1288834974657) << 22) | (seq & 0x3FFFFF))


def mastodon_snowflake(ts: float, seq: int) -> str:
    """A Mastodon-style id: milliseconds since 1970 shifted left 16 bits."""
    return str((int(ts * 1000) << 16) | (seq & 0xFFFF))


def _mastodon_statuses(
    now: float, media: dict[str, Any], blobs: dict[str, bytes]
) -> dict[str, Any]:
    gov = "https://www.exampleshire.gov.uk"
    _image(
        media,
        blobs,
        "110000000000000901",
        "mastodon",
        (30, 90, 120),
        "",
        MASTODON_ACCOUNT_ID,
    )
    statuses = [
        (
            10,
            "Bin collections are running as normal this week. Check your day: "
            f"{gov}/bins",
            None,
        ),
        (
            3,
            "Our libraries are open late on Thursdays this month. Find your "
            f"nearest: {gov}/libraries",
            (
                "110000000000000902",
                (60, 150, 90),
                "Shelves of books in Central Library",
            ),
        ),
    ]
    out: dict[str, Any] = {}
    for seq, (days, text, image) in enumerate(statuses, start=1):
        ts = now - days * DAY
        sid = mastodon_snowflake(ts, seq)
        items = []
        if image:
            items = [
                _image(
                    media,
                    blobs,
                    image[0],
                    "mastodon",
                    image[1],
                    image[2],
                    MASTODON_ACCOUNT_ID,
                )
            ]
        out[sid] = post_record(
            "mastodon",
            sid,
            MASTODON_ACCOUNT_ID,
            ts,
            text,
            media=items,
            metrics={
                "favourites_count": 9 * seq,
                "reblogs_count": 4 * seq,
                "replies_count": seq,
            },
        )
    return out
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def bluesky_tid(ts: float, seq: int) -> str:
    """A Bluesky record key (TID): microseconds since 1970 and a 10-bit clock
    id, in 13 characters of sortable base 32."""
    value = int(ts * 1_000_000) << 10 | (seq & 0x3FF)
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


def _bluesky_posts(
    now: float, media: dict[str, Any], blobs: dict[str, bytes], gov: str
) -> dict[str, Any]:
    posts: dict[str, Any] = {}
    items = [
        (
            10,
            "Garden waste collections restart on Monday 3 March.",
            f"{gov}/bins/garden-waste",
            "Garden waste collections",
            None,
        ),
        (
            6,
            "Free digital skills sessions at our libraries this month. #Exampleshire",
            f"{gov}/libraries/digital-skills",
            "Digital skills sessions",
            None,
        ),
        (
            2,
            "Gritters are out tonight on priority routes. Take care on "
            "untreated pavements.",
            "",
            "",
            (
                "bafkreiexampleshiregrittingsandboxdemoimageaaaaaaaab",
                (40, 70, 140),
                "A council gritting lorry spreading salt at dusk",
            ),
        ),
    ]
    for seq, (days, text, link, title, image) in enumerate(items, start=1):
        ts = now - days * DAY
        rkey = bluesky_tid(ts, seq)
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": f"{text} {link}".strip(),
            "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts)),
            "langs": ["en-GB"],
        }
        images = []
        if link:
            start = len(text.encode()) + 1
            record["facets"] = [
                {
                    "index": {
                        "byteStart": start,
                        "byteEnd": start + len(link.encode()),
                    },
                    "features": [
                        {"$type": "app.bsky.richtext.facet#link", "uri": link}
                    ],
                }
            ]
            record["embed"] = {
                "$type": "app.bsky.embed.external",
                "external": {"uri": link, "title": title, "description": text},
            }
        if image:
            images = [
                _image(media, blobs, image[0], "bluesky", image[1], image[2], BSKY_DID)
            ]
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [
                    {
                        "alt": image[2],
                        "image": {
                            "$type": "blob",
                            "ref": {"$link": image[0]},
                            "mimeType": "image/png",
                            "size": images[0]["size"],
                        },
                    }
                ],
            }
        rec = post_record(
            "bluesky",
            rkey,
            BSKY_DID,
            ts,
            record["text"],
            link=link,
            title=title,
            description=text if link else "",
            media=images,
            kind="post",
            metrics={
                "likeCount": 15 * seq,
                "repostCount": 4 * seq,
                "replyCount": seq,
                "quoteCount": 0,
            },
        )
        digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode())
        rec["extra"] = {"record": record, "cid": "bafyrei" + digest.hexdigest()[:52]}
        posts[rkey] = rec
    return posts


def build_seed(now: float | None = None) -> tuple[dict[str, Any], dict[str, bytes]]:
    now = time.time() if now is None else now
    media: dict[str, Any] = {}
    blobs: dict[str, bytes] = {}
    fb: dict[str, Any] = {}
    gov = "https://www.exampleshire.gov.uk"

    def fbpost(page: str, num: int, days: float, text: str, **kw: Any) -> None:
        pid = f"{page}_{num}"
        fb[pid] = post_record("facebook", pid, page, now - days * DAY, text, **kw)

    fbpost(
        FB_PAGE_COUNCIL,
        900000000000101,
        12,
        "Garden waste collections restart on Monday 3 March. Please have your "
        "brown bin out by 7am on your collection day.",
        link=f"{gov}/bins/garden-waste",
        kind="link",
        metrics={"reactions": 84, "shares": 21, "comments": 9},
    )
    fbpost(
        FB_PAGE_COUNCIL,
        900000000000102,
        8,
        "Resurfacing work on Market Street (A123) starts next week. Expect "
        "overnight closures between 8pm and 6am; diversions will be signed.",
        media=[
            _image(
                media,
                blobs,
                "700000000000101",
                "facebook",
                (200, 120, 30),
                "Map of Market Street showing the closed section between "
                "the river bridge and the Northgate roundabout",
                FB_PAGE_COUNCIL,
            )
        ],
        kind="photo",
        metrics={"reactions": 132, "shares": 57, "comments": 40},
    )
    fbpost(
        FB_PAGE_COUNCIL,
        900000000000103,
        5,
        "Have your say on the draft Local Plan. The consultation closes on 31 March.",
        link=f"{gov}/consultations/local-plan",
        kind="link",
        metrics={"reactions": 45, "shares": 30, "comments": 18},
    )
    fbpost(
        FB_PAGE_COUNCIL,
        900000000000104,
        1,
        "Gritters are out tonight treating priority routes. Please take care on "
        "untreated pavements and side roads.",
        media=[
            _image(
                media,
                blobs,
                "700000000000102",
                "facebook",
                (40, 70, 140),
                "A council gritting lorry spreading salt on a wet road at dusk",
                FB_PAGE_COUNCIL,
            )
        ],
        kind="photo",
        metrics={"reactions": 210, "shares": 64, "comments": 12},
    )
    fbpost(
        FB_PAGE_LIBRARIES,
        900000000000201,
        9,
        "Half-term opening hours: Central Library is open 9am to 5pm, Monday to "
        "Saturday.",
        link=f"{gov}/libraries/opening-hours",
        kind="link",
        metrics={"reactions": 38, "shares": 6, "comments": 3},
    )
    fbpost(
        FB_PAGE_LIBRARIES,
        900000000000202,
        6,
        "Rhyme Time is back at Northgate Library every Tuesday at 10:30. Free, no "
        "need to book!",
        media=[
            _image(
                media,
                blobs,
                "700000000000201",
                "facebook",
                (60, 150, 90),
                "Toddlers and parents sitting in a circle on a colourful library rug",
                FB_PAGE_LIBRARIES,
            )
        ],
        kind="photo",
        metrics={"reactions": 97, "shares": 11, "comments": 7},
    )
    fbpost(
        FB_PAGE_LIBRARIES,
        900000000000203,
        2,
        f"Renew your books online any time with your library card number and PIN: "
        f"{gov}/libraries/renew",
        kind="status",
        metrics={"reactions": 22, "shares": 4, "comments": 1},
    )

    x: dict[str, Any] = {}
    tweets = [
        (
            14,
            "Bin collections are running as normal this bank holiday Monday. Check "
            f"your day: {gov}/bins",
            None,
        ),
        (
            8,
            "Market Street (A123) is closed overnight from 8pm for resurfacing. "
            f"Diversions are signed. {gov}/roadworks",
            (
                "1100000000000000101",
                (200, 120, 30),
                "Road closure sign at the entrance to Market Street",
            ),
        ),
        (
            4,
            "Our libraries are running free digital skills sessions this month. "
            f"Book a place: {gov}/libraries/digital-skills",
            None,
        ),
        (
            1,
            "Council Tax bills for the new year are on their way. Set up a Direct "
            f"Debit online: {gov}/council-tax",
            None,
        ),
    ]
    for seq, (days, text, image) in enumerate(tweets, start=1):
        ts = now - days * DAY
        tid = x_snowflake(ts, seq)
        items = []
        if image:
            items = [_image(media, blobs, image[0], "x", image[1], image[2], X_USER_ID)]
            media[image[0]]["media_key"] = f"3_{image[0]}"
        x[tid] = post_record(
            "x",
            tid,
            X_USER_ID,
            ts,
            text,
            media=items,
            kind="tweet",
            metrics={
                "like_count": 12 * seq,
                "retweet_count": 3 * seq,
                "reply_count": seq,
                "quote_count": 0,
                "bookmark_count": seq,
                "impression_count": 900 * seq,
            },
        )

    yt: dict[str, Any] = {}
    videos = [
        (
            "exCouncil01",
            20,
            "Full Council meeting: the highlights",
            "Key decisions from this month's Full Council meeting, including the "
            f"budget and the new library strategy. Papers: {gov}/meetings",
            ["council", "meeting", "budget"],
            (120, 40, 40),
        ),
        (
            "exRecycle02",
            11,
            "How to sort your recycling in Exampleshire",
            f"What goes in which bin, in under two minutes. More at {gov}/recycling",
            ["recycling", "bins", "waste"],
            (40, 130, 60),
        ),
        (
            "exGritting3",
            3,
            "Winter gritting: how we keep Exampleshire moving",
            "Ride along with a gritting crew on a frosty night. "
            f"Routes: {gov}/gritting",
            ["winter", "roads", "gritting"],
            (50, 80, 150),
        ),
    ]
    for vid, days, title, desc, tags, colour in videos:
        thumb = f"thumb-{vid}"
        _image(media, blobs, thumb, "youtube", colour, "", YT_CHANNEL_ID)
        rec = post_record(
            "youtube",
            vid,
            YT_CHANNEL_ID,
            now - days * DAY,
            desc,
            title=title,
            description=desc,
            tags=tags,
            kind="video",
            metrics={
                "viewCount": 300 * days,
                "likeCount": 4 * days,
                "commentCount": days,
            },
        )
        rec["extra"] = {
            "categoryId": "25",
            "thumbnail": thumb,
            "size": 0,
            "duration": "PT2M15S",
            "captions": [],
        }
        yt[vid] = rec

    # Shown for videos that have no custom thumbnail yet.
    _image(
        media, blobs, "default-thumbnail", "youtube", (90, 90, 90), "", YT_CHANNEL_ID
    )
    doc = {
        "version": 1,
        "seq": 1000,
        "accounts": _accounts(),
        "tokens": demo_tokens(now),
        "codes": {},
        "consents": {},
        "posts": {
            "facebook": fb,
            "x": x,
            "youtube": yt,
            "mastodon": _mastodon_statuses(now, media, blobs),
            "bluesky": _bluesky_posts(now, media, blobs, gov),
        },
        "media": media,
        "uploads": {},
        "quota": {},
        "duplicates": {},
        "fb_scopes": list(_FB_SCOPES),
        # Mastodon's registered apps by client id, and its Idempotency-Keys.
        "mastodon_apps": {
            MASTODON_CLIENT_ID: {
                "name": "Council Publishing",
                "website": None,
                "redirect_uris": list(MASTODON_REDIRECT_URIS),
                "scopes": ["read", "write"],
                "client_secret": MASTODON_CLIENT_SECRET,
            },
        },
        "idempotency": {},
    }
    return doc, blobs
