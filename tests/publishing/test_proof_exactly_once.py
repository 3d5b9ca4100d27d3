"""Exactly once when a publish fails *after* the platform created the post.

Facebook's publish is two calls: create the post, then read its permalink. The
soak test found that a rate limit or an auth error on the second call left the
row's outcome "known", so the retry posted again (a photo post twice; a text
post refused by Facebook as a duplicate, leaving the row failed although its
post was live). Here an auth error on the permalink read reproduces it in seconds.
"""

from __future__ import annotations

import re

import pytest
import requests
from wagtail.models import PageLogEntry

from publishing import content, delivery
from publishing.accounts import resume
from publishing.models import ChannelAccount, CrossPost
from tests.publishing.conftest import live_posts_with_marker, publish, settle
from tests.worker_fixtures import WorkerProcess, in_place_of, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_error_after_facebook_created_the_post_does_not_post_it_twice(
    sandbox, accounts, make_policy, celery_worker_process
):
    sandbox.add_fault(
        "facebook", "get", "error", count=1, code=190, subcode=460,
        message="Error validating access token: the session was invalidated.",
    )
    page = make_policy(title="Council tax bands explained")
    publish(page)

    def parked():
        delivery.sweep()
        return CrossPost.objects.filter(
            page_id=page.pk, platform="facebook", state=CrossPost.State.NEEDS_RECONNECT
        ).first()

    wait_for(parked, timeout=30)
    marker = content.canonical_url(page)
    assert len(live_posts_with_marker(sandbox, marker, "facebook")) == 1
    # A comms manager reconnects the Page; the waiting post resumes.
    account = ChannelAccount.objects.get(platform="facebook")
    account.access_token = sandbox.mint_token(
        "facebook", account_id=account.remote_id
    )["access_token"]
    account.status = ChannelAccount.Status.CONNECTED
    account.save()
    resume(account)

    rows = settle(page, expected=2, worker=celery_worker_process)

    assert len(live_posts_with_marker(sandbox, marker, "facebook")) == 1
    assert {row.state for row in rows} == {CrossPost.State.POSTED}, [
        (row.platform, row.state, row.last_error) for row in rows
    ]


def test_a_post_buried_under_newer_posts_is_still_found_before_resending(
    sandbox, accounts, make_policy, celery_worker_process
):
    # The permalink read after the post is created hangs past the timeout...
    sandbox.add_fault("facebook", "get", "hang", count=1, hang_seconds=10)
    page = make_policy(title="Library opening hours change")
    marker = content.canonical_url(page)
    publish(page)
    wait_for(lambda: live_posts_with_marker(sandbox, marker, "facebook"), timeout=30)
    # ...and meanwhile the Page gets busy: other pages, or staff posting by hand.
    token = accounts["facebook"].access_token
    session = requests.Session()
    for number in range(60):
        session.post(
            f"{sandbox.url}/facebook/v24.0/{accounts['facebook'].remote_id}/feed",
            headers={"Authorization": f"OAuth {token}"},
            data={"message": f"Road closure notice {number}"},
            timeout=5,
        ).raise_for_status()

    rows = settle(page, expected=2, worker=celery_worker_process)

    # Unfound, the post is sent again: Facebook refuses the identical text
    # ("#506 Duplicate status message") and the row fails though its post is live.
    assert len(live_posts_with_marker(sandbox, marker, "facebook")) == 1
    assert {row.state for row in rows} == {CrossPost.State.POSTED}, [
        (row.platform, row.state, row.last_error) for row in rows
    ]


@pytest.mark.slow
def test_a_delivery_that_would_outlive_its_lease_is_stopped_first(
    sandbox, accounts, make_policy, celery_worker_process
):
    from django.db import connection

    # Calls may take 30 s on this worker, so nothing but the delivery's time
    # limit (its lease less the margin: 4 s of 6 in tests) ends the attempt
    # below before its lease runs out and the row is someone else's to send.
    patient = WorkerProcess(
        connection.settings_dict["NAME"], {"CHANNEL_TIMEOUT": "30"}, name="patient"
    )
    # Facebook creates the post, then the read of its permalink hangs for 20 s.
    sandbox.add_fault("facebook", "get", "hang", count=1, hang_seconds=20)
    page = make_policy(title="Parking permit prices for 2027")
    marker = content.canonical_url(page)

    with in_place_of(celery_worker_process, [patient]):
        mark = patient.log_mark()
        publish(page)
        rows = settle(page, expected=2, timeout=60, worker=patient)
        log = patient.log_since(mark)

    assert re.search(
        r"Hard time limit \([\d.]+s\) exceeded for "
        r"publishing\.tasks\.deliver_crosspost",
        log,
    ), log
    assert {row.state for row in rows} == {CrossPost.State.POSTED}
    # The next attempt found the stopped one's post and kept it.
    facebook = next(row for row in rows if row.platform == "facebook")
    assert PageLogEntry.objects.filter(
        page_id=page.pk, action="publishing.crosspost.adopted",
        data__crosspost=facebook.pk,
    ).exists()
    assert len(live_posts_with_marker(sandbox, marker, "facebook")) == 1
