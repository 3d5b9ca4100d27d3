"""An update with new findings is held: the live post stays as it was until a
comms manager approves the update, and the dashboard and the page's Social tab
say so. End to end: a real worker, the sandbox, the real clients."""

from __future__ import annotations

import pytest
from django.urls import reverse

from publishing import actions, delivery
from publishing.models import CrossPost
from tests.publishing.conftest import publish, rows_for, settle
from tests.worker_fixtures import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
State = CrossPost.State
UNCHANGED = "The live post is unchanged until"


def facebook_post(sandbox, row):
    return next(p for p in sandbox.posts("facebook") if p["id"] == row.remote_id)


def test_an_update_with_a_phone_number_is_held_and_the_live_post_kept(
    sandbox, accounts, make_policy, people, client, celery_worker_process
):
    page = make_policy(summary="Bins go out on Tuesday.")
    publish(page, user=people["moderator"])
    posted = {row.platform: row for row in settle(page, expected=2)}
    live_text = facebook_post(sandbox, posted["facebook"])["text"]

    page.summary = "Bins go out on Tuesday. Questions? Ring Jo on 07700 900123."
    publish(page, user=people["moderator"])

    row = CrossPost.objects.get(pk=posted["facebook"].pk)
    assert (row.state, row.operation) == (State.HELD, CrossPost.Operation.UPDATE)
    assert [f["rule"] for f in row.guard_findings] == ["phone_number"]
    assert "07700 900123" in row.text
    # Nothing reaches the platform while it is held, the sweeper included.
    assert all(r.state == State.HELD for r in rows_for(page))
    delivery.sweep()
    assert facebook_post(sandbox, row)["text"] == live_text
    assert facebook_post(sandbox, row)["edits"] == 0

    client.force_login(people["comms"])
    dashboard = client.get(reverse("publishing_admin:dashboard"))
    assert UNCHANGED in dashboard.content.decode()
    client.force_login(people["superuser"])
    editor = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert UNCHANGED in editor.content.decode()

    actions.approve(row, people["comms"], "Jo's work mobile, published on our site.")
    updated = wait_for(
        lambda: CrossPost.objects.filter(pk=row.pk, state=State.POSTED).first(),
        timeout=60,
        message=celery_worker_process.log_tail,
    )
    live = facebook_post(sandbox, updated)
    assert "07700 900123" in live["text"]
    assert live["edits"] == 1
    assert updated.remote_id == posted["facebook"].remote_id
