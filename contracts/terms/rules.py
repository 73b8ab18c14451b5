"""Validation of a terms document: the schema check and the semantic rules, each error under its field path."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import jsonschema

from contracts.calendars import CalendarError, validate_calendar
from contracts.terms.document import calendar_of
from contracts.terms.schema import SCHEMA
from contracts.terms.vocabulary import PARTIES, PARTY_ROLES


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
            p_pct = _dec(prev["percent"])
            if pct is not None and p_pct is not None and pct <= p_pct:
                add(f"credit_tiers[{i}].percent", "Credits must rise as availability falls.")
        prev = tier
