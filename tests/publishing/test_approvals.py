"""Approvals a comms team can work with: every outgoing field on the screen with
the guard's findings marked, the held text edited before approval (both texts
kept), a post sent back to its editor with a note, and each choice explained."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from wagtail.models import PageLogEntry

from publishing import actions, content, scheduling
from publishing.models import CrossPost
from tests.factories import PolicyPageFactory
from tests.publishing.conftest import (
    action_url,
    foi_rows,
    make_account,
    make_row,
    rows_for,
    texts,
)

State = CrossPost.State
PHONE = "07700 900123"
TEXT = f"Bins move to Tuesday. Ring Jo on {PHONE}. https://council.example/bins/"
ALT = f"Jo's note: call {PHONE}"


def finding(field, text, message):
    start = text.index(PHONE)
    return {
        "rule": "phone_number",
        "message": message,
        "match": PHONE,
        "start": start,
        "end": start + len(PHONE),
        "field": field,
    }


@pytest.fixture
def held(site, people, tmp_path):
    image = tmp_path / "bins.jpg"
    # A real (small) JPEG: pictures are known by their content, not their name.
    Image.new("RGB", (64, 48), (40, 120, 60)).save(image, "JPEG")
    page = PolicyPageFactory(parent=site["policies"], title="Bin day changes")
    row = make_row(
        make_account("facebook", "200000000001", "Exampleshire CC"),
        State.HELD,
        page=page,
        published_by=people["moderator"],
        media={"images": [{"path": str(image), "alt_text": ALT}]},
        guard_findings=[
            finding("text", TEXT, "A phone number in the text."),
            finding("images[0].alt_text", ALT, "A phone number in the alt text."),
        ],
    )
    CrossPost.objects.filter(pk=row.pk).update(text=TEXT)
    row.refresh_from_db()
    return row


def test_the_approval_screen_shows_every_field_with_findings_marked(
    client, people, held
):
    client.force_login(people["comms"])
    html = client.get(action_url(held, "approve")).content.decode()

    for label in ("Text", "Title", "Link", "Alt text of image 1"):
        assert f"<dt>{label}</dt>" in html
    assert (
        'Ring Jo on <mark title="A phone number in the text.">07700 900123</mark>.'
        in html
    )
    assert (
        'Jo&#x27;s note: call <mark title="A phone number in the alt text.">'
        "07700 900123</mark>" in html
    )
    # The text can be edited before it is approved.
    assert 'name="text"' in html and "Ring Jo on 07700 900123" in html


def test_an_approver_edits_the_held_text_and_the_approval_covers_the_edit(
    client, people, held
):
    comms = people["comms"]
    client.force_login(comms)
    edited = TEXT.replace(f"Ring Jo on {PHONE}", "Call the contact centre")

    response = client.post(
        action_url(held, "approve"),
        {"text": edited, "reason": "Personal number taken out.",
         "content_hash": held.content_hash},
    )
    assert texts(response) == [f"{held} was approved and will be sent."]

    row = CrossPost.objects.get(pk=held.pk)
    assert row.state == State.PENDING
    assert (row.text, row.edited_from) == (edited, TEXT)
    assert row.approved_hash == row.content_hash
    assert row.content_hash == content.content_hash(content.post_from_row(row))
    # Checked again as edited: what is left is approved with it.
    assert [f["field"] for f in row.guard_findings] == ["images[0].alt_text"]
    entry = PageLogEntry.objects.get(action="publishing.crosspost.approved")
    assert (entry.data["edited_from"], entry.data["edited_to"]) == (TEXT, edited)
    assert entry.user == comms

    CrossPost.objects.filter(pk=row.pk).update(
        state=State.POSTED, posted_at=row.created_at
    )
    (record,) = foi_rows(client)
    assert record["Text posted"] == edited
    assert record["Page's text, if edited on approval"] == TEXT


def test_approving_without_an_edit_keeps_the_text_and_covers_it(client, people, held):
    CrossPost.objects.filter(pk=held.pk).update(text=f"Line one\n{TEXT}")
    held.refresh_from_db()
    client.force_login(people["comms"])
    # As a browser sends the untouched text box: its lines ended with CRLF.
    client.post(
        action_url(held, "approve"),
        {"text": f"Line one\r\n{TEXT}", "reason": "Our helpline.",
         "content_hash": held.content_hash},
    )
    row = CrossPost.objects.get(pk=held.pk)
    assert (row.state, row.edited_from) == (State.PENDING, "")
    assert row.text == f"Line one\n{TEXT}"
    assert row.approved_hash == row.content_hash == held.content_hash


def test_an_edit_the_platform_would_refuse_is_put_right_on_the_form(
    client, people, site
):
    row = make_row(make_account(), State.HELD)  # X: 280 characters
    client.force_login(people["comms"])
    url = action_url(row, "approve")
    # The screen says the platform's limit beside the text, and shows no label
    # for the hidden hash of what it shows.
    screen = client.get(url).content.decode()
    assert "X allows 280 characters: it counts links as 23" in screen
    assert 'type="hidden" name="content_hash"' in screen
    assert "Content hash" not in screen

    response = client.post(
        url, {"text": "Bins " * 100, "reason": "Shorter.", "content_hash": "hash"}
    )

    # The screen again, the error on the text and the text and reason as
    # typed: nothing the comms manager wrote is lost.
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["text"] == [
        "The edited text is 500 characters as X counts them; X allows 280. "
        "Shorten it."
    ]
    page = response.content.decode()
    assert ("Bins " * 100) in page and "Shorter." in page
    row.refresh_from_db()
    assert row.state == State.HELD and row.text.startswith("Bins collected late")


def test_a_post_sent_back_shows_the_note_on_the_pages_social_tab(client, people, held):
    client.force_login(people["comms"])
    note = "Please take the mobile number out and publish again."
    client.post(action_url(held, "send_back"), {"reason": note})

    row = CrossPost.objects.get(pk=held.pk)
    assert row.state == State.CANCELLED
    assert note in row.last_error and "Sent back to the editor" in row.last_error
    assert PageLogEntry.objects.filter(
        action="publishing.crosspost.sent_back", data__reason=note
    ).exists()
    client.force_login(people["superuser"])
    tab = client.get(reverse("wagtailadmin_pages:edit", args=[row.page_id]))
    assert note in tab.content.decode()


@pytest.mark.parametrize(
    "action, explained",
    [
        ("reject", "Reject refuses this content"),
        ("cancel", "Cancel stops this post from being sent"),
        ("send_back", "Send back does not send this post"),
        ("approve", "Approve sends exactly the text below"),
    ],
)
def test_each_choice_is_explained_and_the_way_back_is_not_its_name(
    client, people, held, action, explained
):
    client.force_login(people["superuser"])
    html = client.get(action_url(held, action)).content.decode()
    assert explained in html
    assert "Go back, changing nothing" in html
    assert ">Cancel<" not in html


def test_the_approval_screen_explains_the_other_choices(client, people, held):
    client.force_login(people["comms"])
    html = client.get(action_url(held, "approve")).content.decode()
    for name, explained in [
        ("reject", "Reject refuses this content"),
        ("send_back", "Send back does not send this post"),
        ("cancel", "Cancel stops this post from being sent"),
    ]:
        assert action_url(held, name) in html
        assert explained in html


# An approval covers exactly what was shown ----------------------------------------

CHANGED = "The page changed since you opened this; review the new content."


def published_again(row, text):
    """The editor publishes the page again while the approval screen is open:
    the row holds new content (as the outbox writes it), still held."""
    CrossPost.objects.filter(pk=row.pk).update(text=text, content_hash="hash-2")


def test_an_approval_of_content_changed_since_the_screen_opened_is_refused(
    client, people, held
):
    client.force_login(people["comms"])
    screen = client.get(action_url(held, "approve")).content.decode()
    assert f'name="content_hash" value="{held.content_hash}"' in screen
    newer = TEXT.replace("Ring Jo", "Ring Sam on 07700 900456 or Jo")
    published_again(held, newer)

    response = client.post(
        action_url(held, "approve"),
        {"text": TEXT, "reason": "Jo's work mobile.",
         "content_hash": held.content_hash},
    )

    # The screen again, saying why, with the new content to review.
    assert response.status_code == 409
    assert any(CHANGED in text for text in texts(response))
    html = response.content.decode()
    assert CHANGED in html and "07700 900456" in html
    assert 'name="content_hash" value="hash-2"' in html
    assert "Jo&#x27;s work mobile." in html  # the reason typed is kept
    row = CrossPost.objects.get(pk=held.pk)
    assert (row.state, row.approved_hash, row.reviewed_by) == (State.HELD, "", None)
    assert not PageLogEntry.objects.filter(
        action="publishing.crosspost.approved"
    ).exists()

    # Approved from the screen it came back with, it covers the new content.
    client.post(
        action_url(held, "approve"),
        {"text": newer, "reason": "Both are work mobiles.", "content_hash": "hash-2"},
    )
    row.refresh_from_db()
    assert (row.state, row.approved_hash, row.text) == (State.PENDING, "hash-2", newer)


def test_an_approval_that_does_not_say_what_it_saw_is_refused(client, people, held):
    """A form without the content's hash (opened before it was sent) may have
    shown anything: it approves nothing."""
    client.force_login(people["comms"])
    response = client.post(action_url(held, "approve"), {"reason": "Fine."})
    assert response.status_code == 409
    assert any(CHANGED in text for text in texts(response))
    assert CrossPost.objects.get(pk=held.pk).state == State.HELD


# Four eyes: the publisher is told before trying ------------------------------------

FOUR_EYES = "You published this page, so another comms manager must approve"


def test_the_publisher_is_not_offered_approve_and_is_told_why(client, people, held):
    CrossPost.objects.filter(pk=held.pk).update(published_by=people["comms"])
    client.force_login(people["comms"])

    screen = client.get(action_url(held, "approve")).content.decode()
    assert FOUR_EYES in screen
    assert 'type="submit" class="button" disabled' in screen
    dashboard = client.get(reverse("publishing_admin:dashboard")).content.decode()
    assert FOUR_EYES in dashboard
    assert f'href="{action_url(held, "approve")}' not in dashboard
    # Reject and Send back stay theirs to use.
    assert f'href="{action_url(held, "reject")}' in dashboard

    client.force_login(people["superuser"])
    other = client.get(action_url(held, "approve")).content.decode()
    assert FOUR_EYES not in other
    assert '<button type="submit" class="button">Approve and send</button>' in other
    dashboard = client.get(reverse("publishing_admin:dashboard")).content.decode()
    assert f'href="{action_url(held, "approve")}' in dashboard


def test_the_publisher_is_who_published_not_the_revisions_author(
    sandbox, accounts, make_policy, people
):
    """Under moderation the editor writes the revision and the moderator who
    approves the workflow publishes it (Wagtail's ``revision.publish(user=...)``):
    the moderator is the one kept from approving its held post."""
    page = make_policy(summary=f"Questions? Ring Jo on {PHONE}.")
    revision = page.save_revision(user=people["editor"])
    revision.publish(user=people["moderator"])

    rows = rows_for(page)
    assert rows and {row.state for row in rows} == {State.HELD}
    assert {row.published_by for row in rows} == {people["moderator"]}
    assert FOUR_EYES in actions.approval_refusal(rows[0], people["moderator"])


def test_a_scheduled_page_is_published_by_whoever_scheduled_it(
    sandbox, accounts, make_policy, people
):
    page = make_policy(summary=f"Questions? Ring Jo on {PHONE}.")
    page.go_live_at = timezone.now() + timedelta(hours=1)
    revision = page.save_revision(user=people["editor"])
    revision.publish(user=people["moderator"])  # scheduled, not live yet
    assert rows_for(page) == []

    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert scheduling.publish_due() == []

    rows = rows_for(page)
    assert rows and {row.published_by for row in rows} == {people["moderator"]}
