"""The page editor's form for pages that are cross-posted.

The "Where to post" choice decides the accounts unless it is "the accounts I
choose": the checkboxes then show what applies (the site's usual accounts, or
none), ticked and fixed, from the first render; ``usual-accounts.js`` keeps them
so as the editor changes the choice.
"""

from __future__ import annotations

from collections.abc import Collection

from django import forms
from django.utils.functional import SimpleLazyObject
from wagtail.admin.forms import WagtailAdminPageForm

from .page_mixins import SOCIAL_TEXT_MAX_LENGTHS
from .settings_form import label_accounts, without_other_platforms


class AccountCheckboxes(forms.CheckboxSelectMultiple):
    """Account checkboxes; the site's usual accounts carry ``data-usual``.

    ``fixed`` is ``"default"`` or ``"none"`` when the page's mode decides its
    accounts: the boxes then show the usual accounts, or none, whatever the
    field's value. ``usual`` is read only when the boxes are drawn, so a form
    that is saved without being shown again does not read it."""

    usual: Collection[int] = frozenset()
    fixed: str | None = None

    class Media:
        js = ["publishing/js/usual-accounts.js"]

    def get_context(self, name, value, attrs):
        if self.fixed is not None:
            value = sorted(self.usual) if self.fixed == "default" else []
        return super().get_context(name, value, attrs)

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if getattr(value, "value", value) in self.usual:
            option["attrs"]["data-usual"] = "true"
        return option


class SocialPageForm(WagtailAdminPageForm):
    """The page form, with the text of each enabled platform, and the account
    checkboxes set from the chosen mode."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        without_other_platforms(
            self, {p: f"social_text_{p}" for p in SOCIAL_TEXT_MAX_LENGTHS}
        )
        label_accounts(self, "social_accounts")
        field = self.fields.get("social_accounts")
        if field is None or not isinstance(field.widget, AccountCheckboxes):
            return
        from .page_mixins import SocialPostingMixin
        from .preview_views import page_in_place, usual_account_ids

        modes = SocialPostingMixin.SocialMode
        mode = self.instance.social_mode
        if self.is_bound and self.data.get("social_mode") in modes.values:
            mode = self.data["social_mode"]
        page = page_in_place(self.instance, self.parent_page)
        field.widget.usual = SimpleLazyObject(
            lambda: usual_account_ids(page) if page is not None else set()
        )
        if mode != modes.CUSTOM:
            # Disabled boxes are not sent: under these modes the page's own
            # choice is not used, and is not kept either.
            field.widget.fixed = mode
            field.widget.attrs["disabled"] = True
