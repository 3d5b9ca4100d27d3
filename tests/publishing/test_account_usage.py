"""Accounts kept for urgent notices only, and retired accounts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from council_site.core.templatetags.public_site import social_feeds
from publishing import outbox
from publishing.models import ChannelAccount, CrossPost, SocialFeed

from .conftest import publish

Usage = ChannelAccount.Usage
pytestmark = pytest.mark.django_db


def _use(account, usage):
    account.usage = usage
    account.save(update_fields=["usage"])


def test_an_ordinary_page_never_goes_to_an_account_kept_for_urgent_notices(
    accounts, make_announcement
):
    _use(accounts["x"], Usage.URGENT_ONLY)
    page = make_announcement(live=False, urgent=False)

    publish(page)

    platforms = set(CrossPost.objects.filter(page_id=page.pk).values_list(
        "platform", flat=True
    ))
    assert platforms == {"facebook", "youtube"}
    reasons = {item.account.platform: item.why for item in outbox.reach(page)}
    assert reasons["x"] == "kept for urgent notices only"


def test_an_urgent_notice_always_goes_to_it_whatever_its_page_chose(
    accounts, make_announcement
):
    _use(accounts["x"], Usage.URGENT_ONLY)
    page = make_announcement(live=False, urgent=True)
    page.social_mode = page.SocialMode.CUSTOM
    page.save()
    page.social_accounts.set([accounts["facebook"]])

    publish(page)

    rows = {row.platform: row for row in CrossPost.objects.filter(page_id=page.pk)}
    assert set(rows) == {"facebook", "x"}
    assert rows["x"].urgent
    why = {item.account.platform: item.why for item in outbox.reach(page)}
    assert why["x"] == "kept for urgent notices: every one goes there"


def test_a_retired_account_gets_nothing_new_and_its_feed_leaves_the_site(
    accounts, make_announcement
):
    SocialFeed.objects.create(account=accounts["x"], items=[])
    SocialFeed.objects.create(account=accounts["facebook"], items=[])
    _use(accounts["x"], Usage.RETIRED)
    page = make_announcement(live=False)

    publish(page)

    assert not CrossPost.objects.filter(page_id=page.pk, platform="x").exists()
    shown = {feed["platform_id"] for feed in social_feeds()["feeds"]}
    assert shown == {"facebook"}


def test_a_comms_manager_sets_what_an_account_is_for(accounts, people, client):
    client.force_login(people["comms"])
    url = reverse("publishing_admin:account_use", args=[accounts["x"].pk])
    assert "urgent notice does" in client.get(url).content.decode()

    response = client.post(url, {"usage": "urgent_only"})

    assert response.status_code == 302
    accounts["x"].refresh_from_db()
    assert accounts["x"].usage == Usage.URGENT_ONLY
    listing = client.get(reverse("publishing_admin:accounts")).content.decode()
    assert "Urgent notices only" in listing
