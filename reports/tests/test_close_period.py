"""Closing a period: credits a person can check by hand against the
Enterprise 24x7 terms (fee EUR 10,000.00 a month, target 99.95 %, tiers
>= 99.0 and < 99.95: 5 %, >= 98.0 and < 99.0: 10 %, >= 95.0 and < 98.0: 20 %,
< 95.0: 30 %; critical restore missed: 2 %, high restore missed: 1 %;
cap 30 %), idempotency, refusal before the period ends, termination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Notification
from audit.models import AuditEntry
from contracts.tests.factories import make_contract
from core.checksum import checksum
from core.errors import InvalidInput
from incidents.models import ExclusionClaim
from reports.models import Credit, PeriodClose, ServiceReport
from reports.services import close_period, reissue_report, verify_reports
from reports.services import reports as report_services
from reports.tests.factories import add_incident, add_outage, at, downtime_for

D = Decimal
NOV_5 = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


def two_critical_restore_breaches(contract):
    """Both inside the outage window (so they add no downtime of their own):
    restored after 4 h 50 min and 5 h against a 4 h restore target."""
    first = add_incident(contract, opened_at=at(10, 0, 10), resolve_after=290, title="Payments down")
    second = add_incident(contract, opened_at=at(10, 1, 0), resolve_after=300, title="Settlement stuck")
    return first, second


def test_tiered_credit_plus_breaches_checked_by_hand(contract):
    # 98.5 % of 44,640 minutes is 669.6 minutes down: tier ">= 98.0 and < 99.0" = 10 % = 1,000.00
    add_outage(contract, start=at(10), minutes=downtime_for("98.5"))
    two_critical_restore_breaches(contract)
    # A high incident restored in time and a low one: no credit.
    add_incident(contract, opened_at=at(12), severity="high", resolve_after=100)

    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    s = report.snapshot
    assert s["availability"]["value"] == "98.500"
    assert s["availability"]["met"] is False
    assert report.availability == D("98.500") and report.availability_met is False
    lines = [(line["kind"], line["percent"], line["amount"], line["payable"]) for line in s["credits"]["lines"]]
    assert lines == [
        ("availability", "10", "1000.00", "1000.00"),
        ("incident_breach", "2", "200.00", "200.00"),
        ("incident_breach", "2", "200.00", "200.00"),
    ]
    assert s["credits"]["cap_amount"] == "3000.00"
    assert s["credits"]["total"] == "1400.00" and s["credits"]["capped"] is False
    assert report.credit_total == D("1400.00")
    assert report.breaches == 2
    # The ledger holds exactly the credits due, claimable until the end of the 30th day after the period.
    credits = list(Credit.objects.filter(report=report).order_by("pk"))
    assert [c.amount for c in credits] == [D("1000.00"), D("200.00"), D("200.00")]
    assert sum(c.amount for c in credits) == report.credit_total
    assert {c.status for c in credits} == {Credit.Status.CALCULATED}
    assert {c.claim_deadline for c in credits} == {datetime(2026, 11, 30, 23, 59, 59, 999_999, tzinfo=UTC)}
    # Frozen: the checksum is the SHA-256 of the canonical snapshot.
    assert report.checksum == checksum(report.snapshot)
    assert AuditEntry.objects.filter(verb="report.closed", object_id=str(report.pk)).count() == 1
    # Shares per severity and environment come from the stored clocks.
    critical = next(r for r in s["incidents"]["matrix"] if r["severity"] == "critical")
    assert critical["count"] == 2
    assert critical["acknowledge"]["share"] == "100.0"
    assert critical["restore"] == {"met": 0, "missed": 2, "running": 0, "share": "0.0"}
    restore = next(m for g in s["metrics"] for m in g["metrics"] if m["metric"] == "restore")
    assert restore["binding"] is True and restore["met"] is False


def test_cap_limits_the_total_and_the_ledger(contract):
    # 94.0 % -> tier "< 95.0" = 30 % = 3,000.00; plus 2 x 200.00 = 3,400.00, capped at 3,000.00.
    add_outage(contract, start=at(10), minutes=downtime_for("94.0"))
    two_critical_restore_breaches(contract)

    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    c = report.snapshot["credits"]
    assert c["total_before_cap"] == "3400.00"
    assert c["total"] == "3000.00" and c["capped"] is True
    assert [line["payable"] for line in c["lines"]] == ["3000.00", "0.00", "0.00"]
    ledger = Credit.objects.filter(report=report)
    assert [x.amount for x in ledger] == [D("3000.00")]  # nothing is owed beyond the cap


@pytest.mark.parametrize(
    ("availability", "percent", "total"),
    [
        ("99.95", None, "0.00"),  # the 5 % tier's upper bound is exclusive: target met, no credit
        ("99.0", "5", "500.00"),  # lower bound inclusive: 99.0 is in ">= 99.0 and < 99.95"
        ("98.0", "10", "1000.00"),  # likewise 98.0 is in ">= 98.0 and < 99.0"
        ("94.999", "30", "3000.00"),
    ],
)
def test_tier_bounds_enterprise(contract, availability, percent, total):
    add_outage(contract, start=at(3), minutes=downtime_for(availability))
    report = close_period(contract=contract, period="2026-10", now=NOV_5)
    assert report.snapshot["availability"]["value"] == f"{D(availability):.3f}"
    lines = report.snapshot["credits"]["lines"]
    assert [line["percent"] for line in lines] == ([percent] if percent else [])
    assert report.snapshot["credits"]["total"] == total


@pytest.mark.parametrize(
    ("availability", "percent"),
    [("99.0", "7"), ("99.001", "3"), ("97.0", "15"), ("97.001", "7"), ("99.5", None)],
)
def test_tier_bounds_business_hours_in_berlin(buyer_org, vendor_org, availability, percent):
    """Business-hours terms: "> 99.0 and < 99.5": 3 %, "> 97.0 and <= 99.0": 7 %, "<= 97.0": 15 %,
    measured in Europe/Berlin: October 2026 has 31 days and one hour (DST ends on the 25th)."""
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-BH", preset="business-hours")
    minutes = D(31 * 24 * 60 + 60)
    add_outage(contract, start=at(3), minutes=downtime_for(availability, minutes))
    report = close_period(contract=contract, period="2026-10", now=NOV_5)
    assert report.period_start == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)
    assert report.period_end == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert report.snapshot["availability"]["value"] == f"{D(availability):.3f}"
    assert [line["percent"] for line in report.snapshot["credits"]["lines"]] == ([percent] if percent else [])


def test_excluded_incident_is_listed_not_counted_pending_is_counted(contract, vendor):
    add_outage(contract, start=at(10), minutes=downtime_for("98.5"))
    first, second = two_critical_restore_breaches(contract)
    first.excluded = True
    first.save(update_fields=["excluded"])
    ExclusionClaim.objects.create(
        incident=first, kind="third_party", reason="Card network outage", status="accepted", claimed_at=at(11)
    )
    ExclusionClaim.objects.create(incident=second, kind="third_party", reason="DNS provider", claimed_at=at(11))

    s = close_period(contract=contract, period="2026-10", now=NOV_5).snapshot

    assert [r["ref"] for r in s["excluded_incidents"]] == [first.reference]
    assert s["excluded_incidents"][0]["reason"] == "Card network outage"
    assert [r["ref"] for r in s["pending_incidents"]] == [second.reference]
    assert [b["ref"] for b in s["breaches"]] == [second.reference]
    assert s["breaches"][0]["pending_claim"] is True
    assert s["credits"]["total"] == "1200.00"


def test_close_twice_gives_one_report(contract):
    add_outage(contract, start=at(10), minutes=downtime_for("98.5"))
    first = close_period(contract=contract, period="2026-10", now=NOV_5)
    again = close_period(contract=contract, period="2026-10", now=NOV_5 + timedelta(days=3))
    assert again.pk == first.pk
    assert ServiceReport.objects.count() == 1
    assert Credit.objects.count() == 1
    assert PeriodClose.objects.get().period == "2026-10"
    assert AuditEntry.objects.filter(verb="report.closed").count() == 1


def test_concurrent_closers_make_one_report(contract, monkeypatch):
    """A second closer that read "no report" before the first committed: the
    re-check under the PeriodClose lock finds it; and were the lock absent,
    the unique (contract, period, revision) constraint still stops a duplicate."""
    add_outage(contract, start=at(10), minutes=downtime_for("98.5"))
    first = close_period(contract=contract, period="2026-10", now=NOV_5)

    real = report_services.current_report
    calls = []

    def stale_then_real(*args, **kwargs):
        calls.append(1)
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(report_services, "current_report", stale_then_real)
    assert close_period(contract=contract, period="2026-10", now=NOV_5).pk == first.pk

    monkeypatch.setattr(report_services, "current_report", lambda *a, **k: None)  # no lock, no re-check
    assert close_period(contract=contract, period="2026-10", now=NOV_5).pk == first.pk
    assert ServiceReport.objects.count() == 1
    assert Credit.objects.count() == 1


def test_period_not_yet_ended_is_refused(contract):
    with pytest.raises(InvalidInput) as exc:
        close_period(contract=contract, period="2026-11", now=NOV_5)
    assert "2026-11" in exc.value.message
    assert "has not ended yet" in exc.value.message
    assert "1 Dec 2026 at 00:00 UTC" in exc.value.message
    assert not ServiceReport.objects.exists()
    with pytest.raises(InvalidInput) as exc:
        close_period(contract=contract, period="2026-Q3", now=NOV_5)
    assert "measured per month" in exc.value.message


def test_termination_right_after_three_periods_below_target(contract, buyer, vendor):
    for month in (8, 9, 10):
        add_outage(contract, start=at(5, month=month), minutes=120)  # ~99.7 %: below 99.95 %
    close_period(contract=contract, period="2026-08", now=NOV_5)
    close_period(contract=contract, period="2026-09", now=NOV_5)
    contract.refresh_from_db()
    assert contract.termination_right is False

    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    contract.refresh_from_db()
    assert report.snapshot["termination"]["triggered"] is True
    assert [w["below_target"] for w in report.snapshot["termination"]["window"]] == [True, True, True]
    assert contract.termination_right is True
    notes = Notification.objects.filter(event="contract.termination_right")
    assert [n.user for n in notes] == [buyer]  # the buyer's contract managers, not the vendor
    assert "3 months in a row" in notes.get().body
    assert AuditEntry.objects.filter(verb="contract.termination_right_raised").count() == 1

    # A good November does not clear it (and sends no second notification).
    report = close_period(contract=contract, period="2026-11", now=datetime(2026, 12, 5, tzinfo=UTC))
    contract.refresh_from_db()
    assert report.snapshot["termination"]["triggered"] is False
    assert contract.termination_right is True
    assert contract.termination_rights.get().status == "open"
    assert Notification.objects.filter(event="contract.termination_right").count() == 1


def test_reissue_supersedes_and_replaces_live_credits(contract, staff):
    add_outage(contract, start=at(10), minutes=downtime_for("98.5"))
    first, _ = two_critical_restore_breaches(contract)
    old = close_period(contract=contract, period="2026-10", now=NOV_5)
    claimed = Credit.objects.filter(report=old, kind="availability").get()
    Credit.objects.filter(pk=claimed.pk).update(status=Credit.Status.CLAIMED, claimed_at=NOV_5)
    first.excluded = True  # the dispute accepted the exclusion after all
    first.save(update_fields=["excluded"])

    new = reissue_report(
        actor=staff,
        contract=contract,
        period="2026-10",
        reason="Dispute 7 resolved",
        changes=[f"{first.reference} excluded (third-party failure accepted in dispute)"],
    )

    assert new.revision == 2 and new.supersedes_id == old.pk
    assert new.what_changed[0].startswith(first.reference)
    assert "Credits due: 1400.00 EUR → 1200.00 EUR" in new.what_changed
    assert new.credit_total == D("1200.00")
    assert set(Credit.objects.filter(report=old).values_list("status", flat=True)) == {"void"}
    statuses = dict(Credit.objects.filter(report=new).values_list("kind", "status"))
    assert statuses == {"availability": "claimed", "incident_breach": "calculated"}  # the claim carries over
    assert list(ServiceReport.objects.current().values_list("pk", flat=True)) == [new.pk]
    old.refresh_from_db()
    assert old.checksum == checksum(old.snapshot)  # the old revision stays readable and intact
    assert close_period(contract=contract, period="2026-10", now=NOV_5).pk == new.pk


def test_verify_reports_detects_a_tampered_snapshot(contract):
    add_outage(contract, start=at(10), minutes=downtime_for("98.5"))
    report = close_period(contract=contract, period="2026-10", now=NOV_5)
    assert verify_reports() == []
    call_command("verify_reports")  # exits 0

    tampered = {**report.snapshot, "credits": {**report.snapshot["credits"], "total": "0.00"}}
    ServiceReport.objects.filter(pk=report.pk).update(snapshot=tampered)

    problems = verify_reports()
    assert len(problems) == 2
    assert "does not match its checksum" in problems[0]
    with pytest.raises(CommandError) as exc:
        call_command("verify_reports")
    assert exc.value.returncode == 1


def test_amendment_mid_period_splits_the_period_by_version(contract, staff):
    """SLA v2 takes effect on 16 October with a 99.0 % target and no credit at
    or above 99.0 %. Availability is measured per slice and combined over the
    whole month; the report is issued under v2 (in force at the period's end)."""
    from contracts import services as contract_services

    draft = contract_services.sla_version_amend(actor=staff, contract=contract, change_summary="Relaxed target")
    terms = dict(draft.terms)
    terms["uptime"] = {**terms["uptime"], "target_percent": "99.0"}
    terms["credit_tiers"] = [
        {"lower": "98.0", "lower_inclusive": True, "upper": "99.0", "upper_inclusive": False, "percent": "10"},
        {"lower": None, "lower_inclusive": True, "upper": "98.0", "upper_inclusive": False, "percent": "20"},
    ]
    contract_services.sla_version_update(actor=staff, version=draft, terms=terms)
    contract_services.sla_version_activate(actor=staff, version=draft, effective_from=at(16))
    # 446.4 minutes down in all (99.0 % of October): part under v1, part under v2.
    add_outage(contract, start=at(5), minutes=D("300"))
    add_outage(contract, start=at(20), minutes=D("146.4"))

    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    s = report.snapshot
    assert s["sla"]["reporting_version"] == 2
    assert [(x["version"], x["start"], x["end"]) for x in s["sla"]["slices"]] == [
        (1, "2026-10-01T00:00:00Z", "2026-10-16T00:00:00Z"),
        (2, "2026-10-16T00:00:00Z", "2026-11-01T00:00:00Z"),
    ]
    assert s["availability"]["value"] == "99.000"
    assert s["availability"]["downtime_minutes"] == "446.400"
    assert s["availability"]["target"] == "99.0" and s["availability"]["met"] is True
    assert s["credits"]["lines"] == [] and report.credit_total == 0
