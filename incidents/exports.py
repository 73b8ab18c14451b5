"""The incident list as a spreadsheet: the columns of the list page, for every
row the filters select (not only the page shown)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import QuerySet

from incidents.models import Incident

HEADER = (
    "Reference",
    "Title",
    "Contract",
    "Vendor",
    "Buyer",
    "Severity",
    "Environment",
    "Component",
    "Status",
    "Assignee",
    "Opened (UTC)",
    "Acknowledged (UTC)",
    "Resolved (UTC)",
    "Cancelled (UTC)",
    "Next due (UTC)",
    "Acknowledge breached",
    "Restore breached",
    "Resolve breached",
    "Excluded",
)


def rows(queryset: QuerySet[Incident]) -> Iterator[Sequence[Any]]:
    """One row per incident, read in chunks: a constant number of queries
    (contracts and people come by join), whatever the length."""
    qs = queryset.select_related("contract", "contract__vendor", "contract__buyer", "assignee").prefetch_related(None)
    for i in qs.iterator(chunk_size=2000):
        assignee = i.assignee
        yield (
            i.reference,
            i.title,
            i.contract.reference,
            i.contract.vendor.name,
            i.contract.buyer.name,
            i.get_severity_display(),
            i.get_environment_display(),
            i.component,
            i.get_status_display(),
            (assignee.get_full_name() or assignee.get_username()) if assignee else "",
            i.opened_at,
            i.acknowledged_at,
            i.resolved_at,
            i.cancelled_at,
            i.next_due_at,
            i.acknowledge_breached,
            i.restore_breached,
            i.resolve_breached,
            i.excluded,
        )
