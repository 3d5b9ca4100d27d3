"""The production shape: docker-compose refers to real things, and Django's
deployment checks pass with production settings."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.worker_fixtures import procfile_workers

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "council_site.settings.production",
    "DJANGO_SECRET_KEY": "x" * 64 + "-not-a-real-secret-but-long-and-varied-1234",
    "DJANGO_ALLOWED_HOSTS": "www.exampleshire.gov.uk",
    "SITE_URL": "https://www.exampleshire.gov.uk",
    "TOKEN_ENCRYPTION_KEY": "u5HGm8ab1s1XvJmSjVYdVwGqkFK2wGkLlbF6H5AOE9Y=",
    "DATABASE_URL": "sqlite:////tmp/council-deploy-check.sqlite3",
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "FACEBOOK_APP_ID": "1",
    "FACEBOOK_APP_SECRET": "s",
    "X_CLIENT_ID": "x",
    "X_CLIENT_SECRET": "s",
    "GOOGLE_CLIENT_ID": "g",
    "GOOGLE_CLIENT_SECRET": "s",
}


APP_SERVICES = ("web", "worker", "uploads", "beat")


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def compose_workers() -> dict[str, set[str]]:
    """Each Celery worker service in docker-compose.yml and the queues it takes."""
    workers = {}
    for name, service in compose()["services"].items():
        words = shlex.split(str(service.get("command", "")))
        if words[:1] == ["celery"] and "worker" in words:
            workers[name] = set(words[words.index("-Q") + 1].split(","))
    return workers


@pytest.mark.parametrize(
    "workers",
    [
        pytest.param(compose_workers, id="docker-compose.yml"),
        pytest.param(
            lambda: {
                name: set(queues.split(","))
                for name, (queues, _concurrency) in procfile_workers().items()
            },
            id="Procfile.dev",
        ),
    ],
)
def test_video_uploads_have_a_worker_of_their_own_and_every_queue_a_worker(workers):
    from django.conf import settings

    found = workers()
    takers = [name for name, queues in found.items() if "uploads" in queues]
    assert len(takers) == 1, found
    assert found[takers[0]] == {"uploads"}  # so no upload holds up a text post
    assert set().union(*found.values()) == set(settings.COUNCIL_TASK_QUEUES)


def test_each_compose_worker_checks_its_own_health():
    services = compose()["services"]
    for name in compose_workers():
        command = services[name]["command"]
        node = shlex.split(command)[shlex.split(command).index("-n") + 1]
        check = " ".join(services[name]["healthcheck"]["test"])
        # A worker that pinged any worker would pass while itself stopped.
        assert f"-d {node.replace('%h', '$$HOSTNAME')}" in check, (name, check)


def test_compose_defines_the_production_services_with_healthchecks():
    services = compose()["services"]
    assert set(services) == {"web", "worker", "uploads", "beat", "postgres", "redis"}
    for name in ("web", "worker", "uploads", "postgres", "redis"):
        assert "healthcheck" in services[name], name
    # The app is defined once and reused by web, the workers and beat.
    images = {services[name]["image"] for name in APP_SERVICES}
    assert images == {"council-publishing:latest"}
    for name in APP_SERVICES:
        env_files = services[name]["env_file"]
        assert all(entry["required"] is False for entry in env_files)


def test_every_app_service_command_refers_to_something_in_the_project():
    services = compose()["services"]
    for name in APP_SERVICES:
        command = services[name]["command"]
        words = shlex.split(command)
        for module in re.findall(r"([a-z_]+)\.wsgi:application", command):
            assert (ROOT / module / "wsgi.py").exists(), (name, module)
        if "-A" in words:
            app = words[words.index("-A") + 1]
            assert (ROOT / app / "celery.py").exists(), (name, app)
        if "manage.py" in command:
            assert (ROOT / "manage.py").exists()
        if "-Q" in words:
            queues = set(words[words.index("-Q") + 1].split(","))
            from django.conf import settings

            declared = set(settings.COUNCIL_TASK_QUEUES)
            assert queues <= declared, (name, queues - declared)
    dockerfile = (ROOT / "Dockerfile").read_text()
    for copied in re.findall(r"^COPY (\S+) \S+$", dockerfile, re.MULTILINE):
        assert (ROOT / copied).exists(), copied


def test_check_deploy_is_clean_with_production_settings():
    env = {**os.environ, **PRODUCTION_ENV}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "SITE_URL"])
def test_production_settings_refuse_to_start_without_secrets(missing):
    env = {
        key: value
        for key, value in {**os.environ, **PRODUCTION_ENV}.items()
        if key != missing
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert missing in result.stderr
