from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from accounts.models import Organization
from contracts.models import Contract
from core.filters import IntegerFilter, ModelChoiceFilter

ORDERINGS = {
    "reference": "Reference",
    "-reference": "Reference (Z–A)",
    "term_end": "Term end (soonest)",
    "-term_end": "Term end (latest)",
    "notice_deadline": "Notice deadline (soonest)",
    "-notice_deadline": "Notice deadline (latest)",
}


class ContractFilter(django_filters.FilterSet):
    """Filters for the contract list. Build it on an already visibility-filtered
    queryset: the vendor choices are the vendors of those contracts only."""

    q = django_filters.CharFilter(method="search", label="Search", widget=forms.TextInput(attrs={"type": "search"}))
    vendor = ModelChoiceFilter(queryset=Organization.objects.none(), empty_label="All vendors")
    status = django_filters.ChoiceFilter(choices=Contract.Status.choices, empty_label="Any status")
    renewal_within = IntegerFilter(
        method="renewal",
        label="Notice deadline within (days)",
        min_value=0,
        max_value=3650,
    )
    o = django_filters.ChoiceFilter(
        method="order", label="Sort by", choices=list(ORDERINGS.items()), empty_label="Reference"
    )

    class Meta:
        model = Contract
        fields: list[str] = []

    def __init__(self, data: Any = None, queryset: QuerySet[Contract] | None = None, **kwargs: Any) -> None:
        super().__init__(data, queryset=queryset, **kwargs)
        self.filters["vendor"].queryset = Organization.objects.filter(
            pk__in=self.queryset.values("vendor_id")
        ).order_by("name")

    def search(self, queryset: QuerySet[Contract], name: str, value: str) -> QuerySet[Contract]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(product__icontains=value))

    def renewal(self, queryset: QuerySet[Contract], name: str, value: Any) -> QuerySet[Contract]:
        return queryset if value is None else queryset.renewal_within(int(value))

    def order(self, queryset: QuerySet[Contract], name: str, value: str) -> QuerySet[Contract]:
        # Reference breaks ties so pages are stable.
        return queryset.order_by(value, "reference") if value in ORDERINGS else queryset
