"""seed_demo builds a believable council once, and a second run changes nothing."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from wagtail.models import GroupPagePermission, Page, Site

from council_site.news.models import AnnouncementPage, NewsIndexPage
from council_site.policies.models import PolicyPage


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
    }


@pytest.mark.django_db
def test_seed_demo_builds_the_demo_council():
    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert PolicyPage.objects.live().count() >= 6
    assert AnnouncementPage.objects.live().count() >= 10
    assert AnnouncementPage.objects.filter(hero_image__isnull=False).count() >= 3
    assert all(
        page.hero_image_alt
        for page in AnnouncementPage.objects.filter(hero_image__isnull=False)
    )
    assert len({page.department_id for page in PolicyPage.objects.all()}) >= 4
    assert Site.objects.get(is_default_site=True).root_page.specific_class.__name__ == (
        "HomePage"
    )
    printed = out.getvalue()
    assert "/admin/" in printed
    for username in ("editor", "moderator", "comms"):
        assert username in printed


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo", stdout=StringIO())
    first = snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert snapshot() == first


@pytest.mark.django_db
def test_roles_get_the_permissions_they_need():
    call_command("seed_demo", stdout=StringIO())
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
    assert not moderator.has_perm("publishing.view_crosspost")
