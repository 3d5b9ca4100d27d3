"""In a real browser: an editor adds a phone number to a posted page and
publishes it again; the update is held and the live post stays as it was; a
comms manager edits the number out and approves, and the post is updated with
the edited text. The live server, a real Celery worker and the sandbox, with
screenshots of each step in test-artifacts/."""

from __future__ import annotations

import pytest

from publishing.models import CrossPost
from tests.browser import chromium_expecting, needs_chromium
from tests.publishing.conftest import publish, settle
from tests.publishing.test_admin_browser import (
    DELIVERY_MS,
    EXPECT_MS,
    actions_menu,
    reach_states,
    screenshot,
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
PHONE = "07700 900123"
UNCHANGED = "The live post is unchanged until"


@pytest.fixture(autouse=True)
def worker(celery_worker_process):
    return celery_worker_process


@pytest.fixture
def browser(monkeypatch):
    with chromium_expecting(monkeypatch, EXPECT_MS) as launched:
        yield launched


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
    held_row = (
        comms.locator("#listing-results tbody tr")
        .filter(has_text=page.title)
        .filter(has=comms.get_by_role("link", name="Approve", exact=True))
    )
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
