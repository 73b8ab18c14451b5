"""A decision that changes a closed period issues a new report revision (reports/revisions.py):
the periodic task notices it through the audit trail, recomputes the headline figures and
reissues with the change explained; every page then shows the same figure."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from availability.services import periods as av
from reports import revisions
from reports.models import PeriodClose, ServiceReport
from reports.services import close_period, verify_reports
from reports.tasks import reissue_changed_periods
from reports.tests.factories import add_outage, at

pytestmark = pytest.mark.django_db

NOV_5 = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


def test_an_exclusion_accepted_after_the_close_makes_revision_2(clock, client_for, contract, vendor, buyer):
    outage = add_outage(contract, start=at(10), minutes=Decimal(446.4))  # 99.0 % of October
    av.claim_outage_exclusion(actor=vendor, outage=outage, kind="third_party", reason="Cloud provider outage")
    first = close_period(contract=contract, period="2026-10", now=NOV_5)
    assert first.availability == Decimal("99.000")  # a pending claim still counts as downtime

    assert reissue_changed_periods.apply().get() == {"reissued": 0}  # the claim was in the frozen figures
    clock.advance(days=1)
    av.decide_outage_exclusion(actor=buyer, outage=outage, accept=True)
    clock.advance(minutes=5)

    assert reissue_changed_periods.apply().get() == {"reissued": 1}

    current = ServiceReport.objects.current().get(contract=contract, period="2026-10")
    assert current.revision == 2 and current.supersedes_id == first.pk
    assert current.availability == Decimal("100.000") and current.credit_total < first.credit_total
    assert any("outage: exclusion accepted" in line and str(buyer.username) in line for line in current.what_changed)
    assert "Availability: 99.000 % → 100.000 %" in current.what_changed
    # Idempotent: nothing new, no revision 3.
    assert reissue_changed_periods.apply().get() == {"reissued": 0}
    assert ServiceReport.objects.filter(contract=contract, period="2026-10").count() == 2
    assert verify_reports() == []  # the old revision still verifies

    client = client_for(buyer)
    listing = client.get("/reports/").content.decode()
    detail = client.get(f"/reports/{current.pk}/").content.decode()
    old = client.get(f"/reports/{first.pk}/").content.decode()
    page = client.get(f"/availability/contracts/{contract.pk}/?period=2026-10").content.decode()
    assert "100.000" in listing and "99.000" not in listing
    assert "What changed in revision 2" in detail and "exclusion accepted" in detail
    assert f"/reports/{current.pk}/" in old and "superseded" in old
    assert Decimal(re.search(r'class="figure">([0-9.]+) %<', page)[1]) == current.availability  # one figure


def test_accepting_a_late_maintenance_record_for_a_closed_period_reissues(clock, contract, vendor, buyer):
    clock.set(at(20, 9))
    window = av.schedule_maintenance(
        actor=vendor,
        contract=contract,
        title="Database upgrade",
        start=at(12, 2),
        end=at(12, 3),
        announced_at=at(1, 9),
        evidence="Mail of 1 Oct",
    )
    clock.set(NOV_5)
    first = close_period(contract=contract, period="2026-10", now=NOV_5)
    late = [m for m in first.snapshot["maintenance"] if m["id"] == window.pk][0]
    assert not late["compliant"] and late["recorded_late"]["recorded_by"] == str(vendor)
    assert late["reasons"][0].startswith("recorded after the fact by")

    av.accept_late_maintenance(actor=buyer, window=window)
    [second] = revisions.reissue_changed_periods(now=NOV_5)

    assert second.revision == 2 and second.availability > first.availability
    assert any("maintenance: late accepted" in line for line in second.what_changed)
    row = [m for m in second.snapshot["maintenance"] if m["id"] == window.pk][0]
    assert row["compliant"] and row["recorded_late"]["accepted_by"] == str(buyer)


def test_a_decision_about_another_period_leaves_the_closed_one_alone(clock, contract, vendor, buyer):
    first = close_period(contract=contract, period="2026-10", now=NOV_5)
    assert revisions.reissue_changed_periods(now=NOV_5) == []
    row = PeriodClose.objects.get(contract=contract, period="2026-10")
    watermark = row.inputs_seq
    assert watermark > 0

    november = add_outage(contract, start=at(2, 10, month=11), minutes=30)
    av.claim_outage_exclusion(actor=vendor, outage=november, kind="third_party", reason="Provider")
    av.decide_outage_exclusion(actor=buyer, outage=november, accept=True)

    assert revisions.changed_periods() == [row.pk]  # the contract changed: a candidate...
    assert revisions.reissue_changed_periods(now=NOV_5) == []  # ...but not in October
    row.refresh_from_db()
    assert row.inputs_seq > watermark and revisions.changed_periods() == []
    assert ServiceReport.objects.current().get(contract=contract, period="2026-10").pk == first.pk
