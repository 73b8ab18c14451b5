"""The vendor's panel: its active contracts across buyers, the ones with
clocks in trouble first; one query, the list capped. Open and breached
incidents are the contract's maintained counters (``incidents.counters``);
at risk and a breach the watcher has not recorded yet are correlated counts
over the running targets' index; breaches this month count one month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import F, OuterRef, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from contracts.models import Contract
from core.charts import OWED, SEVERITY_COLOURS, Segment, stacked_bar
from core.money import money
from core.subqueries import correlated_count, correlated_sum
from disputes.models import Dispute
from incidents.counters import unrecorded_breaches
from incidents.models import Incident
from portal.dashboards.common import LIST_LIMIT, Roles, vendor_scope
from reports.models import Credit


@dataclass
class VendorContract:
    contract: Contract
    open_incidents: int
    at_risk: int
    breached_open: int
    breached_month: int
    owed: Decimal
    open_disputes: int
    days_to_notice: int | None

    @property
    def owed_text(self) -> str:
        return money(self.owed, self.contract.currency)

    @property
    def clock_bar(self) -> str:
        on_track = max(self.open_incidents - self.at_risk - self.breached_open, 0)
        parts = [
            Segment("Breached", self.breached_open, SEVERITY_COLOURS["critical"]),
            Segment("At risk", self.at_risk, OWED),
            Segment("On track", on_track, "#94a3b8"),
        ]
        return stacked_bar(
            parts,
            title=(
                f"{self.contract.reference}: {self.open_incidents} open incidents, "
                f"{self.breached_open} breached, {self.at_risk} at risk"
            ),
            empty_label="no open incident",
        )


def vendor_contracts(user: Any, roles: Roles, *, now: datetime, today: date) -> list[VendorContract]:
    """The vendor's active contracts across its buyers, the ones with clocks in
    trouble first, then by notice deadline; at most ``LIST_LIMIT``."""
    month_start = now.astimezone(timezone.get_current_timezone()).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    incidents = Incident.objects.filter(contract_id=OuterRef("pk"))
    unfinished = incidents.unfinished()
    group = "contract_id"
    rows = list(
        vendor_scope(user, roles)
        .filter(status=Contract.Status.ACTIVE)
        .select_related("buyer")
        .annotate(
            open_incidents=Coalesce(F("incident_counts__open"), Value(0)),
            at_risk=correlated_count(unfinished.at_risk(now=now), group),
            breached_open=Coalesce(F("incident_counts__breached_open"), Value(0))
            + correlated_count(unrecorded_breaches(incidents, now), group),
            breached_month=correlated_count(
                incidents.filter(opened_at__gte=month_start).breached(now=now).counted(), group
            ),
            owed=correlated_sum(Credit.objects.filter(contract_id=OuterRef("pk")).owed(now), group, "amount"),
            open_disputes=correlated_count(Dispute.objects.open().filter(contract_id=OuterRef("pk")), group),
            trouble=F("at_risk") + F("breached_open"),
        )
        .order_by("-trouble", "notice_deadline", "reference")[:LIST_LIMIT]
    )
    return [
        VendorContract(
            contract=c,
            open_incidents=c.open_incidents,
            at_risk=c.at_risk,
            breached_open=c.breached_open,
            breached_month=c.breached_month,
            owed=c.owed,
            open_disputes=c.open_disputes,
            days_to_notice=(c.notice_deadline - today).days if c.notice_deadline >= today else None,
        )
        for c in rows
    ]
