"""Real exchanges with the X emulation validated against the official OpenAPI
document (sandbox/specs/x-api-v2-openapi.json) with openapi-core."""

from __future__ import annotations

import base64
import copy
import json
import time
from pathlib import Path

import pytest
import requests
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import (
    RequestsOpenAPIRequest,
    RequestsOpenAPIResponse,
)

from sandbox.seed import X_USER_ID

from .helpers import PNG

SPEC = (
    Path(__file__).resolve().parents[2] / "sandbox" / "specs" / "x-api-v2-openapi.json"
)


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    # openapi-core has no built-in deserializer for RFC 7807 problem bodies.
    config = Config(
        extra_media_type_deserializers={"application/problem+json": json.loads}
    )
    return OpenAPI.from_file_path(str(SPEC), config=config)


class Recorder:
    """Sends requests to the sandbox and validates each exchange against the spec
    (with URLs mapped from the sandbox to the spec's server, https://api.x.com)."""

    def __init__(self, openapi: OpenAPI, base: str, token: str) -> None:
        self.openapi, self.base = openapi, f"{base}/x"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.checked = 0

    def call(
        self, method: str, path: str, *, check_request: bool = True, **kwargs
    ) -> requests.Response:
        resp = self.session.request(method, self.base + path, timeout=5, **kwargs)
        spec_request = copy.copy(resp.request)
        spec_request.url = resp.request.url.replace(self.base, "https://api.x.com", 1)
        wrapped = RequestsOpenAPIRequest(spec_request)
        if check_request:
            self.openapi.validate_request(wrapped)
        self.openapi.validate_response(wrapped, RequestsOpenAPIResponse(resp))
        self.checked += 1
        return resp


@pytest.fixture
def rec(openapi, sandbox, sandbox_server) -> Recorder:
    token = sandbox.mint_token("x")["access_token"]
    return Recorder(openapi, sandbox_server.url, token)


def test_post_lifecycle_conforms(rec):
    rec.call("POST", "/2/tweets", json={"text": "Agenda published"})
    created = rec.call("POST", "/2/tweets", json={"text": "Council meeting tonight"})
    assert created.status_code == 201
    tid = created.json()["data"]["id"]
    fields = {
        "tweet.fields": "created_at,public_metrics,attachments,author_id,"
        "entities,edit_controls",
        "expansions": "attachments.media_keys,author_id",
        "media.fields": "url,alt_text,width,height",
        "user.fields": "created_at,description",
    }
    assert rec.call("GET", f"/2/tweets/{tid}", params=fields).status_code == 200
    many = rec.call("GET", "/2/tweets", params={"ids": f"{tid},1"})
    assert many.json()["errors"][0]["resource_id"] == "1"
    timeline = rec.call(
        "GET", f"/2/users/{X_USER_ID}/tweets", params={"max_results": 5, **fields}
    )
    assert timeline.json()["includes"]["media"][0]["type"] == "photo"
    page2 = rec.call(
        "GET",
        f"/2/users/{X_USER_ID}/tweets",
        params={
            "max_results": 5,
            "pagination_token": timeline.json()["meta"]["next_token"],
        },
    )
    assert page2.json()["meta"]["result_count"] == 1
    rec.call("GET", "/2/users/me", params={"user.fields": "created_at,public_metrics"})
    assert rec.call("DELETE", f"/2/tweets/{tid}").json() == {"data": {"deleted": True}}
    assert rec.checked == 8


def test_errors_conform(rec):
    duplicate = {"text": "Bin day has changed"}
    rec.call("POST", "/2/tweets", json=duplicate)
    assert rec.call("POST", "/2/tweets", json=duplicate).status_code == 403
    too_long = rec.call("POST", "/2/tweets", json={"text": "z" * 281})
    assert too_long.status_code == 400
    bad_range = rec.call(
        "GET",
        f"/2/users/{X_USER_ID}/tweets",
        params={"max_results": 500},
        check_request=False,
    )
    assert bad_range.status_code == 400
    rec.session.headers["Authorization"] = "Bearer expired-or-unknown"
    assert rec.call("GET", "/2/users/me").status_code == 401


def test_media_endpoints_conform(rec):
    init = rec.call(
        "POST",
        "/2/media/upload/initialize",
        json={
            "media_type": "image/png",
            "total_bytes": len(PNG),
            "media_category": "tweet_image",
        },
    )
    mid = init.json()["data"]["id"]
    half = len(PNG) // 2
    rec.call(
        "POST",
        f"/2/media/upload/{mid}/append",
        json={"segment_index": 0, "media": base64.b64encode(PNG[:half]).decode()},
    )
    # openapi-core hands multipart text fields over as bytes, which the schema's
    # string/integer segment_index cannot match, so only the response is checked.
    rec.call(
        "POST",
        f"/2/media/upload/{mid}/append",
        check_request=False,
        data={"segment_index": "1"},
        files={"media": ("m.png", PNG[half:], "image/png")},
    )
    rec.call("POST", f"/2/media/upload/{mid}/finalize")
    status = rec.call(
        "GET", "/2/media/upload", params={"media_id": mid, "command": "STATUS"}
    )
    assert status.json()["data"]["size"] == len(PNG)
    rec.call(
        "POST",
        "/2/media/metadata",
        json={"id": mid, "metadata": {"alt_text": {"text": "A council van"}}},
    )
    one_shot = rec.call(
        "POST",
        "/2/media/upload",
        json={
            "media_category": "tweet_image",
            "media_type": "image/png",
            "media": base64.b64encode(PNG).decode(),
        },
    )
    post = rec.call(
        "POST",
        "/2/tweets",
        json={
            "text": "Two vans",
            "media": {"media_ids": [mid, one_shot.json()["data"]["id"]]},
        },
    )
    assert post.status_code == 201


def test_a_timeline_bounded_in_time_conforms(rec):
    for text in ("Agenda published", "Minutes published", "Vote tonight"):
        rec.call("POST", "/2/tweets", json={"text": text})
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))

    first = rec.call(
        "GET",
        f"/2/users/{X_USER_ID}/tweets",
        params={"start_time": start, "max_results": 5},
    )
    end = rec.call(
        "GET",
        f"/2/users/{X_USER_ID}/tweets",
        params={"end_time": start, "max_results": 5},
    )

    assert first.json()["meta"]["result_count"] == 3
    assert "next_token" not in first.json()["meta"]
    assert end.json()["meta"]["result_count"] >= 1
    assert rec.checked == 5
