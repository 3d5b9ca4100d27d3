"""Status where people publish: the publish message says where the page is
going, the Social tab's panel leads the tab, refreshes itself until every
channel is final and says what happens after a failure, editors ask comms to
retry, and moderators follow the dashboard read-only."""

from __future__ import annotations

from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from wagtail.models import PageLogEntry

from benchmarks.publish_overhead import publish_form
from publishing.models import CrossPost
from publishing.wagtail_hooks import can_view_posts

from .conftest import rows_for

State = CrossPost.State
DASHBOARD = reverse("publishing_admin:dashboard")


def texts(response):
    return [unescape(str(m)) for m in get_messages(response.wsgi_request)]


def status_url(page):
    return reverse("publishing_admin:page_status", args=[page.pk])


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


@pytest.fixture
def published(people, accounts, make_announcement, client):
    """An announcement published from its editor by a moderator, and the
    response."""
    page = make_announcement(live=False)
    client.force_login(people["moderator"])
    response = client.post(edit_url(page), publish_form(page))
    page.refresh_from_db()
    assert response.status_code == 302 and page.live
    return page, response


def test_the_publish_message_says_where_the_page_is_being_posted(published):
    _page, response = published

    [message] = texts(response)

    assert "has been published. Posting to Facebook: Exampleshire CC, " in message
    assert "X: @ExampleshireCC and YouTube: Exampleshire CC." in message
    assert "Follow it on the page's Social tab." in message
    # Wagtail's buttons are still there, after the words.
    assert message.index("Posting to") < message.index('class="buttons"')


def test_the_publish_message_never_tells_a_post_that_failed_at_once_as_posting(
    people, accounts, image_file_gone, client
):
    """The page's picture cannot be read, so the posts that carry it (Facebook
    and X) fail before they are sent: the editor is told so, and why, in an
    error message of its own, not that they are being posted."""
    page, _path = image_file_gone
    client.force_login(people["moderator"])

    response = client.post(edit_url(page), publish_form(page))

    assert response.status_code == 302
    success, failure = get_messages(response.wsgi_request)
    said = unescape(str(success.message))
    assert "Posting to YouTube: Exampleshire CC." in said
    assert "Facebook" not in said and "X: @" not in said
    assert failure.level_tag == "error"
    assert str(failure.message).startswith(
        "Not posted to Facebook: Exampleshire CC and X: @ExampleshireCC. "
        "The image “Bin lorry” cannot be read"
    )
    failed = {row.platform for row in rows_for(page) if row.state == State.FAILED}
    assert failed == {"facebook", "x"}


def test_the_publish_message_names_an_account_left_out_and_why(
    people, accounts, make_announcement, client
):
    without_video = make_announcement(live=False, with_video=False)
    with_video = make_announcement(title="Bins: new dates", live=False)
    client.force_login(people["moderator"])

    response = client.post(edit_url(without_video), publish_form(without_video))
    [message] = texts(response)
    assert (
        "Posting to Facebook: Exampleshire CC and X: @ExampleshireCC. Not sent to "
        "YouTube: Exampleshire CC, as it needs a video and this page has none. "
        "Follow it on the page's Social tab."
    ) in message

    # The next publish (the same thread, so the same context) left none out.
    client.get(edit_url(without_video))  # shows (and so clears) the message
    response = client.post(edit_url(with_video), publish_form(with_video))
    [message] = texts(response)
    assert "Not sent" not in message
    assert "X: @ExampleshireCC and YouTube: Exampleshire CC." in message


def _delivered(page) -> None:
    """Mark the page's posts as a worker leaves them once they are out."""
    for row in rows_for(page):
        CrossPost.objects.filter(pk=row.pk).update(
            state=State.POSTED, remote_id=f"post-{row.pk}",
            posted_hash=row.content_hash, sent_hash=row.content_hash,
        )


def test_publishing_again_unchanged_says_nothing_is_sent(published, client):
    """Published again with nothing new for its posts (a search description
    changed): nothing goes out, and the message must not say "Posting to",
    which an editor would read as a second post on every channel."""
    page, _response = published
    _delivered(page)
    client.get(edit_url(page))  # shows (and so clears) the first message

    response = client.post(
        edit_url(page), publish_form(page) | {"search_description": "Bin days"}
    )

    [message] = texts(response)
    assert "has been published" in message
    assert "Posting to" not in message and "Follow it" not in message
    assert (
        "Nothing sent to Facebook: Exampleshire CC, X: @ExampleshireCC and "
        "YouTube: Exampleshire CC: their posts already say this."
    ) in message
    assert {row.state for row in rows_for(page)} == {State.POSTED}


def test_publishing_a_change_says_the_posts_are_updated(published, client):
    page, _response = published
    _delivered(page)
    client.get(edit_url(page))

    response = client.post(
        edit_url(page),
        publish_form(page) | {"title": "Bin collections move to Tuesdays"},
    )

    [message] = texts(response)
    updating = [str(row.account) for row in rows_for(page)
                if row.state == State.UPDATING]
    assert len(updating) == 3
    assert (
        "Updating the posts on Facebook: Exampleshire CC, X: @ExampleshireCC and "
        "YouTube: Exampleshire CC. Follow it on the page's Social tab."
    ) in message
    assert "Posting to" not in message


def test_a_post_for_an_account_needing_reconnection_is_told_as_waiting(
    people, accounts, make_announcement, client
):
    accounts["x"].status = accounts["x"].Status.NEEDS_RECONNECT
    accounts["x"].save(update_fields=["status"])
    page = make_announcement(live=False)
    client.force_login(people["moderator"])

    response = client.post(edit_url(page), publish_form(page))

    [message] = texts(response)
    assert (
        "Posting to Facebook: Exampleshire CC and YouTube: Exampleshire CC. "
        "Waiting until a comms manager reconnects X: @ExampleshireCC, then posting. "
        "Follow it on the page's Social tab."
    ) in message


def _submitted_for_moderation(page, people, client):
    """``page`` submitted by the editor; the client then signed in as a
    moderator, older messages cleared. The workflow's task awaiting them."""
    client.force_login(people["editor"])
    form = publish_form(page)
    del form["action-publish"]
    client.post(edit_url(page), form | {"action-submit": "action-submit"})
    page.refresh_from_db()
    client.force_login(people["moderator"])
    client.get(reverse("wagtailadmin_home"))  # shows (so clears) older messages
    return page.current_workflow_state.current_task_state


def test_a_moderator_approving_outside_the_editor_is_told_where_it_is_posted(
    people, accounts, make_announcement, client
):
    """The editor submits for moderation; the moderator approves from the
    dashboard's "Awaiting your review" (Wagtail's workflow action view, which
    runs none of the editor's hooks), and so publishes: they are told where
    the page goes and what was left out, as an editor who publishes is."""
    page = make_announcement(live=False, with_video=False)
    task_state = _submitted_for_moderation(page, people, client)

    response = client.post(
        reverse(
            "wagtailadmin_pages:workflow_action",
            args=[page.pk, "approve", task_state.pk],
        ),
        {"comment": ""},
    )

    page.refresh_from_db()
    assert page.live
    assert texts(response) == [
        f"Page '{page.title}' is approved and published. Posting to Facebook: "
        "Exampleshire CC and X: @ExampleshireCC. Not sent to YouTube: "
        "Exampleshire CC, as it needs a video and this page has none. Follow it "
        "on the page's Social tab."
    ]


def test_rejecting_in_moderation_says_nothing_of_posting(
    people, accounts, make_announcement, client
):
    page = make_announcement(live=False)
    task_state = _submitted_for_moderation(page, people, client)

    response = client.post(
        reverse(
            "wagtailadmin_pages:workflow_action",
            args=[page.pk, "reject", task_state.pk],
        ),
        {"comment": "Not yet"},
    )

    assert not any("Posting" in text or "approved" in text for text in texts(response))
    assert rows_for(page) == []


def test_saving_a_draft_of_a_published_page_says_nothing_of_posting(published, client):
    page, _response = published
    client.get(edit_url(page))  # shows (and so clears) the publish message
    form = publish_form(page) | {"title": "Bins: new dates"}
    del form["action-publish"]

    response = client.post(edit_url(page), form)

    assert response.status_code == 302
    [message] = texts(response)
    assert "has been updated" in message and "Posting to" not in message


def test_the_status_panel_leads_the_social_tab_and_refreshes_while_in_flight(
    published, client
):
    page, _response = published

    html = client.get(edit_url(page)).content.decode()
    social = html[html.index('id="tab-social"') :]
    assert social.index("Cross-posts of this page") < social.index("Where to post")
    assert "publishing/admin/status_panel.js" in html
    assert f'data-url="{status_url(page)}"' in html

    fragment = client.get(status_url(page)).content.decode()
    assert "data-live" in fragment
    assert "Facebook: Waiting to send" in fragment

    CrossPost.objects.filter(page_id=page.pk).update(state=State.POSTED)
    fragment = client.get(status_url(page)).content.decode()
    assert "data-live" not in fragment
    assert "Facebook: Posted" in fragment


def test_the_status_fragment_is_only_for_those_who_edit_the_page_or_run_comms(
    people, make_policy, client, django_user_model
):
    page = make_policy()
    stranger = django_user_model.objects.create_user("stranger", password="x")
    stranger.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(stranger)
    refused = client.get(status_url(page))
    assert refused.status_code != 200  # Wagtail sends them to the admin home
    assert "data-social-status" not in refused.content.decode()

    for role in ("editor", "comms"):
        client.force_login(people[role])
        assert client.get(status_url(page)).status_code == 200, role


@pytest.mark.parametrize(
    ("role", "offered", "not_offered"),
    [
        ("editor", "Ask comms to retry", ">Retry<"),
        ("comms", ">Retry<", "Ask comms to retry"),
    ],
)
def test_a_failed_post_says_what_happens_next_and_offers_what_the_user_may_do(
    published, client, people, role, offered, not_offered
):
    page, _response = published
    CrossPost.objects.filter(page_id=page.pk, platform="x").update(
        state=State.FAILED,
        last_error="You are not allowed to create a Tweet with duplicate content.",
        last_error_kind="rejected",
    )
    client.force_login(people[role])

    fragment = client.get(status_url(page)).content.decode()

    assert "The platform refused the post: You are not allowed" in fragment
    assert "It is not tried again by itself" in fragment
    assert offered in fragment and not_offered not in fragment


def test_a_retrying_post_says_when_it_is_tried_again(published, client):
    page, _response = published
    row = CrossPost.objects.get(page_id=page.pk, platform="x")
    CrossPost.objects.filter(pk=row.pk).update(
        state=State.RETRYING, last_error_kind="temporary", last_error="502"
    )

    fragment = client.get(status_url(page)).content.decode()

    assert "It is tried again automatically" in fragment


def test_an_editor_asks_comms_to_retry_and_comms_see_it(published, client, people):
    page, _response = published
    row = CrossPost.objects.get(page_id=page.pk, platform="x")
    CrossPost.objects.filter(pk=row.pk).update(state=State.FAILED)
    ask = reverse("publishing_admin:ask_retry", args=[row.pk])
    client.force_login(people["editor"])

    assert "Ask comms to retry" in client.get(ask).content.decode()
    response = client.post(ask)

    assert response["Location"] == f"{edit_url(page)}#tab-social"
    assert any("Comms have been asked" in text for text in texts(response))
    entry = PageLogEntry.objects.get(
        page=page, action="publishing.crosspost.retry_asked"
    )
    assert entry.user == people["editor"] and entry.data["crosspost"] == row.pk
    row.refresh_from_db()
    assert row.state == State.FAILED  # asking changes nothing on the row

    client.force_login(people["comms"])
    html = client.get(DASHBOARD).content.decode()
    assert "data-retries-asked" in html
    assert "asked by Editor Person" in html

    # Once comms retry, the request is answered and leaves the dashboard.
    client.post(reverse("publishing_admin:crosspost_action", args=[row.pk, "retry"]))
    assert "data-retries-asked" not in client.get(DASHBOARD).content.decode()


def test_asking_to_retry_a_post_that_has_not_failed_asks_nothing(
    published, client, people
):
    page, _response = published
    row = rows_for(page)[0]
    client.force_login(people["editor"])

    response = client.post(reverse("publishing_admin:ask_retry", args=[row.pk]))

    assert any("Nothing was asked" in text for text in texts(response))
    assert not PageLogEntry.objects.filter(
        action="publishing.crosspost.retry_asked"
    ).exists()


def test_moderators_follow_the_dashboard_read_only(published, client, people):
    page, _response = published
    CrossPost.objects.filter(page_id=page.pk, platform="x").update(state=State.FAILED)
    client.force_login(people["moderator"])

    response = client.get(DASHBOARD)

    html = response.content.decode()
    assert response.status_code == 200
    assert page.title in html and "X: Failed" in html
    assert "Retry now" not in html and "Take down" not in html
    assert can_view_posts(people["moderator"])  # Social > Posts is in their menu


def test_the_unpublish_page_says_which_posts_come_down_and_which_are_cancelled(
    published, client
):
    page, _response = published
    CrossPost.objects.filter(page_id=page.pk, platform="facebook").update(
        state=State.POSTED, remote_id="200000000001_1"
    )
    unpublish_url = reverse("wagtailadmin_pages:unpublish", args=[page.pk])

    html = unescape(client.get(unpublish_url).content.decode())

    assert (
        "Its posts on Facebook: Exampleshire CC are taken down too; publishing "
        "the page again posts them anew. Its posts not yet sent to "
        "X: @ExampleshireCC and YouTube: Exampleshire CC are cancelled."
    ) in html
    # What the page said is what unpublishing does.
    client.post(unpublish_url)
    states = {row.platform: row.state for row in rows_for(page)}
    assert states == {
        "facebook": State.RETRACTING,
        "x": State.CANCELLED,
        "youtube": State.CANCELLED,
    }
    # Once every post is down, the page says nothing of posts.
    CrossPost.objects.filter(page_id=page.pk).update(
        state=State.RETRACTED, operation=CrossPost.Operation.RETRACT
    )
    type(page).objects.filter(pk=page.pk).update(live=True)
    html = client.get(unpublish_url).content.decode()
    assert "Are you sure you want to unpublish" in html
    assert "data-unpublishing-note" not in html


def test_unpublishing_says_which_posts_are_being_taken_down(published, client):
    page, _response = published
    CrossPost.objects.filter(page_id=page.pk, platform="facebook").update(
        state=State.POSTED, remote_id="200000000001_1"
    )
    client.get(edit_url(page))  # shows (and so clears) the publish message

    response = client.post(reverse("wagtailadmin_pages:unpublish", args=[page.pk]))

    said = texts(response)
    assert (
        "Taking down its posts on Facebook: Exampleshire CC. Its posts not yet "
        "sent to X: @ExampleshireCC and YouTube: Exampleshire CC are cancelled. "
        "Follow it on the page's Social tab."
    ) in said
    assert any("unpublished" in text for text in said)


def test_deleting_says_which_posts_are_being_taken_down(published, client):
    page, _response = published
    CrossPost.objects.filter(page_id=page.pk).update(state=State.POSTED, remote_id="1")
    client.get(edit_url(page))

    response = client.post(
        reverse("wagtailadmin_pages:delete", args=[page.pk]),
        {"confirm_site_name": "Exampleshire County Council"},
    )

    said = texts(response)
    assert (
        "Taking down its posts on Facebook: Exampleshire CC, X: @ExampleshireCC "
        "and YouTube: Exampleshire CC."
    ) in said, said


def test_the_delete_page_says_the_posts_come_down_first(published, client):
    """Deleting a page takes its posts down first (``page_deleted``)."""
    page, _response = published
    CrossPost.objects.filter(page_id=page.pk).update(
        state=State.POSTED, remote_id="1"
    )
    delete_url = reverse("wagtailadmin_pages:delete", args=[page.pk])
    client.get(edit_url(page))  # shows (and so clears) the publish message

    response = client.get(delete_url)

    [warning] = get_messages(response.wsgi_request)
    assert warning.level_tag == "warning"
    assert str(warning.message) == (
        "Its posts on Facebook: Exampleshire CC, X: @ExampleshireCC and YouTube: "
        "Exampleshire CC are taken down first."
    )
    assert str(warning.message) in unescape(response.content.decode())


@pytest.mark.parametrize("action", ["unpublish", "delete"])
def test_a_bulk_unpublish_or_delete_then_says_which_posts_are_being_taken_down(
    people, accounts, make_announcement, client, action
):
    first = make_announcement(title="Bins: new dates", live=False)
    second = make_announcement(title="Libraries: new hours", live=False)
    client.force_login(people["moderator"])
    for page in (first, second):
        client.post(edit_url(page), publish_form(page))
    CrossPost.objects.filter(platform="x").update(state=State.POSTED, remote_id="1")
    client.get(reverse("wagtailadmin_home"))  # shows (so clears) older messages
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", action))

    response = client.post(f"{url}?id={first.pk}&id={second.pk}")

    assert response.status_code == 302
    said = texts(response)
    for title in ("Bins: new dates", "Libraries: new hours"):
        assert (
            f"'{title}': Taking down its posts on X: @ExampleshireCC. Its posts not "
            "yet sent to Facebook: Exampleshire CC and YouTube: Exampleshire CC "
            "are cancelled."
        ) in "\n".join(said), said


@pytest.mark.parametrize(
    ("action", "sentence"),
    [
        ("unpublish", "are taken down too; publishing the page again posts them anew."),
        ("delete", "are taken down first."),
    ],
)
def test_a_bulk_unpublish_or_delete_says_which_posts_come_down(
    published, client, action, sentence
):
    page, _response = published
    CrossPost.objects.filter(page_id=page.pk, platform="x").update(
        state=State.POSTED, remote_id="1"
    )
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", action))

    html = unescape(client.get(f"{url}?id={page.pk}").content.decode())

    assert "data-unpublishing-note" in html
    assert (
        f"{page.title}:</strong> Its posts on X: @ExampleshireCC {sentence} Its "
        "posts not yet sent to Facebook: Exampleshire CC and YouTube: "
        "Exampleshire CC are cancelled."
    ) in html
