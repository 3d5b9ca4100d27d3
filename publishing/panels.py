"""Read-only panels of a page's Social tab.

They read cross-posts by page id; nothing here is stored on the page, since
publishing rebuilds the page from its revision.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, Panel

from .forms import AccountCheckboxes
from .page_mixins import SOCIAL_TEXT_MAX_LENGTHS


def _parent_of(instance, request):
    """The page's parent: from the tree when it exists, else from the create
    view's URL."""
    if instance.pk and instance.path:
        return instance.get_parent()
    parent_id = getattr(getattr(request, "resolver_match", None), "kwargs", {}).get(
        "parent_page_id"
    )
    if parent_id:
        from wagtail.models import Page

        return Page.objects.filter(pk=parent_id).first()
    return None


class SocialAccountsPanel(Panel):
    """Which accounts the page goes to, and the script behind the live character
    counters under each channel's text."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "publishing/panels/social_accounts.html"

        class Media:
            js = ["publishing/js/social-counter.js"]
            css = {"all": ["publishing/css/social.css"]}

        def get_context_data(self, parent_context=None):
            from .preview_views import channel_plan, page_in_place

            context = super().get_context_data(parent_context)
            parent = _parent_of(self.instance, self.request)
            page = page_in_place(self.instance, parent)
            context.update(
                endpoint=reverse("publishing_social_preview"),
                page_id=self.instance.pk or "",
                parent_id=parent.pk if parent else "",
                model=self.instance._meta.label_lower,
                plan=channel_plan(page) if page is not None else None,
            )
            return context


class CrossPostsPanel(Panel):
    """This page's cross-posts: where each stands, what happens next and what
    the editor can do. It refreshes itself while a post is on its way."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "publishing/panels/crossposts.html"

        class Media:
            js = [
                "publishing/admin/fetch_html.js",
                "publishing/admin/status_panel.js",
            ]
            css = {"all": ["publishing/admin/chips.css"]}

        def get_context_data(self, parent_context=None):
            from .views.status import panel_context

            context = super().get_context_data(parent_context)
            context.update(panel_context(self.instance.pk, self.request.user))
            return context


#: The page editor's Social tab, led by where the page's posts stand.
SOCIAL_PANELS = [
    CrossPostsPanel(heading="Cross-posts of this page"),
    MultiFieldPanel(
        [
            FieldPanel("social_mode", widget=forms.RadioSelect),
            FieldPanel("social_accounts", widget=AccountCheckboxes),
        ],
        heading="Where to post",
    ),
    SocialAccountsPanel(heading="Accounts this page goes to"),
    # Every platform's text; the form leaves out those of platforms not enabled
    # (SocialPageForm), which hides their panels.
    MultiFieldPanel(
        [FieldPanel(f"social_text_{platform}") for platform in SOCIAL_TEXT_MAX_LENGTHS],
        heading="Text for each channel",
    ),
]
