"""The JSON Schema of a terms document (also published in the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from contracts.terms.commitments import commitments_schema
from contracts.terms.vocabulary import (
    CHANGE_KINDS,
    CLOCKS,
    ENVIRONMENTS,
    ESCALATION_TRIGGERS,
    METRICS,
    OUTCOMES,
    PARTIES,
    PLAYBOOK_TRIGGERS,
    RACI_LETTERS,
    ROLES,
    SEVERITIES,
    TARGETS,
)

_decimal = {"type": "string", "pattern": r"^\d{1,3}(\.\d{1,4})?$"}
_money = {"type": "string", "pattern": r"^\d{1,12}(\.\d{1,4})?$"}
_hhmm = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$"}
_minutes = {"type": "integer", "minimum": 1, "maximum": 60 * 24 * 365}
_raci_letter = {
    "enum": list(RACI_LETTERS),
    "description": "R responsible, A accountable, C consulted, I informed; empty: not involved.",
}
_raci_role = {
    "type": ["string", "null"],
    "description": "A contact role or a membership role of that side; empty: the party as a whole.",
}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "calendar",
        "targets",
        "pause",
        "workaround",
        "uptime",
        "credit_tiers",
        "credit_cap_percent",
        "claim_window_days",
        "breach_credits",
        "exclusions",
        "escalation",
        "notice_rules",
        "reporting",
        "disputes",
        "termination",
        "metrics",
    ],
    "properties": {
        "calendar": {
            "type": "object",
            "additionalProperties": False,
            "required": ["timezone", "hours"],
            "properties": {
                "timezone": {"type": "string", "minLength": 1},
                "country": {"type": ["string", "null"]},
                "subdivision": {"type": ["string", "null"]},
                "hours": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["weekday", "start", "end"],
                        "properties": {
                            "weekday": {"type": "integer", "minimum": 0, "maximum": 6},
                            "start": _hhmm,
                            "end": _hhmm,
                        },
                    },
                },
                "closures": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["date", "name"],
                        "properties": {"date": {"type": "string", "format": "date"}, "name": {"type": "string"}},
                    },
                },
            },
        },
        "targets": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "severity",
                    "environment",
                    *[f"{t}_minutes" for t in TARGETS],
                    *[f"{t}_clock" for t in TARGETS],
                ],
                "properties": {
                    "severity": {"enum": list(SEVERITIES)},
                    "environment": {"enum": list(ENVIRONMENTS)},
                    **{f"{t}_minutes": _minutes for t in TARGETS},
                    **{f"{t}_clock": {"enum": list(CLOCKS)} for t in TARGETS},
                    # Optional (absent: no such target). Their clocks default to acknowledge_clock.
                    "investigate_minutes": {
                        **_minutes,
                        "description": "From opening to the vendor's first customer-visible update after "
                        "acknowledging (a vendor comment, a workaround proposal or the resolution).",
                    },
                    "investigate_clock": {"enum": list(CLOCKS)},
                    "update_interval_minutes": {
                        **_minutes,
                        "description": "While the incident is open, the longest time (pauses excluded) between "
                        "customer-visible updates, counted from opening; each longer gap is one miss.",
                    },
                    "update_interval_clock": {"enum": list(CLOCKS)},
                },
            },
        },
        "pause": {
            "type": "object",
            "additionalProperties": False,
            "required": ["stops"],
            "properties": {"stops": {"type": "array", "items": {"enum": list(TARGETS)}, "uniqueItems": True}},
        },
        "workaround": {
            "type": "object",
            "additionalProperties": False,
            "required": ["temporary_days"],
            "properties": {"temporary_days": {"type": ["integer", "null"], "minimum": 1}},
        },
        # Optional (absent: by_agreement).
        "severity_changes": {
            "enum": ["by_agreement", "either_party"],
            "description": "Who may lower an incident's severity: by_agreement, the vendor proposes and the "
            "buyer accepts; either_party, either side applies it at once. Raising it always applies at once.",
        },
        # Optional (absent: clocks_from "attribution").
        "attribution": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "clocks_from": {
                    "enum": ["attribution", "opened"],
                    "description": "When the buyer attributes an incident to this contract after fault isolation, "
                    "its clocks start at the attribution (attribution) or when the buyer first opened it (opened).",
                }
            },
        },
        "uptime": {
            "type": "object",
            "additionalProperties": False,
            "required": ["target_percent", "period", "timezone", "downtime_definition", "service_rule"],
            "properties": {
                "target_percent": _decimal,
                "period": {"enum": ["month", "quarter"]},
                "timezone": {"type": "string"},
                "downtime_definition": {"type": "string"},
                "service_rule": {"enum": ["any", "all"]},
                "critical_incidents_count": {"type": "boolean"},
                # Optional (absent from documents written before they existed).
                "unmeasured": {
                    "enum": ["excluded", "available", "unavailable"],
                    "description": "How time without monitoring data counts: left out of the measured time "
                    "(excluded), as up (available) or as down (unavailable). Absent: excluded.",
                },
                "minimum_coverage_percent": {
                    **_decimal,
                    "description": "Share of the period that must have monitoring data for its availability "
                    "to count; below it the period is 'not measured' (neither met nor breached, no automatic "
                    "availability credit, not counted towards termination). Absent: 90.",
                },
                "reconciliation_tolerance_seconds": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 86400,
                    "description": "Counted sources may disagree about a component for this long before the "
                    "interval becomes a discrepancy to reconcile. Absent: 300.",
                },
            },
        },
        "credit_tiers": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["lower", "lower_inclusive", "upper", "upper_inclusive", "percent"],
                "properties": {
                    "lower": {"anyOf": [_decimal, {"type": "null"}]},
                    "lower_inclusive": {"type": "boolean"},
                    "upper": {"anyOf": [_decimal, {"type": "null"}]},
                    "upper_inclusive": {"type": "boolean"},
                    "percent": _decimal,
                },
            },
        },
        "credit_cap_percent": _decimal,
        "claim_window_days": {"type": "integer", "minimum": 1, "maximum": 365},
        # Optional (absent from documents written before they existed): no such cap, no minimum,
        # claims due ``claim_window_days`` after the period.
        "credit_caps": {
            "type": "object",
            "additionalProperties": False,
            "description": "Caps besides credit_cap_percent; the smallest applies. A day of fees is the annual fee / 365.",
            "properties": {
                "period_days": {"type": ["integer", "null"], "minimum": 0, "maximum": 366},
                "year_percent": {
                    "anyOf": [_decimal, {"type": "null"}],
                    "description": "Of the annual fee, per contract year.",
                },
                "year_days": {"type": ["integer", "null"], "minimum": 0, "maximum": 366},
            },
        },
        # Optional (absent: credits are the only remedy; plans follow the defaults below).
        "remedies": {
            "type": "array",
            "maxItems": 20,
            "description": "Remedies besides service credits, owed when their trigger happens in a reporting "
            "period: availability_breach (the period's availability below target), response_breach (an "
            "incident of the listed severities missed a response target).",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["trigger", "kind", "description"],
                "properties": {
                    "trigger": {"enum": ["availability_breach", "response_breach"]},
                    "kind": {
                        "enum": [
                            "service_expansion",
                            "alternative_channel",
                            "executive_escalation",
                            "extra_review",
                            "termination_right",
                        ]
                    },
                    "severities": {"type": "array", "items": {"enum": list(SEVERITIES)}, "uniqueItems": True},
                    "description": {"type": "string", "minLength": 1, "maxLength": 300},
                },
            },
        },
        "corrective_actions": {
            "type": "object",
            "additionalProperties": False,
            "description": "Corrective-action plans: days the responsible party has to file a plan once asked, "
            "and days overdue at which an open action escalates to the next rung of the contract's ladder "
            "(escalation contact, then executive sponsor). Absent: 10 days; 1 and 7 days.",
            "properties": {
                "plan_due_days": {"type": "integer", "minimum": 1, "maximum": 90},
                "escalate_after_days": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0, "maximum": 365},
                    "minItems": 1,
                    "maxItems": 2,
                },
            },
        },
        "credit_minimum": {
            "anyOf": [_money, {"type": "null"}],
            "description": "In the contract currency: a period whose capped credits are below it owes nothing.",
        },
        "claim_deadline": {
            "type": "object",
            "additionalProperties": False,
            "required": ["rule"],
            "description": "When claims are due, at the end of that day in the uptime time zone.",
            "properties": {
                "rule": {"enum": ["days_after_period_end", "end_of_following_month", "end_of_billing_cycle"]},
                "billing_cycles": {"type": "integer", "minimum": 1, "maximum": 12},
            },
        },
        # Optional (absent: no per-event credits). The rules are in reports.event_credits.
        "event_credits": {
            "type": "array",
            "maxItems": 20,
            "description": "A credit for each qualifying event of a period, besides the availability tiers and "
            "the incident breach credits: outage (each counted outage lasting at least min_minutes, credited in "
            "the period it started), maintenance_notice (each maintenance window without the agreed notice), "
            "change_notice (each change notice without the agreed notice). Percent of the period fee per event; "
            "per_period_limit caps the number of events credited in one period; the caps apply to the total.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["event", "percent"],
                "properties": {
                    "event": {"enum": ["outage", "maintenance_notice", "change_notice"]},
                    "percent": _decimal,
                    "min_minutes": {"type": ["integer", "null"], "minimum": 0, "maximum": 60 * 24 * 31},
                    "per_period_limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000},
                },
            },
        },
        "breach_credits": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["severity", "target", "percent"],
                "properties": {
                    "severity": {"enum": list(SEVERITIES)},
                    "target": {"enum": list(TARGETS)},
                    "percent": _decimal,
                },
            },
        },
        "exclusions": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "maintenance_allowance_minutes",
                "maintenance_notice_days",
                "force_majeure",
                "third_party",
                "customer_caused",
            ],
            "properties": {
                "maintenance_allowance_minutes": {"type": "integer", "minimum": 0},
                "maintenance_notice_days": {"type": "integer", "minimum": 0},
                "force_majeure": {"type": "boolean"},
                "third_party": {"type": "boolean"},
                "customer_caused": {"type": "boolean"},
            },
        },
        "escalation": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["level", "contact_role", "trigger", "value"],
                "properties": {
                    "level": {"type": "integer", "minimum": 1, "maximum": 9},
                    "contact_role": {"enum": ["incident_manager", "escalation_contact", "executive_sponsor"]},
                    "trigger": {"enum": list(ESCALATION_TRIGGERS)},
                    "value": {"type": "integer", "minimum": 0, "maximum": 100000},
                },
            },
        },
        "notice_rules": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["change_kind", "days"],
                "properties": {
                    "change_kind": {"enum": list(CHANGE_KINDS)},
                    "days": {"type": "integer", "minimum": 0},
                    "hours": {"type": "integer", "minimum": 0, "maximum": 24 * 366, "description": "Added to days."},
                },
            },
        },
        "reporting": {
            "type": "object",
            "additionalProperties": False,
            "required": ["report_due_day", "retention_days"],
            "properties": {
                "report_due_day": {"type": "integer", "minimum": 1, "maximum": 28},
                "retention_days": {"type": "integer", "minimum": 30},
            },
        },
        "disputes": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["stage", "days"],
                "properties": {
                    "stage": {"type": "string", "minLength": 1},
                    "days": {"type": ["integer", "null"], "minimum": 1},
                },
            },
        },
        "termination": {
            "type": "object",
            "additionalProperties": False,
            "required": ["below_target", "of_last", "consecutive"],
            "properties": {
                "below_target": {"type": "integer", "minimum": 1},
                "of_last": {"type": "integer", "minimum": 1},
                "consecutive": {"type": "boolean"},
                "threshold_percent": {
                    "anyOf": [_decimal, {"type": "null"}],
                    "description": "A period counts when its availability is below this; absent: the uptime target.",
                },
                "exercise_window_days": {
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "maximum": 3650,
                    "description": "Days the buyer has to exercise a raised right; absent: until exercised or waived.",
                },
            },
        },
        "metrics": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["metric", "outcome", "binding"],
                "properties": {
                    "metric": {"enum": list(METRICS)},
                    "outcome": {"enum": list(OUTCOMES)},
                    "binding": {"type": "boolean"},
                },
            },
        },
        # Optional (absent from documents written before they existed).
        "playbook": {
            "type": "array",
            "description": "The incident-response playbook: per severity, the ordered steps each party takes.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["severity", "order", "party", "role", "action", "trigger"],
                "properties": {
                    "severity": {"enum": list(SEVERITIES)},
                    "order": {"type": "integer", "minimum": 1, "maximum": 99},
                    "party": {"enum": list(PARTIES)},
                    "role": {"enum": list(ROLES), "description": "Resolved to people through the contract's contacts."},
                    "action": {"type": "string", "minLength": 1, "maxLength": 500},
                    "trigger": {"enum": list(PLAYBOOK_TRIGGERS)},
                    "value": {
                        "type": ["integer", "null"],
                        "minimum": 1,
                        "maximum": 100,
                        "description": "For share_elapsed: the percentage of the target elapsed.",
                    },
                    "target": {
                        "anyOf": [{"enum": list(TARGETS)}, {"type": "null"}],
                        "description": "For share_elapsed and on_breach: which target's clock.",
                    },
                },
            },
        },
        "raci": {
            "type": "array",
            "description": "Roles and responsibilities: per activity, each party's RACI letter and role.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["activity", "buyer", "vendor"],
                "properties": {
                    "activity": {"type": "string", "minLength": 1, "maxLength": 200},
                    "buyer": _raci_letter,
                    "vendor": _raci_letter,
                    "role_buyer": _raci_role,
                    "role_vendor": _raci_role,
                },
            },
        },
    },
}

# Optional (absent: the single uptime commitment): several service commitments, see contracts.terms.commitments.
SCHEMA["properties"]["commitments"] = commitments_schema(
    decimal=_decimal, tier_item=SCHEMA["properties"]["credit_tiers"]["items"]
)
