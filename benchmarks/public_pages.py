"""Requests per second of the home page (three social feeds) next to a bare
Wagtail page of the same site, served by gunicorn, side by side in one run.

    python -m benchmarks.public_pages

A throwaway SQLite database (seeded by ``manage.py seed_demo``), media folder
and local platform sandbox are made for the run; three accounts are connected
and their feeds copied, as the periodic task does. The bare page is a plain
``wagtailcore.Page`` under the home page, rendered with Wagtail's own minimal
template. Both URLs are fetched in alternating rounds by the same client, so
drift on the machine affects both alike. Target: the home page reaches at least
0.8 of the bare page's rate.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.8
BARE_SLUG = "bare-benchmark-page"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare(sandbox_url: str) -> None:
    """Run inside the throwaway site: connect the demo accounts, copy their
    feeds and add the bare page."""
    import django

    django.setup()
    from wagtail.models import Page

    from council_site.home.models import HomePage
    from publishing import feeds
    from publishing.models import ChannelAccount
    from sandbox.control import SandboxControl

    control = SandboxControl(sandbox_url)
    for platform, remote_id, name, extra in (
        ("facebook", "200000000001", "Exampleshire County Council", {}),
        ("x", "3000000001", "@ExampleshireCC", {"username": "ExampleshireCC"}),
        ("youtube", "UCexampleshire0000000001", "Exampleshire County Council", {}),
    ):
        token = control.mint_token(platform, account_id=remote_id)
        ChannelAccount.objects.update_or_create(
            platform=platform,
            remote_id=remote_id,
            defaults={
                "display_name": name,
                "access_token": token["access_token"],
                "refresh_token": token.get("refresh_token", ""),
                "extra": extra,
            },
        )
    results = feeds.refresh_all()
    if not all(result.ok for result in results):
        raise SystemExit(f"feeds not filled: {results}")
    home = HomePage.objects.get()
    if not home.get_children().filter(slug=BARE_SLUG).exists():
        home.add_child(instance=Page(title="Bare page", slug=BARE_SLUG))


def _rate(session: requests.Session, url: str, seconds: float) -> float:
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        response = session.get(url, timeout=10)
        response.raise_for_status()
        count += 1
    return count / (time.perf_counter() - started)


def main(rounds: int = 5, seconds: float = 2.0) -> dict[str, Any]:
    from sandbox.server import start_sandbox

    sandbox = start_sandbox(host="127.0.0.1", port=0)
    folder = Path(tempfile.mkdtemp(prefix="public-pages-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "council_site.settings.dev",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
        "CELERY_BROKER_DIR": str(folder / "broker"),
        "SANDBOX_URL": sandbox.url,
        "LOG_LEVEL": "WARNING",
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    env.pop("REDIS_URL", None)
    python = sys.executable
    manage = [python, "manage.py"]
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run(
            manage + command, cwd=ROOT, env=env, check=True, capture_output=True
        )
    subprocess.run(
        [python, "-c", f"from benchmarks.public_pages import _prepare; "
         f"_prepare({sandbox.url!r})"],
        cwd=ROOT, env=env, check=True,
    )
    port = _free_port()
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "council_site.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        session = requests.Session()
        deadline = time.monotonic() + 30
        while True:
            try:
                session.get(base + "/", timeout=5).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        home_html = session.get(base + "/", timeout=5).text
        feeds_shown = home_html.count('class="feed feed--')
        urls = {"home": base + "/", "bare": f"{base}/{BARE_SLUG}/"}
        for url in urls.values():  # warm both: fragments cached, code loaded
            for _ in range(20):
                session.get(url, timeout=10).raise_for_status()
        rates: dict[str, list[float]] = {name: [] for name in urls}
        for _ in range(rounds):
            for name, url in urls.items():
                rates[name].append(_rate(session, url, seconds))
    finally:
        server.terminate()
        server.wait(15)
        sandbox.stop()
        shutil.rmtree(folder, ignore_errors=True)
    home_rps = sorted(rates["home"])[rounds // 2]
    bare_rps = sorted(rates["bare"])[rounds // 2]
    results = {
        "feeds_on_home_page": feeds_shown,
        "home_rps": round(home_rps, 1),
        "bare_rps": round(bare_rps, 1),
        "ratio": round(home_rps / bare_rps, 3),
        "target": TARGET,
        "rounds": rounds,
        "seconds_per_round": seconds,
    }
    results["meets_target"] = results["ratio"] >= TARGET
    _print(results)
    return results


def _print(results: dict[str, Any]) -> None:
    print("Public pages under gunicorn (1 worker), median of alternating rounds")
    print(f"  home page with {results['feeds_on_home_page']} feeds: "
          f"{results['home_rps']:.1f} requests/s")
    print(f"  bare Wagtail page:            {results['bare_rps']:.1f} requests/s")
    verdict = "meets" if results["meets_target"] else "misses"
    print(f"  ratio home/bare: {results['ratio']:.2f} "
          f"({verdict} the {results['target']}x target)")


if __name__ == "__main__":
    main()
