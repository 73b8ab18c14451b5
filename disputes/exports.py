"""The credit ledger and the dispute lists as spreadsheets: the columns the
pages show, for every row the filters select (not only the page shown).

Amounts are in the currency's minor unit, as the ledger shows them
(``core.money.amount_text``), with the currency in its own column; a
credit's status reads as on the ledger (a calculated credit past its claim
window reads "Claim window closed — not owed")."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from core.money import amount_text
from disputes.models import Dispute
from reports.models import Credit
from reports.services.ledger import credit_status_label

CREDIT_HEADER = (
    "Credit",
    "Contract",
    "Vendor",
    "Buyer",
    "Period",
    "Report revision",
    "Kind",
    "Description",
    "Percent of fee",
    "Amount",
    "Currency",
    "Status",
    "Claim deadline (UTC)",
    "Claimed (UTC)",
    "Approved (UTC)",
    "Applied (UTC)",
    "Invoice reference",
)

DISPUTE_HEADER = (
    "Dispute",
    "Title",
    "Contract",
    "Vendor",
    "Buyer",
    "Subject type",
    "Subject",
    "Raised by",
    "Raised (UTC)",
    "Stage",
    "Stage deadline (UTC)",
    "Status",
    "Ended (UTC)",
    "Outcome",
    "Reissued report",
)


def credit_rows(queryset: QuerySet[Credit], *, at: datetime) -> Iterator[Sequence[Any]]:
    """One row per credit, read in chunks: a constant number of queries (the
    contract, its parties and the report come by join), whatever the length."""
    qs = queryset.select_related("contract", "contract__buyer", "contract__vendor", "report").prefetch_related(None)
    for c in qs.iterator(chunk_size=2000):
        yield (
            c.pk,
            c.contract.reference,
            c.contract.vendor.name,
            c.contract.buyer.name,
            c.report.period,
            c.report.revision,
            c.get_kind_display(),
            c.description,
            c.percent,
            amount_text(c.amount, c.currency),
            c.currency,
            credit_status_label(c, at),
            c.claim_deadline,
            c.claimed_at,
            c.approved_at,
            c.applied_at,
            c.invoice_reference,
        )


def dispute_rows(queryset: QuerySet[Dispute]) -> Iterator[Sequence[Any]]:
    """One row per dispute, read in chunks: a constant number of queries (the
    contract, its parties and a reissued report come by join)."""
    related = ("contract", "contract__buyer", "contract__vendor", "reissued_report")
    qs = queryset.select_related(*related).prefetch_related(None)
    for d in qs.iterator(chunk_size=2000):
        c = d.contract
        reissued = d.reissued_report
        yield (
            f"D-{d.pk}",
            d.title,
            c.reference,
            c.vendor.name,
            c.buyer.name,
            d.get_subject_type_display(),
            d.subject_label,
            c.buyer.name if d.raised_by_side == "buyer" else c.vendor.name,
            d.raised_at,
            d.stage_name,
            d.stage_deadline if d.status == Dispute.Status.OPEN else None,
            d.get_status_display(),
            d.resolved_at,
            d.resolution,
            f"{reissued.period} revision {reissued.revision}" if reissued else "",
        )
