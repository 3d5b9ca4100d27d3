"""The cross-post dashboard: what each role sees, filters, exports, refreshing,
worker health and the actions comms managers take."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import GroupPagePermission, Page

from publishing.models import CrossPost, PeriodicRun, WorkerHeartbeat
from tests.factories import PolicyPageFactory
from tests.publishing.conftest import TOKEN, make_account, make_row, unique_key

State = CrossPost.State
DASHBOARD = reverse("publishing_admin:dashboard")
RESULTS = reverse("publishing_admin:dashboard_results")


def action_url(row, action):
    return reverse("publishing_admin:crosspost_action", args=[row.pk, action])


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def account(db):
    return make_account()


@pytest.fixture
def policy_page(site):
    return PolicyPageFactory(parent=site["policies"], title="Recycling policy")


@pytest.fixture
def outside_page(site):
    """A page outside the council site, which editors cannot edit (Wagtail's
    own migrations give its default groups the root; the council's do not)."""
    GroupPagePermission.objects.filter(page__depth=1).delete()
    return PolicyPageFactory(parent=Page.get_first_root_node(), title="Elsewhere")


def test_comms_manager_sees_every_row_with_counts_and_actions(
    client, people, account, policy_page, outside_page
):
    make_row(account, State.FAILED, page=policy_page, last_error="Duplicate status")
    make_row(account, State.HELD, page=outside_page)
    client.force_login(people["comms"])

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Recycling policy" in html and "Elsewhere" in html
    assert "Failed: <strong>1</strong>" in html
    assert "Held for approval: <strong>1</strong>" in html
    assert "Duplicate status" in html
    assert "Retry now" in html and "Approve" in html
    assert TOKEN not in html


def test_a_post_to_be_sent_again_after_its_retraction_says_so(client, people, account):
    make_row(account, State.RETRACTING)
    make_row(account, State.RETRACTING, post_again_after_retraction=True)
    client.force_login(people["comms"])

    html = client.get(DASHBOARD).content.decode()

    assert html.count("then posted again: the page was published again") == 1


def test_editor_sees_only_rows_of_pages_they_can_edit_and_no_actions(
    client, people, account, policy_page, outside_page
):
    make_row(account, State.FAILED, page=policy_page)
    make_row(account, State.POSTED, page=outside_page)
    client.force_login(people["editor"])

    html = client.get(DASHBOARD).content.decode()

    assert "Recycling policy" in html
    assert "Elsewhere" not in html
    assert "Retry now" not in html and "Take down" not in html


def test_filters_narrow_the_list(client, people, account):
    other = make_account("facebook", "200000000001", "Exampleshire CC")
    make_row(account, State.FAILED, title="Road closures")
    make_row(account, State.POSTED, title="Library hours")
    make_row(other, State.FAILED, title="Council tax bands")
    client.force_login(people["comms"])

    def titles(**params):
        html = client.get(RESULTS, params).content.decode()
        names = ("Road closures", "Library hours", "Council tax bands")
        return {title for title in names if title in html}

    assert titles(state="failed") == {"Road closures", "Council tax bands"}
    assert titles(platform="facebook") == {"Council tax bands"}
    assert titles(account=account.pk) == {"Road closures", "Library hours"}
    assert titles(page="library") == {"Library hours"}


def test_created_date_range_filter(client, people, account):
    old = make_row(account, State.POSTED, title="Old news")
    CrossPost.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=40)
    )
    make_row(account, State.POSTED, title="Fresh news")
    client.force_login(people["comms"])
    since = (timezone.localdate() - timedelta(days=7)).isoformat()

    html = client.get(RESULTS, {"created_at_from": since}).content.decode()

    assert "Fresh news" in html and "Old news" not in html


def test_query_count_does_not_grow_with_rows(client, people, account):
    client.force_login(people["comms"])
    client.get(DASHBOARD)  # warm caches (content types, settings)

    def queries_for_listing():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(DASHBOARD).status_code == 200
        return len(captured)

    for _ in range(3):
        make_row(make_account("facebook", f"page-{unique_key()}", "Page"), State.FAILED)
    few = queries_for_listing()
    for _ in range(30):
        make_row(make_account("x", f"user-{unique_key()}", "@someone"), State.POSTED)
    many = queries_for_listing()

    assert many == few


def test_csv_and_xlsx_exports_hold_the_rows(client, people, account):
    make_row(account, State.POSTED, title="Bin day moves", likes=12, views=340)
    client.force_login(people["comms"])

    response = client.get(DASHBOARD, {"export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    )
    assert rows[0]["Page"] == "Bin day moves"
    assert rows[0]["Account"] == "@ExampleshireCC"
    assert rows[0]["State"] == "Posted"
    assert rows[0]["Likes"] == "12"

    response = client.get(DASHBOARD, {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [cell.value for cell in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert "Bin day moves" in values and 340 in values


def test_listing_asks_to_refresh_only_while_posts_are_in_flight(
    client, people, account
):
    client.force_login(people["comms"])
    row = make_row(account, State.PENDING)
    html = client.get(RESULTS).content.decode()
    assert "data-social-refresh" in html
    assert f'data-url="{RESULTS}"' in html

    CrossPost.objects.filter(pk=row.pk).update(state=State.POSTED)
    assert "data-social-refresh" not in client.get(RESULTS).content.decode()

    page = client.get(DASHBOARD).content.decode()
    assert "publishing/admin/dashboard_refresh.js" in page
    assert "<script>" not in page.split("dashboard_refresh.js")[0][-300:]


@pytest.mark.parametrize(
    ("seen_ago", "expected", "warned"),
    [
        (None, "No worker has been seen yet", True),
        (timedelta(seconds=20), "Workers last seen 2", False),
        (timedelta(minutes=5), "Workers last seen 30", True),
    ],
)
def test_worker_health_line(client, people, seen_ago, expected, warned):
    if seen_ago is not None:
        WorkerHeartbeat.objects.create(
            hostname="celery@web", seen_at=timezone.now() - seen_ago
        )
    client.force_login(people["comms"])

    html = client.get(DASHBOARD).content.decode()

    assert expected in html
    assert ("posts are not being sent" in html) is warned


EVERY_QUEUE = "celery,crosspost,uploads"


@pytest.mark.parametrize(
    ("heartbeats", "expected"),
    [
        # The text worker runs; the uploads worker has not been seen for 5 min.
        (
            [("worker@h", "celery,crosspost", 0), ("uploads@h", "uploads", 5)],
            ['No worker has taken video uploads (the "uploads" queue) for 5 minutes.'],
        ),
        # No worker takes the uploads queue at all.
        (
            [("worker@h", "celery,crosspost", 0)],
            ['No running worker takes video uploads (the "uploads" queue).'],
        ),
        # Two queues without a worker: each is named.
        (
            [("uploads@h", "uploads", 0)],
            [
                'No running worker takes text and image posts (the "crosspost" queue).',
                "No running worker takes the sweeper and other scheduled jobs",
            ],
        ),
        # Every queue has a running worker, on one worker or several.
        ([("celery@h", EVERY_QUEUE, 0)], []),
        ([("worker@h", "celery,crosspost", 0), ("uploads@h", "uploads", 1)], []),
        # A worker that said nothing of its queues (noted before they were kept)
        # counts for all of them.
        ([("celery@h", "", 0)], []),
    ],
)
def test_a_queue_without_a_running_worker_is_named(
    client, people, heartbeats, expected
):
    now = timezone.now()
    for hostname, queues, minutes_ago in heartbeats:
        WorkerHeartbeat.objects.create(
            hostname=hostname,
            queues=queues,
            seen_at=now - timedelta(minutes=minutes_ago),
        )
    client.force_login(people["comms"])

    html = client.get(DASHBOARD).content.decode().replace("&quot;", '"')

    assert html.count("data-queue-health=") == len(expected)
    for line in expected:
        assert line in html
    if expected:
        assert "They wait until one does" in html


@pytest.mark.parametrize(
    ("swept_ago", "worker_ago", "started_ago", "expected"),
    [
        (timedelta(seconds=40), timedelta(seconds=10), None, None),
        (
            timedelta(minutes=9),
            timedelta(seconds=10),
            None,
            "The sweeper last ran 9 minutes ago.",
        ),
        # Never run: stopped once a worker has been up longer than a sweeper
        # may be silent, or when no worker start is on record ...
        (
            None,
            timedelta(seconds=10),
            timedelta(minutes=5),
            "The sweeper has not run yet.",
        ),
        (None, timedelta(seconds=10), None, "The sweeper has not run yet."),
        # ... but not while beat has had no time to send the first sweep.
        (None, timedelta(seconds=10), timedelta(seconds=20), None),
        # A stopped worker is said first; the sweeper runs on it anyway.
        (timedelta(minutes=9), timedelta(minutes=9), None, None),
    ],
)
def test_sweeper_health_line(
    client, people, swept_ago, worker_ago, started_ago, expected
):
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        hostname="celery@web",
        seen_at=now - worker_ago,
        started_at=now - started_ago if started_ago else None,
    )
    if swept_ago is not None:
        PeriodicRun.objects.create(name=PeriodicRun.SWEEP, ran_at=now - swept_ago)
    client.force_login(people["comms"])

    html = client.get(DASHBOARD).content.decode()

    assert ("Check that Celery beat is running" in html) is (expected is not None)
    if expected:
        assert expected in html


def test_retry_now_queues_a_failed_row(client, people, account):
    row = make_row(account, State.FAILED, attempts=12, last_error="Gave up")
    client.force_login(people["comms"])

    response = client.post(action_url(row, "retry"), {"next": DASHBOARD})

    assert response.status_code == 302 and response["Location"] == DASHBOARD
    row.refresh_from_db()
    assert row.state == State.PENDING and row.attempts == 0
    assert any("will be sent again" in text for text in texts(response))


def test_approving_needs_a_reason(client, people, account):
    row = make_row(account, State.HELD)
    client.force_login(people["comms"])

    response = client.post(action_url(row, "approve"), {"reason": "  "})

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    row.refresh_from_db()
    assert row.state == State.HELD


def test_approve_and_reject_record_who_and_why(client, people, account):
    other = make_account("facebook", "200000000001", "Exampleshire CC")
    held, rejected = make_row(account, State.HELD), make_row(other, State.HELD)
    comms = people["comms"]
    client.force_login(comms)

    client.post(action_url(held, "approve"), {"reason": "Number is the helpline"})
    client.post(action_url(rejected, "reject"), {"reason": "Embargoed until Friday"})

    held.refresh_from_db()
    rejected.refresh_from_db()
    assert (held.state, held.reviewed_by, held.review_reason) == (
        State.PENDING,
        comms,
        "Number is the helpline",
    )
    assert rejected.state == State.CANCELLED
    assert rejected.review_reason == "Embargoed until Friday"


def test_retract_and_cancel(client, people, account):
    other = make_account("facebook", "200000000001", "Exampleshire CC")
    posted = make_row(account, State.POSTED, remote_id="99")
    pending = make_row(other, State.PENDING)
    client.force_login(people["comms"])

    client.post(action_url(posted, "retract"))
    client.post(action_url(pending, "cancel"), {"reason": ""})

    posted.refresh_from_db()
    pending.refresh_from_db()
    assert posted.state == State.RETRACTING
    assert pending.state == State.CANCELLED


def test_an_action_that_no_longer_applies_does_nothing_and_says_so(
    client, people, account
):
    row = make_row(account, State.POSTED)
    client.force_login(people["comms"])

    response = client.post(action_url(row, "approve"), {"reason": "ok"})

    row.refresh_from_db()
    assert row.state == State.POSTED and row.reviewed_by is None
    assert any("Nothing was done" in text for text in texts(response))


def test_unknown_action_is_not_found(client, people, account):
    row = make_row(account, State.FAILED)
    client.force_login(people["comms"])
    assert client.post(action_url(row, "explode")).status_code == 404


def test_next_url_to_another_site_is_ignored(client, people, account):
    row = make_row(account, State.FAILED)
    client.force_login(people["comms"])

    response = client.post(action_url(row, "retry"), {"next": "https://evil.example/"})

    assert response["Location"] == DASHBOARD
