"""``manage.py crossposts``: the operators' summary, with an exit code cron can
act on (0 nothing to do, 1 something needs attention, 2 bad arguments)."""

from __future__ import annotations

import os
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from publishing import tasks
from publishing.models import ChannelAccount, CrossPost, PeriodicRun, WorkerHeartbeat

from .conftest import make_account, make_row

pytestmark = pytest.mark.django_db
State = CrossPost.State


def run(*args) -> tuple[int, str, str]:
    """Run the command as cron would: its exit code, stdout and stderr."""
    out, err = StringIO(), StringIO()
    try:
        call_command("crossposts", *args, stdout=out, stderr=err)
    except SystemExit as stop:
        return stop.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def account():
    return make_account()


EVERY_QUEUE = "celery,crosspost,uploads"


@pytest.fixture(autouse=True)
def background_running():
    """A worker taking every queue has just been seen, and beat has just sent
    the sweeper, as it does every 30 s."""
    WorkerHeartbeat.objects.create(
        hostname="celery@h", queues=EVERY_QUEUE, seen_at=timezone.now()
    )
    PeriodicRun.note(PeriodicRun.SWEEP)


def test_all_posted_needs_no_attention(account):
    make_row(account, State.POSTED)
    make_row(account, State.POSTED)

    code, out, err = run()

    assert code == 0
    assert "Posted                  2" in out
    assert "Nothing needs attention." in out and err == ""


@pytest.mark.parametrize("state", [State.FAILED, State.HELD, State.NEEDS_RECONNECT])
def test_a_row_that_needs_a_person_exits_1_and_is_named(account, state):
    make_row(account, State.POSTED)
    row = make_row(account, state, last_error="Status is a duplicate.")

    code, out, err = run()

    assert code == 1
    assert f"! page {row.page_id} {account}: {row.get_state_display()}" in out
    assert "Status is a duplicate." in out
    assert "Some cross-posts need attention." in err


def test_an_account_to_reconnect_exits_1(account):
    make_row(account, State.POSTED)
    ChannelAccount.objects.filter(pk=account.pk).update(
        status=ChannelAccount.Status.NEEDS_RECONNECT
    )

    code, out, _err = run()

    assert code == 1
    assert f"! {account} needs reconnecting" in out


def test_retry_failed_queues_them_again(account, django_capture_on_commit_callbacks):
    failed = make_row(account, State.FAILED, attempts=12, last_error="Gave up")
    posted = make_row(account, State.POSTED)

    with django_capture_on_commit_callbacks() as sent:
        code, out, _err = run("--retry-failed")

    assert "Queued 1 failed post again." in out
    failed.refresh_from_db()
    posted.refresh_from_db()
    assert failed.state == State.PENDING and failed.attempts == 0
    assert posted.state == State.POSTED
    assert len(sent) == 1  # its delivery task, sent on commit
    assert code == 0  # nothing left that needs a person


def test_sweep_enqueues_the_due_rows(account):
    make_row(account, State.PENDING)
    make_row(account, State.POSTED)

    code, out, _err = run("--sweep")

    assert "Enqueued 1 due post." in out
    assert code == 0


def test_page_narrows_the_summary(account, make_policy):
    page = make_policy()
    make_row(account, State.FAILED, last_error="Elsewhere")
    make_row(account, State.POSTED, page=page)

    code, out, _err = run("--page", str(page.pk))

    assert code == 0
    assert "Posted                  1" in out and "Elsewhere" not in out


def test_an_unknown_page_is_a_usage_error(account):
    with pytest.raises(CommandError, match="No cross-posts for page 999999") as raised:
        call_command("crossposts", "--page", "999999")
    assert raised.value.returncode == 2


def test_a_sweeper_that_stopped_running_exits_1(account):
    make_row(account, State.POSTED)
    PeriodicRun.objects.filter(name=PeriodicRun.SWEEP).update(
        ran_at=timezone.now() - timedelta(minutes=7)
    )

    code, out, _err = run()

    assert code == 1
    assert "the sweeper last ran 7 min ago" in out

    PeriodicRun.objects.all().delete()
    code, out, _err = run()
    assert code == 1 and "the sweeper has not run yet" in out

    tasks.sweep_crossposts()  # what beat sends
    assert run()[0] == 0


def test_a_new_installation_is_not_alarmed_before_the_first_sweep(account):
    make_row(account, State.POSTED)
    PeriodicRun.objects.all().delete()
    tasks.note_worker_ready(SimpleNamespace(hostname="celery@new"))

    assert run()[0] == 0  # beat has had no time to send the first sweep yet

    WorkerHeartbeat.objects.update(started_at=timezone.now() - timedelta(minutes=3))
    code, out, _err = run()
    assert code == 1 and "the sweeper has not run yet" in out


def test_no_worker_seen_exits_1(account):
    make_row(account, State.POSTED)
    WorkerHeartbeat.objects.all().delete()

    code, out, err = run()

    assert code == 1
    assert "! no worker has been seen yet: posts are not being sent" in out
    assert "Some cross-posts need attention." in err

    WorkerHeartbeat.objects.create(
        hostname="celery@h",
        queues=EVERY_QUEUE,
        seen_at=timezone.now() - timedelta(minutes=5),
    )
    code, out, _err = run()
    assert code == 1 and "! no worker has been seen for 5 min" in out


def test_a_queue_no_running_worker_takes_exits_1(account):
    make_row(account, State.POSTED)
    WorkerHeartbeat.objects.all().delete()
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        hostname="worker@h", queues="celery,crosspost", seen_at=now
    )

    code, out, _err = run()

    assert code == 1
    assert "! no worker has taken video uploads (the 'uploads' queue) yet" in out

    WorkerHeartbeat.objects.create(
        hostname="uploads@h", queues="uploads", seen_at=now - timedelta(minutes=6)
    )
    code, out, _err = run()
    assert code == 1
    assert "! no worker has taken video uploads (the 'uploads' queue) for 6 min" in out

    WorkerHeartbeat.objects.filter(hostname="uploads@h").update(seen_at=now)
    assert run()[0] == 0


def test_a_reader_that_stops_reading_leaves_the_exit_code_and_no_traceback(account):
    """``crossposts | head``: once the reader has gone, the rest of the summary
    is dropped, and the command still ends with its own status."""
    make_row(account, State.FAILED)
    reader, writer = os.pipe()
    os.close(reader)  # the reader has gone before the first line
    closed_pipe = open(writer, "w", buffering=1)
    err = StringIO()
    try:
        with pytest.raises(SystemExit) as stop:
            call_command("crossposts", stdout=closed_pipe, stderr=err)
    finally:
        closed_pipe.close()  # would raise if anything were left to write

    assert stop.value.code == 1
    assert err.getvalue() == "Some cross-posts need attention.\n"
