"""The production shape: docker-compose refers to real things, and Django's
deployment checks pass with production settings."""

import os
import re
import shlex
import subprocess
import sys
from ast import literal_eval
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
    assert set(services) == {
        *("proxy", "web", "worker", "uploads", "beat", "postgres", "redis")
    }
    for name in ("proxy", "web", "worker", "uploads", "postgres", "redis"):
        assert "healthcheck" in services[name], name
    # The app is defined once and reused by web, the workers and beat.
    images = {services[name]["image"] for name in APP_SERVICES}
    assert images == {"council-publishing:latest"}
    for name in APP_SERVICES:
        env_files = services[name]["env_file"]
        assert all(entry["required"] is False for entry in env_files)


def nginx_locations() -> dict[str, str]:
    """Each prefix location of deploy/nginx.conf's https server and the text of
    its block's first lines (up to a nested block or its end)."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    https = conf[conf.index("listen 443") :]
    return dict(re.findall(r"location (/\S*) \{([^{}]*)", https))


def mounts(service: dict) -> dict[str, str]:
    """A compose service's volumes, source to path in the container."""
    return dict(
        re.fullmatch(r"(.+):(/[^:]*)(?::r[ow])?", volume).groups()
        for volume in service["volumes"]
    )


def test_only_the_proxy_is_reached_from_outside_and_gunicorn_behind_it():
    services = compose()["services"]
    published = {name for name, service in services.items() if "ports" in service}
    assert published == {"proxy"}
    assert services["proxy"]["ports"] == ["80:80", "443:443"]
    # An exact release of the official image, never a moving tag.
    assert re.fullmatch(r"nginx:\d+\.\d+\.\d+-alpine", services["proxy"]["image"])
    proxy = mounts(services["proxy"])
    assert proxy["./deploy/nginx.conf"] == "/etc/nginx/conf.d/default.conf"

    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    bind = re.search(r"--bind 0\.0\.0\.0:(\d+)", services["web"]["command"])
    assert f"server web:{bind[1]};" in conf
    assert services["web"]["expose"] == [bind[1]]
    every_other_request = nginx_locations()["/"]
    assert "proxy_pass http://council_web;" in every_other_request
    # Set by the proxy, so no client can claim https or another address.
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in every_other_request
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in every_other_request
    assert "ssl_certificate /etc/nginx/certs/fullchain.pem;" in conf
    assert proxy["${TLS_CERTS_DIR:-./deploy/certs}"] == "/etc/nginx/certs"


def test_the_proxy_serves_media_and_static_from_the_volumes_the_app_writes():
    services = compose()["services"]
    media_root, static_root = production_setting("MEDIA_ROOT", "STATIC_ROOT.as_posix()")
    workdir = re.search(r"^WORKDIR (\S+)$", (ROOT / "Dockerfile").read_text(), re.M)

    def in_container(path: str) -> str:
        return f"{workdir[1]}/{Path(literal_eval(path)).relative_to(ROOT).as_posix()}"

    app_volumes = mounts(services["web"])
    proxy_volumes = mounts(services["proxy"])
    locations = nginx_locations()
    for url, root in (("/media/", media_root), ("/static/", static_root)):
        alias = re.search(r"alias (\S+)/;", locations[url])[1]
        volume = next(name for name, path in proxy_volumes.items() if path == alias)
        assert app_volumes[volume] == in_container(root), url
    # Documents are served by Wagtail's view, which checks their privacy.
    assert "return 404;" in locations["/media/documents/"]
    assert "sandbox" in locations["/media/"]


def test_healthchecks_ask_the_health_endpoint():
    services = compose()["services"]
    for name in ("proxy", "web"):
        check = " ".join(services[name]["healthcheck"]["test"])
        assert "/health/live/" in check, name
    assert services["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"


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
    assert f"Set the {missing} environment variable" in result.stderr


def production_setting(*names: str) -> list[str]:
    """The values of ``names`` as production settings make them."""
    code = "from django.conf import settings as s; " + "; ".join(
        f"print(repr(s.{name}))" for name in names
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**os.environ, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-len(names) :]


def test_production_counts_sign_in_failures_by_the_address_the_proxy_saw():
    callable_, proxy_header, limit = production_setting(
        "AXES_CLIENT_IP_CALLABLE", "SECURE_PROXY_SSL_HEADER", "AXES_FAILURE_LIMIT"
    )
    assert callable_ == "'council_site.core.login_throttle.forwarded_client_ip'"
    assert proxy_header == "('HTTP_X_FORWARDED_PROTO', 'https')"
    assert limit == "5"


def test_production_takes_its_addresses_from_site_url_and_ends_idle_sessions():
    base_url, age, renewed, sandbox = production_setting(
        "WAGTAILADMIN_BASE_URL",
        "SESSION_COOKIE_AGE",
        "SESSION_SAVE_EVERY_REQUEST",
        "SANDBOX_HOSTS",
    )
    assert base_url == "'https://www.exampleshire.gov.uk'"
    assert (age, renewed) == ("7200", "True")
    assert sandbox == "[]"


def test_production_configures_only_the_platforms_the_council_posts_to():
    """A council that does not post to Mastodon sets none of its credentials;
    one that names it in SOCIAL_PLATFORMS must set them all."""
    (platforms,) = production_setting("SOCIAL_PLATFORMS")
    assert platforms == "['facebook', 'x', 'youtube']"

    env = {**os.environ, **PRODUCTION_ENV, "SOCIAL_PLATFORMS": "facebook,mastodon"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "MASTODON_INSTANCE_URL" in result.stderr
