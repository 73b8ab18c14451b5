"""Presets that restate a vendor's published SLA: its uptime commitment, measurement window,
credit tiers, caps and claim deadline, clause by clause, as far as a terms document can hold
them. What a published SLA does not cover (incident targets, escalation, playbook, disputes,
reporting) comes from the Covenant template each preset starts from, and the buyer adjusts it.

Where a published text is ambiguous or has a gap, the comment beside the value says which
reading the preset takes and why. Clauses a terms document cannot hold are listed in
``NOT_EXPRESSED``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def _tier(lower: str | None, lower_inclusive: bool, upper: str, upper_inclusive: bool, percent: str) -> dict[str, Any]:
    return {
        "lower": lower,
        "lower_inclusive": lower_inclusive,
        "upper": upper,
        "upper_inclusive": upper_inclusive,
        "percent": percent,
    }


# GitHub Enterprise Cloud SLA ("Online Services" uptime, Issues, Pull Requests, Git operations,
# API requests, Webhooks, Pages): "at least 99.9 % Uptime" per calendar quarter, Uptime =
# (total minutes in the quarter - Downtime) / total minutes; credits of the amount paid for the
# quarter: 10 % when Uptime is "less than or equal to 99.9 %, but greater than 99.0 %", 25 % when
# "less than 99.0 %"; a claim is made within 30 days after the quarter.
_GITHUB_TIERS = [
    # The credit text says "<= 99.9 %", the commitment "at least 99.9 %": exactly 99.9 % both meets
    # the commitment and sits in the 10 % band. Covenant never pays a credit for a period that meets
    # its target, so exactly 99.9 % is met and pays nothing (the commitment wins).
    # The text also leaves exactly 99.0 % in neither band ("> 99.0" and "< 99.0"); Covenant allows no
    # gap between tiers, so 99.0 % joins the 10 % band, the band whose wording ("not above 99.9 %")
    # it already satisfies.
    _tier("99.0", True, "99.9", False, "10"),
    _tier(None, True, "99.0", False, "25"),
]


# Atlassian Cloud SLA (Premium and Enterprise plans), Appendix B: credits of the monthly fee for
# the affected product when the monthly uptime percentage is below the commitment but at least
# 99.0 %: 10 %; below 99.0 % but at least 95.0 %: 25 %; below 95.0 %: 50 %. Uptime = 100 % minus
# the share of Downtime Minutes in the calendar month, months measured in UTC. A claim is made
# within 15 days after the end of the month. The credits applied to an invoice never exceed 100 %
# of it (never reached: the largest tier is 50 %).
def _atlassian_tiers(target: str) -> list[dict[str, Any]]:
    return [
        _tier("99.0", True, target, False, "10"),
        _tier("95.0", True, "99.0", False, "25"),
        _tier(None, True, "95.0", False, "50"),
    ]


_VENDOR_EXCLUSIONS_NO_MAINTENANCE = {
    # Neither SLA excludes a maintenance allowance from the uptime figure; both exclude force
    # majeure and the customer's own acts and equipment.
    "maintenance_allowance_minutes": 0,
    "maintenance_notice_days": 0,
    "force_majeure": True,
    "third_party": True,
    "customer_caused": True,
}


def _vendor_uptime(*, target: str, period: str, definition: str) -> dict[str, Any]:
    return {
        "target_percent": target,
        "period": period,
        "timezone": "UTC",
        "downtime_definition": definition,
        "service_rule": "any",
        "critical_incidents_count": False,
        # The vendor's formula divides by every minute of the period and counts only Downtime
        # against it: a minute nobody measured is up, and every period has a figure.
        "unmeasured": "available",
        "minimum_coverage_percent": "0",
    }


def _github(base: Mapping[str, Any]) -> dict[str, Any]:
    terms = copy.deepcopy(dict(base))
    terms.update(
        uptime=_vendor_uptime(
            target="99.9",
            period="quarter",
            definition="A minute in which the error rate of any service feature (issues, pull requests, Git "
            "operations, API requests, webhooks, Pages) exceeds 5 %, or in which the service is unavailable "
            "as determined by the vendor's internal and external monitoring.",
        ),
        credit_tiers=_GITHUB_TIERS,
        credit_cap_percent="25",  # no cap is published beyond the largest band
        breach_credits=[],
        claim_window_days=30,
        claim_deadline={"rule": "days_after_period_end"},
        exclusions=dict(_VENDOR_EXCLUSIONS_NO_MAINTENANCE),
    )
    terms.pop("credit_caps", None)
    terms.pop("credit_minimum", None)
    return terms


def _atlassian(base: Mapping[str, Any], *, target: str) -> dict[str, Any]:
    terms = copy.deepcopy(dict(base))
    terms.update(
        uptime=_vendor_uptime(
            target=target,
            period="month",
            definition="A minute in which more than 5 % of the customer's requests to the covered browser "
            "experiences (site access; viewing, creating and editing issues, pages and requests) fail, as "
            "recorded by the vendor's monitoring.",
        ),
        credit_tiers=_atlassian_tiers(target),
        credit_cap_percent="100",
        breach_credits=[],
        claim_window_days=15,
        claim_deadline={"rule": "days_after_period_end"},
        exclusions=dict(_VENDOR_EXCLUSIONS_NO_MAINTENANCE),
    )
    terms.pop("credit_caps", None)
    terms.pop("credit_minimum", None)
    return terms


def _small_saas(base: Mapping[str, Any]) -> dict[str, Any]:
    """A typical small SaaS vendor's order form: 99.5 % a month, four credit bands, a yearly
    cap, no credit below 50.00 in the contract currency, claims by the end of the following month, and the buyer may
    terminate when three of the last six months fall below 99.0 % (not necessarily in a row),
    within 30 days of the third such month's report."""
    terms = copy.deepcopy(dict(base))
    terms["uptime"] = {**terms["uptime"], "target_percent": "99.5"}
    terms.update(
        credit_tiers=[
            _tier("99.0", True, "99.5", False, "5"),
            _tier("98.0", True, "99.0", False, "10"),
            _tier("95.0", True, "98.0", False, "20"),
            _tier(None, True, "95.0", False, "30"),
        ],
        credit_cap_percent="30",
        credit_caps={"period_days": None, "year_percent": "10", "year_days": None},
        credit_minimum="50.00",
        claim_deadline={"rule": "end_of_following_month"},
        termination={
            "below_target": 3,
            "of_last": 6,
            "consecutive": False,
            "threshold_percent": "99.0",
            "exercise_window_days": 30,
        },
    )
    return terms


def vendor_presets(*, enterprise: Mapping[str, Any], business_hours: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The vendor presets, built on the two Covenant templates' terms (passed in, so this
    module does not import the one that lists it)."""
    return {
        "github-enterprise-cloud": {
            "label": "GitHub Enterprise Cloud (published SLA)",
            "description": "99.9 % uptime per calendar quarter; 10 % of the quarter's fee below 99.9 %, 25 % "
            "below 99.0 %; claims within 30 days. Incident targets from Enterprise 24x7.",
            "terms": _github(enterprise),
        },
        "atlassian-cloud-premium": {
            "label": "Atlassian Cloud Premium (published SLA)",
            "description": "99.9 % monthly uptime (UTC); 10 % below 99.9 %, 25 % below 99.0 %, 50 % below "
            "95.0 %; claims within 15 days. Incident targets from Enterprise 24x7.",
            "terms": _atlassian(enterprise, target="99.9"),
        },
        "atlassian-cloud-enterprise": {
            "label": "Atlassian Cloud Enterprise (published SLA)",
            "description": "99.95 % monthly uptime (UTC); 10 % below 99.95 %, 25 % below 99.0 %, 50 % below "
            "95.0 %; claims within 15 days. Incident targets from Enterprise 24x7.",
            "terms": _atlassian(enterprise, target="99.95"),
        },
        "small-saas-99-5": {
            "label": "Small SaaS vendor, 99.5 % with termination",
            "description": "99.5 % monthly uptime, credits 5-30 % capped at 10 % of the annual fee, none below "
            "50.00; the buyer may terminate after 3 of 6 months below 99.0 %, within 30 days.",
            "terms": _small_saas(business_hours),
        },
    }


# Published clauses a terms document cannot hold today: the buyer records them in the
# contract's documents (they bind there, not through Covenant's figures).
NOT_EXPRESSED: dict[str, list[str]] = {
    "github-enterprise-cloud": [
        "Credits per service feature, of the amount paid for that feature: this preset keeps one uptime "
        "commitment credited on the whole fee; the per-feature preset (github-enterprise-cloud-features) "
        "restates them as service commitments.",
        "GitHub Actions and Packages measure uptime by executions and requests, not minutes.",
        "Exactly 99.9 % is 'met' here although the credit wording includes it (see the preset).",
        "The SLA grants no termination right; the terms keep the template's rule.",
    ],
    "atlassian-cloud-premium": [
        "Only browser experiences are covered (integrations, API and mobile are not): recorded as the "
        "downtime definition, not enforced on outages.",
        "The 100 % cap applies to the invoice the credit is applied to, not the affected month.",
        "The SLA grants no termination right; the terms keep the template's rule.",
    ],
    "atlassian-cloud-enterprise": [
        "Only browser experiences are covered (integrations, API and mobile are not): recorded as the "
        "downtime definition, not enforced on outages.",
        "The 100 % cap applies to the invoice the credit is applied to, not the affected month.",
        "The SLA grants no termination right; the terms keep the template's rule.",
    ],
    "small-saas-99-5": [],
}
