"""The SLA terms document: its JSON Schema, its semantic rules and a typed view.

Pure Python (no Django). The same schema validates the API, the edit form and
seeded presets, and is published in the OpenAPI document. Every error names its
field path (``targets[0].restore_minutes``) and the rule it broke.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

import jsonschema

from contracts.calendars import CalendarError, Closure, CoverageCalendar, Shift, validate_calendar

SEVERITIES = ("critical", "high", "medium", "low")
ENVIRONMENTS = ("production", "non_production")
TARGETS = ("acknowledge", "restore", "resolve")
CLOCKS = ("24x7", "coverage")
CHANGE_KINDS = ("major_release", "minor_release", "security_patch", "emergency", "maintenance")
METRICS = ("availability", "acknowledge", "restore", "resolve", "satisfaction")
OUTCOMES = ("revenue", "customer_experience", "regulatory_compliance", "operational_continuity")
ESCALATION_TRIGGERS = ("share_elapsed", "breach", "past_breach")
PARTIES = ("buyer", "vendor")
# Who carries out a playbook step or holds a RACI letter: a contract contact role
# (either side) or a membership role of that side's organization.
CONTACT_ROLES = ("incident_manager", "escalation_contact", "executive_sponsor", "billing")
MEMBER_ROLES = {"buyer": ("contract_manager", "operations"), "vendor": ("account_manager", "support_engineer")}
PARTY_ROLES = {party: (*CONTACT_ROLES, *MEMBER_ROLES[party]) for party in PARTIES}
ROLES = (*CONTACT_ROLES, *MEMBER_ROLES["buyer"], *MEMBER_ROLES["vendor"])
PLAYBOOK_TRIGGERS = ("on_open", "on_acknowledge", "share_elapsed", "on_breach")
RACI_LETTERS = ("R", "A", "C", "I", "")

_decimal = {"type": "string", "pattern": r"^\d{1,3}(\.\d{1,4})?$"}
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
                "properties": {"change_kind": {"enum": list(CHANGE_KINDS)}, "days": {"type": "integer", "minimum": 0}},
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


class TermsError(ValueError):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "terms"


def _dec(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the schema pattern already refuses these
        return None


def validate_terms(data: Any) -> None:
    """Raise TermsError with every problem, each under its field path."""
    errors: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = _path(error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else error.message
            message = "This field is required."
            if path.startswith("playbook[") and missing == "role":
                message = "A step needs a role: the contact or membership role that carries it out."
            add(f"{path}.{missing}" if path != "terms" else missing, message)
        elif error.validator == "pattern":
            add(path, "Must be a number such as 99.9 (up to 4 decimals).") if "\\d" in str(
                error.validator_value
            ) else add(path, "Must be a time as HH:MM (00:00 to 23:59).")
        elif error.validator == "enum":
            add(path, f"Must be one of: {', '.join(str(v) if v != '' else '(empty)' for v in error.validator_value)}.")
        else:
            add(path, error.message)
    if errors:
        raise TermsError(errors)

    # Semantic rules the schema cannot express.
    try:
        validate_calendar(calendar_of(data))
    except CalendarError as exc:
        # The engine's messages start with the field ("country: ...", "shifts[2].end: ...").
        head = str(exc).split(":", 1)[0].strip()
        field = (
            re.sub(r"^shifts", "hours", head).replace(".day", ".date") if re.match(r"^[a-z_\[\]0-9.]+$", head) else ""
        )
        add(f"calendar.{field or 'timezone'}", str(exc))
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(data["uptime"]["timezone"])
    except Exception:
        add("uptime.timezone", f"Unknown time zone '{data['uptime']['timezone']}'.")

    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(data["targets"]):
        key = (row["severity"], row["environment"])
        if key in seen:
            add(f"targets[{i}]", f"Duplicate row for {key[0]} / {key[1]}.")
        seen.add(key)
        if not row["acknowledge_minutes"] <= row["restore_minutes"] <= row["resolve_minutes"]:
            add(f"targets[{i}].restore_minutes", "Targets must be ordered: acknowledge <= restore <= resolve.")

    _check_tiers(data["credit_tiers"], add)
    cap = _dec(data["credit_cap_percent"])
    if cap is not None and not Decimal(0) <= cap <= Decimal(100):
        add("credit_cap_percent", "The cap must be between 0 and 100 %.")
    target = _dec(data["uptime"]["target_percent"])
    if target is not None and not Decimal(0) < target <= Decimal(100):
        add("uptime.target_percent", "The uptime target must be greater than 0 and at most 100 %.")
    for i, row in enumerate(data["breach_credits"]):
        if (_dec(row["percent"]) or 0) > 100:
            add(f"breach_credits[{i}].percent", "Must be at most 100 %.")
    term = data["termination"]
    if term["below_target"] > term["of_last"]:
        add("termination.below_target", "Cannot exceed the number of periods looked at (of_last).")
    levels = [row["level"] for row in data["escalation"]]
    if len(levels) != len(set(levels)):
        add("escalation", "Each escalation level may appear once.")
    for i, row in enumerate(data["escalation"]):
        if row["trigger"] == "share_elapsed" and not 1 <= row["value"] <= 100:
            add(f"escalation[{i}].value", "A share of the target elapsed is a percentage from 1 to 100.")
    kinds = [row["change_kind"] for row in data["notice_rules"]]
    if len(kinds) != len(set(kinds)):
        add("notice_rules", "Each change kind may have one notice rule.")
    metrics = [row["metric"] for row in data["metrics"]]
    if len(metrics) != len(set(metrics)):
        add("metrics", "Each metric may be listed once.")
    _check_playbook(data.get("playbook") or [], add)
    _check_raci(data.get("raci") or [], add)
    if errors:
        raise TermsError(errors)


def _role_label(role: str) -> str:
    return role.replace("_", " ")


def _check_playbook(steps: list[dict[str, Any]], add: Any) -> None:
    seen: set[tuple[str, int]] = set()
    for i, step in enumerate(steps):
        where = f"playbook[{i}]"
        key = (step["severity"], step["order"])
        if key in seen:
            add(f"{where}.order", f"Step {key[1]} of the {key[0]} playbook appears twice.")
        seen.add(key)
        if step["role"] not in PARTY_ROLES[step["party"]]:
            allowed = ", ".join(_role_label(r) for r in PARTY_ROLES[step["party"]])
            add(f"{where}.role", f"A {step['party']} step needs a {step['party']}-side role: {allowed}.")
        trigger, value, target = step["trigger"], step.get("value"), step.get("target")
        if trigger == "share_elapsed" and value is None:
            add(f"{where}.value", "Give the share of the target elapsed, as a percentage from 1 to 100.")
        if trigger != "share_elapsed" and value is not None:
            add(f"{where}.value", "Only a step triggered by a share of the target elapsed takes a value.")
        if trigger in ("share_elapsed", "on_breach") and target is None:
            add(f"{where}.target", "Name the target (acknowledge, restore or resolve) whose clock triggers the step.")
        if trigger in ("on_open", "on_acknowledge") and target is not None:
            add(f"{where}.target", "Only share-elapsed and breach steps name a target.")


def _check_raci(rows: list[dict[str, Any]], add: Any) -> None:
    seen: set[str] = set()
    for i, row in enumerate(rows):
        name = row["activity"].strip().lower()
        if not name:
            add(f"raci[{i}].activity", "Name the activity.")
        elif name in seen:
            add(f"raci[{i}].activity", f"The activity '{row['activity'].strip()}' is listed twice.")
        seen.add(name)
        for party in PARTIES:
            role = row.get(f"role_{party}") or ""
            if role and role not in PARTY_ROLES[party]:
                allowed = ", ".join(_role_label(r) for r in PARTY_ROLES[party])
                add(f"raci[{i}].role_{party}", f"A {party} role is one of: {allowed}.")


def raci_flags(row: Mapping[str, Any]) -> list[str]:
    """What is wrong with one RACI row as agreed (not refused: shown as a flag).
    Exactly one party must be accountable."""
    accountable = [party for party in PARTIES if row.get(party) == "A"]
    if not accountable:
        return ["Nobody is accountable."]
    if len(accountable) > 1:
        return ["Both parties are accountable: accountability must rest with one."]
    return []


def _check_tiers(tiers: list[dict[str, Any]], add: Any) -> None:
    """Tiers must not overlap, must be listed from the highest availability
    band down, and the credit must rise as availability falls."""
    prev: dict[str, Any] | None = None
    for i, tier in enumerate(tiers):
        lower, upper, pct = _dec(tier["lower"]), _dec(tier["upper"]), _dec(tier["percent"])
        for name, value in (("lower", lower), ("upper", upper), ("percent", pct)):
            if value is not None and not Decimal(0) <= value <= Decimal(100):
                add(f"credit_tiers[{i}].{name}", "Must be between 0 and 100.")
        if lower is None and upper is None:
            add(f"credit_tiers[{i}]", "A tier needs at least one bound.")
        if (
            lower is not None
            and upper is not None
            and (lower > upper or (lower == upper and not (tier["lower_inclusive"] and tier["upper_inclusive"])))
        ):
            add(f"credit_tiers[{i}].lower", "The lower bound must be below the upper bound.")
        if prev is not None:
            p_lower = _dec(prev["lower"])
            if p_lower is None or upper is None:
                add(f"credit_tiers[{i}]", "Tiers must be strictly ordered from the highest availability band down.")
            elif upper > p_lower or (upper == p_lower and tier["upper_inclusive"] and prev["lower_inclusive"]):
                add(f"credit_tiers[{i}].upper", f"Overlaps the tier above (which starts at {p_lower} %).")
            if pct is not None and _dec(prev["percent"]) is not None and pct <= _dec(prev["percent"]):
                add(f"credit_tiers[{i}].percent", "Credits must rise as availability falls.")
        prev = tier


def calendar_of(data: Mapping[str, Any]) -> CoverageCalendar:
    from datetime import date, time

    cal = data["calendar"]
    return CoverageCalendar(
        timezone=cal["timezone"],
        shifts=tuple(
            Shift(weekday=h["weekday"], start=time.fromisoformat(h["start"]), end=time.fromisoformat(h["end"]))
            for h in cal["hours"]
        ),
        country=cal.get("country") or None,
        subdivision=cal.get("subdivision") or None,
        closures=tuple(Closure(day=date.fromisoformat(c["date"]), name=c["name"]) for c in cal.get("closures", [])),
    )


@dataclass(frozen=True)
class Target:
    minutes: int
    clock: str  # "24x7" or "coverage"

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Terms:
    """A read-only, typed view of a validated terms document."""

    data: Mapping[str, Any]

    @cached_property
    def calendar(self) -> CoverageCalendar:
        return calendar_of(self.data)

    @cached_property
    def _targets(self) -> dict[tuple[str, str, str], Target]:
        return {
            (row["severity"], row["environment"], kind): Target(
                minutes=row[f"{kind}_minutes"], clock=row[f"{kind}_clock"]
            )
            for row in self.data["targets"]
            for kind in ("acknowledge", "restore", "resolve")
        }

    def target(self, severity: str, environment: str, kind: str) -> Target | None:
        return self._targets.get((severity, environment, kind))

    def pause_stops(self, kind: str) -> bool:
        return kind in self.data["pause"]["stops"]

    @property
    def temporary_workaround_days(self) -> int | None:
        return self.data["workaround"]["temporary_days"]

    @property
    def uptime_target(self) -> Decimal:
        return Decimal(self.data["uptime"]["target_percent"])

    @property
    def credit_cap(self) -> Decimal:
        return Decimal(self.data["credit_cap_percent"])

    def binding(self, metric: str) -> bool:
        return any(m["metric"] == metric and m["binding"] for m in self.data["metrics"])

    def escalation_levels(self) -> list[Mapping[str, Any]]:
        return sorted(self.data["escalation"], key=lambda r: r["level"])

    def playbook(self, severity: str | None = None) -> list[Mapping[str, Any]]:
        """The playbook steps (of one severity), in order."""
        steps = [s for s in self.data.get("playbook") or [] if severity is None or s["severity"] == severity]
        return sorted(steps, key=lambda s: (SEVERITIES.index(s["severity"]), s["order"]))

    @property
    def raci(self) -> list[Mapping[str, Any]]:
        return list(self.data.get("raci") or [])

    def notice_days(self, change_kind: str) -> int | None:
        for row in self.data["notice_rules"]:
            if row["change_kind"] == change_kind:
                return row["days"]
        return None
