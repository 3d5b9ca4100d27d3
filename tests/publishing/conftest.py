"""Fixtures for the pipeline: a site, connected sandbox accounts, publishing."""

from __future__ import annotations

import os
from datetime import timedelta
from itertools import count

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Page, Site

from publishing import content, delivery
from publishing.models import (
    ChannelAccount,
    CrossPost,
    ProtocolSettings,
    SocialSettings,
)
from sandbox.video import make_mp4
from tests.factories import (
    AnnouncementPageFactory,
    DepartmentFactory,
    HomePageFactory,
    NewsIndexPageFactory,
    PolicyIndexPageFactory,
    PolicyPageFactory,
)
from tests.worker_fixtures import wait_for

FACEBOOK_PAGE = "200000000001"
X_USER = "3000000001"
YOUTUBE_CHANNEL = "UCexampleshire0000000001"
#: The token of make_account's accounts, which no page may show.
TOKEN = "secret-access-token-never-shown"  # noqa: S105
_keys = count()


def unique_key() -> int:
    """A number no other call in this run returns."""
    return next(_keys)


def make_account(platform="x", remote_id="3000000001", name="@ExampleshireCC"):
    """A connected account whose token is ``TOKEN`` (no sandbox behind it)."""
    return ChannelAccount.objects.create(
        platform=platform, display_name=name, remote_id=remote_id, access_token=TOKEN
    )


def make_row(account, state, page=None, title="Bins collected late", **fields):
    """A cross-post row in ``state``; ``fields`` set or override any others."""
    values = {
        "page_id": page.pk if page else None,
        "account": account,
        "platform": account.platform,
        "idempotency_key": f"key-{unique_key()}",
        "page_title": page.title if page else title,
        "text": f"{title} https://council.example/news/",
        "link": "https://council.example/news/",
        "marker": "https://council.example/news/",
        "content_hash": "hash",
        "state": state,
    }
    return CrossPost.objects.create(**(values | fields))


@pytest.fixture
def site(db):
    root = Page.get_first_root_node()
    home = HomePageFactory(parent=root, slug="council-home")
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "root_page": home, "port": 80},
    )
    return {
        "home": home,
        "policies": PolicyIndexPageFactory(parent=home, slug="policies"),
        "news": NewsIndexPageFactory(parent=home, slug="news"),
        "department": DepartmentFactory(name="Waste and Recycling"),
    }


def connect(sandbox, platform, remote_id, name, **extra):
    token = sandbox.mint_token(platform, account_id=remote_id)
    return ChannelAccount.objects.create(
        platform=platform,
        display_name=name,
        remote_id=remote_id,
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token", ""),
        extra=extra,
    )


@pytest.fixture
def accounts(site, sandbox):
    """The three demo accounts, connected and set as the site's defaults."""
    connected = {
        "facebook": connect(sandbox, "facebook", FACEBOOK_PAGE, "Exampleshire CC"),
        "x": connect(
            sandbox, "x", X_USER, "@ExampleshireCC", username="ExampleshireCC"
        ),
        "youtube": connect(sandbox, "youtube", YOUTUBE_CHANNEL, "Exampleshire CC"),
    }
    social = SocialSettings.for_site(Site.objects.get(is_default_site=True))
    social.default_accounts.set(connected.values())
    return connected


@pytest.fixture
def make_announcement(site):
    def make(title="Bins collected a day late", with_video=True, **fields):
        image = get_image_model().objects.create(
            title="Bin lorry", file=get_test_image_file()
        )
        video = None
        if with_video:
            video = get_document_model().objects.create(
                title="Bin day video",
                file=ContentFile(make_mp4(300_000), name="bins.mp4"),
            )
        page = AnnouncementPageFactory.build(
            title=title,
            summary="Collections move back one day after the bank holiday.",
            department=site["department"],
            hero_image=image,
            hero_image_alt="A bin lorry on a terraced street",
            video=video,
            **fields,
        )
        site["news"].add_child(instance=page)
        return page

    return make


@pytest.fixture
def image_file_gone(make_announcement):
    """An unpublished announcement whose image file has been deleted, and the
    file's path. Renditions cached by earlier tests (ids are reused once their
    rows are rolled back) are forgotten, as a new image has none."""
    cache.clear()
    content._rendition_paths.clear()
    page = make_announcement(live=False)
    os.remove(page.hero_image.file.path)
    return page, page.hero_image.file.path


@pytest.fixture
def make_policy(site):
    def make(title="Household Waste Collection Policy", **fields):
        page = PolicyPageFactory.build(
            title=title, department=site["department"], live=False, **fields
        )
        site["policies"].add_child(instance=page)
        return page

    return make


@pytest.fixture
def site_settings(site):
    """The default site's social and protocol settings rows, each with a value
    of its own, so a read that returns another row or the defaults shows."""
    default_site = Site.objects.get(is_default_site=True)
    social = SocialSettings.for_site(default_site)
    social.x_template = "{title} (from the settings row)"
    social.save()
    protocol = ProtocolSettings.for_site(default_site)
    protocol.blocklist = "confidential"
    protocol.save()
    return social, protocol


def publish(page, user=None):
    revision = page.save_revision(user=user)
    revision.publish(user=user)
    page.refresh_from_db()
    return revision


def rows_for(page):
    return list(CrossPost.objects.filter(page_id=page.pk).select_related("account"))


def settle(
    page,
    expected: int,
    timeout: float = 60.0,
    worker=None,
    retry_at_once=False,
    retry_window_over=False,
):
    """Run the sweeper until every row of the page is final; return the rows.

    ``retry_at_once`` makes the rows waiting to retry due before each sweep, as
    if their backoff had passed (the worker's clock cannot be moved);
    ``retry_window_over`` also dates their first fault back past
    ``CROSSPOST_RETRY_WINDOW_SECONDS``, as if they had been retried for that
    long, so their next fault is their last."""

    def done():
        if retry_at_once or retry_window_over:
            now = timezone.now()
            waiting = CrossPost.objects.filter(
                page_id=page.pk, state=CrossPost.State.RETRYING
            )
            if retry_window_over:
                window = timedelta(seconds=settings.CROSSPOST_RETRY_WINDOW_SECONDS + 1)
                waiting.update(next_attempt_at=now, retrying_since=now - window)
            else:
                waiting.update(next_attempt_at=now)
        delivery.sweep()
        rows = rows_for(page)
        if len(rows) == expected and all(row.is_final for row in rows):
            return rows
        return None

    def explain():
        states = [(r.platform, r.state, r.last_error) for r in rows_for(page)]
        return f"rows never settled: {states}\n{worker.log_tail() if worker else ''}"

    return wait_for(done, timeout=timeout, interval=0.1, message=explain)


def live_posts_with_marker(sandbox, marker, platform=None):
    return [
        post
        for post in sandbox.posts(platform=platform)
        if any(url.split("?")[0] == marker for url in post["urls"])
        and not post["deleted"]
    ]


@pytest.fixture
def people(site, django_user_model):
    """One user per demo role, in the groups ``seed_demo`` defines, plus a
    superuser; ``anonymous`` is None."""
    from council_site.core.management.commands.seed_demo import ROLES, Command

    Command().ensure_roles(site["home"])
    users = {"anonymous": None}
    for role, (group_name, _page_perms, _perms) in ROLES.items():
        user = django_user_model.objects.create_user(
            username=role, password="x", first_name=role.title(), last_name="Person"
        )
        user.groups.add(Group.objects.get(name=group_name))
        users[role] = user
    users["superuser"] = django_user_model.objects.create_superuser(
        username="admin", password="x", email="admin@example.org"
    )
    return users
