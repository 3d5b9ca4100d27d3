"""seed_demo builds a believable council once, and a second run changes nothing.

With the platform settings pointing at the sandbox (as the dev and test settings
do), the demo accounts come connected with the sandbox's published demo tokens.
"""

import copy
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from wagtail.models import GroupPagePermission, Page, Site

from channels import registry
from council_site.core.demo_accounts import demo_accounts, sandbox_url
from council_site.core.management.commands import seed_demo
from council_site.news.models import AnnouncementPage, NewsIndexPage
from council_site.policies.models import PolicyPage
from publishing.accounts import adapter_for, disconnect
from publishing.models import ChannelAccount, CrossPost, SocialFeed, SocialSettings
from sandbox import seed as sandbox_seed
from tests.worker_fixtures import wait_for

# Where production.py points each platform by default.
REAL_URLS = {
    "facebook": (
        "https://graph.facebook.com",
        "https://graph.facebook.com/v24.0/oauth/access_token",
    ),
    "x": ("https://api.twitter.com", "https://api.x.com/2/oauth2/token"),
    "youtube": (
        "https://youtube.googleapis.com/",
        "https://oauth2.googleapis.com/token",
    ),
    "mastodon": ("https://mastodon.example.gov.uk", ""),
    "bluesky": ("https://bsky.social", ""),
}


def snapshot():
    return {
        "pages": sorted(Page.objects.values_list("id", "title", "live")),
        "revisions": Page.objects.filter(latest_revision__isnull=False).count(),
        "users": sorted(get_user_model().objects.values_list("username", "password")),
        "groups": sorted(
            (group.name, sorted(group.permissions.values_list("codename", flat=True)))
            for group in Group.objects.all()
        ),
        "page_permissions": GroupPagePermission.objects.count(),
        "accounts": sorted(
            ChannelAccount.objects.values_list(
                "id",
                "platform",
                "remote_id",
                "status",
                "access_token",
                "refresh_token",
                "token_expires_at",
            )
        ),
        "defaults": sorted(
            SocialSettings.objects.values_list("site_id", "default_accounts")
        ),
        "crossposts": sorted(
            CrossPost.objects.values_list("page_id", "account_id", "idempotency_key")
        ),
    }


def real_platforms(*platforms):
    """SOCIAL_CHANNELS with ``platforms`` moved to the real platforms' URLs."""
    from django.conf import settings

    channels = copy.deepcopy(settings.SOCIAL_CHANNELS)
    for platform in platforms:
        channels[platform]["API_URL"], channels[platform]["TOKEN_URL"] = REAL_URLS[
            platform
        ]
    return channels


def seed(**kwargs):
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO(), **kwargs)
    return out.getvalue()


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    """The demo council as one ``seed_demo`` left it, for the tests of a class.
    Seeding takes seconds, so it is done once for the class, in a transaction
    of its own: each test runs in a savepoint inside it (rolled back after the
    test), and the whole is rolled back once the class is done. Class scope,
    not module scope, so no transactional test of the module can ever run
    inside it. What it printed and when it started are kept for the tests."""
    with django_db_blocker.unblock(), transaction.atomic():
        before = timezone.now()
        printed = seed()
        yield SimpleNamespace(before=before, printed=printed)
        transaction.set_rollback(True)


@pytest.mark.django_db
class TestTheSeededDemo:
    """What one ``seed_demo`` makes (:func:`demo`)."""

    def test_seed_demo_builds_the_demo_council(self, demo):
        assert PolicyPage.objects.live().count() >= 6
        assert AnnouncementPage.objects.live().count() >= 10
        assert AnnouncementPage.objects.filter(hero_image__isnull=False).count() >= 3
        assert all(
            page.hero_image_alt
            for page in AnnouncementPage.objects.filter(hero_image__isnull=False)
        )
        assert len({page.department_id for page in PolicyPage.objects.all()}) >= 4
        home = Site.objects.get(is_default_site=True).root_page
        assert home.specific_class.__name__ == "HomePage"
        printed = demo.printed
        assert "/admin/" in printed
        for username in ("editor", "moderator", "comms"):
            assert username in printed

    def test_the_demo_has_an_announcement_scheduled_for_the_calendar(self, demo):
        page = AnnouncementPage.objects.get(
            title="Winter opening hours at the libraries"
        )
        assert not page.live
        revision = page.latest_revision
        assert revision.approved_go_live_at > demo.before + timedelta(days=2)
        assert not CrossPost.objects.filter(page_id=page.pk).exists()

    def test_seed_demo_twice_changes_nothing(self, demo):
        first = snapshot()
        seed()
        assert snapshot() == first

    def test_roles_get_the_permissions_they_need(self, demo):
        users = {user.username: user for user in get_user_model().objects.all()}
        home = Site.objects.get(is_default_site=True).root_page

        editor, moderator, comms = users["editor"], users["moderator"], users["comms"]
        for user in (editor, moderator, comms):
            assert user.has_perm("wagtailadmin.access_admin")

        news = NewsIndexPage.objects.get()
        editor_perms = news.permissions_for_user(editor)
        assert editor_perms.can_add_subpage()
        assert editor_perms.can_edit()
        assert not editor_perms.can_publish()

        assert news.permissions_for_user(moderator).can_publish()

        comms_perms = news.permissions_for_user(comms)
        assert not comms_perms.can_edit()
        assert not comms_perms.can_add_subpage()
        assert not home.permissions_for_user(comms).can_publish()
        assert not comms.is_superuser and not editor.is_superuser
        assert users["admin"].is_superuser
        assert {g.name for g in comms.groups.all()} == {"Comms managers"}

        social = [
            "publishing.manage_channels",
            "publishing.view_crosspost",
            "publishing.retry_crosspost",
            "publishing.approve_crosspost",
            "publishing.change_socialsettings",
            "publishing.change_protocolsettings",
        ]
        assert all(comms.has_perm(name) for name in social)
        assert editor.has_perm("publishing.view_crosspost")
        assert not any(editor.has_perm(name) for name in social if "view_" not in name)
        assert moderator.has_perm("publishing.view_crosspost")
        assert not any(moderator.has_perm(n) for n in social if "view_" not in n)

    def test_seed_demo_connects_the_demo_accounts_as_the_defaults(self, demo):
        before, printed = demo.before, demo.printed
        accounts = {a.platform: a for a in ChannelAccount.objects.all()}
        assert sorted(accounts) == sorted(registry.platforms())
        comms = get_user_model().objects.get(username="comms")
        for account in accounts.values():
            assert account.status == ChannelAccount.Status.CONNECTED
            assert account.connected_by == comms
            assert account.status_message == ""
        facebook, x, youtube = accounts["facebook"], accounts["x"], accounts["youtube"]
        mastodon = accounts["mastodon"]
        # What each connect flow records for a real connection.
        assert (facebook.remote_id, facebook.display_name) == (
            "200000000001",
            "Exampleshire County Council",
        )
        assert facebook.token_expires_at is None and facebook.refresh_token == ""
        assert facebook.scopes == list(sandbox_seed.DEMO_FB_SCOPES)
        assert facebook.extra == {}
        assert (x.remote_id, x.display_name) == ("3000000001", "@ExampleshireCC")
        assert x.extra == {"username": "ExampleshireCC"}
        assert x.scopes == [
            "tweet.read",
            "tweet.write",
            "users.read",
            "offline.access",
            "media.write",
        ]
        assert x.refresh_token
        assert (youtube.remote_id, youtube.display_name) == (
            "UCexampleshire0000000001",
            "Exampleshire County Council",
        )
        assert youtube.scopes == [
            "https://www.googleapis.com/auth/youtube.upload",
            "https://www.googleapis.com/auth/youtube.force-ssl",
        ]
        assert youtube.refresh_token
        assert (mastodon.remote_id, mastodon.display_name) == (
            "109000000000000001",
            "@exampleshire",
        )
        assert mastodon.token_expires_at is None and mastodon.refresh_token == ""
        assert mastodon.scopes == ["read", "write"]
        assert mastodon.extra == {"username": "exampleshire"}
        bluesky = accounts["bluesky"]
        assert (bluesky.remote_id, bluesky.display_name) == (
            "did:plc:exampleshirecouncil2bsky",
            "@exampleshire.bsky.social",
        )
        assert bluesky.extra == {"handle": "exampleshire.bsky.social"}
        assert bluesky.refresh_token
        for account, lifetime in ((x, 7200), (youtube, 3599), (bluesky, 7200)):
            expected = before + timedelta(seconds=lifetime)
            assert expected <= account.token_expires_at
            latest = timezone.now() + timedelta(seconds=lifetime)
            assert account.token_expires_at <= latest

        site = Site.objects.get(is_default_site=True)
        defaults = SocialSettings.for_site(site).default_accounts.all()
        assert set(defaults) == set(accounts.values())

        # The demo pages were published after the accounts existed: each has a
        # post queued on every platform but YouTube (which needs a video, which
        # they have none of).
        for page in AnnouncementPage.objects.live():
            rows = CrossPost.objects.filter(page_id=page.pk)
            platforms = sorted(rows.values_list("platform", flat=True))
            assert platforms == sorted(set(registry.platforms()) - {"youtube"}), (
                page.title
            )
        assert "Social > Accounts" in printed

    def test_a_disconnected_demo_account_stays_disconnected(self, demo):
        x = ChannelAccount.objects.get(platform="x")
        disconnect(x, get_user_model().objects.get(username="comms"))
        site = Site.objects.get(is_default_site=True)
        SocialSettings.for_site(site).default_accounts.remove(x)
        first = snapshot()

        seed()

        assert snapshot() == first
        x.refresh_from_db()
        assert x.status == ChannelAccount.Status.DISCONNECTED
        assert x.access_token == ""

    def test_demo_tokens_are_not_stored_in_plain_text(self, demo):
        accounts = list(ChannelAccount.objects.all())
        assert len(accounts) == len(demo_accounts()) == len(registry.platforms())
        assert len(accounts) == len(registry.platforms())
        for account in accounts:
            demo = next(d for d in demo_accounts() if d.platform == account.platform)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT access_token, refresh_token FROM publishing_channelaccount "
                    "WHERE id = %s",
                    [account.pk],
                )
                raw_access, raw_refresh = cursor.fetchone()
            assert demo.access_token not in raw_access
            assert raw_access  # something is stored, encrypted
            if demo.refresh_token:
                assert demo.refresh_token not in raw_refresh
            assert account.access_token == demo.access_token
            assert account.refresh_token == demo.refresh_token

    def test_stored_demo_tokens_work_against_the_sandbox(self, demo, sandbox):
        for account in ChannelAccount.objects.all():
            items = adapter_for(account).recent_posts(5)
            assert items, account
            seeded = {
                p["id"]
                for p in sandbox.posts(account.platform)
                if p["account_id"] == account.remote_id
            }
            assert {item.remote_id for item in items} <= seeded
        # Nothing was refreshed: the seeded tokens were accepted as they are.
        assert {a.access_token for a in ChannelAccount.objects.all()} == {
            d.access_token for d in demo_accounts()
        }

    def test_expired_demo_tokens_are_refreshed_and_x_rotates(self, demo, sandbox):
        sandbox.expire_tokens("x", sandbox_seed.DEMO_X_ACCESS_TOKEN)
        sandbox.expire_tokens("youtube", sandbox_seed.DEMO_YT_ACCESS_TOKEN)
        for platform in ("x", "youtube"):
            account = ChannelAccount.objects.get(platform=platform)
            assert adapter_for(account).recent_posts(3)
        x = ChannelAccount.objects.get(platform="x")
        assert x.access_token != sandbox_seed.DEMO_X_ACCESS_TOKEN
        assert x.refresh_token not in ("", sandbox_seed.DEMO_X_REFRESH_TOKEN)
        youtube = ChannelAccount.objects.get(platform="youtube")
        assert youtube.access_token != sandbox_seed.DEMO_YT_ACCESS_TOKEN
        assert youtube.refresh_token == sandbox_seed.DEMO_YT_REFRESH_TOKEN
        # The seeded X refresh token was used up by the rotation.
        again = requests.post(
            f"{sandbox.url}/x/2/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": sandbox_seed.DEMO_X_REFRESH_TOKEN,
                "client_id": sandbox_seed.X_CLIENT_ID,
            },
            auth=(sandbox_seed.X_CLIENT_ID, sandbox_seed.X_CLIENT_SECRET),
            timeout=5,
        )
        assert again.status_code == 400


# Demo social accounts --------------------------------------------------------------


def test_app_and_sandbox_publish_the_same_demo_grants():
    """The app's demo grants are settings of its own (it imports nothing of the
    sandbox): each is the sandbox's, for the same account, scopes and lifetime."""
    by_platform = {demo.platform: demo for demo in demo_accounts()}
    assert sorted(by_platform) == sorted(registry.platforms())
    facebook, x, youtube = (by_platform[p] for p in ("facebook", "x", "youtube"))
    pairs = [
        (facebook.access_token, sandbox_seed.DEMO_FB_PAGE_TOKEN),
        (x.access_token, sandbox_seed.DEMO_X_ACCESS_TOKEN),
        (x.refresh_token, sandbox_seed.DEMO_X_REFRESH_TOKEN),
        (youtube.access_token, sandbox_seed.DEMO_YT_ACCESS_TOKEN),
        (youtube.refresh_token, sandbox_seed.DEMO_YT_REFRESH_TOKEN),
        (by_platform["mastodon"].access_token, sandbox_seed.DEMO_MASTODON_TOKEN),
        (by_platform["bluesky"].access_token, sandbox_seed.DEMO_BSKY_ACCESS_TOKEN),
        (by_platform["bluesky"].refresh_token, sandbox_seed.DEMO_BSKY_REFRESH_TOKEN),
    ]
    for ours, theirs in pairs:
        assert ours == theirs
    tokens = sandbox_seed.demo_tokens(0.0)
    for demo in (x, youtube):
        refresh = tokens[demo.refresh_token]
        assert (refresh["kind"], refresh["account_id"]) == ("refresh", demo.remote_id)
    for demo in demo_accounts():
        record = tokens[demo.access_token]
        assert record["account_id"] == demo.remote_id
        lifetime = record["expires_at"]  # seeded at 0, so this is its lifetime
        assert lifetime == demo.lifetime
    # Each records what its token allows, as connecting the account would.
    for demo in demo_accounts():
        assert list(demo.scopes) == tokens[demo.access_token]["scope"]
    world, _media = sandbox_seed.build_seed(0.0)
    accounts = world["accounts"]
    assert facebook.display_name == accounts["facebook"][facebook.remote_id]["name"]
    assert x.extra == {"username": accounts["x"][x.remote_id]["username"]}
    assert x.display_name == f"@{x.extra['username']}"
    assert youtube.display_name == accounts["youtube"][youtube.remote_id]["title"]


def test_sandbox_url_is_found_only_when_every_platform_uses_the_sandbox(settings):
    assert sandbox_url(settings.SOCIAL_CHANNELS) == (
        settings.SOCIAL_CHANNELS["x"]["API_URL"].removesuffix("/x")
    )
    assert sandbox_url(real_platforms(*REAL_URLS)) is None
    for platform in REAL_URLS:
        assert sandbox_url(real_platforms(platform)) is None
    # One platform's token endpoint elsewhere is not the sandbox either.
    channels = copy.deepcopy(settings.SOCIAL_CHANNELS)
    channels["x"]["TOKEN_URL"] = REAL_URLS["x"][1]
    assert sandbox_url(channels) is None
    # Two sandboxes mixed are not one sandbox.
    channels = copy.deepcopy(settings.SOCIAL_CHANNELS)
    channels["youtube"]["API_URL"] = "http://127.0.0.1:1/youtube/"
    assert sandbox_url(channels) is None


@pytest.mark.django_db
def test_seed_demo_connects_nothing_when_the_platforms_are_real():
    with override_settings(SOCIAL_CHANNELS=real_platforms("facebook", "x", "youtube")):
        printed = seed()
    assert not ChannelAccount.objects.exists()
    assert not CrossPost.objects.exists()
    assert AnnouncementPage.objects.live().count() >= 10
    assert "sandbox" not in printed


@pytest.mark.django_db
def test_seed_demo_connects_nothing_when_only_one_platform_is_real():
    with override_settings(SOCIAL_CHANNELS=real_platforms("youtube")):
        seed()
    assert not ChannelAccount.objects.exists()


@pytest.mark.django_db
def test_demo_accounts_connected_later_get_the_existing_pages_posted():
    with override_settings(SOCIAL_CHANNELS=real_platforms(*registry.platforms())):
        seed()  # a site seeded before the demo accounts existed
    assert not CrossPost.objects.exists()

    seed()

    pages = list(AnnouncementPage.objects.live()) + list(PolicyPage.objects.live())
    for page in pages:
        rows = CrossPost.objects.filter(page_id=page.pk)
        assert sorted(rows.values_list("platform", flat=True)) == sorted(
            set(registry.platforms()) - {"youtube"}
        )
        assert {row.revision_id for row in rows} == {page.live_revision_id}
    count = CrossPost.objects.count()
    seed()
    assert CrossPost.objects.count() == count


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_make_run_shows_cross_posts_and_feeds(
    sandbox, celery_worker_process, client, monkeypatch
):
    """What ``make run`` gives a newcomer: the worker delivers the demo pages'
    cross-posts and fills the feeds, and the site shows both."""
    monkeypatch.setattr(seed_demo, "FEED_REFRESH_DELAYS", (1,))
    seed()
    settled = (CrossPost.State.POSTED, CrossPost.State.HELD, CrossPost.State.FAILED)
    wait_for(
        lambda: (
            CrossPost.objects.exists()
            and not CrossPost.objects.exclude(state__in=settled).exists()
        ),
        timeout=90,
        message=lambda: celery_worker_process.log_tail(),
    )
    posted = CrossPost.objects.filter(state=CrossPost.State.POSTED)
    assert posted.filter(platform="facebook").exists()
    assert posted.filter(platform="x").exists()
    assert posted.filter(platform="mastodon").exists()
    assert posted.filter(platform="bluesky").exists()
    assert not CrossPost.objects.filter(state=CrossPost.State.FAILED).exists()
    wait_for(
        lambda: (
            SocialFeed.objects.filter(fetched_at__isnull=False).count()
            == len(registry.platforms())
        ),
        timeout=60,
        message=lambda: celery_worker_process.log_tail(),
    )

    row = posted.filter(platform="x").first()
    page = AnnouncementPage.objects.get(pk=row.page_id)
    html = client.get(page.url).content.decode()
    assert "Also on Facebook" in html and "Also on X" in html
    assert "Also on Mastodon" in html
    assert row.permalink in html
    assert posted.get(page_id=page.pk, platform="mastodon").permalink in html
    home = client.get("/").content.decode()
    for name in ("on Facebook", "on X", "on YouTube", "on Mastodon"):
        assert any(
            f"{account} {name}" in home
            for account in (
                "Exampleshire County Council",
                "@ExampleshireCC",
                "@exampleshire",
            )
        ), name
    assert "Our social media posts will appear here" not in home


@pytest.mark.django_db
def test_the_demo_site_and_its_posted_links_are_on_site_url(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    seed()

    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("127.0.0.1", 8000)
    assert (
        AnnouncementPage.objects.live()
        .first()
        .full_url.startswith("http://127.0.0.1:8000/news/")
    )
    links = CrossPost.objects.values_list("link", flat=True)
    assert links and all(link.startswith("http://127.0.0.1:8000/") for link in links)


@pytest.mark.django_db
def test_seeding_again_moves_an_older_demo_site_onto_site_url(settings):
    seed()
    Site.objects.filter(is_default_site=True).update(hostname="localhost", port=80)
    settings.SITE_URL = "https://council.example.org"

    seed()

    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("council.example.org", 443)
