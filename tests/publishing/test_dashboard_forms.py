"""The dashboard's row actions as a browser uses them: their forms pass Django's
CSRF check, and each action comes back to the whole dashboard, also from rows
that were fetched as the bare results fragment (filters, the self-refresh).

The test client skips the CSRF check unless asked, so these tests ask for it: a
form with a missing or wrong token gets 403 here just as it does in a browser.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from publishing.models import CrossPost
from tests.publishing.conftest import make_account, make_row

State = CrossPost.State
DASHBOARD = reverse("publishing_admin:dashboard")
RESULTS = reverse("publishing_admin:dashboard_results")
RETRY_FORM = re.compile(
    r'<form method="post" action="(?P<action>[^"]+/retry/)">\s*'
    r'<input type="hidden" name="csrfmiddlewaretoken" value="(?P<token>[^"]*)">'
)


@pytest.fixture
def browser_like(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["comms"])
    return client


def retry_form(client, url=DASHBOARD):
    match = RETRY_FORM.search(client.get(url).content.decode())
    assert match, "no Retry now form on the dashboard"
    return match["action"], match["token"]


@pytest.mark.parametrize("url", [DASHBOARD, RESULTS])
def test_retry_now_form_carries_a_token_that_is_accepted(browser_like, url):
    row = make_row(make_account(), State.FAILED, attempts=12, last_error="Gave up")

    action, token = retry_form(browser_like, url)
    response = browser_like.post(
        action, {"csrfmiddlewaretoken": token, "next": DASHBOARD}
    )

    assert response.status_code == 302, response.content[:300]
    row.refresh_from_db()
    assert row.state == State.PENDING


def test_a_form_without_the_token_is_still_refused(browser_like):
    row = make_row(make_account(), State.FAILED)
    action, _token = retry_form(browser_like)

    response = browser_like.post(action, {"csrfmiddlewaretoken": "forged"})

    assert response.status_code == 403
    row.refresh_from_db()
    assert row.state == State.FAILED


@pytest.mark.parametrize("url", [DASHBOARD, RESULTS])
def test_every_action_comes_back_to_the_whole_dashboard_with_its_filters(
    browser_like, url
):
    make_row(make_account(), State.HELD)
    make_row(make_account("facebook", "200000000001", "Page"), State.FAILED)
    query = "state=held&platform=x"
    html = browser_like.get(f"{url}?{query}").content.decode()

    nexts = [
        parse_qs(urlsplit(unescape(href)).query)["next"][0]
        for href in re.findall(r'href="([^"]+/(?:approve|reject|cancel)/[^"]*)"', html)
    ]
    nexts += re.findall(r'name="next" value="([^"]*)"', html)
    assert len(nexts) == 3  # approve, reject and cancel on the held row
    assert set(nexts) == {f"{DASHBOARD}?{query}"}
