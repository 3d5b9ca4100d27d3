"""Table columns shared by the social admin listings."""

from __future__ import annotations

from django.middleware.csrf import get_token
from wagtail.admin.ui.tables import Column


class TemplateColumn(Column):
    """A column whose cell is rendered by its own template, with extra context."""

    def __init__(self, name, *, template_name: str, extra: dict | None = None, **kw):
        super().__init__(name, **kw)
        self.cell_template_name = template_name
        self.extra = extra or {}

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context.update(self.extra)
        # A table renders its cells without the page's template context, so
        # there is no csrf_token to pass on: take the request's own token, as
        # {% csrf_token %} does, so the cell's forms are accepted.
        request = parent_context.get("request")
        context["csrf_token"] = get_token(request) if request is not None else ""
        return context
