"""Service commitments in the terms document: schema and semantic rules, each error under its
path (``commitments[1].components``), the typed view and the schedule's wording."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from contracts.presets import preset_terms
from contracts.terms import Terms, TermsError, validate_terms
from contracts.wording import commitments_wording


def tier(lower: str | None, upper: str, percent: str) -> dict[str, Any]:
    return {"lower": lower, "lower_inclusive": True, "upper": upper, "upper_inclusive": False, "percent": percent}


def commitment(key: str, components: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "key": key,
        "name": key.title(),
        "components": components,
        "target_percent": "99.9",
        "window": "month",
        "service_rule": "any",
        "credit_tiers": [tier("99.0", "99.9", "10"), tier(None, "99.0", "25")],
        **extra,
    }


def terms_with(*rows: dict[str, Any]) -> dict[str, Any]:
    terms = copy.deepcopy(preset_terms("enterprise-24x7"))
    terms["commitments"] = list(rows)
    return terms


def errors(terms: dict[str, Any], **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(TermsError) as exc:
        validate_terms(terms, **kwargs)
    return exc.value.errors


def test_a_document_without_commitments_is_read_as_before():
    terms = preset_terms("enterprise-24x7")
    validate_terms(terms, components=["api"])
    assert Terms(terms).commitments == [] and "commitments" not in terms


def test_valid_commitments_are_read_with_their_defaults():
    terms = terms_with(commitment("api", ["api"]), commitment("web", ["web", "api"], fee_share_percent="40", group="g"))
    validate_terms(terms, components=["api", "web"])
    first, second = Terms(terms).commitments
    assert (first.key, first.components, first.fee_share, first.group, first.measure) == (
        "api",
        ("api",),
        Decimal(100),
        "",
        "time",
    )
    assert (second.fee_share, second.group, second.window_months) == (Decimal(40), "g", 1)
    assert first.bounds() == [Decimal("99.9"), Decimal("99.0"), Decimal("99.9"), Decimal("99.0")]


def test_components_must_be_covered_by_the_contract_and_the_error_names_the_commitment():
    terms = terms_with(commitment("api", ["api"]), commitment("eu", ["eu-west", "api"]))
    found = errors(terms, components=["api", "web"])
    assert list(found) == ["commitments[1].components"]
    assert "eu-west" in found["commitments[1].components"][0]
    # A contract that lists no components covers the one component "service".
    validate_terms(terms_with(commitment("all", ["service"])), components=["service"])


def test_schema_errors_name_the_path():
    bad = commitment("Bad Key", [], window="year", measure="requests", interval_minutes=7)
    del bad["service_rule"]
    found = errors(terms_with(bad))
    assert "commitments[0].key" in found
    assert "commitments[0].components" in found
    assert "commitments[0].window" in found and "month, quarter" in found["commitments[0].window"][0]
    assert found["commitments[0].service_rule"] == ["This field is required."]
    assert found["commitments[0].interval_minutes"] == ["Must be one of: 1, 5, 10, 15, 30, 60."]


def test_semantic_rules_each_under_their_path():
    terms = terms_with(
        commitment("a", ["api"]),
        commitment("a", ["api"], target_percent="0", fee_share_percent="0"),
        commitment("c", ["api"], request_rule="total_ratio"),
        commitment("e", ["api"], credit_tiers=[]),
    )
    found = errors(terms)
    assert "commitments[1].key" in found
    assert "commitments[1].target_percent" in found
    assert "commitments[1].fee_share_percent" in found
    assert "commitments[2].request_rule" in found
    assert "commitments[3].credit_tiers" in found


def test_a_commitments_tiers_get_the_same_contradiction_checks_as_the_top_level_ones():
    terms = terms_with(
        commitment(
            "a",
            ["api"],
            credit_tiers=[tier("99.0", "99.95", "10"), tier("95.0", "98.0", "5"), tier("90.0", "95.0", "30")],
        )
    )
    found = errors(terms)
    assert "Reaches above the uptime target" in found["commitments[0].credit_tiers[0].upper"][0]
    assert "Leaves a gap" in found["commitments[0].credit_tiers[1].upper"][0]
    assert "commitments[0].credit_tiers[1].percent" in found  # credits must rise as availability falls
    assert "commitments[0].credit_tiers[2].lower" in found  # the lowest tier must reach 0 %


def test_a_monthly_commitment_under_quarterly_reports_is_refused():
    terms = terms_with(commitment("a", ["api"]))
    terms["uptime"]["period"] = "quarter"
    assert "commitments[0].window" in errors(terms)
    terms["commitments"][0]["window"] = "quarter"
    validate_terms(terms)


def test_the_schedule_words_each_commitment():
    terms = terms_with(
        commitment("region", ["eu"], group="ec2", fee_share_percent="50", window="quarter"),
        commitment("instance", ["i-1"], group="ec2", service_rule="all"),
        commitment("actions", ["actions"], measure="requests", request_rule="total_ratio"),
    )
    rows = commitments_wording(terms)
    assert rows[0]["target"] == "99.9 % per calendar quarter"
    assert rows[0]["tiers"][0] == {
        "range": "≥ 99.0 % and < 99.9 %",
        "credit": "10 % of 50 % of the fees for the quarter",
    }
    assert rows[0]["not_cumulative"] == "Not cumulative with Instance: only the largest of these credits is owed."
    assert "all of them are down" in rows[1]["measure"] and rows[1]["tiers"][1]["credit"] == "25 % of the monthly fee"
    assert rows[2]["measure"] == "successful requests over all requests" and rows[2]["not_cumulative"] == ""


@pytest.mark.parametrize("key", ["aws-ec2", "github-enterprise-cloud-features"])
def test_the_html_editor_keeps_the_commitments_it_cannot_edit(key):
    from contracts.diffing import diff_terms
    from contracts.forms import TermsForm
    from contracts.tests.test_playbook_terms import _post_data

    terms = preset_terms(key)
    form = TermsForm(_post_data(TermsForm(terms=terms)), terms=terms)
    assert form.is_valid(), form.errors
    built = form.build_terms()
    assert built["commitments"] == terms["commitments"]
    assert diff_terms(terms, built) == []


def test_the_diff_names_a_changed_commitment():
    from contracts.diffing import diff_terms

    before = terms_with(commitment("api", ["api"]))
    after = copy.deepcopy(before)
    after["commitments"][0]["target_percent"] = "99.5"
    changes = diff_terms(before, after)
    assert changes and any("commitments" in str(change) for change in changes)


def test_a_first_tier_above_the_cap_is_refused_on_its_base():
    terms = terms_with(commitment("q", ["api"], window="quarter", fee_share_percent="50"))
    terms["credit_cap_percent"] = "14"  # 10 % of half a quarter's fee is 15 % of a month's fee
    found = errors(terms)
    assert list(found) == ["commitments[0].credit_tiers[0].percent"]
    terms["credit_cap_percent"] = "15"
    validate_terms(terms)
