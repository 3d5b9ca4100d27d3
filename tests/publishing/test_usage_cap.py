"""X's monthly usage cap pauses the account: its posts park with the date they
will go, comms managers are told, and the posts resume once the cap resets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from publishing import accounts, delivery
from publishing.models import Alert, ChannelAccount, CrossPost

from .conftest import publish

State = CrossPost.State


@pytest.fixture
def capped(sandbox, accounts, make_policy, people):
    """Two pages published to X; the first is refused for the monthly cap."""
    pages = [make_policy(title=f"Library opening hours {n}") for n in (1, 2)]
    for page in pages:
        publish(page)
    rows = [CrossPost.objects.get(page_id=p.pk, platform="x") for p in pages]
    sandbox.add_fault(
        "x", "publish", "rate_limit", style="usage_capped", period="Monthly"
    )
    delivery.deliver(rows[0].pk, "test-worker")
    return accounts["x"], rows


@pytest.mark.django_db
def test_a_monthly_cap_parks_the_accounts_posts_until_the_first_of_next_month(
    capped,
):
    account, rows = capped
    account.refresh_from_db()

    assert account.status == ChannelAccount.Status.CAPPED
    assert account.capped_until.day == 1
    for row in rows:
        row.refresh_from_db()
        assert row.state == State.NEEDS_RECONNECT
        assert "monthly usage cap" in row.last_error
        assert f"{account.capped_until:%d %b %Y}" in row.last_error
    # One alert for the account, none for each post.
    kinds = set(Alert.objects.values_list("kind", "account_id", "crosspost_id"))
    assert kinds == {(Alert.Kind.ACCOUNT_CAPPED, account.pk, None)}


@pytest.mark.django_db
def test_a_capped_account_is_on_the_dashboards_needs_attention_panel(
    capped, client, people
):
    account, _rows = capped
    client.force_login(people["comms"])

    html = client.get(reverse("wagtailadmin_home")).content.decode()

    assert "Accounts paused by the platform" in html
    assert f"{account}: its posts wait and are sent from" in html


@pytest.mark.django_db
def test_posts_of_a_capped_account_resume_when_the_cap_resets(capped, sandbox):
    account, rows = capped
    account.refresh_from_db()
    until = account.capped_until

    assert accounts.resume_capped(now=until - timedelta(seconds=1)) == 0
    assert accounts.resume_capped(now=until) == 2

    account.refresh_from_db()
    assert (account.status, account.capped_until) == (
        ChannelAccount.Status.CONNECTED,
        None,
    )
    sandbox.clear_faults()
    for row in rows:
        assert delivery.deliver(row.pk, "test-worker").state == State.POSTED
