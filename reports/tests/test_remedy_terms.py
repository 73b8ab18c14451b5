"""Closing periods under the remedy clauses: the claim deadline is the end of its day in the
contract's zone, a credit past it is "not owed", caps in days and the minimum credit, and a
termination threshold separate from the target whose right survives a good month."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from contracts import services as contract_services
from contracts.models import TerminationRight
from contracts.tests.factories import make_contract
from core.errors import Conflict
from reports.models import Credit
from reports.presenters import report_context as present
from reports.services import close_period
from reports.services.ledger import EXPIRED_LABEL, credit_claim, credit_state, credit_status_label
from reports.tests.factories import add_incident, add_outage, at

D = Decimal
AUCKLAND = "Pacific/Auckland"


def contract_with(buyer_org, vendor_org, staff, **changes: Any):
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, activate=False)
    v1 = contract.sla_versions.get(number=1)
    terms = copy.deepcopy(v1.terms)
    terms["uptime"]["critical_incidents_count"] = False  # breaches here add no downtime of their own
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(terms.get(key), dict):
            terms[key].update(value)
        else:
            terms[key] = value
    contract_services.sla_version_update(actor=staff, version=v1, terms=terms)
    contract_services.sla_version_activate(actor=staff, version=v1, effective_from=datetime(2026, 1, 1, tzinfo=UTC))
    contract.refresh_from_db()
    return contract


def test_a_claim_late_on_the_printed_day_in_auckland_is_in_time(buyer_org, vendor_org, staff, buyer, clock):
    contract = contract_with(
        buyer_org,
        vendor_org,
        staff,
        uptime={"timezone": AUCKLAND},
        calendar={"timezone": AUCKLAND},
    )
    # Two critical restore breaches: two credits of 2 % each.
    add_incident(contract, opened_at=at(10, 0, 10), resolve_after=290, title="Payments down")
    add_incident(contract, opened_at=at(12, 0, 10), resolve_after=290, title="Settlement stuck")
    report = close_period(contract=contract, period="2026-10", now=datetime(2026, 11, 5, tzinfo=UTC))

    # October ends on 31 Oct in Auckland; 30 days later is 30 Nov, to 23:59:59.999999 NZDT (+13).
    deadline = datetime(2026, 11, 30, 10, 59, 59, 999_999, tzinfo=UTC)
    first, second = Credit.objects.filter(report=report).order_by("pk")
    assert first.claim_deadline == second.claim_deadline == deadline
    assert present(report)["credits"]["deadline"] == "30 Nov 2026"

    clock.set(datetime(2026, 11, 30, 10, 45, tzinfo=UTC))  # 23:45 on 30 Nov in Auckland
    assert credit_claim(actor=buyer, credit=first).status == Credit.Status.CLAIMED

    clock.set(datetime(2026, 11, 30, 11, 0, tzinfo=UTC))  # 00:00 on 1 Dec in Auckland
    with pytest.raises(Conflict, match="claim window for this credit closed"):
        credit_claim(actor=buyer, credit=second)
    second.refresh_from_db()
    assert second.status == Credit.Status.CALCULATED
    assert (credit_state(second, clock.now), credit_status_label(second, clock.now)) == ("expired", EXPIRED_LABEL)
    assert EXPIRED_LABEL == "Claim window closed — not owed"
    assert list(Credit.objects.filter(contract=contract).owed(clock.now)) == [first]


def test_the_ledger_api_and_page_say_not_owed_and_use_minor_units(
    buyer_org, vendor_org, staff, buyer, clock, client_for
):
    contract = contract_with(buyer_org, vendor_org, staff, credit_minimum="150.00")
    add_incident(contract, opened_at=at(10, 0, 10), resolve_after=290, title="Payments down")
    add_incident(contract, opened_at=at(12, 0, 10), resolve_after=290, title="Settlement stuck")
    report = close_period(contract=contract, period="2026-10", now=datetime(2026, 11, 5, tzinfo=UTC))
    assert report.credit_total == D("400.00")  # above the 150.00 minimum: issued in full

    clock.set(datetime(2026, 12, 1, tzinfo=UTC))  # after the end of 30 Nov (UTC)
    body = client_for(buyer).get(f"/api/credits/?contract={contract.pk}").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert {(r["amount"], r["status"], r["status_label"]) for r in rows} == {
        ("200.00", "calculated", "Claim window closed — not owed")
    }
    page = client_for(buyer).get(f"/reports/{report.pk}/").content.decode()
    assert "Claim window closed — not owed" in page and "EUR 200.00" in page and "200.000" not in page


def test_a_minimum_credit_and_a_cap_in_days(buyer_org, vendor_org, staff):
    small = contract_with(buyer_org, vendor_org, staff, credit_minimum="250.00")
    add_incident(small, opened_at=at(10, 0, 10), resolve_after=290, title="Payments down")  # 2 % = 200.00
    report = close_period(contract=small, period="2026-10", now=datetime(2026, 11, 5, tzinfo=UTC))
    credits = report.snapshot["credits"]
    assert (credits["total_before_cap"], credits["total"], credits["below_minimum"]) == ("200.00", "0.00", True)
    assert report.credit_total == 0 and not Credit.objects.filter(report=report).exists()

    capped = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-2", activate=False)
    v1 = capped.sla_versions.get(number=1)
    terms = copy.deepcopy(v1.terms)
    terms["credit_caps"] = {"period_days": 3}  # 3 days of fees: 10,000 * 12 * 3 / 365 = 986.30
    contract_services.sla_version_update(actor=staff, version=v1, terms=terms)
    contract_services.sla_version_activate(actor=staff, version=v1, effective_from=datetime(2026, 1, 1, tzinfo=UTC))
    add_outage(capped, start=at(10), minutes=D("669.6"))  # 98.5 %: 10 % = 1,000.00
    report = close_period(contract=capped, period="2026-10", now=datetime(2026, 11, 5, tzinfo=UTC))
    credits = report.snapshot["credits"]
    assert (credits["total"], credits["cap_rule"], credits["capped"]) == ("986.30", "period_days", True)
    assert [c.amount for c in Credit.objects.filter(report=report)] == [D("986.30")]


def test_the_termination_threshold_is_separate_from_the_target_and_the_right_survives(
    buyer_org, vendor_org, staff, buyer
):
    """Target 99.95 %; the right after 3 of the last 6 months below 99 %."""
    contract = contract_with(
        buyer_org,
        vendor_org,
        staff,
        termination={
            "below_target": 3,
            "of_last": 6,
            "consecutive": False,
            "threshold_percent": "99.0",
            "exercise_window_days": 60,
        },
    )
    # Aug 98.5 %, Sep 99.5 % (below target, not below 99 %), Oct 98.5 %, Nov 98.5 %, Dec 100 %.
    for month, minutes in ((8, "669.6"), (9, "216"), (10, "669.6"), (11, "648")):
        add_outage(contract, start=at(5, month=month), minutes=D(minutes))
    for label, now in (("2026-08", (9, 5)), ("2026-09", (10, 5)), ("2026-10", (11, 5))):
        close_period(contract=contract, period=label, now=datetime(2026, *now, tzinfo=UTC))
    october = contract.service_reports.get(period="2026-10")
    contract.refresh_from_db()
    assert contract.termination_right is False  # under the target rule it would be raised by now
    assert [w["below_target"] for w in october.snapshot["termination"]["window"]][-3:] == [True, False, True]

    november = close_period(contract=contract, period="2026-11", now=datetime(2026, 12, 5, tzinfo=UTC))
    assert november.snapshot["termination"]["triggered"] is True
    assert november.snapshot["termination"]["rule"] == "availability below 99.0 % in 3 of the last 6 months"

    december = close_period(contract=contract, period="2026-12", now=datetime(2027, 1, 5, tzinfo=UTC))
    assert december.snapshot["termination"]["triggered"] is True  # still 3 of the last 6
    contract.refresh_from_db()
    right = contract.termination_rights.get()
    assert contract.termination_right is True and right.status == TerminationRight.Status.OPEN
    assert (right.period, right.raised_on) == ("2026-11", datetime(2026, 12, 5).date())
    assert right.expires_at == datetime(2027, 2, 3, 23, 59, 59, 999_999, tzinfo=UTC)
