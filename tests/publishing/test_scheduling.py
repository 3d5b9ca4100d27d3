"""Scheduled publishing: a page that cannot go live does not hold up the others,
and whatever is late is shown where people look."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from wagtail.management.commands.publish_scheduled import Command as WagtailCommand

from publishing import scheduling

from .conftest import publish, rows_for

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("publishing_admin:dashboard")


def schedule(page, minutes_ago: float, **changes):
    """Schedule ``page``'s next revision (with ``changes``) and make it
    ``minutes_ago`` overdue, as if beat had not run since."""
    for name, value in changes.items():
        setattr(page, name, value)
    page.go_live_at = timezone.now() + timedelta(hours=1)
    revision = page.save_revision()
    revision.publish()
    due = timezone.now() - timedelta(minutes=minutes_ago)
    # Both the approval and the revision's own go-live time: publishing checks
    # the second again.
    revision.content["go_live_at"] = due.isoformat()
    revision.approved_go_live_at = due
    revision.save(update_fields=["content", "approved_go_live_at"])
    page.refresh_from_db()
    assert page.scheduled_revision is not None
    return due


@pytest.fixture
def stuck_and_fine(make_policy):
    """Two scheduled pages: the first due, a live page's scheduled change, cannot
    be published any more (a sibling published since took the slug it was
    scheduled to move to); the second, a new page, can."""
    stuck = make_policy(title="Bins over Christmas", slug="bins-christmas")
    publish(stuck)
    fine = make_policy(title="Library opening hours")
    schedule(stuck, minutes_ago=10, slug="bins")
    schedule(fine, minutes_ago=5)
    taken = make_policy(title="Bins", slug="bins")
    taken.save_revision().publish()
    return stuck, fine, taken


def test_wagtails_own_command_stops_at_the_first_page_that_fails(stuck_and_fine):
    stuck, fine, _taken = stuck_and_fine

    with pytest.raises(ValidationError):
        WagtailCommand().handle(dryrun=False)

    fine.refresh_from_db()
    assert not fine.live  # held up behind the stuck page: why ours replaces it


def test_a_page_that_cannot_go_live_does_not_hold_up_the_others(
    stuck_and_fine, accounts, capsys, caplog, django_capture_on_commit_callbacks
):
    stuck, fine, _taken = stuck_and_fine

    with pytest.raises(CommandError, match="1 scheduled change failed"):
        call_command("publish_scheduled")

    fine.refresh_from_db()
    stuck.refresh_from_db()
    assert fine.live and rows_for(fine)
    assert stuck.slug == "bins-christmas"  # the scheduled change is not live
    scheduled = stuck.scheduled_revision
    assert scheduled is not None  # tried again next minute
    assert [row for row in rows_for(stuck) if row.revision_id == scheduled.pk] == []
    error = capsys.readouterr().err
    assert f"Could not publish page {stuck.pk} ('Bins over Christmas')" in error
    assert "slug" in error.lower()
    # Logged in the same words; a validation error is the editors' to fix, so
    # no traceback goes with it.
    [record] = [r for r in caplog.records if r.name == "publishing.scheduling"]
    assert record.getMessage() == error.splitlines()[0]
    assert not record.exc_info


def test_an_unexpected_failure_is_logged_with_its_traceback(
    stuck_and_fine, caplog, monkeypatch
):
    from wagtail.models import Revision

    def broken(self, *args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Revision, "publish", broken)

    with pytest.raises(CommandError, match="2 scheduled change"):
        call_command("publish_scheduled", stderr=StringIO())

    records = [r for r in caplog.records if r.name == "publishing.scheduling"]
    assert len(records) == 2
    assert all(r.exc_info and "the database went away" in r.getMessage()
               for r in records)


def test_the_dry_run_is_wagtails_and_changes_nothing(stuck_and_fine, capsys):
    stuck, fine, _taken = stuck_and_fine

    call_command("publish_scheduled", dryrun=True)

    assert "Revisions to be published" in capsys.readouterr().out
    fine.refresh_from_db()
    assert not fine.live


def test_late_pages_are_found_once_they_are_over_two_minutes_late(make_policy):
    page = make_policy(title="Recycling centre closure")
    due = schedule(page, minutes_ago=1)
    assert scheduling.overdue() == []

    later = due + scheduling.OVERDUE_AFTER + timedelta(seconds=1)
    assert [(item.page.pk, item.action, item.due) for item in
            scheduling.overdue(now=later)] == [(page.pk, "publish", due)]


def test_a_live_page_past_its_expiry_is_late_to_unpublish(make_policy):
    page = make_policy(title="Consultation: parking charges")
    page.save_revision().publish()
    page.refresh_from_db()
    page.expire_at = timezone.now() - timedelta(minutes=3)
    page.save(update_fields=["expire_at"])

    assert [(item.page.pk, item.action) for item in scheduling.overdue()] == [
        (page.pk, "unpublish")
    ]


def test_the_dashboard_names_late_pages_to_comms_managers(
    client, people, stuck_and_fine, django_capture_on_commit_callbacks
):
    stuck, _fine, taken = stuck_and_fine
    edit = reverse("wagtailadmin_pages:edit", args=[stuck.pk])

    client.force_login(people["comms"])
    html = client.get(DASHBOARD).content.decode()
    assert "Scheduled publishing is late" in html
    assert edit in html and "Library opening hours" in html

    client.force_login(people["editor"])  # sees only their own pages' posts
    assert "Scheduled publishing is late" not in client.get(DASHBOARD).content.decode()

    # The editor renames the page that took the slug; the next run publishes both.
    taken.slug = "bins-collections"
    taken.save_revision().publish()
    call_command("publish_scheduled")
    client.force_login(people["comms"])
    assert "Scheduled publishing is late" not in client.get(DASHBOARD).content.decode()


def test_the_crossposts_command_reports_late_pages(stuck_and_fine, capsys):
    stuck, _fine, _taken = stuck_and_fine

    with pytest.raises(SystemExit) as exit_info:
        call_command("crossposts")

    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert f"page {stuck.pk} 'Bins over Christmas': scheduled to publish" in out
