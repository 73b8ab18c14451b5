"""Starting points for new contracts. Each is a complete, valid terms document
with realistic values; a buyer picks one and adjusts the draft."""

from __future__ import annotations

import copy
from typing import Any

from contracts.presets_commitments import commitment_presets
from contracts.presets_vendors import vendor_presets

WEEKDAYS_9_TO_6 = [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]
ALL_DAY = [{"weekday": d, "start": "00:00", "end": "00:00"} for d in range(7)]


def _targets(rows: list[tuple[str, str, int, int, int, str]]) -> list[dict[str, Any]]:
    return [
        {
            "severity": sev,
            "environment": env,
            "acknowledge_minutes": ack,
            "restore_minutes": restore,
            "resolve_minutes": resolve,
            "acknowledge_clock": clock,
            "restore_clock": clock,
            "resolve_clock": clock,
        }
        for sev, env, ack, restore, resolve, clock in rows
    ]


_COMMON: dict[str, Any] = {
    "pause": {"stops": ["restore", "resolve"]},
    "workaround": {"temporary_days": 10},
    "claim_window_days": 30,
    "escalation": [
        {"level": 1, "contact_role": "incident_manager", "trigger": "share_elapsed", "value": 50},
        {"level": 2, "contact_role": "escalation_contact", "trigger": "share_elapsed", "value": 90},
        {"level": 3, "contact_role": "executive_sponsor", "trigger": "past_breach", "value": 120},
    ],
    "notice_rules": [
        {"change_kind": "major_release", "days": 30},
        {"change_kind": "minor_release", "days": 7},
        {"change_kind": "security_patch", "days": 1},
        {"change_kind": "emergency", "days": 0},
        {"change_kind": "maintenance", "days": 5},
    ],
    "reporting": {"report_due_day": 5, "retention_days": 730},
    "disputes": [
        {"stage": "Negotiation", "days": 10},
        {"stage": "Executive escalation", "days": 10},
        {"stage": "Mediation", "days": 30},
        {"stage": "Arbitration", "days": None},
    ],
    "termination": {"below_target": 3, "of_last": 3, "consecutive": True},
    "metrics": [
        {"metric": "availability", "outcome": "revenue", "binding": True},
        {"metric": "acknowledge", "outcome": "customer_experience", "binding": True},
        {"metric": "restore", "outcome": "operational_continuity", "binding": True},
        {"metric": "resolve", "outcome": "operational_continuity", "binding": False},
        {"metric": "satisfaction", "outcome": "customer_experience", "binding": False},
    ],
}


def _step(
    severity: str,
    order: int,
    party: str,
    role: str,
    trigger: str,
    action: str,
    value: int | None = None,
    target: str | None = None,
) -> dict[str, Any]:
    return {
        "severity": severity,
        "order": order,
        "party": party,
        "role": role,
        "action": action,
        "trigger": trigger,
        "value": value,
        "target": target,
    }


def _playbook(escalate_at: int) -> list[dict[str, Any]]:
    """Who does what when an incident runs; critical and high in full, medium and low short."""
    steps = [
        _step("critical", 1, "buyer", "operations", "on_open",
              "Confirm the business impact, open the incident in Covenant with the affected component, "
              "and open the bridge call."),
        _step("critical", 2, "vendor", "support_engineer", "on_open",
              "Acknowledge the incident in Covenant and join the bridge call."),
        _step("critical", 3, "buyer", "operations", "on_acknowledge",
              "Give the vendor's engineer logs, access and a reachable contact on the bridge."),
        _step("critical", 4, "vendor", "incident_manager", "on_acknowledge",
              "Post the first status update (scope, suspected cause, next update time) as a comment; "
              "update at least every 30 minutes."),
        _step("critical", 5, "vendor", "escalation_contact", "share_elapsed",
              "Page the vendor's escalation contact; confirm senior engineers are assigned.", escalate_at, "restore"),
        _step("critical", 6, "buyer", "incident_manager", "share_elapsed",
              "Tell the buyer's business owners the impact and the expected restore time.", escalate_at, "restore"),
        _step("critical", 7, "vendor", "executive_sponsor", "on_breach",
              "Call the buyer's executive sponsor with the recovery plan.", None, "restore"),
        _step("high", 1, "buyer", "operations", "on_open",
              "Confirm the impact and open the incident in Covenant with the affected component."),
        _step("high", 2, "vendor", "support_engineer", "on_open",
              "Acknowledge the incident in Covenant and start diagnosis."),
        _step("high", 3, "vendor", "incident_manager", "share_elapsed",
              "Review progress; bring in a second engineer if no workaround is in sight.", 75, "restore"),
        _step("high", 4, "vendor", "escalation_contact", "on_breach",
              "Take over coordination and inform the buyer's incident manager.", None, "restore"),
        _step("medium", 1, "buyer", "operations", "on_open",
              "Open the incident in Covenant with steps to reproduce."),
        _step("medium", 2, "vendor", "support_engineer", "on_open",
              "Acknowledge the incident and triage it."),
        _step("low", 1, "buyer", "operations", "on_open",
              "Open the incident in Covenant with steps to reproduce."),
        _step("low", 2, "vendor", "support_engineer", "on_open",
              "Acknowledge the incident and plan the fix."),
    ]  # fmt: skip
    return steps


def _raci(credits_role: str) -> list[dict[str, Any]]:
    def row(activity: str, buyer: str, role_buyer: str, vendor: str, role_vendor: str) -> dict[str, Any]:
        return {
            "activity": activity,
            "buyer": buyer,
            "vendor": vendor,
            "role_buyer": role_buyer,
            "role_vendor": role_vendor,
        }

    return [
        row("Raise incidents", "A", "operations", "I", "support_engineer"),
        row("Acknowledge incidents", "I", "operations", "A", "support_engineer"),
        row("Approve workarounds", "A", "operations", "R", "support_engineer"),
        row("Escalate to management", "I", "incident_manager", "A", "escalation_contact"),
        row("Approve maintenance windows", "A", "contract_manager", "R", "account_manager"),
        row("Sign service reviews", "A", "contract_manager", "R", "account_manager"),
        row("Approve service credits", "R", credits_role, "A", "account_manager"),
    ]


PRESETS: dict[str, dict[str, Any]] = {
    "enterprise-24x7": {
        "label": "Enterprise 24x7",
        "description": "Round-the-clock coverage, 99.95 % monthly uptime, tiered credits capped at 30 %.",
        "terms": {
            **_COMMON,
            "calendar": {"timezone": "UTC", "country": None, "subdivision": None, "hours": ALL_DAY, "closures": []},
            "targets": _targets(
                [
                    ("critical", "production", 15, 240, 1440, "24x7"),
                    ("high", "production", 30, 480, 2880, "24x7"),
                    ("medium", "production", 120, 1440, 7200, "24x7"),
                    ("low", "production", 480, 4320, 20160, "24x7"),
                    ("critical", "non_production", 60, 960, 4320, "24x7"),
                    ("high", "non_production", 120, 1440, 7200, "24x7"),
                    ("medium", "non_production", 480, 4320, 14400, "24x7"),
                    ("low", "non_production", 1440, 10080, 40320, "24x7"),
                ]
            ),
            "uptime": {
                "target_percent": "99.95",
                "period": "month",
                "timezone": "UTC",
                "downtime_definition": "Any minute in which the independent monitor records the production service "
                "as unavailable from two or more probe locations.",
                "service_rule": "any",
                "critical_incidents_count": True,
            },
            "credit_tiers": [
                {"lower": "99.0", "lower_inclusive": True, "upper": "99.95", "upper_inclusive": False, "percent": "5"},
                {"lower": "98.0", "lower_inclusive": True, "upper": "99.0", "upper_inclusive": False, "percent": "10"},
                {"lower": "95.0", "lower_inclusive": True, "upper": "98.0", "upper_inclusive": False, "percent": "20"},
                {"lower": None, "lower_inclusive": True, "upper": "95.0", "upper_inclusive": False, "percent": "30"},
            ],
            "credit_cap_percent": "30",
            "breach_credits": [
                {"severity": "critical", "target": "restore", "percent": "2"},
                {"severity": "high", "target": "restore", "percent": "1"},
            ],
            "exclusions": {
                "maintenance_allowance_minutes": 240,
                "maintenance_notice_days": 5,
                "force_majeure": True,
                "third_party": True,
                "customer_caused": True,
            },
            "playbook": _playbook(50),
            "raci": _raci("contract_manager"),
        },
    },
    "business-hours": {
        "label": "Business hours standard",
        "description": "Mon-Fri 09:00-18:00 in the buyer's zone with public holidays, 99.5 % monthly uptime.",
        "terms": {
            **_COMMON,
            "calendar": {
                "timezone": "Europe/Berlin",
                "country": "DE",
                "subdivision": "BE",
                "hours": WEEKDAYS_9_TO_6,
                "closures": [{"date": "2026-12-24", "name": "Christmas Eve"}],
            },
            "targets": _targets(
                [
                    ("critical", "production", 30, 480, 2400, "coverage"),
                    ("high", "production", 60, 960, 4800, "coverage"),
                    ("medium", "production", 240, 2400, 9600, "coverage"),
                    ("low", "production", 480, 4800, 19200, "coverage"),
                    ("critical", "non_production", 120, 1440, 4800, "coverage"),
                    ("high", "non_production", 240, 2400, 9600, "coverage"),
                    ("medium", "non_production", 480, 4800, 19200, "coverage"),
                    ("low", "non_production", 960, 9600, 28800, "coverage"),
                ]
            ),
            "uptime": {
                "target_percent": "99.5",
                "period": "month",
                "timezone": "Europe/Berlin",
                "downtime_definition": "Any minute in which the production service fails its health check.",
                "service_rule": "any",
                "critical_incidents_count": False,
            },
            "credit_tiers": [
                {"lower": "99.0", "lower_inclusive": False, "upper": "99.5", "upper_inclusive": False, "percent": "3"},
                {"lower": "97.0", "lower_inclusive": False, "upper": "99.0", "upper_inclusive": True, "percent": "7"},
                {"lower": None, "lower_inclusive": True, "upper": "97.0", "upper_inclusive": True, "percent": "15"},
            ],
            "credit_cap_percent": "15",
            "breach_credits": [],
            "exclusions": {
                "maintenance_allowance_minutes": 480,
                "maintenance_notice_days": 3,
                "force_majeure": True,
                "third_party": True,
                "customer_caused": True,
            },
            "playbook": _playbook(75),
            "raci": _raci("contract_manager"),
        },
    },
}


PRESETS.update(
    vendor_presets(enterprise=PRESETS["enterprise-24x7"]["terms"], business_hours=PRESETS["business-hours"]["terms"])
)
PRESETS.update(commitment_presets(enterprise=PRESETS["enterprise-24x7"]["terms"]))


def preset_terms(key: str) -> dict[str, Any]:
    return copy.deepcopy(PRESETS[key]["terms"])


def preset_choices() -> list[tuple[str, str]]:
    return [(key, p["label"]) for key, p in PRESETS.items()]
