"""The admin end to end in a real browser.

Chromium (through Playwright) drives the Wagtail admin on the live server, signing
in through the login form like staff do; a real Celery worker process delivers
the posts to the platform sandbox. Nothing between the browser and the sandbox is
replaced.

* An editor writes an announcement with an image and a video, watches the X
  counter, and submits it; a moderator approves and publishes it; the editor then
  finds the three posts' links on the page's Social tab.
* A comms manager retries a post the platform refused and approves a post the
  protocol guard held, on the Social > Posts dashboard.
* An editor adds a phone number to a posted page and publishes it again: the
  update is held and the live post stays as it was; a comms manager edits the
  number out and approves, and the post is updated with the edited text.

Screenshots of the key steps are saved to test-artifacts/.
"""

from __future__ import annotations

import re

import pytest
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import PageLogEntry

from channels.x_text import weighted_length
from council_site.news.models import AnnouncementPage
from publishing import content, delivery
from publishing.models import CrossPost
from sandbox.video import make_mp4
from tests.browser import needs_chromium, screenshot
from tests.publishing.conftest import (
    DELIVERY_MS,
    EXPECT_MS,
    actions_menu,
    live_posts_with_marker,
    publish,
    rows_for,
    settle,
    sign_in,
)
from tests.worker_fixtures import wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    needs_chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
State = CrossPost.State
# A real MP4 (the page checks its content), padded for a chunked upload.
MP4 = make_mp4(300_000)
# Emoji and CJK weigh 2 on X and the URL 23, so X's count is not len().
X_TEXT = (
    "Bins 🗑️ go out a day late this week. 収集日が変わります。 "
    "Map: https://maps.example.org/exampleshire/bin-rounds/north-and-east?week=1"
)
REFUSAL = "This account may not post that text."


@pytest.fixture(autouse=True)
def worker(celery_worker_process):
    return celery_worker_process


def shown_while_sweeping(locator, page, worker) -> None:
    """Wait until ``locator`` matches one element, running the sweeper every
    few seconds as beat does in production: the message a dashboard action
    sends is the quick path, the sweeper the one that never loses a row. On
    failure, says where the page's rows were and what the worker logged."""
    from playwright.sync_api import expect

    for _ in range(DELIVERY_MS // 5_000):
        try:
            expect(locator).to_have_count(1, timeout=5_000)
            return
        except AssertionError:
            delivery.sweep()
    found = [(r.platform, r.state, r.last_error) for r in rows_for(page)]
    trail = [
        (f"{entry.timestamp:%H:%M:%S.%f}", entry.action)
        for entry in PageLogEntry.objects.filter(page_id=page.pk).order_by("id")
    ]
    results = locator.page.locator("#listing-results")
    refreshing = results.locator("[data-social-refresh]").count()
    shown = results.locator(".social-chips").all_inner_texts()
    raise AssertionError(
        f"never shown; rows: {found}\nhistory: {trail}\nlist refreshing: "
        f"{bool(refreshing)}; chips shown: {shown}\n{worker.log_tail()}"
    )


def reach_states(page, states: dict[str, str], worker) -> dict[str, CrossPost]:
    """Sweep until the page's rows are in ``states`` (platform -> state); a held
    row waits for a person, so :func:`settle` would not see it as done."""

    def reached():
        delivery.sweep()
        rows = {row.platform: row for row in rows_for(page)}
        return rows if {p: r.state for p, r in rows.items()} == states else None

    def explain():
        found = [(r.platform, r.state, r.last_error) for r in rows_for(page)]
        return f"wanted {states}, have {found}\n{worker.log_tail()}"

    return wait_for(reached, timeout=60, interval=0.1, message=explain)


# The editor -------------------------------------------------------------------------


def test_editor_writes_an_announcement_and_finds_its_three_posts(
    browser, live_server, sandbox, accounts, people, site, worker, tmp_path
):
    from playwright.sync_api import expect

    get_image_model().objects.create(
        title="Bin lorry on Mill Lane", file=get_test_image_file()
    )
    video_file = tmp_path / "bin-day.mp4"
    video_file.write_bytes(MP4)
    title = "Bin collections move back a day"
    alt_text = "A bin lorry on a terraced street"

    editor = sign_in(browser, live_server, "editor")
    # The news index takes only announcements, so Add child page opens the form.
    editor.goto(f"{live_server.url}/admin/pages/{site['news'].pk}/")
    editor.get_by_role("link", name="Add child page").first.click()
    editor.locator("#id_title").fill(title)
    editor.locator("#id_summary").fill(
        "Collections move back one day after the bank holiday."
    )
    editor.get_by_role("button", name="Choose department").click()
    editor.locator(".modal").get_by_role("link", name="Waste and Recycling").click()
    editor.get_by_role("button", name="Choose an image").click()
    editor.locator(".modal").get_by_role("link", name="Bin lorry on Mill Lane").click()
    expect(editor.locator(".modal")).to_be_hidden()
    editor.locator("#id_hero_image_alt").fill(alt_text)
    editor.get_by_title("Insert a block").click()
    editor.get_by_role("option", name="Paragraph").click()
    editor.locator(".public-DraftEditor-content").first.click()
    editor.keyboard.type("Put your bins out by 7am on the new day.")

    editor.get_by_role("tab", name="Social").click()
    editor.get_by_role("button", name="Choose a video").click()
    modal = editor.locator(".modal")
    modal.get_by_role("tab", name="Upload").click()
    modal.get_by_label("File").set_input_files(video_file)
    # Wagtail fills the title from the file's name a moment after the file is
    # chosen: typed before that, the title was once the two run together.
    expect(modal.get_by_label("Title")).to_have_value("bin-day")
    modal.get_by_label("Title").fill("Bin day video")
    modal.get_by_role("button", name="Upload").click()
    expect(modal).to_be_hidden()
    video_panel = editor.locator("#panel-child-social-video_for_youtube-section")
    expect(video_panel).to_contain_text("Bin day video")

    editor.locator("#id_social_text_x").fill(X_TEXT)
    x_counter = editor.locator(".social-counter[data-platform=x]")
    # The counter shows the server's answer for the text as typed.
    expect(x_counter.locator(".social-counter__text")).to_contain_text(X_TEXT)
    shown = x_counter.locator(".social-counter__count").inner_text()
    screenshot(editor, "editor-counter", x_counter)
    match = re.fullmatch(r"(\d+) / 280 characters", shown.strip())
    assert match, shown
    shown_count = int(match.group(1))
    expect(x_counter.locator(".social-counter__findings")).to_have_count(0)

    # Editors cannot publish: they submit to the moderators' approval workflow.
    actions_menu(editor, "Submit to Moderators approval").click()
    editor.wait_for_url(f"{live_server.url}/admin/pages/{site['news'].pk}/")
    expect(editor.locator(".messages")).to_contain_text("submitted")

    page = AnnouncementPage.objects.get(title=title)
    assert not page.live
    draft = page.get_latest_revision_as_object()
    assert draft.hero_image.title == "Bin lorry on Mill Lane"
    assert draft.hero_image_alt == alt_text
    assert draft.video.title == "Bin day video"
    assert draft.social_text_x == X_TEXT
    assert "Put your bins out by 7am" in str(draft.body)
    x_text = content.build_post(draft, "x", content.social_settings_for(draft)).text
    assert shown_count == weighted_length(x_text)
    assert shown_count != len(x_text)  # the counter weighs, it does not count

    moderator = sign_in(browser, live_server, "moderator")
    moderator.goto(f"{live_server.url}/admin/pages/{page.pk}/edit/")
    actions_menu(moderator, "Approve and Publish").click()
    expect(moderator.locator(".messages")).to_contain_text(title)
    wait_for(
        lambda: AnnouncementPage.objects.filter(pk=page.pk, live=True).exists(),
        timeout=EXPECT_MS / 1000,
        message="the approved page was not published",
    )

    rows = settle(page, expected=3, worker=worker)
    assert {row.platform: row.state for row in rows} == {
        "facebook": State.POSTED,
        "x": State.POSTED,
        "youtube": State.POSTED,
    }

    editor.goto(f"{live_server.url}/admin/pages/{page.pk}/edit/#tab-social")
    links = editor.locator(".social-crossposts a")
    expect(links).to_have_count(3)
    screenshot(editor, "editor-permalinks", editor.locator(".social-crossposts"))
    shown_links = {
        links.nth(i).inner_text(): links.nth(i).get_attribute("href") for i in range(3)
    }

    marker = content.canonical_url(page)
    sandbox_posts = {}
    for platform in ("facebook", "x", "youtube"):
        posts = live_posts_with_marker(sandbox, marker, platform)
        assert len(posts) == 1, (platform, posts)
        sandbox_posts[platform] = posts[0]
    assert shown_links == {
        "View the post on Facebook": sandbox_posts["facebook"]["permalink"],
        "View the post on X": sandbox_posts["x"]["permalink"],
        "View the post on YouTube": sandbox_posts["youtube"]["permalink"],
    }
    # What X got is what the counter weighed, with the picture and its alt text.
    assert sandbox_posts["x"]["text"] == x_text
    assert weighted_length(sandbox_posts["x"]["text"]) == shown_count
    for platform in ("facebook", "x"):
        assert [m["alt_text"] for m in sandbox_posts[platform]["media"]] == [alt_text]
    assert sandbox_posts["youtube"]["title"] == title


# The comms manager ------------------------------------------------------------------


def test_comms_manager_retries_a_failed_post_and_approves_a_held_one(
    browser, live_server, sandbox, accounts, people, make_policy, worker
):
    from playwright.sync_api import expect

    # The Facebook text gives an email address: the guard holds that post.
    held_page = make_policy(
        title="Garden waste permits",
        social_text_facebook="Lost your permit? Email garden.waste@exampleshire.gov.uk",
    )
    publish(held_page)
    held = reach_states(
        held_page, {"facebook": State.HELD, "x": State.POSTED}, worker=worker
    )
    # X refuses every post until the fault is cleared.
    sandbox.add_fault(
        "x", "publish", "error", status=403, title="Forbidden", detail=REFUSAL
    )
    failed_page = make_policy(title="Road closures on Mill Lane")
    publish(failed_page)
    failed = reach_states(
        failed_page, {"facebook": State.POSTED, "x": State.FAILED}, worker=worker
    )

    comms = sign_in(browser, live_server, "comms")
    comms.get_by_role("button", name="Social").click()
    comms.get_by_role("link", name="Posts", exact=True).click()
    comms.wait_for_url(f"{live_server.url}/admin/social/posts/")
    counts = comms.locator(".social-state-counts")
    expect(counts).to_contain_text("Failed: 1")
    expect(counts).to_contain_text("Held for approval: 1")
    rows = comms.locator("#listing-results table.listing > tbody > tr")
    # A page's actions are in its row, hidden until its channels are opened.
    failed_row = rows.filter(has_text=failed_page.title).filter(
        has=comms.get_by_role("button", name="Retry now", include_hidden=True)
    )
    held_row = rows.filter(has_text=held_page.title).filter(
        has=comms.get_by_role("link", name="Approve", exact=True, include_hidden=True)
    )
    expect(failed_row).to_have_count(1)
    expect(failed_row).to_contain_text(REFUSAL)
    expect(held_row).to_have_count(1)
    screenshot(comms, "comms-dashboard-before")

    sandbox.clear_faults()  # X takes posts again
    failed_row.locator("summary").click()
    failed_row.get_by_role("button", name="Retry now").click()
    expect(comms.locator(".messages")).to_contain_text("will be sent again now")
    # The list refreshes itself while a post is on its way: no reload. So the
    # Approve link below usually comes from a refreshed list.
    retried = rows.filter(has_text=failed_page.title).locator(
        ".social-chips .social-chip"
    )
    shown_while_sweeping(retried.filter(has_text="X: Posted"), failed_page, worker)

    held_row.locator("summary").click()
    held_row.get_by_role("link", name="Approve", exact=True).click()
    expect(comms.locator("main")).to_contain_text("This looks like an email address")
    reason = "It is the council's public garden waste inbox."
    comms.get_by_label("Reason").fill(reason)
    screenshot(comms, "comms-approve")
    comms.locator("main").get_by_role("button", name="Approve").click()
    comms.wait_for_url(f"{live_server.url}/admin/social/posts/")
    expect(comms.locator(".messages")).to_contain_text("was approved and will be sent")
    approved = rows.filter(has_text=held_page.title).locator(
        ".social-chips .social-chip"
    )
    posted = approved.filter(has_text="Facebook: Posted")
    shown_while_sweeping(posted, held_page, worker)
    view_links = rows.get_by_role("link", name="View post", include_hidden=True)
    expect(view_links).to_have_count(4)
    expect(counts).to_contain_text("Posted: 4")
    screenshot(comms, "comms-dashboard-after")
    dashboard_links = {view_links.nth(i).get_attribute("href") for i in range(4)}

    # Each of the four is on its platform once, and the dashboard links to it.
    sandbox_links = set()
    for page in (failed_page, held_page):
        for platform in ("facebook", "x"):
            posts = live_posts_with_marker(
                sandbox, content.canonical_url(page), platform
            )
            assert len(posts) == 1, (page.title, platform, posts)
            sandbox_links.add(posts[0]["permalink"])
    assert dashboard_links == sandbox_links
    comms_user = people["comms"]
    for row in (failed["x"], held["facebook"]):
        row.refresh_from_db()
        assert row.state == State.POSTED, (row, row.last_error)
        assert row.permalink in sandbox_links
    assert held["facebook"].reviewed_by == comms_user
    assert held["facebook"].review_reason == reason

    def entries(page, suffix):
        return PageLogEntry.objects.filter(
            page=page, action=f"publishing.crosspost.{suffix}"
        )

    assert (
        entries(failed_page, "failed").filter(data__crosspost=failed["x"].pk).exists()
    )
    assert entries(failed_page, "retry").filter(user=comms_user).count() == 1
    assert (
        entries(held_page, "held").filter(data__crosspost=held["facebook"].pk).exists()
    )
    approval = entries(held_page, "approved").get(user=comms_user)
    assert approval.data["reason"] == reason
    for page, row in ((failed_page, failed["x"]), (held_page, held["facebook"])):
        assert entries(page, "posted").filter(data__crosspost=row.pk).count() == 1


# A held update ----------------------------------------------------------------------

PHONE = "07700 900123"
UNCHANGED = "The live post is unchanged until"


def live_facebook_post(sandbox, row):
    return next(p for p in sandbox.posts("facebook") if p["id"] == row.remote_id)


def test_a_held_update_is_edited_and_approved_while_the_live_post_stands(
    browser, live_server, sandbox, accounts, people, make_policy, worker
):
    from playwright.sync_api import expect

    page = make_policy(title="Garden waste collections")
    publish(page, user=people["moderator"])
    posted = {row.platform: row for row in settle(page, expected=2, worker=worker)}
    live_text = live_facebook_post(sandbox, posted["facebook"])["text"]

    # The editor (a moderator: editors' changes go through moderation first)
    # adds a phone number to the Facebook text and publishes again.
    editor = sign_in(browser, live_server, "moderator")
    editor.goto(f"{live_server.url}/admin/pages/{page.pk}/edit/")
    editor.get_by_role("tab", name="Social").click()
    editor.locator("#id_social_text_facebook").fill(
        f"Garden waste goes out on Tuesdays. Questions? Ring Jo on {PHONE}."
    )
    counter = editor.locator(".social-counter[data-platform=facebook]")
    expect(counter.locator(".social-counter__findings")).to_contain_text(PHONE)
    screenshot(editor, "held-update-editor-counter", counter)
    actions_menu(editor, "Publish").click()
    expect(editor.locator(".messages")).to_contain_text("published")

    rows = reach_states(page, {"facebook": State.HELD, "x": State.POSTED}, worker)
    held = rows["facebook"]
    assert held.operation == CrossPost.Operation.UPDATE
    assert live_facebook_post(sandbox, held)["text"] == live_text

    editor.goto(f"{live_server.url}/admin/pages/{page.pk}/edit/#tab-social")
    crossposts = editor.locator(".social-crossposts")
    expect(crossposts).to_contain_text(UNCHANGED)
    screenshot(editor, "held-update-social-tab", crossposts)

    # The comms manager finds it on the dashboard, edits the number out and
    # approves the edited text.
    comms = sign_in(browser, live_server, "comms")
    comms.goto(f"{live_server.url}/admin/social/posts/")
    # One row per page: its channels open under "Details".
    held_row = comms.locator("#listing-results tbody tr").filter(
        has_text=page.title
    ).first
    held_row.locator("summary").first.click()
    expect(held_row).to_contain_text(UNCHANGED)
    screenshot(comms, "held-update-dashboard")
    held_row.get_by_role("link", name="Approve", exact=True).click()
    expect(comms.locator("main mark").first).to_have_text(PHONE)
    text_box = comms.get_by_label("Text to send")
    edited = text_box.input_value().replace(
        f"Ring Jo on {PHONE}", "Call the contact centre"
    )
    text_box.fill(edited)
    comms.get_by_label("Reason").fill("A personal mobile: the contact centre instead.")
    screenshot(comms, "held-update-approval")
    comms.locator("main").get_by_role("button", name="Approve and send").click()
    expect(comms.locator(".messages")).to_contain_text("was approved and will be sent")

    updated = wait_for(
        lambda: CrossPost.objects.filter(pk=held.pk, state=State.POSTED).first(),
        timeout=DELIVERY_MS / 1000,
        message=worker.log_tail,
    )
    live = live_facebook_post(sandbox, updated)
    assert live["text"] == edited and PHONE not in live["text"]
    assert live["edits"] == 1
    assert updated.remote_id == posted["facebook"].remote_id
    assert f"Ring Jo on {PHONE}" in updated.edited_from
    comms.goto(f"{live_server.url}/admin/social/posts/")
    screenshot(comms, "held-update-dashboard-after")
