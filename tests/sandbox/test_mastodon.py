"""The sandbox's Mastodon: the Idempotency-Key, counting, errors and headers
as a Mastodon instance answers them."""

from __future__ import annotations

import uuid

import requests

TIMEOUT = 5


def post(sandbox, token, text, **headers):
    return requests.post(
        f"{sandbox.url}/mastodon/api/v1/statuses",
        headers={"Authorization": f"Bearer {token}", **headers},
        data={"status": text},
        timeout=TIMEOUT,
    )


def test_one_idempotency_key_makes_one_status_until_it_is_deleted(sandbox):
    token = sandbox.mint_token("mastodon")["access_token"]
    text = f"Bins {uuid.uuid4().hex}"

    first = post(sandbox, token, text, **{"Idempotency-Key": "k"}).json()
    again = post(sandbox, token, text, **{"Idempotency-Key": "k"}).json()
    other = post(sandbox, token, text, **{"Idempotency-Key": "other"}).json()
    requests.delete(
        f"{sandbox.url}/mastodon/api/v1/statuses/{first['id']}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    ).raise_for_status()
    after = post(sandbox, token, text, **{"Idempotency-Key": "k"}).json()

    assert again["id"] == first["id"]
    assert len({first["id"], other["id"], after["id"]}) == 3


def test_status_length_counts_graphemes_and_links_as_23(sandbox):
    token = sandbox.mint_token("mastodon")["access_token"]
    flag = "🏴󠁧󠁢󠁷󠁬󠁳󠁿"  # seven code points, one character
    link = "https://www.exampleshire.gov.uk/" + "a" * 200

    fits = post(sandbox, token, flag * 476 + link)
    over = post(sandbox, token, flag * 478 + link)

    assert fits.status_code == 200
    assert over.status_code == 422
    assert over.json() == {
        "error": "Validation failed: Text character limit of 500 exceeded"
    }


def test_every_answer_has_the_rate_limit_headers_with_an_iso_reset(sandbox):
    token = sandbox.mint_token("mastodon")["access_token"]

    reply = post(sandbox, token, f"Roads {uuid.uuid4().hex}")

    assert reply.headers["X-RateLimit-Limit"] == "300"
    assert reply.headers["X-RateLimit-Remaining"] == "299"
    assert reply.headers["X-RateLimit-Reset"].endswith("Z")


def test_an_expired_token_is_named_in_mastodons_words(sandbox):
    token = sandbox.mint_token("mastodon")["access_token"]
    sandbox.expire_tokens("mastodon", token)

    reply = post(sandbox, token, "Too late")

    assert reply.status_code == 401
    assert reply.json() == {"error": "The access token expired"}


def test_a_deleted_status_is_not_found(sandbox):
    token = sandbox.mint_token("mastodon")["access_token"]
    status = post(sandbox, token, f"Gone {uuid.uuid4().hex}").json()
    url = f"{sandbox.url}/mastodon/api/v1/statuses/{status['id']}"
    auth = {"Authorization": f"Bearer {token}"}
    requests.delete(url, headers=auth, timeout=TIMEOUT).raise_for_status()

    again = requests.delete(url, headers=auth, timeout=TIMEOUT)

    assert again.status_code == 404
    assert again.json() == {"error": "Record not found"}
    page = requests.get(status["url"], timeout=TIMEOUT)
    assert page.status_code == 404
