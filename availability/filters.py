"""Filters for outage, maintenance and change lists (the API and the
availability page share them). Build each on an already visibility-filtered
queryset: filters only narrow what the person may see.

Date ranges are whole UTC days, both ends included: ``since`` keeps what is
still going on at or after the start of that day, ``until`` what began before
the end of that day (an outage overlapping the range is listed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from availability.models import ChangeNotice, MaintenanceWindow, Outage
from core.filters import IntegerFilter


def day_start(value: date) -> datetime:
    return datetime.combine(value, time.min, tzinfo=UTC)


class _RangeMixin:
    """``since``/``until`` on a start field and an (optional, nullable) end field."""

    start_field = "start"
    end_field: str | None = "end"

    def filter_since(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        at = day_start(value)
        if self.end_field is None:
            return queryset.filter(**{f"{self.start_field}__gte": at})
        return queryset.filter(Q(**{f"{self.end_field}__isnull": True}) | Q(**{f"{self.end_field}__gte": at}))

    def filter_until(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(**{f"{self.start_field}__lt": day_start(value) + timedelta(days=1)})


class OutageFilter(_RangeMixin, django_filters.FilterSet):
    contract = IntegerFilter(field_name="contract_id", help_text="Contract id.")
    component = django_filters.CharFilter(field_name="component", help_text="Exact component name.")
    source = django_filters.ChoiceFilter(choices=Outage.Source.choices, help_text="Where the outage comes from.")
    monitoring_source = IntegerFilter(field_name="monitoring_source_id", help_text="Monitoring source id.")
    exclusion = django_filters.ChoiceFilter(
        choices=[("none", "Counts (no claim)"), *[c for c in Outage.Exclusion.choices if c[0]]],
        method="filter_exclusion",
        help_text="`none` (no claim), `claimed`, `accepted` or `rejected`.",
    )
    unknown_component = django_filters.BooleanFilter(help_text="Component not covered by the contract.")
    ongoing = django_filters.BooleanFilter(method="filter_ongoing", help_text="Still open (no end).")
    since = django_filters.DateFilter(method="filter_since", help_text="Still going on at or after this UTC day.")
    until = django_filters.DateFilter(method="filter_until", help_text="Began on or before this UTC day.")

    class Meta:
        model = Outage
        fields: list[str] = []

    def filter_exclusion(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(exclusion="" if value == "none" else value)

    def filter_ongoing(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(end__isnull=value)


class MaintenanceFilter(_RangeMixin, django_filters.FilterSet):
    contract = IntegerFilter(field_name="contract_id", help_text="Contract id.")
    status = django_filters.ChoiceFilter(choices=MaintenanceWindow.Status.choices)
    since = django_filters.DateFilter(method="filter_since", help_text="Ending at or after this UTC day.")
    until = django_filters.DateFilter(method="filter_until", help_text="Starting on or before this UTC day.")

    class Meta:
        model = MaintenanceWindow
        fields: list[str] = []


class ChangeNoticeFilter(_RangeMixin, django_filters.FilterSet):
    start_field = "planned_at"
    end_field = None

    contract = IntegerFilter(field_name="contract_id", help_text="Contract id.")
    kind = django_filters.ChoiceFilter(choices=ChangeNotice.Kind.choices)
    status = django_filters.ChoiceFilter(choices=ChangeNotice.Status.choices)
    late = django_filters.BooleanFilter(help_text="Announced with less notice than the agreement requires.")
    since = django_filters.DateFilter(method="filter_since", help_text="Planned on or after this UTC day.")
    until = django_filters.DateFilter(method="filter_until", help_text="Planned on or before this UTC day.")

    class Meta:
        model = ChangeNotice
        fields: list[str] = []


def selected(request_get: Any, names: tuple[str, ...]) -> dict[str, str]:
    return {name: request_get.get(name, "") for name in names}
