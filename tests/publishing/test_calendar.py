"""The content calendar: scheduled and published pages by day, with their
channels' states, a month or a week at a time, for a department or account."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from publishing.models import CrossPost
from tests.publishing.conftest import make_account, make_row

State = CrossPost.State
CALENDAR = reverse("publishing_admin:calendar")
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def day_cell(html: str, day: str) -> str:
    start = html.index(f'data-day="{day}"')
    return html[start : html.index("</td>", start)]


@pytest.fixture
def rows(db):
    x = make_account()
    facebook = make_account("facebook", "200000000001", "Exampleshire CC")
    make_row(
        x,
        State.POSTED,
        title="Bin days move",
        department="Waste",
        posted_at=datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
    )
    make_row(
        facebook,
        State.FAILED,
        title="Library hours",
        department="Libraries",
        created_at=datetime(2026, 12, 15, 16, 0, tzinfo=UTC),
    )
    return {"x": x, "facebook": facebook}


def test_the_month_shows_each_post_on_its_day_with_its_state(client, people, rows):
    client.force_login(people["comms"])

    html = client.get(CALENDAR).content.decode()

    assert "December 2026" in html
    assert "Bin days move" in day_cell(html, "2026-12-02")
    assert "X: Posted" in day_cell(html, "2026-12-02")
    assert "Library hours" in day_cell(html, "2026-12-15")
    assert "social-chip--failed" in day_cell(html, "2026-12-15")
    assert 'style="' not in html.split("<main", 1)[1]


def test_a_pages_channels_are_in_one_order_whichever_posted_first(
    client, people, site
):
    page = site["news"]
    accounts = {
        platform: make_account(platform, f"{n}000000001", f"Exampleshire {n}")
        for n, platform in enumerate(("youtube", "x", "mastodon", "facebook"), 1)
    }
    for minute, platform in enumerate(("youtube", "x", "mastodon", "facebook")):
        make_row(
            accounts[platform], State.POSTED, page=page,
            posted_at=datetime(2026, 12, 2, 9, minute, tzinfo=UTC),
        )
    client.force_login(people["comms"])

    cell = day_cell(client.get(CALENDAR).content.decode(), "2026-12-02")

    shown = [cell.index(f"{name}: Posted") for name in
             ("Facebook", "Mastodon", "X", "YouTube")]
    assert shown == sorted(shown)


def test_the_week_shows_only_that_week(client, people, rows):
    client.force_login(people["comms"])

    html = client.get(CALENDAR, {"view": "week", "day": "2026-12-03"}).content.decode()

    assert 'data-day="2026-11-30"' in html and 'data-day="2026-12-06"' in html
    assert 'data-day="2026-12-07"' not in html
    assert "Bin days move" in html and "Library hours" not in html


def test_filters_by_department_and_account(client, people, rows):
    client.force_login(people["comms"])

    by_department = client.get(CALENDAR, {"department": "Libraries"}).content
    by_account = client.get(CALENDAR, {"account": rows["x"].pk}).content

    assert b"Library hours" in by_department and b"Bin days move" not in by_department
    assert b"Bin days move" in by_account and b"Library hours" not in by_account


def test_a_scheduled_page_shows_on_its_day_with_the_accounts_it_goes_to(
    client, people, accounts, make_policy
):
    page = make_policy(title="Christmas collections")
    page.go_live_at = datetime(2026, 12, 21, 8, 0, tzinfo=UTC)
    page.save_revision().publish()
    page.refresh_from_db()
    assert not page.live  # waiting for its time
    client.force_login(people["editor"])

    html = client.get(CALENDAR).content.decode()

    cell = day_cell(html, "2026-12-21")
    assert "Christmas collections" in cell and "Scheduled 08:00" in cell
    assert "Facebook: Scheduled" in cell and "X: Scheduled" in cell
    other = client.get(CALENDAR, {"department": "Libraries"}).content.decode()
    assert "Christmas collections" not in other


def test_a_page_published_without_social_posts_is_on_its_day(
    client, people, accounts, make_policy
):
    page = make_policy(title="Parking charges review", social_mode="none")
    page.save_revision().publish()
    client.force_login(people["comms"])

    html = client.get(CALENDAR).content.decode()

    cell = day_cell(html, "2026-12-04")
    assert "Parking charges review" in cell
    assert "Published; not posted to social media" in cell
    by_account = client.get(CALENDAR, {"account": accounts["x"].pk}).content.decode()
    assert "Parking charges review" not in by_account
    other = client.get(CALENDAR, {"department": "Libraries"}).content.decode()
    assert "Parking charges review" not in other


def test_a_post_of_a_deleted_page_does_not_hide_pages_published_without_posts(
    client, people, accounts, make_policy
):
    # A deleted page's rows keep their history with no page: the calendar's
    # "posted nowhere" check must not compare against that empty page.
    make_row(accounts["x"], State.POSTED, title="Gone", posted_at=NOW)
    CrossPost.objects.update(page=None)
    page = make_policy(title="Parking charges review", social_mode="none")
    page.save_revision().publish()
    client.force_login(people["comms"])

    html = client.get(CALENDAR).content.decode()

    assert "Parking charges review" in day_cell(html, "2026-12-04")


def test_the_calendar_is_for_those_who_follow_posts(client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("reader", password="x")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)

    response = client.get(CALENDAR)

    assert response.status_code != 200
