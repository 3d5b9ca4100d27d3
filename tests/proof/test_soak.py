"""A small soak: 30 announcements to three channels through two real workers and
beat, with the sandbox's faults on and one worker SIGKILLed mid-run. ``make
soak`` runs the full size (300 items, two kills, a Redis restart)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def test_small_soak_loses_nothing_and_posts_nothing_twice():
    command = [
        sys.executable, "-m", "benchmarks.soak", "--items", "30", "--kills", "1",
        "--no-redis-restart", "--deadline", "300",
    ]
    # Follow the suite: PostgreSQL and Redis only when the suite itself uses them.
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        command.append("--embedded")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}

    run = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )

    report = run.stdout + run.stderr[-4000:]
    numbers = re.search(
        r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+\s*$", run.stdout, re.M
    )
    assert numbers, report
    items, posted, failed, duplicates, lost = map(int, numbers.groups())
    assert (items, duplicates, lost) == (30, 0, 0), report
    assert posted + failed == 90, report
    assert "SIGKILL" in run.stdout, report
    assert run.returncode == 0, report
