"""Accounts kept for urgent notices only, and retired accounts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import Site

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

    platforms = set(
        CrossPost.objects.filter(page_id=page.pk).values_list("platform", flat=True)
    )
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
    reasons = {item.account.platform: item.why for item in outbox.reach(page)}
    assert reasons["x"] == "the account is retired"  # after "not sent: "
    shown = {feed["platform_id"] for feed in social_feeds()["feeds"]}
    assert shown == {"facebook"}


def test_a_comms_manager_sets_what_an_account_is_for(accounts, people, client):
    client.force_login(people["comms"])
    url = reverse("publishing_admin:account_use", args=[accounts["x"].pk])
    assert "every urgent announcement does" in client.get(url).content.decode()

    response = client.post(url, {"usage": "urgent_only"}, follow=True)

    assert response.redirect_chain[-1][1] == 302
    # Said as a sentence, not as the choice's label after "used for:".
    assert [str(message) for message in response.context["messages"]] == [
        "X: @ExampleshireCC is now kept for urgent notices: ordinary pages no "
        "longer go there, and every urgent announcement does."
    ]
    accounts["x"].refresh_from_db()
    assert accounts["x"].usage == Usage.URGENT_ONLY
    listing = client.get(reverse("publishing_admin:accounts")).content.decode()
    assert "Urgent notices only" in listing


def _x_row(page):
    return CrossPost.objects.get(page_id=page.pk, platform="x")


def test_retiring_an_account_cancels_what_it_has_not_sent_and_says_so(
    accounts, people, client, make_announcement
):
    ordinary, urgent, sent = (
        make_announcement(title, live=False, urgent=title == "Flood warning")
        for title in ("Bins collected late", "Flood warning", "Library open")
    )
    for page in (ordinary, urgent, sent):
        publish(page)
    CrossPost.objects.filter(pk=_x_row(sent).pk).update(
        state=CrossPost.State.POSTED, remote_id="1800000000000000001"
    )
    client.force_login(people["comms"])
    url = reverse("publishing_admin:account_use", args=[accounts["x"].pk])

    form = client.get(url).content.decode()
    response = client.post(url, {"usage": "retired"}, follow=True)

    # Said before it is chosen, and once it is done.
    assert "2 posts are not sent to this account yet. Retiring it cancels them;" in form
    assert "keeping it for urgent notices cancels the 1 of an ordinary page." in form
    said = [str(message) for message in response.context["messages"]]
    assert said == [
        "X: @ExampleshireCC is retired: nothing new goes there and its feed has "
        "left the public site. Its posts stay on the record. 2 posts not yet sent "
        "to it were cancelled; Social > Posts lists them."
    ]
    for page in (ordinary, urgent):
        row = _x_row(page)
        assert row.state == CrossPost.State.CANCELLED
        assert row.review_reason == "X: @ExampleshireCC was retired by Comms Person"
    # A post that stands stays: its history is kept.
    assert _x_row(sent).state == CrossPost.State.POSTED
    # The other accounts' posts of the same pages go on.
    assert (
        not CrossPost.objects.exclude(platform="x")
        .filter(state=CrossPost.State.CANCELLED)
        .exists()
    )


def test_keeping_it_for_urgent_notices_cancels_only_ordinary_pages_posts(
    accounts, people, client, make_announcement
):
    ordinary, urgent = (
        make_announcement(title, live=False, urgent=title == "Flood warning")
        for title in ("Bins collected late", "Flood warning")
    )
    for page in (ordinary, urgent):
        publish(page)
    client.force_login(people["comms"])
    url = reverse("publishing_admin:account_use", args=[accounts["x"].pk])

    client.post(url, {"usage": "urgent_only"})

    assert _x_row(ordinary).state == CrossPost.State.CANCELLED
    assert _x_row(urgent).state == CrossPost.State.PENDING
    # Back to every page: the form has nothing left to warn of, and a publish
    # of the ordinary page sends its post again.
    client.post(url, {"usage": "every_page"})
    assert "Retiring it cancels" in client.get(url).content.decode()
    ordinary.title += " (changed)"
    publish(ordinary)
    assert _x_row(ordinary).state == CrossPost.State.PENDING


def test_the_account_checkboxes_say_which_are_kept_for_urgent_notices_or_retired(
    accounts, admin_client, make_announcement
):
    _use(accounts["x"], Usage.URGENT_ONLY)
    _use(accounts["youtube"], Usage.RETIRED)
    page = make_announcement(live=False)
    client = admin_client

    editor = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    default_site = Site.objects.get(is_default_site=True)
    defaults = client.get(
        reverse(
            "wagtailsettings:edit",
            args=["publishing", "socialsettings", default_site.pk],
        )
    )

    for response in (editor, defaults):
        html = response.content.decode()
        assert "X: @ExampleshireCC (urgent notices only)" in html
        assert "(retired: nothing new is posted)" in html
        assert "Facebook: Exampleshire County Council (" not in html
