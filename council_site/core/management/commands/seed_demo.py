"""Build a believable demo council: pages, departments, groups and one user a role.

When the platform settings point at the local sandbox (dev and demo, never the real
platforms), the council's Facebook Page, X account and YouTube channel come
connected with the sandbox's published demo tokens and are the site's default
accounts, before the demo pages are published: publishing them queues their
cross-posts, which the worker delivers once ``make run`` has started it and the
sandbox. The feeds are refreshed soon after start too.

Idempotent: everything is looked up before it is created, so a second run changes
nothing (an account the comms user disconnected stays disconnected).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Site,
)

from council_site.core.demo_accounts import demo_accounts, sandbox_url
from council_site.core.demo_content import (
    ANNOUNCEMENTS,
    DEPARTMENTS,
    POLICIES,
    SCHEDULED_ANNOUNCEMENT,
)
from council_site.core.models import Department
from council_site.home.models import HomePage
from council_site.news.models import AnnouncementPage, NewsIndexPage
from council_site.policies.models import PolicyIndexPage, PolicyPage
from publishing import outbox
from publishing.models import ChannelAccount, CrossPost, SocialSettings

DEMO_PASSWORD = "council-demo"  # noqa: S105 - local demo logins, printed on purpose
#: Seconds after seeding at which the worker refreshes the feeds: soon after the
#: worker and the sandbox are up, then once the demo pages' cross-posts have been
#: delivered. Beat's own 10-minute schedule takes over from there. A refresh that
#: finds the sandbox not yet listening only records the error on the feed.
FEED_REFRESH_DELAYS = (10, 60)

# role -> (group, username, page permissions on the home page, other permissions)
ROLES = {
    "editor": (
        "Editors",
        ["add_page", "change_page", "lock_page"],
        [
            "wagtailadmin.access_admin",
            "core.view_department",
            "publishing.view_crosspost",
        ],
    ),
    "moderator": (
        "Moderators",
        ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
        [
            "wagtailadmin.access_admin",
            "core.view_department",
            "core.add_department",
            "core.change_department",
            # They publish, so they follow the posts (read-only).
            "publishing.view_crosspost",
        ],
    ),
    "comms": (
        "Comms managers",
        [],
        [
            "wagtailadmin.access_admin",
            "core.view_department",
            "publishing.manage_channels",
            "publishing.view_crosspost",
            "publishing.retry_crosspost",
            "publishing.approve_crosspost",
            "publishing.change_socialsettings",
            "publishing.change_protocolsettings",
        ],
    ),
}
#: Editors and moderators both add and change the media their pages use.
MEDIA_EDITING = [
    "add_image",
    "change_image",
    "choose_image",
    "add_document",
    "change_document",
    "choose_document",
]
COLLECTION_PERMISSIONS = {
    "Editors": MEDIA_EDITING,
    "Moderators": MEDIA_EDITING,
    "Comms managers": ["choose_image", "choose_document"],
}


class Command(BaseCommand):
    help = "Create the demo council site, its groups and one user per role."

    def handle(self, *args, **options):
        sandbox = sandbox_url(settings.SOCIAL_CHANNELS)
        connected: list[ChannelAccount] = []
        with transaction.atomic():
            home = self.ensure_home()
            departments = self.ensure_departments()
            self.ensure_roles(home)
            created_users = self.ensure_users()
            if sandbox:
                # Before the pages: publishing them then queues their cross-posts.
                connected = self.ensure_social_accounts()
            self.ensure_policies(home, departments)
            self.ensure_news(home, departments)
            if connected:
                self.queue_existing_pages(connected)
            if sandbox:
                transaction.on_commit(self.schedule_feed_refresh)
        self.report(created_users, sandbox, connected)

    # Pages -----------------------------------------------------------------------

    def ensure_home(self) -> HomePage:
        home = HomePage.objects.first()
        if home is None:
            root = Page.get_first_root_node()
            home = HomePage(
                title=settings.WAGTAIL_SITE_NAME,
                slug="home-council",
                introduction="Find out about council services, policies and news, "
                "and follow us on social media.",
            )
            root.add_child(instance=home)
            home.save_revision().publish()
            # Wagtail's own "Welcome" page is replaced as the site root.
            Site.objects.update_or_create(
                is_default_site=True,
                defaults={"root_page": home, "site_name": settings.WAGTAIL_SITE_NAME},
            )
            Page.objects.filter(depth=2).exclude(pk=home.pk).delete()
        self.ensure_site_address()
        return home

    def ensure_site_address(self) -> None:
        """The default Site on SITE_URL's host and port (a demo seeded before
        kept Wagtail's ``localhost:80``), so the links Wagtail makes itself,
        such as the admin's "View live", open the site being served."""
        address = urlsplit(settings.SITE_URL)
        port = address.port or (443 if address.scheme == "https" else 80)
        site = Site.objects.get(is_default_site=True)
        if (site.hostname, site.port) != (address.hostname, port):
            site.hostname, site.port = address.hostname, port
            site.save(update_fields=["hostname", "port"])

    def ensure_departments(self) -> dict[str, Department]:
        departments = {}
        for name, description in DEPARTMENTS:
            departments[name], _ = Department.objects.get_or_create(
                name=name, defaults={"description": description}
            )
        return departments

    def ensure_policies(self, home: HomePage, departments) -> None:
        index = PolicyIndexPage.objects.first()
        if index is None:
            index = PolicyIndexPage(
                title="Policies and strategies",
                slug="policies",
                show_in_menus=True,
                introduction="The plans and policies that guide how we run services.",
            )
            home.add_child(instance=index)
            index.save_revision().publish()
        today = date.today()
        for number, data in enumerate(POLICIES):
            if PolicyPage.objects.filter(title=data["title"]).exists():
                continue
            page = PolicyPage(
                title=data["title"],
                summary=data["summary"],
                department=departments[data["department"]],
                policy_status=data["status"],
                featured=data["featured"],
                effective_date=today - timedelta(days=200 + 30 * number),
                next_review_date=today + timedelta(days=300 + 20 * number),
                body=[("paragraph", f"<p>{text}</p>") for text in data["paragraphs"]],
            )
            index.add_child(instance=page)
            page.save_revision().publish()

    def ensure_news(self, home: HomePage, departments) -> None:
        index = NewsIndexPage.objects.first()
        if index is None:
            index = NewsIndexPage(
                title="News",
                slug="news",
                show_in_menus=True,
                introduction="News, service changes and urgent notices.",
            )
            home.add_child(instance=index)
            index.save_revision().publish()
        for data in ANNOUNCEMENTS:
            if AnnouncementPage.objects.filter(title=data["title"]).exists():
                continue
            image, alt = None, ""
            if data["image"]:
                alt, colour = data["image"]
                image = self.ensure_image(alt, colour)
            page = AnnouncementPage(
                title=data["title"],
                summary=data["summary"],
                department=departments[data["department"]],
                urgent=data["urgent"],
                hero_image=image,
                hero_image_alt=alt,
                body=[("paragraph", f"<p>{data['summary']}</p>")],
            )
            index.add_child(instance=page)
            page.save_revision().publish()
        self.ensure_scheduled(index, departments)

    def ensure_scheduled(self, index: NewsIndexPage, departments) -> None:
        """One announcement approved to go live a few days from the first
        seeding (beat publishes it then, and its cross-posts go out)."""
        data = SCHEDULED_ANNOUNCEMENT
        if AnnouncementPage.objects.filter(title=data["title"]).exists():
            return
        when = timezone.localtime() + timedelta(days=data["days"])
        page = AnnouncementPage(
            title=data["title"],
            summary=data["summary"],
            department=departments[data["department"]],
            body=[("paragraph", f"<p>{data['summary']}</p>")],
            live=False,
            go_live_at=when.replace(hour=data["hour"], minute=0, second=0,
                                    microsecond=0),
        )
        index.add_child(instance=page)
        page.save_revision().publish()

    def ensure_image(self, title: str, colour: str):
        image_model = get_image_model()
        existing = image_model.objects.filter(title=title).first()
        if existing:
            return existing
        picture = PILImage.new("RGB", (1200, 630), colour)
        ImageDraw.Draw(picture).text((60, 280), title, fill="white")
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        filename = title.lower().replace(" ", "-")[:40] + ".png"
        return image_model.objects.create(
            title=title, file=ImageFile(buffer, name=filename)
        )

    # People ----------------------------------------------------------------------

    def ensure_roles(self, home: HomePage) -> None:
        root_collection = Collection.get_first_root_node()
        for group_name, page_permissions, permissions in ROLES.values():
            group, _ = Group.objects.get_or_create(name=group_name)
            for codename in page_permissions:
                GroupPagePermission.objects.get_or_create(
                    group=group,
                    page=home,
                    permission=Permission.objects.get(
                        content_type__app_label="wagtailcore", codename=codename
                    ),
                )
            group.permissions.add(*self.permissions(permissions))
            for codename in COLLECTION_PERMISSIONS[group_name]:
                GroupCollectionPermission.objects.get_or_create(
                    group=group,
                    collection=root_collection,
                    permission=Permission.objects.get(codename=codename),
                )

    @staticmethod
    def permissions(names: list[str]) -> list[Permission]:
        found = []
        for name in names:
            app_label, codename = name.split(".")
            found.append(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                )
            )
        return found

    def ensure_users(self) -> list[str]:
        user_model = get_user_model()
        created = []
        people = [
            ("admin", "Alex", "Admin", None),
            ("editor", "Erin", "Editor", "Editors"),
            ("moderator", "Morgan", "Moderator", "Moderators"),
            ("comms", "Chris", "Comms", "Comms managers"),
        ]
        for username, first, last, group_name in people:
            if user_model.objects.filter(username=username).exists():
                continue
            user = user_model.objects.create_user(
                username=username,
                email=f"{username}@exampleshire.gov.uk",
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                is_staff=username == "admin",
                is_superuser=username == "admin",
            )
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
            created.append(username)
        return created

    # Social accounts ---------------------------------------------------------------

    def ensure_social_accounts(self) -> list[ChannelAccount]:
        """Connect the demo accounts that are not there yet (same platform and
        remote id) and make them the site's defaults. Returns the new ones.

        The model encrypts the tokens as they are saved; the fields are what the
        connect flow records for a real connection.
        """
        comms = get_user_model().objects.filter(username="comms").first()
        now = timezone.now()
        created = []
        for demo in demo_accounts():
            if ChannelAccount.objects.filter(
                platform=demo.platform, remote_id=demo.remote_id
            ).exists():
                continue
            created.append(
                ChannelAccount.objects.create(
                    platform=demo.platform,
                    remote_id=demo.remote_id,
                    display_name=demo.display_name,
                    access_token=demo.access_token,
                    refresh_token=demo.refresh_token,
                    token_expires_at=now + timedelta(seconds=demo.lifetime)
                    if demo.lifetime
                    else None,
                    scopes=list(demo.scopes),
                    extra=dict(demo.extra),
                    status=ChannelAccount.Status.CONNECTED,
                    connected_by=comms,
                    connected_at=now,
                )
            )
        if created:
            site = Site.objects.get(is_default_site=True)
            SocialSettings.for_site(site).default_accounts.add(*created)
        return created

    def queue_existing_pages(self, accounts: list[ChannelAccount]) -> None:
        """Cross-post demo pages published before these accounts were connected
        (a site seeded before demo accounts existed), as a publish would have."""
        titles = [data["title"] for data in POLICIES + ANNOUNCEMENTS]
        for model in (PolicyPage, AnnouncementPage):
            for page in model.objects.live().filter(title__in=titles):
                if CrossPost.objects.filter(
                    page_id=page.pk, account__in=accounts
                ).exists():
                    continue
                outbox.queue_page(page, page.live_revision)

    def schedule_feed_refresh(self) -> None:
        from publishing.tasks import refresh_feeds

        try:
            for delay in FEED_REFRESH_DELAYS:
                refresh_feeds.apply_async(countdown=delay)
        except Exception:  # noqa: BLE001 - any broker failure: beat refreshes later
            self.stderr.write(
                "Could not queue a feed refresh; the feeds fill on beat's schedule."
            )

    def report(
        self,
        created_users: list[str],
        sandbox: str | None = None,
        connected: Sequence[ChannelAccount] = (),
    ) -> None:
        admin_url = f"{settings.WAGTAILADMIN_BASE_URL}/admin/"
        self.stdout.write(self.style.SUCCESS("Demo council is ready."))
        self.stdout.write(f"  Site:  {settings.WAGTAILADMIN_BASE_URL}/")
        self.stdout.write(f"  Admin: {admin_url}")
        self.stdout.write(f"  Logins (password '{DEMO_PASSWORD}'):")
        for username, role in [
            ("admin", "superuser"),
            ("editor", "writes pages, chooses channels"),
            ("moderator", "approves and publishes pages"),
            ("comms", "owns the social accounts and the dashboard"),
        ]:
            self.stdout.write(f"    {username:<10} {role}")
        if created_users:
            self.stdout.write(f"  Created users: {', '.join(created_users)}")
        if sandbox:
            self.stdout.write(
                f"  Social accounts use the platform sandbox at {sandbox}/; practise "
                "reconnecting them as 'comms' under Social > Accounts."
            )
        for account in connected:
            self.stdout.write(f"    connected {account}")
