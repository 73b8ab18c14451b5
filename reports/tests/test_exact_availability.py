"""A period's availability is judged on the exact value, time without
monitoring data has a rule and a minimum coverage, and only covered
components are charged: through the frozen report, the availability API and
the page. Fee EUR 10,000.00 a month (contracts.tests.factories)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from availability.models import MonitoringSource, NoDataSpan, Outage, ProbeState
from contracts.models import SLAVersion
from contracts.terms import TermsError, validate_terms
from contracts.tests.factories import make_contract
from reports.models import ServiceReport
from reports.presenters import report_context
from reports.services import close_period, verify_reports
from reports.tests.factories import at

NOV_5 = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
OCT_UTC_US = 31 * 86_400 * 1_000_000


def set_terms(contract: Any, change: Any) -> None:
    """Edit the active version's terms in place (test setup: the product freezes them)."""
    version = contract.sla_versions.get(number=1)
    terms = version.terms
    change(terms)
    validate_terms(terms)
    SLAVersion.objects.filter(pk=version.pk).update(terms=terms)


def outage(contract: Any, *, start: datetime, micros: int, component: str = "api") -> Outage:
    return Outage.objects.create(
        contract=contract,
        component=component,
        start=start,
        end=start + micros * US,
        source=Outage.Source.MANUAL,
        reason="test",
        unknown_component=component not in contract.covered_components,
    )


def availability_lines(snapshot: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (line["percent"], line["amount"]) for line in snapshot["credits"]["lines"] if line["kind"] == "availability"
    ]


def test_99_90001_percent_is_not_on_the_at_most_99_9_tier(contract):
    def terms(t: dict[str, Any]) -> None:
        t["credit_tiers"] = [
            {"lower": "99.9", "lower_inclusive": False, "upper": "99.95", "upper_inclusive": False, "percent": "5"},
            {"lower": "99.0", "lower_inclusive": False, "upper": "99.9", "upper_inclusive": True, "percent": "10"},
            {"lower": None, "lower_inclusive": True, "upper": "99.0", "upper_inclusive": True, "percent": "25"},
        ]

    set_terms(contract, terms)
    # 0.09999 % of October's 2,678,400 s: 2,678.13216 s down.
    outage(contract, start=at(10), micros=OCT_UTC_US * 9_999 // 10_000_000)

    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    a = report.snapshot["availability"]
    assert a["exact"] == {"up_us": OCT_UTC_US - 2_678_132_160, "measured_us": OCT_UTC_US}
    # Truncated to 3 decimals it would read 99.900, the "<= 99.9" tier's bound: more decimals instead.
    assert a["value"] == "99.90001" and a["met"] is False and a["status"] == "breached"
    assert availability_lines(report.snapshot) == [("5", "500.00")]  # floored, it paid 10 %
    assert report.availability_met is False
    assert "decided on the exact" in a["rounding"]
    # The list column keeps 3 decimals, truncated: the verifier compares like with like.
    assert f"{report.availability:.3f}" == "99.900" and verify_reports() == []
    ServiceReport.objects.filter(pk=report.pk).update(availability="99.901")
    assert verify_reports() == [
        f"{report.contract.reference} {report.period} r1 (report {report.pk}): headline figures differ from the snapshot"
    ]


def test_99_0005_percent_under_the_business_hours_preset_lands_on_the_3_percent_tier(buyer_org, vendor_org):
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-BH", preset="business-hours")
    # October 2026 in Europe/Berlin: 1 Oct 00:00 CEST to 1 Nov 00:00 CET, 745 hours.
    period_us = 745 * 3_600 * 1_000_000
    outage(contract, start=at(12), micros=period_us * 9_995 // 1_000_000, component=contract.covered_components[0])

    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    a = report.snapshot["availability"]
    assert a["exact"]["measured_us"] == period_us
    # Floored to 99.000 it sat on "> 97.0 and <= 99.0" (7 %); exactly, it is above 99.0: "> 99.0 and < 99.5" (3 %).
    assert a["value"] == "99.0005" and a["met"] is False and a["status"] == "breached"
    assert availability_lines(report.snapshot) == [("3", "300.00")]


def test_99_99955_percent_meets_a_99_9995_target(contract):
    set_terms(contract, lambda t: t["uptime"].update(target_percent="99.9995"))
    outage(contract, start=at(3), micros=OCT_UTC_US * 45 // 10_000_000)

    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    a = report.snapshot["availability"]
    assert a["value"] == "99.99955" and a["met"] is True
    assert report.availability_met is True
    report.refresh_from_db()
    assert report.availability <= Decimal("99.99955")  # the list column never rounds a figure up
    assert availability_lines(report.snapshot) == []
    assert report_context(report)["availability"]["status"]["text"] == "Met"


@pytest.fixture
def probe_source(contract):
    return MonitoringSource.objects.create(
        contract=contract, name="Probes", kind=MonitoringSource.Kind.PROBE, token_hash="h" * 64, token_prefix="abc"
    )


def test_a_month_without_monitoring_data_is_not_measured(client_for, buyer, contract, probe_source, clock):
    for component in contract.covered_components:
        NoDataSpan.objects.create(
            contract=contract, source=probe_source, component=component, start=at(1), end=at(1, month=11)
        )

    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    a = report.snapshot["availability"]
    assert (a["measured"], a["value"], a["met"], a["status"]) == (False, None, None, "not measured")
    assert a["coverage"] == "0.000" and a["minimum_coverage"] == "90" and a["unmeasured"] == "excluded"
    assert availability_lines(report.snapshot) == []  # no availability credit is computed automatically
    assert report.snapshot["termination"]["window"][-1]["below_target"] is False
    assert report.availability is None and report.availability_met is None
    shown = report_context(report)["availability"]
    assert shown["value_text"] == "not measured" and shown["coverage_text"] == "0.000 %"

    client = client_for(buyer)
    api = client.get(reverse("availability-api:contract-availability", args=[contract.pk]) + "?period=2026-10").json()
    assert (api["met"], api["status"], api["service"]["availability"]) == (None, "not measured", None)
    assert api["service"]["coverage_percent"] == "0.000" and api["minimum_coverage_percent"] == "90.0000"
    page = client.get(reverse("availability:contract", args=[contract.pk]) + "?period=2026-10").content.decode()
    assert "not measured: 0.000 % monitored, 90 % needed" in page


def test_below_the_minimum_coverage_the_few_measured_minutes_decide_nothing(contract, probe_source):
    # 20 days of 31 without data, and the only measured downtime an hour: once 99.6 %, met; now not measured.
    for component in contract.covered_components:
        NoDataSpan.objects.create(contract=contract, source=probe_source, component=component, start=at(1), end=at(21))
    set_terms(contract, lambda t: t["uptime"].update(minimum_coverage_percent="60"))
    outage(contract, start=at(25), micros=3_600 * 1_000_000)

    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    a = report.snapshot["availability"]
    assert a["status"] == "not measured" and a["coverage"] == "35.483"  # 11/31, truncated


def test_no_data_counted_as_down_when_the_terms_say_so(contract, probe_source):
    NoDataSpan.objects.create(contract=contract, source=probe_source, component="api", start=at(2), end=at(3))
    set_terms(contract, lambda t: t["uptime"].update(unmeasured="unavailable"))

    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    a = report.snapshot["availability"]
    assert a["downtime_minutes"] == "1440.000" and a["coverage"] == "96.774"  # 30/31 truncated
    assert a["value"] == "96.774" and availability_lines(report.snapshot) == [("20", "2000.00")]


def test_an_outage_on_an_unknown_component_is_held_not_charged(client_for, buyer, contract, clock):
    held = outage(contract, start=at(7), micros=5 * 3_600 * 1_000_000, component="billing")

    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    a = report.snapshot["availability"]
    assert a["value"] == "100.000" and a["downtime_minutes"] == "0.000"
    assert a["held"] == [
        {
            "ref": f"outage:{held.pk}",
            "component": "billing",
            "start": "2026-10-07T00:00:00Z",
            "end": "2026-10-07T05:00:00Z",
            "minutes": "300.000",
            "status": "held: unknown component",
        }
    ]
    assert report.snapshot["credits"]["lines"] == []

    client = client_for(buyer)
    api = client.get(reverse("availability-api:contract-availability", args=[contract.pk]) + "?period=2026-10").json()
    assert [(h["ref"], h["status"]) for h in api["held"]] == [(f"outage:{held.pk}", "held: unknown component")]
    assert api["counted"] == [] and api["service"]["downtime_minutes"] == "0.000"
    page = client.get(reverse("availability:contract", args=[contract.pk]) + "?period=2026-10").content.decode()
    assert "held: unknown component" in page


def test_a_snapshot_frozen_before_the_exact_rule_still_verifies_and_renders(contract):
    report = close_period(contract=contract, period="2026-10", now=NOV_5)
    assert verify_reports() == []
    # A schema-1 snapshot had none of the new keys: it shows what it froze.
    for key in (
        "coverage",
        "held",
        "rounding",
        "unmeasured",
        "minimum_coverage",
        "unmonitored_minutes",
        "status",
        "exact",
    ):
        report.snapshot["availability"].pop(key)
    for row in report.snapshot["availability"]["components"]:
        row.pop("coverage"), row.pop("measured")
    shown = report_context(report)["availability"]
    assert shown["value_text"] == "100.000 %" and shown["coverage_text"] == "" and shown["held"] == []


def test_terms_without_the_new_keys_validate_and_bad_values_name_the_field(contract):
    terms = contract.sla_versions.get(number=1).terms
    assert "unmeasured" not in terms["uptime"]
    validate_terms(terms)
    terms["uptime"].update(unmeasured="sometimes", minimum_coverage_percent="150")
    with pytest.raises(TermsError) as caught:
        validate_terms(terms)
    assert set(caught.value.errors) == {"uptime.unmeasured"}
    terms["uptime"]["unmeasured"] = "available"
    with pytest.raises(TermsError) as caught:
        validate_terms(terms)
    assert caught.value.errors == {
        "uptime.minimum_coverage_percent": ["The minimum coverage must be between 0 and 100 %."]
    }


def test_a_probe_source_that_went_silent_is_no_data_until_it_reports_again(contract, probe_source):
    ProbeState.objects.create(source=probe_source, component="api", last_at=at(20), last_up=True)

    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    a = report.snapshot["availability"]
    # Monitored 1 Oct to 20 Oct 00:01 (the last probe plus its 60 s interval): 19 days and a minute of 31.
    assert a["coverage"] == "61.292" and a["status"] == "not measured"
    assert a["unmonitored_minutes"] == "17279.000"
