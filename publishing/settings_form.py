"""The social settings' form, and the rule both it and the page form follow:
only the enabled platforms' fields are shown.

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


class SocialSettingsForm(WagtailAdminModelForm):
    """The social settings' form, with the message templates of the enabled
    platforms only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        without_other_platforms(self, self._meta.model.TEMPLATE_FIELDS)
