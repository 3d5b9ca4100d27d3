"""Page addresses in plain letters (``WAGTAIL_ALLOW_UNICODE_SLUGS`` is off).

The admin's slug field makes the slug as the title is typed, and its own
transliteration drops Welsh letters ("Gŵyl" made "gyl"). Every slug field of
the admin gets these formatters, so each such letter becomes its plain letter
first, as Django's ``slugify`` does on the server ("gwyl").
"""

from __future__ import annotations

#: ``(pattern, replacement)`` pairs, as Wagtail's ``SlugInput`` takes them.
WELSH_LETTERS = [
    ("[ŵẃẁẅ]", "w"),
    ("[ŴẂẀẄ]", "W"),
    ("[ŷýỳÿ]", "y"),
    ("[ŶÝỲŸ]", "Y"),
]


def register_slug_input() -> None:
    """Every admin form's slug field keeps Welsh letters as plain ones
    (Wagtail's documented form field override, replacing its own for
    ``SlugField``)."""
    from django.db import models
    from wagtail.admin.forms.models import register_form_field_override
    from wagtail.admin.widgets import SlugInput

    register_form_field_override(
        models.SlugField, override={"widget": SlugInput(formatters=WELSH_LETTERS)}
    )
