"""Spreadsheet exports that a spreadsheet program cannot run as formulas.

A page title, a post's text or a platform's error message is written by people
outside the council's control. Opened in Excel or LibreOffice, a CSV cell that
starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which
some programs skip before looking) is a formula: ``=HYPERLINK(...)`` can send
data away. OWASP's rule is to prefix such a cell with a single quote, which
shows the text as it was written.
https://owasp.org/www-community/attacks/CSV_Injection

Wagtail already writes XLSX formula cells as text, so only CSV needs this.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value):
    """``value`` with a leading single quote if a spreadsheet would read it as
    a formula; anything that is not text is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class FormulaSafeExportMixin:
    """For a Wagtail ``ReportView``: every CSV cell goes through
    :func:`formula_safe` after the view's own preprocessing."""

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        return formula_safe(value) if export_format == self.FORMAT_CSV else value
