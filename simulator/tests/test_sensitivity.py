"""Sensitivity sweeps: monotone, read once, drawn as an SVG curve."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import periods
from reports.tests.factories import add_incident, add_outage, at, downtime_for
from simulator.sensitivity import UPTIME, parameter_choices, sweep, sweep_chart, sweep_values
from simulator.terms import resolve_candidate
from simulator.tests.factories import MONTHS, NOW, generate_history

D = Decimal
ACK = "target:critical:production:acknowledge"


def window(contract):
    return [periods.parse(m, zone="UTC", kind="month") for m in MONTHS]


def in_force(contract):
    return resolve_candidate(contract, {}, now=NOW)


def test_a_tighter_target_never_gives_fewer_breaches(contract):
    generate_history(contract, per_month=25)
    values = sweep_values(D(1), D(60), 30, integer=True)
    s = sweep(contract, in_force(contract), "target:high:production:acknowledge", values, window(contract), now=NOW)
    measures = [p.measure for p in s.points]
    assert [p.value for p in s.points] == sorted(p.value for p in s.points)
    assert all(a >= b for a, b in zip(measures, measures[1:], strict=False))  # longer target, never more misses
    assert all(a.breaches >= b.breaches for a, b in zip(s.points, s.points[1:], strict=False))
    assert measures[0] > measures[-1] >= 0
    assert s.current == D(30) and s.cliff is not None


def test_the_uptime_sweep_is_monotone_and_the_tiers_follow_the_target(contract):
    for month, availability in [(6, "99.9"), (7, "99.6"), (8, "99.97"), (9, "99.3"), (10, "99.8")]:
        p = periods.parse(f"2026-{month:02d}", zone="UTC", kind="month")
        minutes = D((p.end - p.start).total_seconds()) / 60
        add_outage(contract, start=p.start + (p.end - p.start) / 3, minutes=downtime_for(availability, minutes))
    values = sweep_values(D("99.0"), D("99.99"), 12, integer=False)
    s = sweep(contract, in_force(contract), UPTIME, values, window(contract), now=NOW)
    below = [p.measure for p in s.points]
    credits = [p.credits for p in s.points]
    assert all(a <= b for a, b in zip(below, below[1:], strict=False))  # a higher target: never fewer periods below
    assert all(a <= b for a, b in zip(credits, credits[1:], strict=False))
    assert below[0] == 0 and below[-1] == 5
    # At 99.0 no period is below target and the top tier (>= 99.0 and < target) is empty: no credit.
    assert credits[0] == D("0.00")
    # At 99.99 every month pays the 5 % tier (500.00) and September (99.3) too: 5 x 500.00.
    assert credits[-1] == D("2500.00")


def test_the_sweep_reads_the_history_once(contract, count_queries):
    generate_history(contract, per_month=5)
    base = in_force(contract)
    few = count_queries(lambda: sweep(contract, base, ACK, [D(5), D(10)], window(contract), now=NOW))
    many = count_queries(
        lambda: sweep(contract, base, ACK, sweep_values(D(1), D(50), 40, integer=True), window(contract), now=NOW)
    )
    assert few == many


def test_the_chart_is_an_svg_with_the_current_value_marked(contract):
    add_incident(contract, opened_at=at(5, 9), ack_after=12, title="<script>x</script>")
    s = sweep(contract, in_force(contract), ACK, sweep_values(D(5), D(20), 4, integer=True), window(contract), now=NOW)
    data = s.as_json()
    assert [p["measure"] for p in data["points"]] == [1, 1, 0, 0]  # acknowledged after 12 minutes
    assert data["cliff"] == ["10", "15"]
    svg = sweep_chart(data)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "SLA v1 in force: 15" in svg
    assert "<script>" not in svg
    assert "Credits after cap (EUR)" in svg


def test_parameters_and_errors(contract):
    terms = contract.sla_versions.get(number=1).terms
    keys = [k for k, _ in parameter_choices(terms)]
    assert keys[0] == UPTIME and ACK in keys and len(keys) == 1 + 8 * 3
    with pytest.raises(ValueError, match="Unknown parameter"):
        sweep(contract, in_force(contract), "target:critical", [D(1)], window(contract), now=NOW)
