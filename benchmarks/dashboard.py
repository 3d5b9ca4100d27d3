"""How the cross-post dashboard scales: 1,000 rows against 100,000, side by side.

Builds a throwaway SQLite database in a temporary folder, fills it with
``bulk_create`` and times the dashboard request with Django's test client,
counting its queries. The target is a median (p50) of at most 300 ms at 100k
rows, with the same number of queries at both sizes.

    python -m benchmarks.dashboard
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

TARGET_P50_MS = 300.0
SIZES = (1_000, 100_000)
STATE_MIX = (
    ["posted"] * 80
    + ["failed"] * 6
    + ["held"] * 4
    + ["pending"] * 4
    + ["retrying"] * 3
    + ["needs_reconnect"] * 2
    + ["retracted"]
)
DEPARTMENTS = ("Waste and Recycling", "Highways", "Libraries", "Council Tax", "Parks")


def _configure(folder: Path) -> None:
    """Point Django at a database, broker and cache of this run's own."""
    from cryptography.fernet import Fernet

    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'dashboard.sqlite3'}"
    os.environ["CELERY_BROKER_DIR"] = str(folder / "broker")
    os.environ["BENCH_CACHE_DIR"] = str(folder / "cache")
    os.environ["TOKEN_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    os.environ.pop("REDIS_URL", None)

    import django

    # whitenoise warns that collectstatic has not run; the admin's assets are
    # not what is measured.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.core.management import call_command
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    call_command("migrate", verbosity=0, interactive=False)
    # As in Django's own test runner, keep one connection across requests, so
    # queries can be counted and connecting is not part of what is timed.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)


def _fill(total: int, accounts: list, start: int) -> None:
    """Add rows until there are ``total``, spread over states, accounts and days."""
    from django.utils import timezone

    from publishing.models import CrossPost

    now = timezone.now()
    batch = []
    for n in range(start, total):
        account = accounts[n % len(accounts)]
        state = STATE_MIX[n % len(STATE_MIX)]
        batch.append(
            CrossPost(
                account=account,
                platform=account.platform,
                idempotency_key=f"bench:{n}",
                page_title=f"Announcement number {n}",
                department=DEPARTMENTS[n % len(DEPARTMENTS)],
                text=f"Announcement number {n} https://council.example/news/{n}/",
                link=f"https://council.example/news/{n}/",
                marker=f"https://council.example/news/{n}/",
                content_hash="bench",
                state=state,
                attempts=n % 4,
                last_error="(#506) Duplicate status message"
                if state == "failed"
                else "",
                last_error_kind="rejected" if state == "failed" else "",
                permalink=f"https://x.example/status/{n}" if state == "posted" else "",
                likes=n % 50 if state == "posted" else None,
                created_at=now - timedelta(minutes=n),
                posted_at=now - timedelta(minutes=n) if state == "posted" else None,
            )
        )
        if len(batch) == 5000:
            CrossPost.objects.bulk_create(batch)
            batch = []
    CrossPost.objects.bulk_create(batch)


def _measure(client, url: str, repeats: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm up: templates, content types, SQLite page cache
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = len(captured)  # read now: the next request resets the log
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "max_ms": round(max(samples), 1),
        "queries": queries,
    }


def main(sizes: tuple[int, ...] = SIZES, repeats: int = 25) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    try:
        _configure(folder)
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.urls import reverse

        from publishing.models import ChannelAccount

        user = get_user_model().objects.create_superuser("bench", "b@example.org", "x")
        accounts = [
            ChannelAccount.objects.create(
                platform=platform,
                display_name=name,
                remote_id=remote_id,
                access_token="bench-token",  # noqa: S106
            )
            for platform, name, remote_id in (
                ("facebook", "Exampleshire CC", "200000000001"),
                ("x", "@ExampleshireCC", "3000000001"),
                ("youtube", "Exampleshire CC", "UCexampleshire0000000001"),
            )
        ]
        client = Client()
        client.force_login(user)
        dashboard = reverse("publishing_admin:dashboard")
        urls = {"all": dashboard, "failed": f"{dashboard}?state=failed"}
        results: dict[str, Any] = {"target_p50_ms": TARGET_P50_MS, "sizes": {}}
        filled = 0
        for size in sizes:
            _fill(size, accounts, filled)
            filled = size
            results["sizes"][size] = {
                name: _measure(client, url, repeats) for name, url in urls.items()
            }
        small, large = (results["sizes"][size]["all"] for size in (sizes[0], sizes[-1]))
        results["p50_ratio"] = round(large["p50_ms"] / small["p50_ms"], 2)
        results["same_query_count"] = small["queries"] == large["queries"]
        results["meets_target"] = large["p50_ms"] <= TARGET_P50_MS
        _print(results)
        return results
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _print(results: dict[str, Any]) -> None:
    print("Cross-post dashboard, Django test client, throwaway SQLite database")
    print(f"{'rows':>8} {'listing':>8} {'p50 ms':>8} {'max ms':>8} {'queries':>8}")
    for size, runs in results["sizes"].items():
        for name, run in runs.items():
            print(
                f"{size:>8} {name:>8} {run['p50_ms']:>8} {run['max_ms']:>8} "
                f"{run['queries']:>8}"
            )
    print(
        f"p50 ratio (largest / smallest, all rows): {results['p50_ratio']}x; "
        f"same query count: {results['same_query_count']}; "
        f"target p50 <= {results['target_p50_ms']:.0f} ms at the largest size: "
        f"{'met' if results['meets_target'] else 'NOT met'}"
    )


if __name__ == "__main__":
    sys.exit(0 if main()["meets_target"] else 1)
