"""The dashboard, the calendar and the Social tab's status panel in a real
browser at 1280 px: nothing scrolls sideways, titles keep to two lines, and the
panel follows a publish to the end without a reload (a real worker delivers
to the sandbox). Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
from django.utils import timezone

from publishing.models import CrossPost
from tests.browser import needs_chromium, screenshot
from tests.publishing.conftest import (
    DELIVERY_MS,
    actions_menu,
    make_account,
    make_row,
    sign_in,
)

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
State = CrossPost.State
LONG_TITLE = (
    "Consultation on the future of household waste and recycling collections, "
    "garden waste permits and bulky item collections across the north and east "
    "of the county, with drop-in sessions at every library"
)


def scrolls_sideways(tab) -> bool:
    return tab.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def lines(locator) -> float:
    """How many lines of text an element takes."""
    return locator.evaluate(
        "e => e.getBoundingClientRect().height"
        " / parseFloat(getComputedStyle(e).lineHeight)"
    )


@pytest.fixture
def busy_dashboard(people, site):
    """Many pages, each on three channels in mixed states, one with a very
    long title and long errors."""
    accounts = [
        make_account("x", "3000000001", "@ExampleshireCC"),
        make_account("facebook", "200000000001", "Exampleshire County Council"),
        make_account("youtube", "UCexampleshire", "Exampleshire County Council TV"),
    ]
    from tests.factories import PolicyPageFactory

    for n in range(12):
        title = LONG_TITLE if n == 0 else f"Policy update number {n}"
        page = PolicyPageFactory(parent=site["policies"], title=title)
        states = (
            [State.FAILED, State.POSTED, State.HELD]
            if n == 0
            else [State.POSTED, State.PENDING, State.RETRYING]
        )
        for account, state in zip(accounts, states, strict=True):
            make_row(
                account,
                state,
                page=page,
                department="Waste and Recycling",
                last_error="The platform refused the post: " + "x" * 300
                if state == State.FAILED
                else "",
                posted_at=timezone.now() if state == State.POSTED else None,
            )


def test_the_grouped_dashboard_fits_1280_px(browser, live_server, busy_dashboard):  # noqa: F811
    from playwright.sync_api import expect

    comms = sign_in(browser, live_server, "comms")
    comms.goto(f"{live_server.url}/admin/social/posts/")
    rows = comms.locator("#listing-results table.listing > tbody > tr")
    expect(rows).to_have_count(12)  # one per page, not one per channel
    expect(comms.locator("[data-worker-health]")).to_contain_text("Posting service")

    long_row = rows.filter(has_text="Consultation on the future")
    expect(long_row.locator(".social-chips .social-chip--failed")).to_have_text(
        "X: Failed"
    )
    expect(long_row.locator(".social-chips .social-chip--held")).to_have_count(1)
    assert lines(long_row.locator(".social-two-lines")) <= 2.05
    assert not scrolls_sideways(comms)
    screenshot(comms, "dashboard-grouped-1280")

    long_row.locator("summary").click()
    expect(long_row.get_by_role("button", name="Retry now")).to_be_visible()
    expect(long_row.locator(".social-next-step").first).to_be_visible()
    assert not scrolls_sideways(comms)
    screenshot(comms, "dashboard-grouped-open-1280")


def test_the_calendar_shows_the_month_and_the_week(
    browser,  # noqa: F811
    live_server,
    busy_dashboard,
):
    from playwright.sync_api import expect

    comms = sign_in(browser, live_server, "comms")
    comms.get_by_role("button", name="Social").click()
    comms.get_by_role("link", name="Calendar", exact=True).click()
    comms.wait_for_url(f"{live_server.url}/admin/social/calendar/")
    today = comms.locator(".social-calendar__day--today")
    expect(today.locator(".social-calendar__entry")).to_have_count(12)
    expect(today).to_contain_text("X: Failed")
    assert not scrolls_sideways(comms)
    screenshot(comms, "calendar-month-1280")

    comms.get_by_role("link", name="Week", exact=True).click()
    expect(comms.locator(".social-calendar--week")).to_be_visible()
    expect(comms.locator(".social-calendar__day")).to_have_count(7)
    assert not scrolls_sideways(comms)
    screenshot(comms, "calendar-week-1280")


@pytest.mark.integration
def test_the_status_panel_follows_a_publish_until_every_channel_is_final(
    browser,  # noqa: F811
    live_server,
    sandbox,
    accounts,
    people,
    make_policy,
    celery_worker_process,
):
    from playwright.sync_api import expect

    page = make_policy(title="Road closures on Mill Lane")
    # No worker takes the posts until the panel shows them waiting.
    celery_worker_process.stop()
    moderator = sign_in(browser, live_server, "moderator")
    moderator.goto(f"{live_server.url}/admin/pages/{page.pk}/edit/")
    actions_menu(moderator, "Publish").click()
    message = moderator.locator(".messages")
    expect(message).to_contain_text("has been published. Posting to Facebook")
    screenshot(moderator, "publish-message")

    moderator.goto(f"{live_server.url}/admin/pages/{page.pk}/edit/#tab-social")
    panel = moderator.locator("[data-social-status]")
    expect(panel).to_contain_text("Facebook: Waiting to send")
    screenshot(moderator, "status-panel-waiting", panel)

    celery_worker_process.start()
    expect(panel.locator(".social-chip--posted")).to_have_count(2, timeout=DELIVERY_MS)
    expect(panel).not_to_have_attribute("data-live", "")
    expect(panel.get_by_role("link", name="View the post on X")).to_be_visible()
    screenshot(moderator, "status-panel-posted", panel)
