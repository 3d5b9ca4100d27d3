"""Registers the social publishing admin: URLs, menu, homepage panel, audit log
actions and the permissions groups can be given. Views live in ``views/``."""

from django.contrib import messages
from django.contrib.auth.models import Permission
from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.models import Page

from . import outbox
from .audit import ACTIONS, action_name
from .views import urls as admin_urls
from .views import video_chooser
from .views.accounts import can_manage_channels
from .views.alerts import can_see_alerts
from .views.dashboard import can_act, crosspost_policy
from .views.panels import NeedsAttentionPanel
from .views.status import add_posting_note, add_taking_down_note, taking_down_note

PERMISSIONS = (
    "manage_channels",
    "approve_crosspost",
    "retry_crosspost",
    "view_crosspost",
)


@hooks.register("register_log_actions")
def register_crosspost_log_actions(actions):
    for suffix, label in ACTIONS.items():
        actions.register_action(action_name(suffix), label, label)


@hooks.register("register_admin_viewset")
def register_video_chooser():
    return video_chooser.viewset


@hooks.register("register_admin_urls")
def register_social_admin_urls():
    return [path("social/", include(admin_urls, namespace="publishing_admin"))]


class PermittedMenuItem(MenuItem):
    def __init__(self, *args, allowed, **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed = allowed

    def is_shown(self, request):
        return self.allowed(request.user)


def can_view_posts(user) -> bool:
    return crosspost_policy.user_has_any_permission(user, ["view", "retry", "approve"])


@hooks.register("register_admin_menu_item")
def register_social_menu():
    items = [
        PermittedMenuItem(
            "Posts",
            reverse("publishing_admin:dashboard"),
            name="social-posts",
            icon_name="list-ul",
            order=100,
            allowed=can_view_posts,
        ),
        PermittedMenuItem(
            "Calendar",
            reverse("publishing_admin:calendar"),
            name="social-calendar",
            icon_name="date",
            order=150,
            allowed=can_view_posts,
        ),
        PermittedMenuItem(
            "Accounts",
            reverse("publishing_admin:accounts"),
            name="social-accounts",
            icon_name="key",
            order=200,
            allowed=can_manage_channels,
        ),
        PermittedMenuItem(
            "Alerts",
            reverse("publishing_admin:alerts"),
            name="social-alerts",
            icon_name="warning",
            order=250,
            allowed=can_see_alerts,
        ),
        PermittedMenuItem(
            "FOI export",
            reverse("publishing_admin:foi"),
            name="social-foi",
            icon_name="download",
            order=300,
            allowed=can_act,
        ),
    ]
    return SubmenuMenuItem(
        "Social", Menu(items=items), name="social", icon_name="globe", order=250
    )


@hooks.register("construct_homepage_panels")
def add_needs_attention_panel(request, panels):
    if can_act(request.user) or can_manage_channels(request.user):
        panels.append(NeedsAttentionPanel())


@hooks.register("after_edit_page")
@hooks.register("after_create_page")
def say_where_the_page_is_posted(request, page):
    add_posting_note(request, page)


@hooks.register("before_delete_page")
def say_what_deleting_does_to_the_posts(request, page):
    """On the page asking to confirm a delete: deleting a page takes its posts
    down first (:func:`publishing.signals.page_deleted`), so the page says
    which, as the unpublish page does (its template)."""
    if request.method == "GET":
        note = taking_down_note(page, deleting=True)
        if note:
            messages.warning(request, note)
    else:
        outbox.note_retractions()


@hooks.register("before_unpublish_page")
def note_what_unpublishing_moves(request, page):
    outbox.note_retractions()


@hooks.register("after_unpublish_page")
def say_which_posts_come_down(request, page):
    add_taking_down_note(request)


@hooks.register("after_delete_page")
def say_which_posts_of_the_deleted_page_come_down(request, page):
    add_taking_down_note(request, deleted=True)


def _takes_pages_down(action_type: str, action) -> bool:
    """Whether a bulk action unpublishes or deletes pages (not images, say)."""
    return action_type in ("unpublish", "delete") and issubclass(action.model, Page)


@hooks.register("before_bulk_action")
def note_what_a_bulk_action_moves(request, action_type, objects, action):
    if _takes_pages_down(action_type, action):
        outbox.note_retractions()


@hooks.register("after_bulk_action")
def say_which_posts_a_bulk_action_takes_down(request, action_type, objects, action):
    if _takes_pages_down(action_type, action):
        add_taking_down_note(request, deleted=action_type == "delete")


@hooks.register("register_permissions")
def register_social_permissions():
    return Permission.objects.filter(
        content_type__app_label="publishing", codename__in=PERMISSIONS
    )


@hooks.register("register_admin_urls")
def register_social_tab_urls():
    from .admin_urls import urlpatterns

    return urlpatterns
