"""Service reports as a spreadsheet: the columns of the report list, for
every report the filters select (not only the page shown).

Amounts are in the currency's minor unit, as the list shows them
(``core.money.amount_text``: "500.00", "1250" for JPY), with the currency in
its own column; percentages are the exact figures of the frozen snapshot."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import F, QuerySet
from django.db.models.fields.json import KT

from core.money import amount_text
from reports.models import ServiceReport

HEADER = (
    "Contract",
    "Vendor",
    "Buyer",
    "Period",
    "Period start (UTC)",
    "Period end (UTC)",
    "Revision",
    "Superseded",
    "Availability (%)",
    "Availability met",
    "Target (%)",
    "Breaches",
    "Credits due",
    "Currency",
    "Termination right triggered",
    "Checksum",
    "Closed (UTC)",
)

# The snapshot's JSON flag as the database returns it (SQLite and PostgreSQL differ).
_TRUE = (True, 1, "1", "true", "True")


def rows(queryset: QuerySet[ServiceReport]) -> Iterator[Sequence[Any]]:
    """One row per report, read in chunks without the snapshots: a constant
    number of queries (contracts and parties by join, the target and the
    termination flag read out of the JSON by the database)."""
    qs = (
        queryset.select_related("contract", "contract__buyer", "contract__vendor")
        .prefetch_related(None)
        .defer("snapshot")
        .annotate(
            export_target=KT("snapshot__availability__target"),
            export_termination=KT("snapshot__termination__triggered"),
            export_next_revision=F("superseded_by__id"),
        )
    )
    for r in qs.iterator(chunk_size=2000):
        yield (
            r.contract.reference,
            r.contract.vendor.name,
            r.contract.buyer.name,
            r.period,
            r.period_start,
            r.period_end,
            r.revision,
            r.export_next_revision is not None,
            r.availability if r.availability is not None else "",
            r.availability_met if r.availability_met is not None else "",
            r.export_target or "",
            r.breaches,
            amount_text(r.credit_total, r.currency),
            r.currency,
            r.export_termination in _TRUE,
            r.checksum,
            r.created_at,
        )
