"""The soak (benchmarks/soak.py) as a test: announcements to every channel
(Facebook, X, YouTube, Mastodon and Bluesky) through two real workers and
beat, with the sandbox's faults on and workers SIGKILLed mid-run; nothing may
be lost or posted twice.

The suite runs a short one: 18 announcements to the five channels (90 posts,
as 30 to three made), one kill, no waits of a minute (``--quick``). The full one
(300 announcements, two kills, a Redis restart when Redis is local) is marked
``soak`` and runs only with ``make soak``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]

FIVE = "facebook,x,youtube,mastodon,bluesky"
SHORT = [
    "--items", "18", "--kills", "1", "--no-redis-restart", "--quick",
    "--platforms", FIVE,
]
# The full soak also loses a fifth of YouTube's upload answers while the uploads
# playlist lags behind by a few seconds: only the upload session can tell then.
FULL = [
    "--items", "300", "--kills", "2",
    "--youtube-lost-answers", "0.2", "--playlist-lag", "5",
    "--platforms", FIVE,
]


@pytest.mark.parametrize(
    ("options", "items", "deadline"),
    [
        pytest.param(SHORT, 18, 300, marks=pytest.mark.integration, id="short"),
        # Five channels post 1,500 times where three posted 900 in a quarter
        # of an hour: the deadline leaves room for that.
        pytest.param(
            FULL, 300, 1500, marks=[pytest.mark.integration, pytest.mark.soak],
            id="full",
        ),
    ],
)
def test_soak_loses_nothing_and_posts_nothing_twice(
    options, items, deadline, migrated_template
):
    command = [
        sys.executable, "-m", "benchmarks.soak", *options,
        "--deadline", str(deadline),
    ]
    # The short soak follows the suite: PostgreSQL and Redis only when the suite
    # itself uses them. The full one takes them whenever they answer locally.
    servers = os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")
    if options is SHORT:
        if not servers:
            command += ["--embedded"]
        # Migrating a new database takes a quarter to half a minute on two busy
        # cores: the suite's migrated template (an SQLite file, or a PostgreSQL
        # database nobody is connected to) is copied instead when it is of the
        # soak's kind.
        on_sqlite = "sqlite" in settings.DATABASES["default"]["ENGINE"]
        if on_sqlite == (not servers):
            command += ["--database-from", migrated_template]
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}

    run = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=deadline + 300,
    )
    # The full soak restarts PostgreSQL: this process's connection died with it,
    # and the test database's teardown needs a live one.
    connections.close_all()
    print(run.stdout)  # the soak's table, shown by ``make soak`` (-rP)
    if run.stderr:  # e.g. why the template could not be copied
        print(run.stderr[-3000:])

    report = run.stdout + run.stderr[-4000:]
    numbers = re.search(
        r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+\s*$", run.stdout, re.M
    )
    assert numbers, report
    counted, posted, failed, duplicates, lost = map(int, numbers.groups())
    # The run says which channels it used: the ones asked for, each posted to.
    used = re.search(r"^platforms: ([a-z,]+)", run.stdout, re.M)
    asked = options[options.index("--platforms") + 1]
    assert used and used.group(1) == asked, report
    channels = len(asked.split(","))
    assert (counted, duplicates, lost) == (items, 0, 0), report
    # Every fault injected is temporary: retried for a day, so all go out.
    assert (posted, failed) == (channels * items, 0), report
    assert "SIGKILL" in run.stdout, report
    assert run.returncode == 0, report
