"""Every social admin view and action against every role, checked on the server,
and POST actions refused without a CSRF token."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from publishing.models import ChannelAccount, CrossPost

from .conftest import make_account, make_row

State = CrossPost.State
ROLES = ("anonymous", "editor", "moderator", "comms", "superuser")
# Moderators publish, so they follow the posts too (read-only).
VIEWERS = {"editor", "moderator", "comms", "superuser"}
MANAGERS = {"comms", "superuser"}


def action(name, state):
    def url(objects):
        return reverse(
            "publishing_admin:crosspost_action", args=[objects[state].pk, name]
        )

    return url


def named(name, **kwargs):
    return lambda objects: reverse(f"publishing_admin:{name}", **kwargs)


def for_account(name):
    return lambda objects: reverse(
        f"publishing_admin:{name}", args=[objects["account"].pk]
    )


# (what, method, url, data, roles allowed)
CASES = [
    ("dashboard", "get", named("dashboard"), {}, VIEWERS),
    ("dashboard results", "get", named("dashboard_results"), {}, VIEWERS),
    ("dashboard csv", "get", named("dashboard"), {"export": "csv"}, VIEWERS),
    ("dashboard xlsx", "get", named("dashboard"), {"export": "xlsx"}, VIEWERS),
    ("calendar", "get", named("calendar"), {}, VIEWERS),
    ("foi export", "get", named("foi"), {}, MANAGERS),
    ("foi csv", "get", named("foi"), {"export": "csv"}, MANAGERS),
    ("retry form", "get", action("retry", "failed"), {}, MANAGERS),
    ("retry", "post", action("retry", "failed"), {}, MANAGERS),
    ("cancel", "post", action("cancel", "pending"), {}, MANAGERS),
    ("approve form", "get", action("approve", "held"), {}, MANAGERS),
    ("approve", "post", action("approve", "held"),
     {"reason": "ok", "content_hash": "hash"}, MANAGERS),
    ("reject", "post", action("reject", "held"), {"reason": "no"}, MANAGERS),
    ("retract", "post", action("retract", "posted"), {}, MANAGERS),
    ("alerts", "get", named("alerts"), {}, MANAGERS),
    ("alerts results", "get", named("alerts_results"), {}, MANAGERS),
    ("accounts", "get", named("accounts"), {}, MANAGERS),
    ("connect", "get", named("connect", args=["x"]), {}, MANAGERS),
    ("app password form", "get", named("connect", args=["bluesky"]), {}, MANAGERS),
    (
        "connect with an app password",
        "post",
        named("connect", args=["bluesky"]),
        {"identifier": "someone.bsky.social", "app_password": "a-b-c-d"},
        MANAGERS,
    ),
    ("instance form", "get", named("connect", args=["mastodon"]), {}, MANAGERS),
    (
        "connect on an instance",
        "post",
        named("connect", args=["mastodon"]),
        {"instance": ""},
        MANAGERS,
    ),
    ("callback", "get", named("account_callback"), {}, MANAGERS),
    ("choose pages", "get", named("account_choose"), {}, MANAGERS),
    ("reconnect", "get", for_account("reconnect"), {}, MANAGERS),
    ("disconnect form", "get", for_account("disconnect"), {}, MANAGERS),
    ("disconnect", "post", for_account("disconnect"), {}, MANAGERS),
]


@pytest.fixture
def objects(db):
    account = make_account()
    others = [make_account("x", f"user-{n}", f"@user{n}") for n in range(4)]
    return {
        "account": account,
        "failed": make_row(others[0], State.FAILED),
        "pending": make_row(others[1], State.PENDING),
        "held": make_row(others[2], State.HELD),
        "posted": make_row(others[3], State.POSTED, remote_id="1"),
    }


def refused(response) -> bool:
    if response.status_code == 403:
        return True
    if response.status_code == 302:
        location = response["Location"]
        return location.startswith(reverse("wagtailadmin_login")) or (
            location == reverse("wagtailadmin_home")
        )
    return False


@pytest.mark.parametrize(
    ("what", "method", "url", "data", "allowed"), CASES, ids=[c[0] for c in CASES]
)
def test_role_matrix(people, objects, what, method, url, data, allowed):
    # Every role in turn on the same data, each request rolled back before the
    # next, so an allowed action never changes what the next role meets.
    for role in ROLES:
        client = Client()
        if people[role] is not None:
            client.force_login(people[role])
        with transaction.atomic():
            snapshot = sorted(CrossPost.objects.values_list("pk", "state"))

            response = getattr(client, method)(url(objects), data)

            if role in allowed:
                assert not refused(response), f"{role} was refused {what}"
                assert response.status_code in (200, 302), role
            else:
                assert refused(response), f"{role} was allowed {what}"
                if role == "anonymous":
                    location = response["Location"]
                    assert location.startswith(reverse("wagtailadmin_login"))
                states = sorted(CrossPost.objects.values_list("pk", "state"))
                assert states == snapshot, role
                assert ChannelAccount.objects.get(pk=objects["account"].pk).status == (
                    ChannelAccount.Status.CONNECTED
                ), role
            transaction.set_rollback(True)


POST_ACTIONS = [case for case in CASES if case[1] == "post"]


@pytest.mark.parametrize(
    ("what", "method", "url", "data", "allowed"),
    POST_ACTIONS,
    ids=[c[0] for c in POST_ACTIONS],
)
def test_post_actions_need_a_csrf_token(
    people, objects, what, method, url, data, allowed
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["comms"])
    snapshot = sorted(CrossPost.objects.values_list("pk", "state"))

    response = client.post(url(objects), data)

    assert response.status_code == 403
    assert sorted(CrossPost.objects.values_list("pk", "state")) == snapshot
    assert ChannelAccount.objects.get(pk=objects["account"].pk).status == (
        ChannelAccount.Status.CONNECTED
    )


def test_the_confirmation_form_carries_its_csrf_token(people, objects):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["comms"])
    url = action("approve", "held")(objects)
    form = client.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    shown = re.search(r'name="content_hash" value="([^"]+)"', form).group(1)

    response = client.post(
        url, {"csrfmiddlewaretoken": token, "reason": "Checked", "content_hash": shown}
    )

    assert response.status_code == 302
    objects["held"].refresh_from_db()
    assert objects["held"].state == State.PENDING


def test_menu_shows_social_items_by_role(client, people):
    expectations = {
        "editor": {"Posts", "Calendar"},
        "moderator": {"Posts", "Calendar"},
        "comms": {"Posts", "Calendar", "Accounts", "FOI export"},
    }
    for role, expected in expectations.items():
        client.force_login(people[role])
        html = client.get(reverse("wagtailadmin_home")).content.decode()
        shown = {
            label
            for label, url in (
                ("Posts", reverse("publishing_admin:dashboard")),
                ("Calendar", reverse("publishing_admin:calendar")),
                ("Accounts", reverse("publishing_admin:accounts")),
                ("FOI export", reverse("publishing_admin:foi")),
            )
            if url in html
        }
        assert shown == expected, role


def test_the_person_who_published_a_page_cannot_approve_its_held_post(
    people, objects
):
    held = objects["held"]
    CrossPost.objects.filter(pk=held.pk).update(published_by=people["comms"])
    client = Client()
    client.force_login(people["comms"])

    response = client.post(
        action("approve", "held")(objects),
        {"reason": "Mine", "content_hash": held.content_hash},
        follow=True,
    )

    held.refresh_from_db()
    assert held.state == State.HELD
    assert "another comms manager must approve" in response.content.decode()
    # Another comms manager may.
    client.force_login(people["superuser"])
    client.post(
        action("approve", "held")(objects),
        {"reason": "Checked", "content_hash": held.content_hash},
    )
    held.refresh_from_db()
    assert held.state == State.PENDING
