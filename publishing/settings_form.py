"""The social settings' form, and the rules both it and the page form follow:
only the enabled platforms' fields are shown, and an account's checkbox says
when it is kept for urgent notices or retired.

It sits below the models (:class:`~publishing.models.SocialSettings` names it
as its form), so it imports nothing of the app but the platform registry.
"""

from __future__ import annotations

from collections.abc import Mapping

from wagtail.admin.forms import WagtailAdminModelForm

from channels import registry


def without_other_platforms(form, field_names: Mapping[str, str]) -> None:
    """Leave out of ``form`` the fields (``{platform: field name}``) of the
    platforms that are not enabled: Wagtail then hides their panels, and
    saving the form keeps what they hold for when the platform is enabled."""
    enabled = set(registry.platforms())
    for platform, name in field_names.items():
        if platform not in enabled:
            form.fields.pop(name, None)


def account_choice_label(account) -> str:
    """An account as a checkbox names it: with its use, unless it is used for
    every page chosen for it ("X: @ExampleshireCC (urgent notices only)")."""
    if account.usage == type(account).Usage.EVERY_PAGE:
        return str(account)
    usage = account.get_usage_display()
    return f"{account} ({usage[:1].lower()}{usage[1:]})"


def label_accounts(form, name: str) -> None:
    """Name ``form``'s account choices with :func:`account_choice_label`."""
    field = form.fields.get(name)
    if field is not None:
        field.label_from_instance = account_choice_label


#: What every message template may hold.
PLACEHOLDERS = "Placeholders: {title}, {summary}, {link}, {hashtags}."


def describe_templates(form, field_names: Mapping[str, str]) -> None:
    """Name each platform's template field (``{platform: field name}``) as
    the platform spells itself ("YouTube description template"), and say in
    its help what it may hold and how the platform counts it, from the
    platform's adapter, so the five read alike and never disagree with it."""
    for platform, name in field_names.items():
        field = form.fields.get(name)
        if field is None:
            continue
        adapter = registry.get(platform)
        rest = name.removeprefix(f"{platform}_").replace("_", " ")
        field.label = f"{adapter.name} {rest}"
        help_text = [PLACEHOLDERS, adapter.counting_rule_text()]
        if adapter.fit_measure is not None:
            help_text.append("A longer text is cut to fit, keeping the link.")
        field.help_text = " ".join(help_text)


class SocialSettingsForm(WagtailAdminModelForm):
    """The social settings' form, with the message templates of the enabled
    platforms only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        templates = self._meta.model.TEMPLATE_FIELDS
        without_other_platforms(self, templates)
        describe_templates(self, templates)
        label_accounts(self, "default_accounts")
