"""The moving parts the pipeline benchmarks and the soak test share.

A throwaway database and broker (PostgreSQL and Redis when they answer on
127.0.0.1, else SQLite and Celery's filesystem transport in a temporary folder),
the sandbox and Celery workers as real processes, and a small council to publish.
Nothing here touches the developer's own database, broker or ``var/`` files.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "benchmarks.settings"
QUEUES = "crosspost,uploads,celery"
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
FACEBOOK_PAGE = "200000000001"
X_USER = "3000000001"
YOUTUBE_CHANNEL = "UCexampleshire0000000001"
MASTODON_ACCOUNT = "109000000000000001"
#: The channels the benchmarks measured from the start; ``build_world``'s default.
THREE = ("facebook", "x", "youtube")
#: Every platform the sandbox and the channels have.
FIVE = (*THREE, "mastodon", "bluesky")


def answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), 1).close()
    except OSError:
        return False
    return True


def check(name: str, measured: float, target: str, passed: bool) -> dict:
    """One line of the benchmark report: a measurement beside its target."""
    return {"name": name, "measured": measured, "target": target, "passed": passed}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))
    return ordered[index]


def summarise(samples_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(samples_ms),
        "p50_ms": round(statistics.median(samples_ms), 2),
        "p95_ms": round(percentile(samples_ms, 95), 2),
        "mean_ms": round(statistics.fmean(samples_ms), 2),
    }


# Database and broker -------------------------------------------------------------


@dataclass
class Backends:
    """A database and broker of the run's own, and how to throw them away."""

    folder: Path
    database_url: str
    redis_url: str = ""
    postgres_name: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def database(self) -> str:
        return "PostgreSQL" if self.postgres_name else "SQLite"

    @property
    def broker(self) -> str:
        return "Redis" if self.redis_url else "filesystem"

    def describe(self) -> str:
        return f"{self.database} + {self.broker} broker"

    def env(self) -> dict[str, str]:
        from cryptography.fernet import Fernet

        if "TOKEN_ENCRYPTION_KEY" not in self.extra_env:
            self.extra_env["TOKEN_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
        return {
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_BROKER_DIR": str(self.folder / "broker"),
            "MEDIA_ROOT": str(self.folder / "media"),
            "BENCH_CACHE_DIR": str(self.folder / "cache"),
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            **self.extra_env,
        }

    def flush_broker(self) -> None:
        if self.redis_url:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()
        else:
            shutil.rmtree(self.folder / "broker", ignore_errors=True)
            for name in ("queue", "control", "processed"):
                (self.folder / "broker" / name).mkdir(parents=True, exist_ok=True)

    def cleanup(self) -> None:
        from django.db import connections

        connections.close_all()
        if self.redis_url:
            try:
                self.flush_broker()
            except Exception as error:  # noqa: BLE001 - best effort on the way out
                print(f"could not flush {self.redis_url}: {error}", file=sys.stderr)
        if self.postgres_name:
            _postgres(f'DROP DATABASE IF EXISTS "{self.postgres_name}" WITH (FORCE)')
        shutil.rmtree(self.folder, ignore_errors=True)


def _postgres(statement: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as db:
        db.execute(statement)


def _create_database(name: str, template: str = "") -> None:
    if template:
        try:
            _postgres(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return
        except Exception as error:  # noqa: BLE001 - an empty one migrates instead
            print(f"could not copy {template} ({error}); migrating from the "
                  "first migration", file=sys.stderr)
    _postgres(f'CREATE DATABASE "{name}"')


def provision(
    name: str, redis_db: int, *, embedded: bool = False, template: str = ""
) -> Backends:
    """A fresh database ``<name>_<pid>`` and Redis DB ``redis_db``, or the
    embedded defaults when asked to or when the servers do not answer.

    A PostgreSQL ``template`` (a migrated database nobody is connected to)
    is copied, so that migrate has nothing left to apply; if PostgreSQL
    refuses the copy (someone is connected), the database starts empty."""
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    database_url = f"sqlite:///{folder / 'db.sqlite3'}"
    postgres_name = ""
    admin = urlsplit(POSTGRES_ADMIN_URL)
    if not embedded and answers(admin.hostname or "127.0.0.1", admin.port or 5432):
        candidate = f"{name}_{os.getpid()}"
        try:
            _create_database(candidate, template)
        except Exception as error:  # noqa: BLE001 - fall back to SQLite
            print(f"PostgreSQL refused ({error}); using SQLite", file=sys.stderr)
        else:
            postgres_name = candidate
            database_url = admin._replace(path=f"/{candidate}").geturl()
    redis_url = ""
    if not embedded and answers(REDIS_HOST, REDIS_PORT):
        redis_url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}"
    backends = Backends(folder, database_url, redis_url, postgres_name)
    backends.flush_broker()
    return backends


def setup_django(backends: Backends, **extra_env: str) -> dict[str, str]:
    """Point this process at the backends, migrate, and return the environment
    the worker and beat processes need."""
    env = {**backends.env(), **extra_env}
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return env


# Processes ------------------------------------------------------------------------


class Sandbox:
    """The platform sandbox in a process of its own, on a free port."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        line = self.process.stdout.readline().strip()
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[1]
        from sandbox.control import SandboxControl

        self.control = SandboxControl(self.url, timeout=60)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class CeleryProcess:
    """One ``celery worker`` or ``celery beat`` process, started in its own
    session so a SIGKILL reaches the pool children too."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path,
                 name: str = ""):
        self.args, self.env, self.log_path, self.name = args, env, log_path, name
        self.process: subprocess.Popen | None = None

    @classmethod
    def worker(cls, name: str, env, log_dir: Path, concurrency: int = 4,
               loglevel: str = "INFO") -> CeleryProcess:
        args = [
            "worker", "-n", f"{name}@%h", "--concurrency", str(concurrency),
            "-Q", QUEUES, "--loglevel", loglevel,
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]
        return cls(args, env, log_dir / f"{name}.log", name)

    @classmethod
    def beat(cls, env, log_dir: Path) -> CeleryProcess:
        args = ["beat", "--loglevel", "INFO", "--pidfile", ""]
        return cls(args, env, log_dir / "beat.log", "beat")

    def start(self) -> CeleryProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "council_site", *self.args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group, like the kernel's OOM killer."""
        if self.running:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.running:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_until(condition: Callable[[], object], timeout: float, interval=0.002):
    """Poll ``condition``; its first truthy value, or ``None`` at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return None


def wait_for_worker(timeout: float = 60.0) -> None:
    """Block until a worker has run a task (so start-up is not measured)."""
    from benchmarks.tasks import touch
    from publishing.models import WorkerHeartbeat

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Sent again every few seconds: a message sent while the broker
        # restarts, or before the queue exists, can be lost.
        key = f"ready-{time.monotonic_ns()}"
        touch.delay(key)
        if wait_until(
            lambda key=key: WorkerHeartbeat.objects.filter(hostname=key).exists(),
            5.0, 0.05,
        ):
            return
    raise RuntimeError("no Celery worker answered; see its log")


# A council to publish -----------------------------------------------------------------


@dataclass
class World:
    news: object
    department: object
    image: object
    video: object
    accounts: dict


def parse_platforms(text: str) -> tuple[str, ...]:
    """``"facebook,x,youtube"`` as a tuple of platforms, each one of ``FIVE``
    and none twice; an ``argparse`` type."""
    import argparse

    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = sorted(set(names) - set(FIVE))
    if not names or unknown or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(
            f"a comma list of distinct platforms out of {','.join(FIVE)}"
        )
    return names


def sign_in(control, platform: str):
    """A ``ConnectedAccount`` for the sandbox's demo account on ``platform``,
    as that platform's connect flow would find it.

    Bluesky signs in with the demo handle and app password (``createSession``,
    through the adapter's own ``connect_with_app_password``). The others are
    granted a token by the sandbox's control API, standing in for the consent
    page: Mastodon's on the configured instance, whose configured app needs no
    registration (``publishing.InstanceApp`` is for other instances), and
    recorded with that instance as its connect flow records it.
    """
    from channels import registry
    from channels.values import ConnectedAccount, Credentials
    from sandbox.seed import BSKY_APP_PASSWORD, BSKY_HANDLE, MASTODON_USERNAME

    config = registry.channel_config(platform)
    if platform == "bluesky":
        adapter = registry.get(platform)
        return adapter.connect_with_app_password(
            config, BSKY_HANDLE, BSKY_APP_PASSWORD
        )[0]
    remote_id = {
        "facebook": FACEBOOK_PAGE,
        "x": X_USER,
        "youtube": YOUTUBE_CHANNEL,
        "mastodon": MASTODON_ACCOUNT,
    }[platform]
    extra = {
        "x": {"username": "ExampleshireCC"},
        "mastodon": {
            "username": MASTODON_USERNAME,
            "instance_url": str(config["API_URL"]).rstrip("/"),
        },
    }.get(platform, {})
    token = control.mint_token(platform, account_id=remote_id)
    return ConnectedAccount(
        platform=platform,
        remote_id=remote_id,
        display_name=f"Exampleshire ({platform})",
        credentials=Credentials(
            account_id=remote_id,
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token") or "",
            extra=extra,
        ),
    )


def build_world(
    control, *, video_bytes: int = 300_000, platforms: tuple[str, ...] = THREE
) -> World:
    """A home page, a news section, the sandbox's accounts on ``platforms``
    connected (:func:`sign_in`) and set as the site's defaults, one image and
    one small video (shared by every page). ``world.accounts`` maps each
    platform to its ``ChannelAccount``."""
    import io

    from django.core.files.base import ContentFile
    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.models import Page, Site

    from council_site.core.models import Department
    from council_site.home.models import HomePage
    from council_site.news.models import NewsIndexPage
    from publishing.accounts import save_connected
    from publishing.models import SocialSettings
    from sandbox.video import make_mp4

    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="Exampleshire", slug="bench-home"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "root_page": home, "port": 80},
    )
    news = home.add_child(instance=NewsIndexPage(title="News", slug="news"))
    department = Department.objects.create(name="Waste and Recycling")
    buffer = io.BytesIO()
    PILImage.new("RGB", (640, 360), (20, 90, 60)).save(buffer, "JPEG")
    image = get_image_model().objects.create(
        title="Bin lorry", file=ImageFile(buffer, name="lorry.jpg")
    )
    video = get_document_model().objects.create(
        title="Bin day video",
        file=ContentFile(make_mp4(video_bytes), name="bins.mp4"),
    )
    accounts = {
        platform: save_connected(sign_in(control, platform), user=None)[0]
        for platform in platforms
    }
    social = SocialSettings.for_site(Site.objects.get(is_default_site=True))
    social.default_accounts.set(accounts.values())
    return World(news, department, image, video, accounts)


def make_announcement(world: World, number: int, *, social: bool = True,
                      with_video: bool = True, prefix: str = "Notice"):
    """A draft announcement whose text is unique (platforms refuse duplicates)."""
    from council_site.news.models import AnnouncementPage

    page = AnnouncementPage(
        title=f"{prefix} {number}: bins collected a day late",
        slug=f"{prefix.lower()}-{number}",
        summary=f"Collections in area {number} move back one day after the "
        "bank holiday.",
        department=world.department,
        hero_image=world.image,
        hero_image_alt="A bin lorry on a terraced street",
        video=world.video if with_video else None,
        live=False,
    )
    if not social:
        page.social_mode = "none"
    world.news.add_child(instance=page)
    return page


def machine() -> dict[str, str]:
    """CPU, cores, RAM, Python and OS, for the report."""
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.1f} GiB"
    except (ValueError, OSError):
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": memory,
        "python": platform.python_version(),
        "os": platform.platform(),
    }
