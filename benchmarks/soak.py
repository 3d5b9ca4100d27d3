"""Soak test: many pages, five channels, a hostile network and dying workers.

Run with ``make soak`` or ``python -m benchmarks.soak --items N`` (``--platforms``
for fewer channels than all five). It provisions a
database and broker of its own (PostgreSQL ``soak_<pid>`` and Redis DB 8 when they
answer on 127.0.0.1, else SQLite and the filesystem transport in a temporary
folder), starts the sandbox, two Celery workers and beat (sweeping every two
seconds), then publishes N announcements, each with a small video so YouTube is
included, while the sandbox injects on every call:

* 10% platform 5xx, 5% hangs past the client timeout, 5% 429s with a reset time
  (each platform's own, with its own headers), 2% "created, then the connection
  dropped", and one expired access token on each platform whose access tokens
  expire and are renewed (``EXPIRING``: X's OAuth token, Bluesky's session,
  renewed with its refresh JWT). A Facebook Page token and a Mastodon token
  never expire, so neither platform gets one.

When a fault spends an account's sign-in (a token renewal whose answer is lost:
X and Bluesky both rotate the token that renews), the soak reconnects it as a
comms manager would (Bluesky with its app password) and says so in its report;
an account parked for any other reason stays parked, and its posts count as
lost.

Meanwhile a worker is SIGKILLed (and restarted) ``--kills`` times, beat is
SIGKILLed and started again once and, when we are root, a local Redis broker is
restarted once without saving (every queued message is lost and only the sweeper
can recover them) and a local PostgreSQL cluster is restarted once (every
connection is cut mid-work).

``--quick`` (the test suite's short soak) leaves out the two waits of a minute:
Facebook gets no rate limits (its resets are in whole minutes) and a killed
worker's leases are ended by hand as it dies, instead of being waited out.
Its retries back off for at most two seconds instead of five, so the one row
that meets fault after fault does not hold the run up for half a minute.

It stops when every row is final or the deadline passes and prints one table,
and the same figures for each platform. Exit status 1 on any duplicate post,
lost row or failed post (every fault it injects is temporary, so every post
must go out), 0 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Any

from benchmarks import harness

REDIS_DB = 8
CHANNEL_TIMEOUT = 2.0
#: Platforms whose access tokens expire and are renewed with a refresh token:
#: the soak expires one of each once (``inject_faults``).
EXPIRING = ("x", "bluesky")
#: Platforms whose rate limits reset in seconds, which ``--quick`` keeps;
#: Facebook states its resets in whole minutes.
RESETS_IN_SECONDS = ("x", "youtube", "mastodon", "bluesky")
# Each fault's share of all calls. The sandbox fires the first matching fault, so
# each is registered with its rate among the calls the earlier ones left over.
FAULT_SHARES = [
    ("server_error", 0.10, {}),
    ("hang", 0.05, {"hang_seconds": CHANNEL_TIMEOUT + 3}),
    ("rate_limit", 0.05, {"reset_after": 2}),
    ("drop_after_create", 0.02, {}),
]
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]
SETTINGS_ENV = {
    "CROSSPOST_SWEEP_SECONDS": "2",
    # Longer than one attempt can take (a few calls, at most one of them timing
    # out, plus a token refresh), so a live worker never loses its lease.
    "CROSSPOST_LEASE_SECONDS": "20",
    "CROSSPOST_UPLOAD_LEASE_SECONDS": "30",
    # A delivery is stopped this long before its lease ends (twice the timeout).
    "CROSSPOST_LEASE_MARGIN_SECONDS": str(int(2 * CHANNEL_TIMEOUT) + 1),
    "CROSSPOST_RETRY_BASE_SECONDS": "0.5",
    "CROSSPOST_RETRY_MAX_SECONDS": "5",
    "FACEBOOK_TIMEOUT": str(CHANNEL_TIMEOUT),
    "X_TIMEOUT": str(CHANNEL_TIMEOUT),
    "YOUTUBE_TIMEOUT": str(CHANNEL_TIMEOUT),
    "MASTODON_TIMEOUT": str(CHANNEL_TIMEOUT),
    "BLUESKY_TIMEOUT": str(CHANNEL_TIMEOUT),
    "FACEBOOK_DAILY_POST_CAP": "100000",
    "X_DAILY_POST_CAP": "100000",
    "YOUTUBE_DAILY_UPLOAD_CAP": "100000",
    # Videos are recorded while the sandbox still processes them and beat
    # follows their processing (publishing.processing), as for a long video.
    "YOUTUBE_PROCESSING_WAIT": "0",
}
#: What ``--quick`` changes: the same faults, a shorter longest wait between tries.
QUICK_SETTINGS_ENV = {"CROSSPOST_RETRY_MAX_SECONDS": "2"}


def inject_faults(
    control, platforms: tuple[str, ...] = harness.FIVE, *, quick: bool = False
) -> dict[str, str]:
    """One expired access token on each of ``platforms`` that renews its
    tokens (``EXPIRING``), then every fault of ``FAULT_SHARES`` on every call.
    ``quick`` gives Facebook no rate limits, whose resets are in whole minutes
    (the other platforms' are in seconds). Returns the id of each platform's
    token expiry, a fault the sandbox forgets once it has fired."""
    expiries = {
        platform: control.add_fault(platform, "publish", "expire_token", count=1)
        for platform in EXPIRING
        if platform in platforms
    }
    left = 1.0
    for kind, share, params in FAULT_SHARES:
        targets = ["*"]
        if quick and kind == "rate_limit":
            targets = [name for name in RESETS_IN_SECONDS if name in platforms]
        rate = round(share / left, 4)
        for platform in targets:
            control.add_fault(platform, "*", kind, rate=rate, **params)
        left -= share
    return expiries


def youtube_scenario(control, lost_answers: float, playlist_lag: float) -> None:
    """YouTube at its least kind: upload answers lost at the ``lost_answers``
    rate (a video made, its id never heard), and an uploads playlist that lists
    a video ``playlist_lag`` seconds after it is made, so a search by link
    misses it and only the upload session can tell."""
    if lost_answers:
        control.add_fault("youtube", "publish", "drop_after_create", rate=lost_answers)
    if playlist_lag:
        control.set_scenario("youtube", playlist_lag_seconds=playlist_lag)


def can_restart_redis(backends: harness.Backends) -> bool:
    if not backends.redis_url or os.geteuid() != 0 or not shutil.which("redis-cli"):
        return False
    ping = subprocess.run(
        ["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True, timeout=5
    )
    return ping.stdout.strip() == "PONG"


def restart_redis() -> float:
    """Stop Redis without saving (every queued message is lost) and start it
    again; the seconds it was down."""
    started = time.monotonic()
    subprocess.run(
        ["redis-cli", "-p", "6379", "shutdown", "nosave"],
        capture_output=True,
        timeout=10,
    )
    harness.wait_until(lambda: not harness.answers("127.0.0.1", 6379), 10, 0.05)
    subprocess.run(REDIS_START, check=True, capture_output=True, timeout=10)
    harness.wait_until(lambda: harness.answers("127.0.0.1", 6379), 10, 0.05)
    return round(time.monotonic() - started, 2)


def local_postgres_cluster() -> tuple[str, str] | None:
    """``(version, name)`` of the Debian PostgreSQL cluster on port 5432, if it
    is online and we may restart it (root, Debian's cluster tools)."""
    if os.geteuid() != 0 or not shutil.which("pg_ctlcluster"):
        return None
    listed = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=10
    )
    for line in listed.stdout.splitlines():
        version, name, port, status, *_rest = line.split()
        if port == "5432" and status == "online":
            return version, name
    return None


def restart_postgres(cluster: tuple[str, str]) -> float:
    """Restart PostgreSQL (fast: every connection is cut, as in a failover);
    the seconds until it answers again."""
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", *cluster, "restart", "-m", "fast"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    harness.wait_until(lambda: harness.answers("127.0.0.1", 5432), 60, 0.1)
    return round(time.monotonic() - started, 2)


def expire_leases(worker: harness.CeleryProcess) -> int:
    """End the leases a SIGKILLed worker held now, not when they run out: its
    processes are gone, so none of its deliveries can still be sending."""
    from django.utils import timezone

    from publishing.models import CrossPost

    now = timezone.now()
    return CrossPost.objects.filter(
        lease_owner__startswith=f"{worker.name}@", lease_expires_at__gt=now
    ).update(lease_expires_at=now)


class Chaos:
    """Kills and restarts, each fired once the publisher passes its mark.
    ``quick`` expires a killed worker's leases at once (``expire_leases``)."""

    def __init__(self, items: int, workers: list, kills: int, redis: bool,
                 quick: bool = False, beat=None, postgres=None):
        self.quick = quick
        self.events: list[tuple[int, str, Any]] = []
        for number in range(kills):
            mark = int(items * (number + 1) / (kills + 1.5))
            self.events.append((mark, "kill", workers[number % len(workers)]))
        if redis:
            self.events.append((int(items * 0.5), "redis", None))
        if beat is not None:
            self.events.append((int(items * 0.35), "beat", beat))
        if postgres is not None:
            self.events.append((int(items * 0.65), "postgres", postgres))
        self.events.sort(key=lambda event: event[0])
        self.log: list[str] = []

    def after_publish(self, published: int) -> None:
        while self.events and published >= self.events[0][0]:
            _, kind, target = self.events.pop(0)
            if kind == "kill":
                target.kill()
                expired = expire_leases(target) if self.quick else 0
                time.sleep(1)
                target.start()
                self.log.append(
                    f"SIGKILL {target.name} after {published}"
                    + (f" ({expired} leases expired by hand)" if self.quick else "")
                )
            elif kind == "beat":
                target.kill()
                time.sleep(1)
                target.start()
                self.log.append(f"SIGKILL beat after {published}, started again")
            elif kind == "postgres":
                from django.db import connection

                down = restart_postgres(target)
                connection.close()  # the publisher's own, cut by the restart
                self.log.append(
                    f"PostgreSQL restarted after {published} ({down}s down)"
                )
            else:
                down = restart_redis()
                self.log.append(f"Redis restarted after {published} ({down}s down)")

    def finish(self, workers: list) -> None:
        """Fire whatever the publisher did not reach (very small runs)."""
        self.after_publish(10**9)


def publish_all(
    world, items: int, chaos: Chaos, comms: CommsManager
) -> tuple[list, list[str]]:
    """Publish ``items`` announcements one by one, as editors would, while a
    comms manager looks in after each one."""
    pages, errors = [], []
    for number in range(items):
        page = harness.make_announcement(world, number, prefix="Soak")
        try:
            page.save_revision().publish()
        except Exception as error:  # noqa: BLE001 - what an editor would see
            errors.append(f"page {number}: {type(error).__name__}: {error}")
            # As a new request would: a connection the database dropped
            # (restarted) is not used again.
            from django.db import connection

            connection.close()
            time.sleep(0.5)
            page.save_revision().publish()  # the editor presses Publish again
        pages.append(page)
        chaos.after_publish(number + 1)
        comms.look_in()
    return pages, errors


class CommsManager:
    """Reconnects an account whose sign-in a fault spent, as a person would.

    A token renewal whose answer is lost (the connection drops after X has
    rotated its tokens, or Bluesky its session's) spends the only refresh
    token we hold, so the account waits for someone to sign in again. That is
    the one cause this stands in for: an account parked for any other reason is
    left as it is, and its rows count as lost.
    """

    def __init__(self, control, log: list[str]) -> None:
        self.control = control
        self.log = log
        self.reconnected: collections.Counter = collections.Counter()

    def spent_renewals(self, platform: str) -> int:
        """Token calls on ``platform`` whose answer the sandbox dropped, less
        Bluesky sign-ins (``createSession``, this manager's own: a session
        lost so spends nothing)."""
        return sum(
            1
            for entry in self.control.requests_log(platform)
            if entry["operation"] == "token"
            and entry["fault"] == "drop_after_create"
            and not entry["path"].endswith("createSession")
        )

    def look_in(self) -> None:
        """Reconnect each parked account whose renewals were spent more often
        than it was reconnected. Cheap while none is parked; called often, so
        the sandbox's log (its last 5,000 calls) still holds the renewal."""
        from publishing.models import ChannelAccount

        parked = ChannelAccount.objects.filter(
            status=ChannelAccount.Status.NEEDS_RECONNECT
        )
        for account in parked:
            if self.reconnected[account.platform] < self.spent_renewals(
                account.platform
            ):
                self.reconnect(account)

    def reconnect(self, account) -> None:
        """Sign in again at the sandbox (:func:`harness.sign_in`: Bluesky with
        its app password) and save the account through the connect screen's
        own function, which resumes its waiting posts. A sign-in the faults
        fail is left for the next look, as a person would try again."""
        from channels.errors import ChannelError
        from publishing.accounts import save_connected

        try:
            found = harness.sign_in(self.control, account.platform)
        except ChannelError as error:
            self.log.append(f"{account.platform} sign-in failed, to retry: {error}")
            return
        _, resumed = save_connected(found, user=None)
        self.reconnected[account.platform] += 1
        self.log.append(
            f"{account.platform} reconnected after a lost renewal answer "
            f"({resumed} posts resumed)"
        )


def wait_until_final(
    pages, channels: int, deadline: float, comms: CommsManager
) -> None:
    from publishing.models import CrossPost

    rows = CrossPost.objects.filter(page_id__in=[page.pk for page in pages])
    expected = channels * len(pages)
    final = CrossPost.FINAL_STATES

    def finished() -> bool:
        comms.look_in()
        return rows.filter(state__in=final).count() == expected

    harness.wait_until(finished, max(deadline - time.monotonic(), 0), 1.0)


def tally(
    pages, control, platforms: tuple[str, ...], started_at: float
) -> dict[str, Any]:
    """Count what happened, from the database and from the sandbox's side: in
    all, and for each of ``platforms`` (``by_platform``, with the seconds from
    ``started_at``, a ``time.time()``, to its last post)."""
    from publishing import content
    from publishing.models import CrossPost

    State = CrossPost.State
    rows = list(CrossPost.objects.filter(page_id__in=[page.pk for page in pages]))
    markers = {content.canonical_url(page) for page in pages}
    live = collections.defaultdict(list)
    remote_ids = set()
    created = {}
    for post in control.posts():
        created[post["id"]] = post["created_at"]
        for marker in {url.split("?")[0] for url in post["urls"]} & markers:
            live[(post["platform"], marker)].append(post["id"])
            remote_ids.add((post["platform"], post["id"]))
    duplicated = {key: ids for key, ids in live.items() if len(ids) > 1}
    posted = [row for row in rows if row.state == State.POSTED]
    unfinished = [row for row in rows if row.state not in CrossPost.FINAL_STATES]
    broken = [
        row
        for row in posted
        if not row.permalink or (row.platform, row.remote_id) not in remote_ids
    ]
    missing = len(platforms) * len(pages) - len(rows)
    lost_ids = {row.pk for row in [*unfinished, *broken]}
    by_platform = {}
    for platform in platforms:
        mine = [row for row in rows if row.platform == platform]
        by_platform[platform] = {
            "posted": sum(row.state == State.POSTED for row in mine),
            "failed": sum(row.state == State.FAILED for row in mine),
            "duplicates": sum(
                len(ids) - 1
                for (where, _marker), ids in duplicated.items()
                if where == platform
            ),
            "lost": len(pages)
            - len(mine)
            + sum(row.pk in lost_ids for row in mine),
            "last_post_s": round(
                max(
                    (row.posted_at.timestamp() for row in mine if row.posted_at),
                    default=started_at,
                )
                - started_at,
                1,
            ),
        }
    return {
        "platforms": list(platforms),
        "items": len(pages),
        "rows": len(rows),
        "posted": len(posted),
        "failed": sum(row.state == State.FAILED for row in rows),
        "duplicates": sum(len(ids) - 1 for ids in duplicated.values()),
        "duplicates_by_platform": dict(
            collections.Counter(
                platform for (platform, _), ids in duplicated.items() for _ in ids[1:]
            )
        ),
        "lost": len(unfinished) + len(broken) + missing,
        "by_platform": by_platform,
        "states": dict(collections.Counter(row.state for row in rows)),
        "unfinished": [
            (row.pk, row.platform, row.state, row.last_error[:120])
            for row in unfinished[:10]
        ],
        "duplicate_details": [
            _history(rows, platform, marker, [(i, created[i]) for i in ids])
            for platform in platforms
            for marker, ids in [
                (marker, ids)
                for (where, marker), ids in duplicated.items()
                if where == platform
            ][:3]
        ],
        "failures": sorted(
            {row.last_error[:160] for row in rows if row.state == State.FAILED}
        )[:10],
    }


def _history(rows, platform: str, marker: str, remote_ids: list) -> str:
    """A duplicated row's audit trail, to find how the second post came about."""
    from wagtail.models import PageLogEntry

    row = next(r for r in rows if r.platform == platform and r.marker == marker)
    entries = PageLogEntry.objects.filter(
        page_id=row.page_id, data__crosspost=row.pk
    ).order_by("timestamp", "id")
    trail = " > ".join(
        f"{entry.timestamp:%H:%M:%S.%f} {entry.action.rsplit('.', 1)[1]}"
        f" {entry.data.get('error', '')[:80]}"
        for entry in entries
    )
    return (
        f"{platform} row {row.pk} (attempts {row.attempts}, kept "
        f"{row.remote_id}) has posts {remote_ids}: {trail}"
    )


def main(
    items: int = 300,
    kills: int = 2,
    redis_restart: bool = True,
    embedded: bool = False,
    deadline_seconds: float = 900.0,
    concurrency: int = 4,
    youtube_lost_answers: float = 0.0,
    playlist_lag: float = 0.0,
    quick: bool = False,
    database_from: str = "",
    platforms: tuple[str, ...] = harness.FIVE,
) -> dict[str, Any]:
    started, started_at = time.monotonic(), time.time()
    # A migrated database to start from (the test suite's): migrate then
    # applies only what it lacks, instead of every migration from the first.
    backends = harness.provision(
        "soak", REDIS_DB, embedded=embedded,
        template="" if embedded else database_from,
    )
    if database_from and not backends.postgres_name:
        if not embedded:
            backends.cleanup()
            raise ValueError("--database-from names a PostgreSQL database: "
                             "PostgreSQL did not answer (a SQLite file needs "
                             "--embedded)")
        shutil.copyfile(database_from, backends.folder / "db.sqlite3")
    sandbox = harness.Sandbox()
    processes: list[harness.CeleryProcess] = []
    keep_logs = True
    try:
        settings_env = {**SETTINGS_ENV, **(QUICK_SETTINGS_ENV if quick else {})}
        env = harness.setup_django(backends, SANDBOX_URL=sandbox.url, **settings_env)
        logs = backends.folder / "logs"
        control = sandbox.control
        control.quota(units_limit=10**9, inserts_limit=10**6, uploads_limit=10**6)
        world = harness.build_world(control, platforms=platforms)
        workers = [
            harness.CeleryProcess.worker(f"soak{n}", env, logs, concurrency)
            for n in (1, 2)
        ]
        beat = harness.CeleryProcess.beat(env, logs)
        processes = [*workers, beat]
        for process in processes:
            process.start()
        harness.wait_for_worker()
        youtube_scenario(control, youtube_lost_answers, playlist_lag)
        expiries = inject_faults(control, platforms, quick=quick)
        redis = redis_restart and can_restart_redis(backends)
        postgres = (
            local_postgres_cluster()
            if redis_restart and backends.postgres_name
            else None
        )
        chaos = Chaos(items, workers, kills, redis, quick, beat=beat,
                      postgres=postgres)
        comms = CommsManager(control, chaos.log)
        pages, publish_errors = publish_all(world, items, chaos, comms)
        chaos.finish(workers)
        wait_until_final(pages, len(platforms), started + deadline_seconds, comms)
        waiting = {fault["id"] for fault in control.faults()}
        expired = [name for name, fault in expiries.items() if fault not in waiting]
        control.clear_faults()
        result = tally(pages, control, platforms, started_at)
        result.update(
            seconds=round(time.monotonic() - started, 1),
            expired_tokens=expired,
            backends=backends.describe(),
            chaos=chaos.log,
            redis_restart="done" if redis else "skipped (not a local Redis as root)",
            postgres_restart="done" if postgres else "skipped (not a local "
            "PostgreSQL cluster as root)",
            publish_errors=publish_errors,
        )
        # Every fault the soak injects is temporary: every post goes out.
        result["meets_target"] = (
            result["duplicates"] == 0 and result["lost"] == 0 and result["failed"] == 0
        )
        keep_logs = not result["meets_target"]
        return result
    finally:
        # Counted (or failed): nothing the processes still do can matter, and a
        # warm shutdown of each, one after another, takes half a minute.
        for process in processes:
            process.kill()
        sandbox.stop()
        if keep_logs and (backends.folder / "logs").exists():
            kept = harness.ROOT / "var" / f"soak-logs-{os.getpid()}"
            shutil.copytree(backends.folder / "logs", kept, dirs_exist_ok=True)
            print(f"worker and beat logs kept in {kept}", file=sys.stderr)
        backends.cleanup()


def print_table(result: dict[str, Any]) -> None:
    columns = ("items", "posted", "failed", "duplicates", "lost", "seconds")
    print(
        f"soak on {result['backends']}; {'; '.join(result['chaos'])}; "
        f"Redis restart {result['redis_restart']}; "
        f"PostgreSQL restart {result.get('postgres_restart', 'skipped')}"
    )
    expired = ", ".join(result["expired_tokens"]) or "none"
    print(f"platforms: {','.join(result['platforms'])}; an access token expired "
          f"on: {expired}")
    print("".join(f"{name:>12}" for name in columns))
    print("".join(f"{result[name]:>12}" for name in columns))
    each = ("posted", "failed", "duplicates", "lost", "last_post_s")
    print(f"{'platform':<12}" + "".join(f"{name:>12}" for name in each))
    for platform, figures in result["by_platform"].items():
        print(f"{platform:<12}" + "".join(f"{figures[name]:>12}" for name in each))
    print(f"rows by state: {json.dumps(result['states'])}")
    if result["duplicates"]:
        print(f"duplicates by platform: {json.dumps(result['duplicates_by_platform'])}")
    labels = {
        "duplicate_details": "duplicate",
        "failures": "failure",
        "unfinished": "unfinished",
        "publish_errors": "publish error",
    }
    for key, label in labels.items():
        for line in result[key]:
            print(f"{label}: {line}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument(
        "--platforms",
        type=harness.parse_platforms,
        default=harness.FIVE,
        help=f"comma list of channels (default: {','.join(harness.FIVE)})",
    )
    parser.add_argument(
        "--no-redis-restart",
        action="store_true",
        help="restart neither Redis nor PostgreSQL (the suite's short soak)",
    )
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="SQLite and the filesystem broker even if servers answer",
    )
    parser.add_argument(
        "--deadline",
        type=float,
        default=900.0,
        help="seconds before unfinished rows count as lost",
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, help="processes per worker"
    )
    parser.add_argument(
        "--youtube-lost-answers",
        type=float,
        default=0.0,
        help="share of YouTube upload calls whose answer is lost (e.g. 0.2)",
    )
    parser.add_argument(
        "--playlist-lag",
        type=float,
        default=0.0,
        help="seconds before YouTube's uploads playlist lists a new video",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="for the test suite: no waits of a minute or more (no Facebook rate "
        "limits; a killed worker's leases end at once)",
    )
    parser.add_argument(
        "--database-from",
        default="",
        help="a migrated database to start from (the test suite's), so migrate "
        "is quick: a SQLite file with --embedded, else a PostgreSQL database "
        "that nobody is connected to, copied as a template",
    )
    options = parser.parse_args()
    outcome = main(
        options.items,
        options.kills,
        not options.no_redis_restart,
        options.embedded,
        options.deadline,
        options.concurrency,
        options.youtube_lost_answers,
        options.playlist_lag,
        options.quick,
        options.database_from,
        options.platforms,
    )
    print_table(outcome)
    sys.exit(0 if outcome["meets_target"] else 1)
