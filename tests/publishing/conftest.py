"""Fixtures for the pipeline: a site, connected sandbox accounts, publishing."""

from __future__ import annotations

import csv
import io
import os
from datetime import timedelta
from itertools import count

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Page, Site
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from publishing import content, delivery
from publishing.models import (
    ChannelAccount,
    CrossPost,
    ProtocolSettings,
    SocialSettings,
)
from sandbox.video import make_mp4
from tests.browser import chromium_expecting
from tests.factories import (
    AnnouncementPageFactory,
    DepartmentFactory,
    HomePageFactory,
    NewsIndexPageFactory,
    PolicyIndexPageFactory,
    PolicyPageFactory,
)
from tests.sandbox_fixtures import answer_consent
from tests.worker_fixtures import wait_for

FACEBOOK_PAGE = "200000000001"
X_USER = "3000000001"
YOUTUBE_CHANNEL = "UCexampleshire0000000001"
#: The password the ``people`` fixture gives every user.
PASSWORD = "x"  # noqa: S105
#: How long a browser test waits for a page load or a chooser, and for the
#: worker's posts to show, on a busy two-core machine.
EXPECT_MS = 20_000
DELIVERY_MS = 60_000
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
            username=role,
            password=PASSWORD,
            first_name=role.title(),
            last_name="Person",
        )
        user.groups.add(Group.objects.get(name=group_name))
        users[role] = user
    users["superuser"] = django_user_model.objects.create_superuser(
        username="admin", password=PASSWORD, email="admin@example.org"
    )
    return users


def spoil_token(account: ChannelAccount) -> None:
    """Leave a token that no longer decrypts, as a key rotated without the old
    one kept would."""
    table = connection.ops.quote_name(ChannelAccount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET access_token = %s WHERE id = %s",  # noqa: S608
            ["not-a-fernet-token", account.pk],
        )


# The admin through the test client ---------------------------------------------


def action_url(row, action: str) -> str:
    """The dashboard's URL for ``action`` (retry, approve, ...) on ``row``."""
    return reverse("publishing_admin:crosspost_action", args=[row.pk, action])


def texts(response) -> list[str]:
    """The messages ``response`` leaves for the next page, as shown."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def message_text(response) -> str:
    """:func:`texts` as one string."""
    return " ".join(texts(response))


ACCOUNTS = reverse("publishing_admin:accounts")
CALLBACK = reverse("publishing_admin:account_callback")


def consent(url: str, decision: str = "allow") -> str:
    """Answer the sandbox's consent page as a browser would; return the callback
    path and query it redirects to."""
    location = answer_consent(url, decision)
    assert location.path == CALLBACK
    return f"{location.path}?{location.query}"


def foi_rows(client, **params) -> list[dict]:
    """The FOI export's CSV (filtered by ``params``) as one dict per row."""
    response = client.get(
        reverse("publishing_admin:foi"), {"export": "csv", **params}
    )
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def form_data(site, kind: str, **extra) -> dict:
    """The create form of an announcement or a policy (``kind``) as the
    browser posts it, with ``extra`` fields added."""
    fields = {
        "title": "Bin collections move back a day",
        "slug": "bin-collections-move-back-a-day",
        "summary": "Collections move back one day after the bank holiday.",
        "department": site["department"].pk,
        "body": streamfield([]),
        "social_mode": "default",
        "comments": inline_formset([]),
    }
    if kind == "announcement":
        fields["youtube_privacy"] = "public"
    else:
        fields["policy_status"] = "adopted"
        fields["related_documents"] = inline_formset([])
    data = nested_form_data(fields)
    data.update(extra)
    return data


# The admin in a browser -----------------------------------------------------------


@pytest.fixture
def browser(monkeypatch):
    """Chromium, its ``expect`` waiting up to :data:`EXPECT_MS`."""
    with chromium_expecting(monkeypatch, EXPECT_MS) as launched:
        yield launched


def sign_in(browser, live_server, username: str):
    """A fresh browser context signed in through the admin's login form as
    one of the ``people``."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(EXPECT_MS)
    tab = context.new_page()
    tab.goto(f"{live_server.url}/admin/login/")
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    # A refused sign-in stays on the login form.
    tab.wait_for_url(f"{live_server.url}/admin/")
    return tab


def actions_menu(tab, action: str):
    """A button of the editor's footer action menu, the menu opened."""
    tab.get_by_role("button", name="More actions").click()
    return tab.get_by_role("button", name=action, exact=True)
