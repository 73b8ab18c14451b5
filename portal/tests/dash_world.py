"""Builders for the dashboard tests: closed periods with credits, incidents
whose clocks are breached or at risk at ``NOW``, and portfolios of any size."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from accounts.models import Organization
from accounts.tests.factories import OrganizationFactory, UserFactory, member
from contracts import services as contract_services
from contracts.tests.factories import make_contract
from incidents import counters
from incidents.models import Incident
from portal.tests.conftest import NOW
from reports.services import close_period
from reports.tests.factories import add_incident, add_outage, at, downtime_for


def october_with_credits(contract: Any) -> Any:
    """2026-09 met (99.99 %), 2026-10 missed (98.5 %) with a critical and a high
    incident breached: three calculated credits, EUR 1,000 + 200 + 100."""
    add_outage(contract, start=at(3, month=9), minutes=4)
    close_period(contract=contract, period="2026-09", now=NOW)
    add_outage(contract, start=at(10), minutes=downtime_for("98.5"))
    add_incident(contract, opened_at=at(10, 0, 10), resolve_after=290, title="Payments API returns 502")
    add_incident(contract, opened_at=at(12, 0, 10), severity="high", resolve_after=2900, title="Exports slow")
    return close_period(contract=contract, period="2026-10", now=NOW)


def open_breached(contract: Any) -> Incident:
    """A critical incident opened six hours ago, still not restored (target: 240 minutes)."""
    return counted(add_incident(contract, opened_at=NOW - timedelta(hours=6), resolve_after=None, now=NOW))


def open_at_risk(contract: Any) -> Incident:
    """200 of the 240 restore minutes used: past the risk share, not breached."""
    return counted(add_incident(contract, opened_at=NOW - timedelta(minutes=200), resolve_after=None, now=NOW))


def counted(incident: Incident) -> Incident:
    """``add_incident`` writes the row directly, not through a service: count
    its contract again, as the repair command would."""
    counters.recount([incident.contract_id])
    return incident


def portfolio(n: int, *, start: int = 0, buyer: Organization | None = None, vendor: Organization | None = None,
              board: Any = None) -> list[Any]:  # fmt: skip
    """``n`` contracts, each with a new counterpart organization, an open
    breached incident, and the board seat of ``board`` when given."""
    staff: Any = UserFactory(username="portfolio-staff", is_staff=True)
    out = []
    for i in range(start, start + n):
        b: Any = buyer or OrganizationFactory(name=f"Buyer {i:02d}", slug=f"buyer-{i}", kind=Organization.Kind.BUYER)
        v: Any = vendor or OrganizationFactory(
            name=f"Vendor {i:02d}", slug=f"vendor-{i}", kind=Organization.Kind.VENDOR
        )
        contract = make_contract(buyer=b, vendor=v, reference=f"P-{i:02d}")
        open_breached(contract)
        if board is not None:
            contract_services.board_seat_add(actor=staff, contract=contract, user=board)
        out.append(contract)
    return out


def contoso_with_acme(vendor_org: Organization) -> Any:
    """Another tenant: Contoso Retail buys from the same vendor."""
    contoso: Any = OrganizationFactory(name="Contoso Retail", slug="contoso", kind=Organization.Kind.BUYER)
    member("contoso-cm", contoso, "contract_manager")
    contract = make_contract(buyer=contoso, vendor=vendor_org, reference="C-OTHER")
    open_breached(contract)
    return contract
