"""Filters for the cross-post dashboard and the FOI export (Wagtail filter sets)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet

from channels import registry

from .models import ChannelAccount, CrossPost


def department_choices():
    """The departments rows were posted for (one indexed query)."""
    names = (
        CrossPost.objects.exclude(department="")
        .order_by("department")
        .values_list("department", flat=True)
        .distinct()
    )
    return [(name, name) for name in names]


class CrossPostFilterSet(WagtailFilterSet):
    #: One row, by number: where an alert email links to.
    id = django_filters.NumberFilter(label=_("Post number"))
    state = django_filters.MultipleChoiceFilter(
        label=_("State"), choices=CrossPost.State.choices
    )
    platform = django_filters.ChoiceFilter(
        label=_("Platform"), choices=registry.as_choices, empty_label=_("Any platform")
    )
    account = django_filters.ModelChoiceFilter(
        label=_("Account"),
        queryset=ChannelAccount.objects.only("platform", "display_name"),
        empty_label=_("Any account"),
    )
    department = django_filters.ChoiceFilter(
        label=_("Department"), choices=department_choices, empty_label=_("Any")
    )
    page = django_filters.CharFilter(
        label=_("Page title"), field_name="page_title", lookup_expr="icontains"
    )
    created_at = django_filters.DateFromToRangeFilter(
        label=_("Created"), widget=DateRangePickerWidget
    )

    class Meta:
        model = CrossPost
        fields = []


class PostedRecordFilterSet(WagtailFilterSet):
    """The FOI export: what was posted in a date range, on which accounts."""

    posted_at = django_filters.DateFromToRangeFilter(
        label=_("Posted between"), widget=DateRangePickerWidget
    )
    platform = django_filters.ChoiceFilter(
        label=_("Platform"), choices=registry.as_choices, empty_label=_("Any platform")
    )
    account = django_filters.ModelChoiceFilter(
        label=_("Account"),
        queryset=ChannelAccount.objects.only("platform", "display_name"),
        empty_label=_("Any account"),
    )

    class Meta:
        model = CrossPost
        fields = []
