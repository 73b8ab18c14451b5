"""The negotiation simulator replays recorded history under candidate terms.

The key check: replaying the terms actually in force reproduces the frozen
reports of the same periods (closed by ``close_period`` on the same data).
Figures for candidates are worked out by hand against the Enterprise 24x7
terms (fee EUR 10,000.00 a month, target 99.95 %, tiers >= 99.0 and < 99.95:
5 %, >= 98.0 and < 99.0: 10 %, >= 95.0 and < 98.0: 20 %, < 95.0: 30 %;
critical restore missed: 2 %; cap 30 %; critical production acknowledge 15
minutes, 24x7; termination after three months in a row below target).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from availability.models import Outage
from contracts import services as contract_services
from contracts.models import SLAVersion
from contracts.tests.factories import make_contract
from core import periods
from incidents.models import ExclusionClaim, Incident, IncidentPause
from reports.models import Credit, PeriodClose, ServiceReport
from reports.services import close_period
from reports.tests.factories import add_incident, add_outage, at, downtime_for
from simulator.engine import simulate
from simulator.terms import CandidateError, CandidateTerms, apply_changes, parse_hours, resolve_candidate
from simulator.tests.factories import MONTHS, NOW, generate_history

D = Decimal


def window(contract, months=MONTHS):
    up = contract.sla_versions.filter(status="active").order_by("-number").first().terms["uptime"]
    return [periods.parse(m, zone=up["timezone"], kind=up["period"]) for m in months]


def candidate(contract, changes, label="Candidate"):
    return resolve_candidate(contract, {"label": label, "changes": changes}, now=NOW)


def assert_reproduces(contract, months=MONTHS):
    reports = {m: close_period(contract=contract, period=m, now=NOW) for m in months}
    result = simulate(contract, [], window(contract, months), now=NOW)
    assert [f.period.label for f in result.baseline.periods] == months
    for fig in result.baseline.periods:
        s = reports[fig.period.label].snapshot
        label = fig.period.label
        assert s["availability"]["value"] == (None if fig.availability is None else str(fig.availability)), label
        assert s["availability"]["met"] == fig.met, label
        assert s["availability"]["downtime_minutes"] == str(fig.downtime_minutes), label
        breaches = {b["id"]: tuple(t["kind"] for t in b["targets"]) for b in s["breaches"]}
        assert breaches == {pk: o for pk, o in fig.outcomes.items() if o and o != "excluded"}, label
        assert reports[label].breaches == fig.breaches
        assert s["incidents"]["counted"] == fig.counted and s["incidents"]["excluded"] == fig.excluded, label
        for kind, row in s["incidents"]["totals"].items():
            assert {k: row[k] for k in ("met", "missed", "running")} == fig.totals[kind], (label, kind)
        c = s["credits"]
        assert (c["total"], c["total_before_cap"], c["cap_amount"], c["capped"]) == (
            str(fig.credits.total),
            str(fig.credits.total_before_cap),
            str(fig.credits.cap_amount),
            fig.credits.capped,
        ), label
        assert [(line["kind"], line["amount"]) for line in c["lines"]] == [
            (line.kind, str(line.amount)) for line in fig.credits.lines
        ], label
        assert s["termination"]["triggered"] == fig.termination, label
    return result


def test_replaying_the_terms_in_force_reproduces_the_frozen_reports(contract):
    generate_history(contract)
    add_outage(contract, start=datetime(2026, 9, 20, tzinfo=UTC), minutes=downtime_for("95.5", D(30 * 24 * 60)))
    result = assert_reproduces(contract)
    base = result.baseline
    # The generated history is not trivial: breaches, credits, capped months, the termination right.
    assert base.breaches > 50
    assert base.credits_total > 0 and any(p.credits.capped for p in base.periods)
    assert base.termination_periods
    assert any(p.excluded for p in base.periods)


def test_it_reproduces_business_hours_reports_across_a_mid_month_amendment(buyer_org, vendor_org, staff):
    """Europe/Berlin business hours; SLA v2 takes effect on 15 August at noon
    with other targets, target, tiers and maintenance rules: August is judged
    in two slices, each incident under the version it was opened under."""
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-BH", preset="business-hours")
    draft = contract_services.sla_version_amend(actor=staff, contract=contract)
    terms = copy.deepcopy(draft.terms)
    terms["targets"][0].update(acknowledge_minutes=20, restore_minutes=300)
    terms["uptime"]["target_percent"] = "99.7"
    terms["credit_tiers"][0]["upper"] = "99.7"
    terms["breach_credits"] = [{"severity": "critical", "target": "restore", "percent": "3"}]
    terms["exclusions"]["maintenance_allowance_minutes"] = 60
    terms["uptime"]["critical_incidents_count"] = True
    contract_services.sla_version_update(actor=staff, version=draft, terms=terms)
    berlin_noon = datetime(2026, 8, 15, 10, 0, tzinfo=UTC)
    contract_services.sla_version_activate(actor=staff, version=draft, effective_from=berlin_noon)
    generate_history(contract, seed=11, per_month=25)
    result = assert_reproduces(contract)
    august = result.baseline.periods[3]
    assert august.period.label == "2026-08"
    assert {i.version_id for i in result.incidents.values() if i.opened_at.month == 8} == {
        v.pk for v in contract.sla_versions.all()
    }


def test_a_stricter_critical_acknowledge_target_lists_the_incidents_whose_outcome_changes(contract):
    met_both = add_incident(contract, opened_at=at(5, 9), ack_after=4, title="Acked in 4 min")
    late_9 = add_incident(contract, opened_at=at(12, 9), ack_after=9, title="Acked in 9 min")
    late_14 = add_incident(contract, opened_at=at(20, 9), ack_after=14, title="Acked in 14 min")
    add_incident(contract, opened_at=at(21, 9), severity="high", ack_after=14)  # high: 30 min either way
    stricter = candidate(
        contract,
        {
            "targets": [{"severity": "critical", "environment": "production", "acknowledge_minutes": 5}],
            "breach_credits": [
                {"severity": "critical", "target": "acknowledge", "percent": "1.5"},
                {"severity": "critical", "target": "restore", "percent": "2"},
            ],
        },
        label="Critical acknowledge in 5 minutes",
    )
    result = simulate(contract, [stricter], window(contract, ["2026-10"]), now=NOW)
    base, cand = result.baseline, result.candidates[0]
    assert base.breaches == 0 and base.missed("acknowledge") == 0
    assert cand.breaches == 2 and cand.missed("acknowledge", "critical") == 2
    assert [(c["incident"].pk, c["before"], c["after"], c["direction"]) for c in cand.changes] == [
        (late_9.pk, (), ("acknowledge",), "newly_breached"),
        (late_14.pk, (), ("acknowledge",), "newly_breached"),
    ]
    assert met_both.pk not in {c["incident"].pk for c in cand.changes}
    # The three critical incidents (an hour each) count as downtime: 180 of 44,640 minutes,
    # 99.596 %, tier 5 % = 500.00 under both; the candidate adds 2 x 1.5 % = 2 x 150.00.
    october = cand.periods[0]
    assert october.availability == D("99.596")
    assert [str(line.amount) for line in october.credits.lines] == ["500.00", "150.00", "150.00"]
    assert october.credits.total == D("800.00") and base.credits_total == D("500.00")
    # Compliance per metric: 4 acknowledgements, 2 missed under the candidate.
    assert october.totals["acknowledge"] == {"met": 2, "missed": 2, "running": 0}


def test_a_candidate_uptime_target_and_tiers_change_the_credits_as_worked_out_by_hand(contract):
    # 99.5 % in October: in force, tier ">= 99.0 and < 99.95" = 5 % = 500.00.
    add_outage(contract, start=at(10), minutes=downtime_for("99.5"))
    tiers = [
        {"lower": "99.5", "lower_inclusive": True, "upper": "99.9", "upper_inclusive": False, "percent": "10"},
        {"lower": None, "lower_inclusive": True, "upper": "99.5", "upper_inclusive": False, "percent": "25"},
    ]
    tougher = candidate(contract, {"uptime_target": "99.9", "credit_tiers": tiers}, label="99.9 % with 10/25 tiers")
    # A cap may not be below the first tier's credit: 8 % over a first tier of 8 %, with 99.5 in "< 99.7" (25 %).
    steep = [
        {"lower": "99.7", "lower_inclusive": True, "upper": "99.9", "upper_inclusive": False, "percent": "8"},
        {"lower": None, "lower_inclusive": True, "upper": "99.7", "upper_inclusive": False, "percent": "25"},
    ]
    capped = candidate(
        contract, {"uptime_target": "99.9", "credit_tiers": steep, "credit_cap_percent": "8"}, label="Cap 8 %"
    )
    softer = candidate(contract, {"uptime_target": "99.5", "tiers_follow_target": True}, label="99.5 %")
    result = simulate(contract, [tougher, capped, softer], window(contract, ["2026-10"]), now=NOW)
    base, t, c, s = (ts.periods[0] for ts in result.term_sets)
    assert base.availability == t.availability == D("99.500")
    assert (base.tier_percent, base.credits.total) == (D("5"), D("500.00"))
    # 99.5 is in ">= 99.5 and < 99.9": 10 % of 10,000.00 = 1,000.00.
    assert (t.tier_percent, t.credits.total, t.met) == (D("10"), D("1000.00"), False)
    # 25 % = 2,500.00 before the cap; the cap is 8 % = 800.00.
    assert (c.credits.total_before_cap, c.credits.cap_amount, c.credits.total, c.credits.capped) == (
        D("2500.00"),
        D("800.00"),
        D("800.00"),
        True,
    )
    # Target 99.5 is met; the tiers follow the target down, so nothing is paid at 99.5.
    assert s.met is True and s.credits.total == D("0.00")


def test_the_periods_that_would_have_triggered_the_termination_right(contract):
    for month, availability in [(6, "99.99"), (7, "99.9"), (8, "99.9"), (9, "99.99"), (10, "99.9")]:
        start = datetime(2026, month, 3, tzinfo=UTC)
        add_outage(contract, start=start, minutes=downtime_for(availability, D(30 * 24 * 60)))
    months = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    two_of_three = candidate(contract, {"termination": {"below_target": 2, "of_last": 3, "consecutive": False}})
    lower_target = candidate(contract, {"uptime_target": "99.85", "tiers_follow_target": True})
    result = simulate(contract, [two_of_three, lower_target], window(contract, months), now=NOW)
    base, two, low = result.term_sets
    assert [p.met for p in base.periods] == [True, False, False, True, False]
    assert base.termination_periods == []  # never three in a row
    assert two.termination_periods == ["2026-08", "2026-09", "2026-10"]
    assert low.termination_periods == [] and all(p.met for p in low.periods)
    three_in_a_row = candidate(contract, {"uptime_target": "99.995"})
    strict = simulate(contract, [three_in_a_row], window(contract, months), now=NOW).candidates[0]
    assert strict.termination_periods == ["2026-08", "2026-09", "2026-10"]


def test_exclusions_are_re_read_under_the_candidate(contract):
    add_outage(
        contract,
        start=at(10),
        minutes=downtime_for("99.0"),
        exclusion="accepted",
        exclusion_kind="third_party",
    )
    upstream = add_incident(contract, opened_at=at(12), resolve_after=300, title="Upstream DNS")
    ExclusionClaim.objects.create(
        incident=upstream, kind="third_party", reason="DNS", status="accepted", claimed_at=at(12)
    )
    Incident.objects.filter(pk=upstream.pk).update(excluded=True)
    no_third_party = candidate(contract, {"exclusions": {"third_party": False}}, label="No third-party exclusion")
    result = simulate(contract, [no_third_party], window(contract, ["2026-10"]), now=NOW)
    base, cand = result.baseline.periods[0], result.candidates[0].periods[0]
    assert base.availability == D("100.000") and base.excluded == 1 and base.credits.total == D("0.00")
    # Now the outage (1 %: 446.4 min) and the 5 h critical incident both count: 746.4 of 44,640
    # minutes down, 98.327 % (rounded down), tier 10 % = 1,000.00, plus restore missed 2 % = 200.00.
    assert cand.downtime_minutes == D("746.400")
    assert cand.availability == D("98.327") and cand.excluded == 0
    assert cand.credits.total == D("1200.00")
    change = result.candidates[0].changes[0]
    assert (change["incident"].pk, change["before"], change["after"]) == (upstream.pk, "excluded", ("restore",))


def test_a_coverage_calendar_moves_the_due_times(contract):
    # Saturday 17 October 2026, 10:00 UTC: acknowledged after 2 hours.
    saturday = add_incident(contract, opened_at=datetime(2026, 10, 17, 10, tzinfo=UTC), ack_after=120)
    weekdays = candidate(contract, {"coverage_hours": "Mon-Fri 08:00-18:00", "clock": "coverage"})
    assert weekdays.terms["calendar"]["hours"][0] == {"weekday": 0, "start": "08:00", "end": "18:00"}
    result = simulate(contract, [weekdays], window(contract, ["2026-10"]), now=NOW)
    assert result.baseline.periods[0].outcomes[saturday.pk] == ("acknowledge",)
    assert result.candidates[0].periods[0].outcomes[saturday.pk] == ()  # the clock does not run at weekends


def test_nothing_is_written(contract):
    generate_history(contract, per_month=10)
    close_period(contract=contract, period="2026-09", now=NOW)
    models = [
        Incident,
        IncidentPause,
        ExclusionClaim,
        Outage,
        ServiceReport,
        Credit,
        PeriodClose,
        AuditEntry,
        SLAVersion,
    ]
    before = {m.__name__: m.objects.count() for m in models}
    stricter = candidate(
        contract, {"targets": [{"severity": "high", "environment": "production", "acknowledge_minutes": 5}]}
    )
    with CaptureQueriesContext(connection) as ctx:
        result = simulate(contract, [stricter], window(contract), now=NOW)
        result.as_json()
    assert {m.__name__: m.objects.count() for m in models} == before
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    stored = Incident.objects.filter(contract=contract).values_list("pk", "acknowledge_due_at", "breached")
    assert list(stored) == list(
        Incident.objects.filter(contract=contract).values_list("pk", "acknowledge_due_at", "breached")
    )


def test_the_history_is_read_once_whatever_the_number_of_candidates(contract, count_queries):
    generate_history(contract, per_month=5)
    one = [candidate(contract, {"uptime_target": "99.9", "tiers_follow_target": True})]
    ten = [candidate(contract, {"uptime_target": f"99.{90 + i}", "tiers_follow_target": True}) for i in range(10)]
    w = window(contract)
    assert count_queries(lambda: simulate(contract, one, w, now=NOW)) == count_queries(
        lambda: simulate(contract, ten, w, now=NOW)
    )


def test_candidates_from_a_draft_version_and_an_amendment(contract, staff):
    draft = contract_services.sla_version_amend(actor=staff, contract=contract)
    terms = copy.deepcopy(draft.terms)
    terms["uptime"]["target_percent"] = "99.9"
    terms["credit_tiers"][0]["upper"] = "99.9"  # no tier may pay at or above the target
    contract_services.sla_version_update(actor=staff, version=draft, terms=terms)
    c = resolve_candidate(contract, {"version": draft.pk}, now=NOW)
    assert (c.source, c.ref, c.terms["uptime"]["target_percent"]) == ("draft", "SLA v2 (draft)", "99.9")
    edited = resolve_candidate(contract, {"version": draft.pk, "changes": {"credit_cap_percent": "20"}}, now=NOW)
    assert edited.source == "edited" and edited.terms["credit_cap_percent"] == "20"
    in_force = resolve_candidate(contract, {}, now=NOW)
    assert in_force.ref == "SLA v1 in force" and in_force.terms["uptime"]["target_percent"] == "99.95"
    with pytest.raises(CandidateError) as err:
        resolve_candidate(contract, {"amendment": 999}, now=NOW)
    assert "amendment" in err.value.errors


def test_edits_on_the_spot_are_validated_with_the_field_path(contract):
    base = contract.sla_versions.get(number=1).terms
    with pytest.raises(CandidateError) as err:
        apply_changes(
            base, {"targets": [{"severity": "critical", "environment": "production", "acknowledge_minutes": 300}]}
        )
    assert "targets[0].restore_minutes" in err.value.errors  # acknowledge <= restore <= resolve
    with pytest.raises(CandidateError) as err:
        apply_changes(base, {"coverage_hours": "Mondays at nine"})
    assert "coverage_hours" in err.value.errors
    assert parse_hours("24x7") == base["calendar"]["hours"]
    shifted = apply_changes(base, {"uptime_target": "99.9", "tiers_follow_target": True})
    assert shifted["credit_tiers"][0]["upper"] == "99.9"
    with pytest.raises(ValueError, match="follow each other"):
        simulate(contract, [], [window(contract)[0], window(contract)[2]], now=NOW)


def test_a_candidate_is_a_plain_value(contract):
    c = CandidateTerms(label="x", terms=contract.sla_versions.get(number=1).terms)
    assert simulate(contract, [c], window(contract, ["2026-10"]), now=NOW).candidates[0].label == "x"
    assert timedelta(0) == timedelta(0)
