"""Presets whose published SLA makes several service commitments in one agreement, each restated
as a terms ``commitments`` entry (its components, target, window, tiers and credit base).

The contract must list the components each preset names (``COMPONENTS``); the terms are refused
otherwise, naming ``commitments[i].components``. Where a published text is ambiguous, the comment
beside the value says which reading the preset takes. Clauses a terms document cannot hold are in
``NOT_EXPRESSED``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from contracts.presets_vendors import _VENDOR_EXCLUSIONS_NO_MAINTENANCE, _tier, _vendor_uptime

__all__ = ["COMPONENTS", "NOT_EXPRESSED", "commitment_presets"]


# Amazon Compute SLA (EC2, EBS, ECS, Fargate): a Region-Level SLA, "a Monthly Uptime Percentage of
# at least 99.99 %" for services deployed across two or more AZs, and an Instance-Level SLA for each
# EC2 instance, "at least 99.5 %". Both credit a percentage of the charges for the included service
# in the affected region for the monthly billing cycle: "less than [target] but equal to or greater
# than 99.0 %": 10 %; "less than 99.0 % but equal to or greater than 95.0 %": 30 %; "less than
# 95.0 %": 100 %. Claims by the end of the second billing cycle after the incident.
def _aws_tiers(target: str) -> list[dict[str, Any]]:
    return [
        _tier("99.0", True, target, False, "10"),
        _tier("95.0", True, "99.0", False, "30"),
        _tier(None, True, "95.0", False, "100"),
    ]


def _aws_ec2(base: Mapping[str, Any]) -> dict[str, Any]:
    terms = copy.deepcopy(dict(base))
    terms.update(
        uptime=_vendor_uptime(
            target="99.99",
            period="month",
            definition="Region unavailable: more than one Availability Zone in which the customer runs "
            "instances in the region is unavailable. Instance unavailable: the instance has no external "
            "connectivity.",
        ),
        # The commitments pay the credits; the contract-level figure is reported and judges termination.
        credit_tiers=[],
        credit_cap_percent="100",
        breach_credits=[],
        claim_window_days=30,
        claim_deadline={"rule": "end_of_billing_cycle", "billing_cycles": 2},
        exclusions=dict(_VENDOR_EXCLUSIONS_NO_MAINTENANCE),
        commitments=[
            {
                "key": "region",
                "name": "Region-Level SLA",
                "components": ["ec2-region"],
                "target_percent": "99.99",
                "window": "month",
                "service_rule": "any",
                "credit_tiers": _aws_tiers("99.99"),
                "fee_share_percent": "100",
                # The same unavailability earns the region-level or the instance-level credit, not
                # both: the larger is owed (the reading of "may not receive a credit under both").
                "group": "ec2",
            },
            {
                "key": "instance",
                "name": "Instance-Level SLA",
                "components": ["ec2-instance"],
                "target_percent": "99.5",
                "window": "month",
                "service_rule": "any",
                "credit_tiers": _aws_tiers("99.5"),
                "fee_share_percent": "100",
                "group": "ec2",
            },
        ],
    )
    terms.pop("credit_caps", None)
    terms.pop("credit_minimum", None)
    return terms


# GitHub Enterprise Cloud SLA, per Service Feature: "10 % of the amount Customer paid for a Service
# Feature in a calendar quarter where the Uptime for that Service Feature was less than or equal to
# 99.9 %, but greater than 99.0 %", "25 % ... less than 99.0 %". Issues, Pull Requests, Git
# Operations, API Requests, Webhooks and Pages count minutes; Actions counts executions and
# Packages transactions (request-based: successful over all).
_GITHUB_FEATURES = [
    ("issues", "Issues", "time"),
    ("pull-requests", "Pull Requests", "time"),
    ("git-operations", "Git Operations", "time"),
    ("api-requests", "API Requests", "time"),
    ("webhooks", "Webhooks", "time"),
    ("pages", "Pages", "time"),
    ("actions", "Actions", "requests"),
    ("packages", "Packages", "requests"),
]
# The amount paid per feature is not itemised on a GitHub invoice: the preset splits the fee evenly
# (12.5 % each); the parties set each feature's share in the draft.
_GITHUB_SHARE = "12.5"
# The same readings as the single-commitment preset: exactly 99.9 % meets "at least 99.9 %" and
# pays nothing; exactly 99.0 % joins the 10 % band (the text leaves it in neither).
_GITHUB_FEATURE_TIERS = [_tier("99.0", True, "99.9", False, "10"), _tier(None, True, "99.0", False, "25")]


def _github_features(base: Mapping[str, Any]) -> dict[str, Any]:
    terms = copy.deepcopy(dict(base))
    commitments = []
    for key, name, measure in _GITHUB_FEATURES:
        row: dict[str, Any] = {
            "key": key,
            "name": name,
            "components": [key],
            "target_percent": "99.9",
            "window": "quarter",
            "service_rule": "any",
            "credit_tiers": copy.deepcopy(_GITHUB_FEATURE_TIERS),
            "fee_share_percent": _GITHUB_SHARE,
            "measure": measure,
        }
        if measure == "requests":
            # All executions over the quarter; hourly readings, so tallies of any interval up to an hour count.
            row.update(request_rule="total_ratio", interval_minutes=60)
        commitments.append(row)
    terms.update(
        uptime=_vendor_uptime(
            target="99.9",
            period="quarter",
            definition="A minute in which the error rate of the feature exceeds 5 %, or in which the service "
            "is unavailable as determined by the vendor's internal and external monitoring.",
        ),
        credit_tiers=[],
        credit_cap_percent="25",
        breach_credits=[],
        claim_window_days=30,
        claim_deadline={"rule": "days_after_period_end"},
        exclusions=dict(_VENDOR_EXCLUSIONS_NO_MAINTENANCE),
        commitments=commitments,
    )
    terms.pop("credit_caps", None)
    terms.pop("credit_minimum", None)
    return terms


COMPONENTS: dict[str, list[str]] = {
    "aws-ec2": ["ec2-region", "ec2-instance"],
    "github-enterprise-cloud-features": [key for key, _, _ in _GITHUB_FEATURES],
}


def commitment_presets(*, enterprise: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The multi-commitment presets, on the Enterprise 24x7 template's terms (passed in)."""
    return {
        "aws-ec2": {
            "label": "AWS Compute / EC2 (published SLA, region and instance)",
            "description": "Region-level 99.99 % and instance-level 99.5 % a month; 10 % / 30 % / 100 % of the "
            "month's EC2 charges, the larger of the two only; claims by the end of the second billing cycle. "
            "Components: ec2-region, ec2-instance.",
            "terms": _aws_ec2(enterprise),
        },
        "github-enterprise-cloud-features": {
            "label": "GitHub Enterprise Cloud, per feature (published SLA)",
            "description": "99.9 % per feature per calendar quarter (Issues, Pull Requests, Git operations, API "
            "requests, Webhooks, Pages by minutes; Actions and Packages by requests); 10 % / 25 % of the "
            "feature's share of the quarter's fee (12.5 % each unless agreed otherwise).",
            "terms": _github_features(enterprise),
        },
    }


NOT_EXPRESSED: dict[str, list[str]] = {
    "aws-ec2": [
        "The Region-Level SLA applies only when every running instance is deployed across two or more "
        "Availability Zones: whether a deployment qualifies is for the parties to record, not checked.",
        "Credits are issued only when the credit for a billing cycle is greater than USD 1: not set "
        "(the contract currency may differ).",
        "Credits apply to the affected region's charges for each included service (EC2, EBS, ECS, "
        "Fargate); here one credit base per commitment, the share of the contract fee agreed.",
    ],
    "github-enterprise-cloud-features": [
        "The amount paid per feature is not itemised: the preset splits the fee evenly.",
        "Actions and Packages are measured by executions and transactions (measure: requests): their "
        "figure needs request counts recorded for the contract.",
        "Exactly 99.9 % is 'met' here although the credit wording includes it.",
        "The SLA grants no termination right; the terms keep the template's rule.",
    ],
}
