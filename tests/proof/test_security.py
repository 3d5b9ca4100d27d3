"""Security properties: tokens at rest, OAuth tampering, admin URLs closed to
anonymous visitors. (Tokens in logs during a real publish are proved in
tests/publishing/test_proof_security.py, which needs the pipeline fixtures;
``check --deploy`` in tests/council_site/test_deployment.py.)"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from channels.errors import AuthError
from channels.facebook import FacebookAdapter
from channels.values import Credentials
from channels.x import XAdapter
from channels.youtube import YouTubeAdapter
from publishing.models import ChannelAccount
from tests.channels.contract import facebook_config, x_config, youtube_config

REDIRECT = "http://testserver/admin/social/accounts/callback/"
ADAPTERS = {
    "facebook": (FacebookAdapter, facebook_config),
    "x": (XAdapter, x_config),
    "youtube": (YouTubeAdapter, youtube_config),
}


# Tokens at rest ---------------------------------------------------------------------


def _raw_account_rows() -> list[str]:
    """Every column of every account row, as the database itself returns it."""
    table = connection.ops.quote_name(ChannelAccount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - our own table name
        return [" ".join(str(value) for value in row) for row in cursor.fetchall()]


@pytest.mark.django_db
def test_tokens_never_reach_the_database_in_plaintext():
    access, refresh = "EAAB-access-7f3a9c2e51d04b8a", "refresh-1b9e44c07a2f4d6e"
    account = ChannelAccount.objects.create(
        platform="x",
        display_name="@ExampleshireCC",
        remote_id="3000000001",
        access_token=access,
        refresh_token=refresh,
    )
    rotated = "rotated-access-5c8d2e0f9a1b"
    account.store_credentials(
        Credentials("3000000001", rotated, refresh_token="rotated-refresh-0e4c")
    )

    stored = " ".join(_raw_account_rows())
    for token in (access, refresh, rotated, "rotated-refresh-0e4c"):
        assert token[8:20] not in stored
    # ...and yet the application reads them back.
    account = ChannelAccount.objects.get(pk=account.pk)
    assert account.access_token == rotated
    assert account.refresh_token == "rotated-refresh-0e4c"


# OAuth tampering ---------------------------------------------------------------------


def consent(url: str) -> dict[str, str]:
    """Allow access on the sandbox's consent page, as a browser would."""
    fields = dict(parse_qsl(urlsplit(url).query))
    answer = requests.post(
        url, data={**fields, "decision": "allow"}, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302
    return dict(parse_qsl(urlsplit(answer.headers["Location"]).query))


@pytest.fixture(params=sorted(ADAPTERS))
def platform(request, sandbox):
    adapter_class, make_config = ADAPTERS[request.param]
    return adapter_class, make_config(sandbox.url)


def test_an_empty_state_is_refused_even_when_the_callback_echoes_it(platform):
    adapter_class, config = platform
    url, verifier = adapter_class.begin_connect(config, REDIRECT, "")
    params = consent(url)

    with pytest.raises(AuthError, match="state"):
        adapter_class.complete_connect(config, REDIRECT, params, "", verifier)


def test_a_callback_from_another_sign_in_is_refused(platform):
    """A code obtained in someone else's flow cannot be replayed into ours."""
    adapter_class, config = platform
    _ours, our_verifier = adapter_class.begin_connect(config, REDIRECT, "state-ours")
    theirs, _ = adapter_class.begin_connect(config, REDIRECT, "state-theirs")
    their_callback = consent(theirs)

    with pytest.raises(AuthError, match="state"):
        adapter_class.complete_connect(
            config, REDIRECT, their_callback, "state-ours", our_verifier
        )


def test_a_pkce_verifier_from_another_sign_in_is_refused(sandbox):
    config = x_config(sandbox.url)
    _, other_verifier = XAdapter.begin_connect(config, REDIRECT, "state-other")
    url, verifier = XAdapter.begin_connect(config, REDIRECT, "state-mine")
    callback = consent(url)
    assert other_verifier != verifier

    with pytest.raises(AuthError):
        XAdapter.complete_connect(
            config, REDIRECT, callback, "state-mine", other_verifier
        )
    with pytest.raises(AuthError):
        XAdapter.complete_connect(config, REDIRECT, callback, "state-mine", "")


# Admin URLs --------------------------------------------------------------------------

SAMPLE_VALUES = {"int": "1", "slug": "x", "str": "x", "path": "x", "uuid": ""}
CONVERTER = re.compile(r"<(?:(\w+):)?\w+>")


def _walk(patterns, prefix: str, namespaces: tuple[str, ...]):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            spaces = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), spaces)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespaces, entry.name or ""


def _concrete(route: str) -> str | None:
    """A URL for a ``path()`` route with sample values; None for regex routes."""
    if route.startswith("^") or "(?P" in route:
        return None
    url = CONVERTER.sub(lambda m: SAMPLE_VALUES.get(m.group(1) or "str", "x"), route)
    return "/" + url


def publishing_admin_urls() -> list[str]:
    """Every admin URL the project adds: the ``publishing`` namespaces and names,
    and any route mentioning social posting. Found at test time, so views added
    later are covered without touching this test."""
    urls = set()
    for route, namespaces, name in _walk(get_resolver().url_patterns, "", ()):
        ours = (
            any(space.startswith("publishing") for space in namespaces)
            or name.startswith("publishing")
            or "social" in route
            or "crosspost" in route
        )
        url = _concrete(route)
        if ours and url and url.startswith("/admin/"):
            urls.add(url)
    return sorted(urls)


@pytest.mark.django_db
def test_every_publishing_admin_url_refuses_anonymous_visitors():
    urls = publishing_admin_urls()
    # The walk must find the views we know of, or it is checking nothing.
    assert "/admin/social/posts/" in urls and "/admin/social/accounts/" in urls, urls
    client = Client()
    let_in = []
    for url in urls:
        resolve(url)  # the sample values really reach the view
        for method in (client.get, client.post):
            response = method(url)
            refused = response.status_code == 403 or (
                response.status_code == 302
                and urlsplit(response["Location"]).path == "/admin/login/"
            )
            if not refused:
                let_in.append((method.__name__, url, response.status_code))
    assert let_in == []
