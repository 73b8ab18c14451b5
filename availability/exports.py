"""A contract's outages as a spreadsheet: the columns of the outage table on
the availability page, for every outage the filters select (not only the
page shown). Lengths are exact seconds; an ongoing outage has no end."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import QuerySet

from availability.models import Outage
from availability.services.periods import CLAIM_LABELS

HEADER = (
    "Outage",
    "Contract",
    "Component",
    "Unknown component",
    "Start (UTC)",
    "End (UTC)",
    "Ongoing",
    "Length (seconds)",
    "Source",
    "Monitoring source",
    "Incident",
    "Cause",
    "Staff reason",
    "Exclusion",
    "Exclusion kind",
    "Exclusion reason",
)


def rows(queryset: QuerySet[Outage]) -> Iterator[Sequence[Any]]:
    """One row per outage, read in chunks: a constant number of queries
    (the contract and the monitoring source come by join), whatever the length."""
    qs = queryset.select_related("contract", "monitoring_source").prefetch_related(None)
    for o in qs.iterator(chunk_size=2000):
        kind = o.exclusion_kind
        yield (
            o.pk,
            o.contract.reference,
            o.component,
            o.unknown_component,
            o.start,
            o.end,
            o.end is None,
            int((o.end - o.start).total_seconds()) if o.end else "",
            o.get_source_display(),
            o.monitoring_source.name if o.monitoring_source else "",
            f"INC-{o.incident_id}" if o.incident_id else "",
            o.cause,
            o.reason,
            o.get_exclusion_display(),
            CLAIM_LABELS.get(kind, kind.replace("_", " ")) if kind else "",
            o.exclusion_reason,
        )
