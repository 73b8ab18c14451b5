"""Contradictory credit, cap and termination terms are refused, each under its field path;
the optional remedy clauses validate and old documents (without them) still do."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from contracts.presets import preset_choices, preset_terms
from contracts.terms import TermsError, validate_terms


def doc(**changes: Any) -> dict[str, Any]:
    """Enterprise 24x7 (target 99.95 %; tiers [99.0, 99.95) 5 %, [98.0, 99.0) 10 %, [95.0, 98.0) 20 %, < 95.0 30 %)."""
    terms = copy.deepcopy(preset_terms("enterprise-24x7"))
    terms.update(changes)
    return terms


def errors(terms: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(TermsError) as exc:
        validate_terms(terms)
    return exc.value.errors


def tier(lower: str | None, upper: str | None, percent: str, *, lower_in: bool = True, upper_in: bool = False) -> dict:
    return {
        "lower": lower,
        "lower_inclusive": lower_in,
        "upper": upper,
        "upper_inclusive": upper_in,
        "percent": percent,
    }


@pytest.mark.parametrize("key", [k for k, _ in preset_choices()])
def test_every_preset_validates(key: str) -> None:
    validate_terms(preset_terms(key))


def test_it_accepts_the_new_clauses() -> None:
    terms = doc(
        credit_caps={"period_days": 10, "year_percent": "15", "year_days": 60},
        credit_minimum="50.00",
        claim_deadline={"rule": "end_of_billing_cycle", "billing_cycles": 2},
    )
    terms["termination"].update(below_target=3, of_last=6, consecutive=False)
    terms["termination"].update(threshold_percent="99.0", exercise_window_days=90)
    terms["notice_rules"][0]["hours"] = 12
    validate_terms(terms)


def test_a_tier_above_the_target_is_named() -> None:
    # The reported case: a 99.9 % target with a tier "below 99.95 %".
    terms = doc()
    terms["uptime"]["target_percent"] = "99.9"
    found = errors(terms)
    assert list(found) == ["credit_tiers[0].upper"]
    assert "above the uptime target" in found["credit_tiers[0].upper"][0]
    # Up to and including the target is a contradiction too (a period at 99.9 % meets it).
    terms["credit_tiers"][0].update(upper="99.9", upper_inclusive=True)
    assert list(errors(terms)) == ["credit_tiers[0].upper"]
    terms["credit_tiers"][0].update(upper_inclusive=False)
    validate_terms(terms)


def test_a_tier_without_an_upper_bound_pays_at_the_target() -> None:
    terms = doc(credit_tiers=[tier("95.0", None, "5"), tier(None, "95.0", "10")])
    assert "credit_tiers[0].upper" in errors(terms)


def test_overlapping_and_gapped_tiers_are_named() -> None:
    overlap = doc()
    overlap["credit_tiers"][2].update(upper="98.5")  # [95.0, 98.5) under [98.0, 99.0)
    assert list(errors(overlap)) == ["credit_tiers[2].upper"]
    assert "Overlaps" in errors(overlap)["credit_tiers[2].upper"][0]

    gap = doc()
    gap["credit_tiers"][2].update(upper="97.5")  # nothing pays between 97.5 and 98.0
    assert "gap" in errors(gap)["credit_tiers[2].upper"][0]

    # Both bounds exclusive at 98.0: exactly 98.0 would earn nothing.
    exclusive = doc()
    exclusive["credit_tiers"][1]["lower_inclusive"] = False
    assert list(errors(exclusive)) == ["credit_tiers[2].upper"]


def test_the_lowest_tier_must_reach_zero() -> None:
    terms = doc()
    terms["credit_tiers"][3]["lower"] = "90.0"
    found = errors(terms)
    assert list(found) == ["credit_tiers[3].lower"]
    terms["credit_tiers"][3]["lower"] = "0"
    validate_terms(terms)


def test_caps_below_the_first_tier_are_named() -> None:
    assert list(errors(doc(credit_cap_percent="4"))) == ["credit_cap_percent"]
    # 1 day of fees is 12/365 of a month (3.29 %) < 5 %; 2 days (6.58 %) is enough.
    assert list(errors(doc(credit_caps={"period_days": 1}))) == ["credit_caps.period_days"]
    validate_terms(doc(credit_caps={"period_days": 2}))
    # A year cap of 0.4 % of the annual fee is 4.8 % of a month < 5 %.
    assert list(errors(doc(credit_caps={"year_percent": "0.4"}))) == ["credit_caps.year_percent"]
    assert list(errors(doc(credit_caps={"year_days": 1}))) == ["credit_caps.year_days"]


def test_thresholds_outside_0_to_100_are_named() -> None:
    terms = doc()
    terms["credit_tiers"][0]["percent"] = "101"
    terms["credit_tiers"][1]["percent"] = "102"
    assert "credit_tiers[0].percent" in errors(terms)
    assert "credit_caps.year_percent" in errors(doc(credit_caps={"year_percent": "120"}))
    high = doc()
    high["termination"]["threshold_percent"] = "0"
    assert list(errors(high)) == ["termination.threshold_percent"]


def test_a_termination_threshold_above_the_target_is_named() -> None:
    terms = doc()
    terms["termination"]["threshold_percent"] = "99.99"
    found = errors(terms)
    assert list(found) == ["termination.threshold_percent"]
    assert "Above the uptime target" in found["termination.threshold_percent"][0]


def test_billing_cycles_belong_to_the_billing_cycle_rule() -> None:
    found = errors(doc(claim_deadline={"rule": "end_of_following_month", "billing_cycles": 2}))
    assert list(found) == ["claim_deadline.billing_cycles"]
    assert "claim_deadline.rule" in errors(doc(claim_deadline={"rule": "whenever"}))


def test_the_api_refuses_a_contradiction_by_field_path(client_for, contract, buyer) -> None:
    from contracts import services

    services.sla_version_amend(actor=buyer, contract=contract)
    terms = doc()
    terms["uptime"]["target_percent"] = "99.9"
    response = client_for(buyer).patch(
        f"/api/contracts/{contract.pk}/sla-versions/2/", {"terms": terms}, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert "terms.credit_tiers[0].upper" in response.json()["errors"]
    assert contract.sla_versions.get(number=2).terms["uptime"]["target_percent"] == "99.95"


def test_a_notice_rule_in_hours_and_its_wording() -> None:
    from datetime import timedelta

    from contracts.terms import Terms
    from contracts.wording import notice_text

    terms = doc()
    terms["notice_rules"] = [
        {"change_kind": "emergency", "days": 0, "hours": 4},
        {"change_kind": "major_release", "days": 14},
    ]
    validate_terms(terms)
    view = Terms(terms)
    assert view.notice_period("emergency") == timedelta(hours=4)
    assert view.notice_days("emergency") == 1  # shown as whole days, a part day rounding up
    assert view.notice_period("major_release") == timedelta(days=14)
    assert notice_text(0, 4) == "at least 4 hours in advance"
    assert notice_text(1, 12) == "at least 1 day and 12 hours in advance"
    assert notice_text(0) == "no advance notice required"


def test_the_schedule_words_caps_claims_and_the_exercise_window() -> None:
    from contracts.wording import caps_text, claim_text, termination_exercise_text, termination_text

    terms = doc(
        credit_caps={"period_days": 10, "year_percent": "15"},
        credit_minimum="50.00",
        claim_deadline={"rule": "end_of_billing_cycle", "billing_cycles": 2},
    )
    terms["termination"].update(threshold_percent="99.0", exercise_window_days=90, of_last=6, consecutive=False)
    assert caps_text(terms, "month", "EUR") == [
        "Credits for one month are capped at 30 % of the monthly fee.",
        "Credits for one month are also capped at 10 days of fees.",
        "Credits in one contract year are capped at 15 % of the annual fee.",
        "The smallest cap applies; a day of fees is the annual fee divided by 365.",
        "A month whose credits come to less than EUR 50.00 owes no credit (small credits are not issued).",
    ]
    assert claim_text(terms, "month") == (
        "Credits must be claimed by the end of the second monthly billing cycle after the month to which they "
        "relate; a claim is in time until 23:59:59 of the last day (UTC time)."
    )
    assert termination_text(terms["termination"], "month") == "availability below 99.0 % in 3 of the last 6 months"
    assert "lapses 90 days after it was raised" in termination_exercise_text(terms["termination"])
