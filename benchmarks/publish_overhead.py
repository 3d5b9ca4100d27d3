"""What cross-posting adds to publishing a page.

Run with ``python -m benchmarks.publish_overhead``. In one run, on a database and
broker of its own (PostgreSQL and Redis DB 7 when they answer, else SQLite and the
filesystem transport), it publishes identical announcements alternately with the
three channels on (the site's default accounts) and off (``social_mode`` "none").
Each sample is ``revision.publish()`` inside a transaction, commit included, so
the outbox rows, the audit entries and the ``on_commit`` enqueue to the real
broker are all counted. No worker runs: only the editor's side is timed.

``main()`` returns p50 for each side, their ratio, the target and the verdict.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from benchmarks import harness

TARGET_RATIO = 1.05
REDIS_DB = 7


def _timed_publish(page) -> float:
    from django.db import transaction

    revision = page.save_revision()
    started = time.perf_counter()
    with transaction.atomic():
        revision.publish()
    return (time.perf_counter() - started) * 1000


def main(samples: int = 60, embedded: bool = False) -> dict[str, Any]:
    backends = harness.provision("bench_overhead", REDIS_DB, embedded=embedded)
    sandbox = harness.Sandbox()
    try:
        harness.setup_django(backends, SANDBOX_URL=sandbox.url)
        from publishing.models import CrossPost

        world = harness.build_world(sandbox.control)
        pairs = [
            (
                harness.make_announcement(world, n, prefix="On"),
                harness.make_announcement(world, n, prefix="Off", social=False),
            )
            for n in range(samples + 5)
        ]
        on_ms, off_ms = [], []
        for number, (on_page, off_page) in enumerate(pairs):
            # Alternate the order so neither side always follows the other.
            first, second = (on_page, off_page) if number % 2 else (off_page, on_page)
            timings = {id(first): _timed_publish(first)}
            timings[id(second)] = _timed_publish(second)
            if number < 5:
                continue  # warm-up: renditions, caches, broker connection
            on_ms.append(timings[id(on_page)])
            off_ms.append(timings[id(off_page)])
        rows = CrossPost.objects.count()
        on, off = harness.summarise(on_ms), harness.summarise(off_ms)
        ratio = round(on["p50_ms"] / off["p50_ms"], 3)
        return {
            "backends": backends.describe(),
            "checks": [
                harness.check("publish with 3 channels / without, p50 ratio", ratio,
                              f"<= {TARGET_RATIO:g}", ratio <= TARGET_RATIO),
            ],
            "channels_on": on,
            "channels_off": off,
            "ratio_p50": ratio,
            "outbox_rows_written": rows,
            "target_ratio": TARGET_RATIO,
            "meets_target": ratio <= TARGET_RATIO,
        }
    finally:
        sandbox.stop()
        backends.cleanup()


def _print(results: dict[str, Any]) -> None:
    print(f"backends: {results['backends']}")
    print(f"{'publish (commit included)':<30}{'p50 ms':>9}{'p95 ms':>9}{'n':>5}")
    sides = (("3 channels on", "channels_on"), ("channels off", "channels_off"))
    for label, key in sides:
        run = results[key]
        print(f"{label:<30}{run['p50_ms']:>9.1f}{run['p95_ms']:>9.1f}{run['n']:>5}")
    verdict = "meets" if results["meets_target"] else "misses"
    print(f"on/off p50 ratio {results['ratio_p50']}x: {verdict} the target of "
          f"<= {TARGET_RATIO}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--embedded", action="store_true",
                        help="SQLite and the filesystem broker even if servers answer")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    outcome = main(options.samples, options.embedded)
    print(json.dumps(outcome, indent=2)) if options.json else _print(outcome)
