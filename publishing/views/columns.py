"""Table columns shared by the social admin listings."""

from __future__ import annotations

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
        context["csrf_token"] = parent_context.get("csrf_token")
        return context
