"""The vendor presets say what their published SLAs say: target, window, time zone, claim rule,
and the words a buyer reads on the create page agree with the terms behind them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contracts.presets import PRESETS, preset_terms
from contracts.presets_vendors import NOT_EXPRESSED
from contracts.terms import Terms, validate_terms

PUBLISHED = {
    # key: (target, window, zone, claim days, claim rule, tier table as (lower, upper, percent))
    "github-enterprise-cloud": (
        "99.9",
        "quarter",
        "UTC",
        30,
        "days_after_period_end",
        [("99.0", "99.9", "10"), (None, "99.0", "25")],
    ),
    "atlassian-cloud-premium": (
        "99.9",
        "month",
        "UTC",
        15,
        "days_after_period_end",
        [("99.0", "99.9", "10"), ("95.0", "99.0", "25"), (None, "95.0", "50")],
    ),
    "atlassian-cloud-enterprise": (
        "99.95",
        "month",
        "UTC",
        15,
        "days_after_period_end",
        [("99.0", "99.95", "10"), ("95.0", "99.0", "25"), (None, "95.0", "50")],
    ),
}


@pytest.mark.parametrize("key", sorted(PUBLISHED))
def test_it_restates_the_published_commitment(key: str) -> None:
    target, window, zone, days, rule, tiers = PUBLISHED[key]
    terms = preset_terms(key)
    validate_terms(terms)
    uptime = terms["uptime"]
    assert (uptime["target_percent"], uptime["period"], uptime["timezone"]) == (target, window, zone)
    assert (terms["claim_window_days"], terms["claim_deadline"]["rule"]) == (days, rule)
    # "below X but at least Y": every band includes its lower bound and excludes its upper one.
    assert [(t["lower"], t["upper"], t["percent"]) for t in terms["credit_tiers"]] == tiers
    assert all(t["lower_inclusive"] and not t["upper_inclusive"] for t in terms["credit_tiers"])
    # The vendor divides by every minute of the window: unmonitored time is up, every period has a figure.
    assert (uptime["unmeasured"], uptime["minimum_coverage_percent"]) == ("available", "0")
    assert terms["breach_credits"] == [] and "credit_minimum" not in terms
    assert Terms(terms).uptime_target == Decimal(target)
    assert target in PRESETS[key]["description"] and NOT_EXPRESSED[key]


def test_the_small_saas_preset_has_its_termination_caps_and_minimum() -> None:
    terms = preset_terms("small-saas-99-5")
    validate_terms(terms)
    assert terms["termination"] == {
        "below_target": 3,
        "of_last": 6,
        "consecutive": False,
        "threshold_percent": "99.0",
        "exercise_window_days": 30,
    }
    assert terms["credit_caps"]["year_percent"] == "10" and terms["credit_minimum"] == "50.00"
    assert terms["claim_deadline"] == {"rule": "end_of_following_month"}
    assert terms["uptime"]["target_percent"] == "99.5"


def test_the_vendor_presets_leave_the_templates_they_start_from_unchanged() -> None:
    assert preset_terms("enterprise-24x7")["uptime"]["target_percent"] == "99.95"
    assert preset_terms("business-hours")["uptime"]["target_percent"] == "99.5"
    assert "credit_caps" not in preset_terms("business-hours")
    assert preset_terms("business-hours")["termination"] == {"below_target": 3, "of_last": 3, "consecutive": True}
