"""Per-request overhead of the platform sandbox.

Run with ``python -m benchmarks.sandbox``. Starts the sandbox and, side by side, a
bare no-op WSGI app on the same threaded keep-alive server (each in its own
process, so the client's threads do not share a GIL with the server), then
measures request latency with keep-alive ``requests.Session`` clients at 1 and
32 concurrent clients, the calls taking turns in rounds. ``main()`` returns the
results as a dict.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

TARGET_P50_MS = 2.0
ROOT = Path(__file__).resolve().parents[1]


def _noop_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    body = b'{"data":{}}'
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]


def serve_noop() -> None:
    """A bare server of the same kind as the sandbox."""
    from sandbox.wsgi_server import make_wsgi_server

    server = make_wsgi_server("127.0.0.1", 0, _noop_app)
    print(f"Noop listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


def _spawn(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE)
    assert proc.stdout is not None  # noqa: S101 - set by stdout=PIPE
    line = proc.stdout.readline().strip()
    return proc, line.rsplit(" ", 1)[1]


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _run(clients: int, per_client: int,
         make_call: Callable[[requests.Session, int, int], requests.Response]
         ) -> tuple[list[float], list[int], float]:
    """``clients`` threads making ``per_client`` calls each: every call's
    milliseconds, the error statuses and the wall-clock seconds."""
    samples: list[float] = []
    lock = threading.Lock()
    failures: list[int] = []

    def worker(index: int) -> None:
        session = requests.Session()
        make_call(session, index, -1)  # warm the keep-alive connection
        local = []
        for n in range(per_client):
            started = time.perf_counter()
            resp = make_call(session, index, n)
            local.append((time.perf_counter() - started) * 1000)
            if resp.status_code >= 400:
                failures.append(resp.status_code)
        with lock:
            samples.extend(local)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    wall = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, failures, time.perf_counter() - wall


def _rounds(clients: int, per_client: int, rounds: int,
            calls: dict[str, Callable[[requests.Session, int, int],
                                      requests.Response]]) -> dict[str, dict]:
    """Each call's figures, measured in ``rounds`` turns taken in turn with the
    other calls, so a slow moment of a shared machine falls on them all alike
    rather than on whichever happened to be running."""
    runs = {name: ([], [], 0.0) for name in calls}
    for _round in range(rounds):
        for name, call in calls.items():
            samples, failures, wall = _run(clients, max(1, per_client // rounds),
                                           call)
            done, failed, seconds = runs[name]
            runs[name] = (done + samples, failed + failures, seconds + wall)
    return {
        name: {"requests": len(samples), "errors": len(failures),
               "p50_ms": round(statistics.median(samples), 3),
               "p99_ms": round(_percentile(samples, 99), 3),
               "mean_ms": round(statistics.fmean(samples), 3),
               "throughput_rps": round(len(samples) / seconds, 1)}
        for name, (samples, failures, seconds) in runs.items()
    }


def main(requests_per_client: int = 400) -> dict[str, Any]:
    sandbox, sandbox_url = _spawn(["-m", "sandbox", "--port", "0"])
    noop, noop_url = _spawn(["-m", "benchmarks.sandbox", "--serve-noop"])
    try:
        from sandbox.control import SandboxControl

        token = SandboxControl(sandbox_url).mint_token("x")["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        counter = iter(range(10**9))
        calls: dict[str, Callable[[requests.Session, int, int], requests.Response]] = {
            "x_create_tweet": lambda s, i, n: s.post(
                f"{sandbox_url}/x/2/tweets", headers=auth, timeout=10,
                json={"text": f"Benchmark post {next(counter)}"}),
            "x_users_me": lambda s, i, n: s.get(f"{sandbox_url}/x/2/users/me",
                                                headers=auth, timeout=10),
            "noop_post": lambda s, i, n: s.post(f"{noop_url}/x/2/tweets",
                                                headers=auth, timeout=10,
                                                json={"text": "noop"}),
            "noop_get": lambda s, i, n: s.get(f"{noop_url}/x/2/users/me",
                                              headers=auth, timeout=10),
        }
        results: dict[str, Any] = {"target_p50_ms": TARGET_P50_MS, "runs": {}}
        for clients, rounds in ((1, 8), (32, 2)):
            per = requests_per_client if clients == 1 else max(
                20, requests_per_client // 8)
            for name, run in _rounds(clients, per, rounds, calls).items():
                results["runs"][f"{name}@{clients}"] = run
        ratios = {}
        for clients in (1, 32):
            runs = results["runs"]
            ratios[f"create_vs_noop@{clients}"] = round(
                runs[f"x_create_tweet@{clients}"]["p50_ms"]
                / runs[f"noop_post@{clients}"]["p50_ms"], 2)
            ratios[f"get_vs_noop@{clients}"] = round(
                runs[f"x_users_me@{clients}"]["p50_ms"]
                / runs[f"noop_get@{clients}"]["p50_ms"], 2)
        results["ratios"] = ratios
        results["meets_target"] = all(
            results["runs"][f"{n}@1"]["p50_ms"] <= TARGET_P50_MS
            for n in ("x_create_tweet", "x_users_me"))
        results["checks"] = [
            {"name": f"{n} p50 ms at 1 client", "target": f"<= {TARGET_P50_MS:g}",
             "measured": results["runs"][f"{n}@1"]["p50_ms"],
             "passed": results["runs"][f"{n}@1"]["p50_ms"] <= TARGET_P50_MS}
            for n in ("x_create_tweet", "x_users_me")]
        return results
    finally:
        for proc in (sandbox, noop):
            proc.terminate()
            proc.wait(timeout=10)


def _print(results: dict[str, Any]) -> None:
    print(f"{'run':<22}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'req/s':>9}")
    for name, run in results["runs"].items():
        print(f"{name:<22}{run['p50_ms']:>9.3f}{run['p99_ms']:>9.3f}"
              f"{run['mean_ms']:>9.3f}{run['throughput_rps']:>9.0f}")
    print("sandbox / no-op server p50 ratio:", json.dumps(results["ratios"]))
    verdict = "meets" if results["meets_target"] else "misses"
    print(f"single-client p50 {verdict} the target of "
          f"{results['target_p50_ms']} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve-noop", action="store_true")
    parser.add_argument("--requests", type=int, default=400)
    options = parser.parse_args()
    if options.serve_noop:
        serve_noop()
    else:
        _print(main(options.requests))
