"""The simulator decides availability as the period close does: on the exact
figure, with the minimum monitoring coverage, and the termination rule's own
threshold. Enterprise 24x7 terms (target 99.95 %, three months in a row below
target end the contract, minimum coverage 90 %), fee EUR 10,000.00 a month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from availability.models import MonitoringSource, NoDataSpan, Outage
from contracts.models import SLAVersion
from contracts.terms import validate_terms
from core import periods
from reports.services import close_period
from reports.tests.factories import at
from simulator.engine import simulate
from simulator.present import STORED_RULE, contract_context
from simulator.serialization import result_json
from simulator.terms import resolve_candidate
from simulator.tests.factories import NOW

D = Decimal
US = timedelta(microseconds=1)
OCT_US = 31 * 86_400 * 1_000_000
TIERS = [
    {"lower": "99.9", "lower_inclusive": False, "upper": "99.95", "upper_inclusive": False, "percent": "5"},
    {"lower": "99.0", "lower_inclusive": False, "upper": "99.9", "upper_inclusive": True, "percent": "10"},
    {"lower": None, "lower_inclusive": True, "upper": "99.0", "upper_inclusive": True, "percent": "25"},
]


def set_terms(contract: Any, change: Any) -> None:
    """Edit the active version's terms in place (test setup: the product freezes them)."""
    version = contract.sla_versions.get(number=1)
    terms = version.terms
    change(terms)
    validate_terms(terms)
    SLAVersion.objects.filter(pk=version.pk).update(terms=terms)


def outage(contract: Any, *, start: datetime, micros: int) -> Outage:
    return Outage.objects.create(
        contract=contract,
        component=contract.covered_components[0],
        start=start,
        end=start + micros * US,
        source=Outage.Source.MANUAL,
        reason="test",
    )


def months(*labels: str) -> list[periods.Period]:
    return [periods.parse(m, zone="UTC", kind="month") for m in labels]


def candidate(contract: Any, changes: dict[str, Any], label: str) -> Any:
    return resolve_candidate(contract, {"label": label, "changes": changes}, now=NOW)


def test_99_90001_percent_lands_on_the_same_tier_as_the_close(contract):
    set_terms(contract, lambda t: t.update(credit_tiers=TIERS))
    # 0.09999 % of October's 2,678,400 s: 2,678.13216 s down, exactly 99.90001 %.
    outage(contract, start=at(10), micros=OCT_US * 9_999 // 10_000_000)
    report = close_period(contract=contract, period="2026-10", now=NOW)
    same = candidate(contract, {"credit_tiers": TIERS}, "Same tiers")

    result = simulate(contract, [same], months("2026-10"), now=NOW)

    a = report.snapshot["availability"]
    assert a["value"] == "99.90001"
    close_tier = next(line["percent"] for line in report.snapshot["credits"]["lines"] if line["kind"] == "availability")
    for ts in result.term_sets:
        fig = ts.periods[0]
        assert fig.exact == Fraction(9_990_001, 100_000)
        # Floored to 99.900 it sat on "> 99.0 and <= 99.9" (10 %); the close pays 5 %.
        assert (str(fig.availability), fig.met, fig.tier_percent) == (a["value"], a["met"], D(close_tier))
        assert fig.credits.total == D(report.snapshot["credits"]["total"]) == D("500.00")
    assert result_json(result)["term_sets"][0]["periods"][0]["availability"] == "99.90001"


def test_a_period_under_the_minimum_coverage_is_not_measured(contract):
    source = MonitoringSource.objects.create(
        contract=contract, name="Probes", kind=MonitoringSource.Kind.PROBE, token_hash="h" * 64, token_prefix="abc"
    )
    for component in contract.covered_components:  # 4 of October's 31 days without data: 87.1 % monitored
        NoDataSpan.objects.create(contract=contract, source=source, component=component, start=at(1), end=at(5))
    outage(contract, start=at(10), micros=10 * 3_600 * 1_000_000)  # 10 h down: 98.5 % of the measured time
    report = close_period(contract=contract, period="2026-10", now=NOW)
    lenient = candidate(contract, {"uptime": {"minimum_coverage_percent": "80"}}, "80 % coverage")

    result = simulate(contract, [lenient], months("2026-10"), now=NOW)

    a = report.snapshot["availability"]
    assert (a["measured"], a["value"], a["met"], a["coverage"]) == (False, None, None, "87.096")
    base, cand = result.baseline.periods[0], result.candidates[0].periods[0]
    assert (base.measured, base.availability, base.met, base.below_target) == (False, None, None, False)
    assert base.coverage == Fraction(27, 31) * 100
    assert base.tier_percent == 0 and base.credits.total == D(report.snapshot["credits"]["total"]) == D("0.00")
    # Under an 80 % minimum the same history has a figure: 10 h of 648 measured hours down.
    assert cand.measured and cand.availability == D("98.456") and cand.met is False
    assert cand.tier_percent == D("10") and cand.credits.total == D("1000.00")

    data = result_json(result)
    cell = data["term_sets"][0]["periods"][0]
    assert (cell["measured"], cell["availability"], cell["coverage"]) == (False, None, "87.096")
    page = contract_context(data)
    assert page["period_rows"][0]["cells"][0]["availability"] == "not measured (87.096 % monitored)"
    assert page["period_rows"][0]["cells"][1]["availability"] == "98.456 %"


def test_a_termination_threshold_below_the_target_is_honoured(contract):
    set_terms(contract, lambda t: t["termination"].update(threshold_percent="99.9"))
    for month, days in [(8, 31), (9, 30), (10, 31)]:  # 99.92 %: below the 99.95 target, above 99.9
        outage(contract, start=datetime(2026, month, 3, tzinfo=UTC), micros=days * 86_400 * 8 * 100)
    reports = [close_period(contract=contract, period=f"2026-{m:02d}", now=NOW) for m in (8, 9, 10)]
    at_target = candidate(contract, {"termination": {"threshold_percent": "99.95"}}, "Threshold at the target")
    on_the_figure = candidate(contract, {"termination": {"threshold_percent": "99.92"}}, "Threshold 99.92")

    result = simulate(contract, [at_target, on_the_figure], months("2026-08", "2026-09", "2026-10"), now=NOW)

    base, target, exact = result.term_sets
    assert [str(p.availability) for p in base.periods] == ["99.920"] * 3
    assert [r.snapshot["availability"]["value"] for r in reports] == ["99.920"] * 3
    assert [p.met for p in base.periods] == [False, False, False]
    assert [r.snapshot["termination"]["triggered"] for r in reports] == [False, False, False]
    assert base.termination_periods == []  # below target three times, never below 99.9
    assert target.termination_periods == ["2026-10"]
    assert exact.termination_periods == []  # strictly below counts: 99.92 is not below 99.92


def test_a_scenario_stored_before_exact_figures_shows_its_stored_figures(contract):
    outage(contract, start=at(10), micros=OCT_US // 1000)
    data = result_json(simulate(contract, [], months("2026-10"), now=NOW))
    assert data["schema"] == 2 and STORED_RULE not in contract_context(data)["r"]["notes"]
    old = {**data, "schema": 1, "notes": []}
    old["term_sets"] = [
        {**ts, "periods": [{k: v for k, v in p.items() if k not in ("measured", "coverage", "minimum_coverage")}]}
        for ts in data["term_sets"]
        for p in ts["periods"]
    ]
    old["term_sets"][0]["periods"][0]["availability"] = "99.900"

    page = contract_context(old)

    assert page["period_rows"][0]["cells"][0]["availability"] == "99.900 %"
    assert page["r"]["notes"] == [STORED_RULE]
