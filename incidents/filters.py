"""Filters for incident lists (the API and the HTML list page share them).

Build the filter set on an already visibility-filtered queryset
(``Incident.objects.visible_to(user).for_list()``): the filters only narrow,
they never widen what the user may see. The time-based filters (``breached``,
``at_risk``, ``due_within``) use one ``now`` per filter set so they agree
with each other.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import django_filters
from django.db.models import Case, F, IntegerField, OrderBy, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.access import organization_ids_of_kind
from accounts.models import Organization
from core.filters import IntegerFilter, IsoDateTimeFilter
from incidents.models import Environment, ExclusionClaim, Incident, Severity, SeverityChange

# Lifecycle ranks so that sorting follows meaning, not the alphabet.
SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}
STATUS_RANK = {
    Incident.Status.OPEN: 1,
    Incident.Status.ACKNOWLEDGED: 2,
    Incident.Status.RESTORED: 3,
    Incident.Status.RESOLVED: 4,
    Incident.Status.CLOSED: 5,
    Incident.Status.CANCELLED: 6,
}


def _rank(field: str, ranks: dict[Any, int]) -> Case:
    return Case(
        *(When(**{field: key}, then=Value(rank)) for key, rank in ranks.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


class IncidentOrderingFilter(django_filters.OrderingFilter):
    """``opened_at``, ``severity`` (low → critical; ``-severity`` puts critical
    first), ``next_due_at`` (no running target last) and ``status`` (lifecycle
    order). The id breaks ties so pages are stable."""

    FIELDS = (
        ("opened_at", "opened_at"),
        ("severity", "severity"),
        ("next_due_at", "next_due_at"),
        ("status", "status"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fields", self.FIELDS)
        kwargs.setdefault(
            "field_labels",
            {
                "opened_at": "Opened",
                "severity": "Severity",
                "next_due_at": "Next due",
                "status": "Status",
            },
        )
        kwargs.setdefault("help_text", "Sort by opened_at, severity, next_due_at or status; prefix '-' to reverse.")
        super().__init__(*args, **kwargs)

    def _expression(self, param: str) -> OrderBy:
        descending = param.startswith("-")
        name = self.param_map.get(param.lstrip("-"), param.lstrip("-"))
        if name == "severity":
            expr: Any = _rank("severity", SEVERITY_RANK)
        elif name == "status":
            expr = _rank("status", STATUS_RANK)
        else:
            expr = F(name)
        return expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True)

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        params = [param for param in value if param.lstrip("-") in self.param_map]
        if not params:
            return qs
        return qs.order_by(*(self._expression(param) for param in params), "-id")


class IncidentFilter(django_filters.FilterSet):
    contract = IntegerFilter(field_name="contract", help_text="Contract id.")
    vendor = IntegerFilter(field_name="contract__vendor", help_text="Vendor organization id.")
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    environment = django_filters.ChoiceFilter(choices=Environment.choices)
    status = django_filters.ChoiceFilter(choices=Incident.Status.choices)
    component = django_filters.CharFilter(field_name="component", lookup_expr="iexact", help_text="Component name.")
    breached = django_filters.BooleanFilter(
        method="filter_breached", help_text="A target breached (recorded, or due time already passed)."
    )
    at_risk = django_filters.BooleanFilter(
        method="filter_at_risk", help_text="A running target has used its risk share but is not breached."
    )
    due_within = IntegerFilter(
        method="filter_due_within",
        min_value=0,
        max_value=60 * 24 * 366,
        help_text="The next running target falls due within this many minutes from now.",
    )
    assignee = IntegerFilter(field_name="assignee", help_text="Assigned to this person (user id).")
    queue = django_filters.ChoiceFilter(
        method="filter_queue",
        choices=[("mine", "My queue")],
        help_text=(
            "mine: what waits on you. For the vendor's people, the unfinished incidents assigned to you; for the"
            " buyer's, those awaiting your side (a workaround to accept, a resolution to confirm, a claim to decide)."
        ),
    )
    excluded = django_filters.BooleanFilter(help_text="Excluded by an accepted exclusion claim.")
    imported = django_filters.BooleanFilter(help_text="Imported from another system.")
    opened_after = IsoDateTimeFilter(
        field_name="opened_at", lookup_expr="gte", help_text="Opened at or after (ISO 8601)."
    )
    opened_before = IsoDateTimeFilter(field_name="opened_at", lookup_expr="lt", help_text="Opened before (ISO 8601).")
    ordering = IncidentOrderingFilter()

    class Meta:
        model = Incident
        fields = [
            "contract",
            "vendor",
            "severity",
            "environment",
            "status",
            "component",
            "breached",
            "at_risk",
            "due_within",
            "assignee",
            "queue",
            "excluded",
            "imported",
            "opened_after",
            "opened_before",
        ]

    def __init__(self, *args: Any, now: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    # The ``value`` hints are what drf-spectacular documents the parameters as.
    def _keep_or_drop(self, queryset: QuerySet, matching: QuerySet, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        if value:
            return matching
        return queryset.exclude(pk__in=matching.values("pk"))

    def filter_queue(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        user = getattr(self.request, "user", None)
        if value != "mine" or user is None or not user.is_authenticated:
            return queryset
        mine = queryset.exclude(status__in=Incident.FINISHED).filter(assignee_id=user.pk)
        buyer_orgs = organization_ids_of_kind(user, Organization.Kind.BUYER)
        if not buyer_orgs:
            return mine
        awaiting = queryset.filter(contract__buyer_id__in=buyer_orgs).filter(
            Q(status=Incident.Status.RESOLVED)
            | Q(workaround=Incident.Workaround.PROPOSED, status=Incident.Status.ACKNOWLEDGED)
            | Q(claims__status=ExclusionClaim.Status.PENDING)
            | Q(severity_changes__status=SeverityChange.Status.PENDING)
        )
        return queryset.filter(Q(pk__in=mine.values("pk")) | Q(pk__in=awaiting.values("pk")))

    def filter_breached(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return self._keep_or_drop(queryset, queryset.breached(now=self.now), value)

    def filter_at_risk(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return self._keep_or_drop(queryset, queryset.at_risk(now=self.now), value)

    def filter_due_within(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        if value is None:
            return queryset
        return queryset.due_within(timedelta(minutes=int(value)), now=self.now)
