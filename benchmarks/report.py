"""Run every benchmark and write benchmarks/REPORT.md (``make bench``).

Each module in ``benchmarks/`` with a ``main()`` is a benchmark; it returns a dict
of measurements, targets and ``meets_target``, and may list ``checks`` (name,
measured, target, passed) for the report's table. Each runs in a process of its
own, since each configures Django for a database of its own. The soak test is not
a benchmark: ``make soak`` runs it.

The report is regenerated, never edited by hand.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import benchmarks
from benchmarks import harness

NOT_BENCHMARKS = {"harness", "report", "settings", "soak", "tasks"}
RESULT_PREFIX = "BENCHMARK-RESULT "
REPORT = Path(__file__).resolve().parent / "REPORT.md"
#: Figures of an earlier head, shown beside this run's for the same checks.
BEFORE = Path(__file__).resolve().parent / "before.json"


def benchmark_names() -> list[str]:
    return sorted(
        module.name
        for module in pkgutil.iter_modules(benchmarks.__path__)
        if module.name not in NOT_BENCHMARKS and not module.name.startswith("_")
    )


def run_one(name: str) -> None:
    """Run ``benchmarks.<name>.main()`` here and print its dict on one line."""
    module = importlib.import_module(f"benchmarks.{name}")
    result = module.main()
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)


def run_in_subprocess(name: str, timeout: float) -> dict[str, Any]:
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.report", "--run-one", name],
            cwd=harness.ROOT, capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:g} s"}
    seconds = round(time.monotonic() - started, 1)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX):])
            return {"result": result, "seconds": seconds}
    tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
    return {"error": f"exit {done.returncode}: " + " / ".join(tail), "seconds": seconds}


def _flatten(value: Any, prefix: str = "", depth: int = 0) -> list[tuple[str, Any]]:
    if isinstance(value, dict) and depth < 3:
        rows = []
        for key, item in value.items():
            rows += _flatten(item, f"{prefix}{key}." if depth < 2 else prefix + key,
                             depth + 1)
        return rows
    return [(prefix.rstrip("."), value)]


def _section(name: str, outcome: dict[str, Any]) -> list[str]:
    lines = [f"## {name}", ""]
    if "error" in outcome:
        return [*lines, f"**Did not run:** {outcome['error']}", ""]
    result = outcome["result"]
    verdict = {True: "meets its targets", False: "**misses a target**"}.get(
        result.get("meets_target"), "no overall verdict"
    )
    where = f" on {result['backends']}" if result.get("backends") else ""
    lines += [f"`python -m benchmarks.{name}`{where}, {outcome['seconds']} s: "
              f"{verdict}.", ""]
    if result.get("checks"):
        lines += ["| measurement | measured | target | |", "|---|---:|---|---|"]
        for check in result["checks"]:
            mark = "pass" if check["passed"] else "**FAIL**"
            lines.append(f"| {check['name']} | {check['measured']} | "
                         f"{check['target']} | {mark} |")
        lines.append("")
    details = [
        (key, value) for key, value in _flatten(result)
        if not key.startswith(("checks", "backends")) and not isinstance(value, list)
    ]
    lines += ["<details><summary>all figures</summary>", "",
              "| figure | value |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in details]
    return [*lines, "", "</details>", ""]


def _before_and_after(outcomes: dict[str, dict[str, Any]]) -> list[str]:
    """This run's checks beside the same checks of ``before.json``'s head."""
    if not BEFORE.exists():
        return []
    before = json.loads(BEFORE.read_text())
    now = {
        check["name"]: check
        for outcome in outcomes.values()
        for check in outcome.get("result", {}).get("checks", [])
    }
    lines = ["## Before and after", "", f"Before: {before['label']}.", "",
             "| measurement | before | now | target |", "|---|---:|---:|---|"]
    for name, measured in before["checks"].items():
        check = now.get(name)
        current = check["measured"] if check else "not run"
        target = check["target"] if check else ""
        lines.append(f"| {name} | {measured} | {current} | {target} |")
    return [*lines, ""]


def _three_and_five(outcomes: dict[str, dict[str, Any]]) -> list[str]:
    """The figures measured with three channels a page and with five, side by
    side: the pipeline's bursts and the publish request's overhead."""
    pipeline = outcomes.get("pipeline", {}).get("result", {})
    overhead = outcomes.get("publish_overhead", {}).get("result", {})
    rows = []
    bursts = (pipeline.get("burst"), pipeline.get("burst_five_channels"))
    if all(bursts):
        three, five = bursts
        rows += [
            ("burst: fraction of the concurrency/latency bound",
             three["fraction_of_bound"], five["fraction_of_bound"],
             f">= {three['target_fraction']:g}"),
            ("burst: rows posted a second (bound)",
             f"{three['rows_per_second']} ({three['bound_rows_per_second']})",
             f"{five['rows_per_second']} ({five['bound_rows_per_second']})", ""),
            ("burst: API calls a page", three["api_calls_per_page"],
             five["api_calls_per_page"], ""),
        ]
    ratios = overhead.get("ratio_p50")
    if isinstance(ratios, dict):
        request = overhead["publish_request"]
        rows += [
            ("publish request / none, p50 ratio", ratios["three"], ratios["five"],
             f"<= {overhead['target_ratio']:g}"),
            (f"publish request p50 ms (none: {request['none']['p50_ms']})",
             request["three"]["p50_ms"], request["five"]["p50_ms"], ""),
        ]
    if not rows:
        return []
    lines = ["## Three channels and five", "",
             "Facebook, X and YouTube; then Mastodon and Bluesky too.", "",
             "| measurement | three channels | five channels | target |",
             "|---|---:|---:|---|"]
    lines += [f"| {name} | {three} | {five} | {target} |"
              for name, three, five, target in rows]
    return [*lines, ""]


def write_report(outcomes: dict[str, dict[str, Any]]) -> str:
    machine = harness.machine()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark report",
        "",
        f"Generated by `python -m benchmarks.report` (`make bench`) on {now}. "
        "Do not edit: run it again.",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram']} RAM; "
        f"Python {machine['python']}; {machine['os']}.",
        "",
        "| benchmark | result |",
        "|---|---|",
    ]
    for name, outcome in outcomes.items():
        met = outcome.get("result", {}).get("meets_target")
        status = ("did not run" if "error" in outcome
                  else {True: "meets targets", False: "**misses a target**"}.get(
                      met, "no verdict"))
        lines.append(f"| [{name}](#{name}) | {status} |")
    lines.append("")
    lines += _before_and_after(outcomes)
    lines += _three_and_five(outcomes)
    for name, outcome in outcomes.items():
        lines += _section(name, outcome)
    text = "\n".join(lines)
    REPORT.write_text(text)
    return text


def main(names: list[str] | None = None, timeout: float = 1800.0) -> dict[str, Any]:
    outcomes = {}
    for name in names or benchmark_names():
        print(f"running benchmarks.{name} ...", flush=True)
        outcomes[name] = run_in_subprocess(name, timeout)
        result = outcomes[name].get("result", {})
        print(f"  {outcomes[name].get('error') or result.get('meets_target')}",
              flush=True)
    write_report(outcomes)
    print(f"wrote {REPORT.relative_to(harness.ROOT)}")
    return {
        name: outcome.get("result", outcome) for name, outcome in outcomes.items()
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these benchmarks")
    parser.add_argument("--run-one", metavar="NAME", help=argparse.SUPPRESS)
    parser.add_argument(
        "--timeout", type=float, default=1800.0,
        help="seconds each benchmark may take (the pipeline runs two bursts)",
    )
    options = parser.parse_args()
    if options.run_one:
        run_one(options.run_one)
    else:
        main(options.names, options.timeout)
