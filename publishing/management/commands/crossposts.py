"""Cross-post status from the command line, for operators and cron checks.

Exit code 0 when nothing needs attention, 1 when something does (failed or held
posts, accounts needing reconnection, scheduled pages late to go live or
expire, no worker seen or a queue no running worker takes, a sweeper that has
stopped running), 2 for bad arguments.
"""

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from publishing import actions, delivery, scheduling
from publishing.health import sweeper_health, worker_health
from publishing.models import ChannelAccount, CrossPost
from publishing.views.wording import number_of

State = CrossPost.State


class ReaderMayLeave:
    """A stream whose reader may stop reading (``crossposts | head``): once it
    has, further output is dropped, so the command still ends with its own exit
    status and no traceback."""

    def __init__(self, stream):
        self._stream = stream
        self.reader_left = False

    def write(self, text: str) -> int:
        return self._quietly(self._stream.write, text)

    def flush(self) -> None:
        self._quietly(self._stream.flush)

    def _quietly(self, operation, *args):
        if self.reader_left:
            return 0
        try:
            return operation(*args)
        except BrokenPipeError:
            self.reader_left = True
            # What is still buffered goes nowhere at exit, rather than failing
            # once more as the interpreter flushes its streams.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
            return 0

    def __getattr__(self, name):
        return getattr(self._stream, name)


class Command(BaseCommand):
    help = "Summarise cross-posts; optionally retry failed ones or sweep due ones."

    def execute(self, *args, **options):
        options["stdout"] = ReaderMayLeave(options.get("stdout") or sys.stdout)
        return super().execute(*args, **options)

    def add_arguments(self, parser):
        parser.add_argument("--page", type=int, help="Only this page id.")
        parser.add_argument(
            "--retry-failed", action="store_true", help="Queue failed posts again."
        )
        parser.add_argument(
            "--sweep", action="store_true", help="Enqueue every due post now."
        )

    def handle(self, *args, page=None, retry_failed=False, sweep=False, **options):
        rows = CrossPost.objects.select_related("account")
        if page is not None:
            rows = rows.filter(page_id=page)
            if not rows.exists():
                raise CommandError(f"No cross-posts for page {page}.", returncode=2)
        if retry_failed:
            retried = [
                actions.retry_now(row) for row in rows.filter(state=State.FAILED)
            ]
            self.stdout.write(
                f"Queued {number_of(len(retried), 'failed post')} again."
            )
        if sweep:
            self.stdout.write(f"Enqueued {number_of(delivery.sweep(), 'due post')}.")

        counts = actions.summary(rows)
        self.stdout.write("State               Count")
        for state, label in State.choices:
            if counts[state]:
                self.stdout.write(f"{label:<20}{counts[state]:>5}")
        attention = list(rows.needs_attention()[:20])
        for row in attention:
            self.stdout.write(
                f"  ! page {row.page_id} {row.account}: {row.get_state_display()}"
                f"{' - ' + row.last_error if row.last_error else ''}"
            )
        reconnect = ChannelAccount.objects.filter(
            status=ChannelAccount.Status.NEEDS_RECONNECT
        )
        for account in reconnect:
            self.stdout.write(f"  ! {account} needs reconnecting")
        late = self._report_late_schedule() if page is None else False
        stopped = self._report_stopped_workers() | self._report_stopped_sweeper()
        if attention or reconnect.exists() or late or stopped:
            self.stderr.write("Some cross-posts need attention.")
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("Nothing needs attention."))

    def _report_late_schedule(self) -> bool:
        """Name pages late to go live or expire; whether there are any."""
        late = scheduling.overdue()
        for item in late:
            self.stdout.write(
                f"  ! page {item.page.pk} {item.page.title!r}: scheduled to "
                f"{item.action} at {item.due:%Y-%m-%d %H:%M}, still waiting"
            )
        return bool(late)

    def _report_stopped_workers(self) -> bool:
        """Say so if no worker has been seen lately, or a queue has no running
        worker to take it; whether either is so."""
        worker = worker_health()
        if worker["stale"]:
            when = f"for {worker['minutes']} min" if worker["seen"] else "yet"
            self.stdout.write(
                f"  ! no worker has been seen {when}: posts are not being sent"
            )
            return True
        for queue in worker["unattended"]:
            when = f"for {queue['minutes']} min" if queue["seen"] else "yet"
            self.stdout.write(
                f"  ! no worker has taken {queue['carries']} (the {queue['queue']!r}"
                f" queue) {when}: they wait until one does"
            )
        return bool(worker["unattended"])

    def _report_stopped_sweeper(self) -> bool:
        """Say so if the sweeper has stopped running; whether it has."""
        sweeper = sweeper_health()
        if not sweeper["stale"]:
            return False
        when = (
            f"last ran {sweeper['minutes']} min ago"
            if sweeper["seen"]
            else "has not run yet"
        )
        self.stdout.write(
            f"  ! the sweeper {when}: retries wait; is Celery beat running?"
        )
        return True
