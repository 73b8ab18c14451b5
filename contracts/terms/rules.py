"""Validation of a terms document: the schema check and the semantic rules, each error under its field path."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import jsonschema

from contracts.calendars import CalendarError, validate_calendar
from contracts.terms.commitments import check_commitments
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


def validate_terms(data: Any, *, components: Sequence[str] | None = None) -> None:
    """Raise TermsError with every problem, each under its field path. ``components``: the
    contract's covered components, which service commitments must be scoped to (None: not
    known, not checked; a contract that lists none covers the one component "service")."""
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

    target = _dec(data["uptime"]["target_percent"])
    if target is not None and not Decimal(0) < target <= Decimal(100):
        add("uptime.target_percent", "The uptime target must be greater than 0 and at most 100 %.")
    coverage = _dec(data["uptime"].get("minimum_coverage_percent"))
    if coverage is not None and coverage > Decimal(100):
        add("uptime.minimum_coverage_percent", "The minimum coverage must be between 0 and 100 %.")
        target = None
    _check_tiers(data["credit_tiers"], add, target=target)
    _check_caps(data, add)
    for i, row in enumerate(data["breach_credits"]):
        if (_dec(row["percent"]) or 0) > 100:
            add(f"breach_credits[{i}].percent", "Must be at most 100 %.")
    for i, row in enumerate(data.get("event_credits") or []):
        if (_dec(row["percent"]) or 0) > 100:
            add(f"event_credits[{i}].percent", "Must be at most 100 %.")
        if row.get("min_minutes") is not None and row["event"] != "outage":
            add(f"event_credits[{i}].min_minutes", "Only an outage rule has a minimum duration.")
    _check_termination(data["termination"], add, target=target)
    claim = data.get("claim_deadline")
    if claim and claim.get("billing_cycles") is not None and claim["rule"] != "end_of_billing_cycle":
        add("claim_deadline.billing_cycles", "Only the end_of_billing_cycle rule counts billing cycles.")
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
    check_commitments(data, add, check_tiers=_check_tiers, components=components)
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


def _admits_more(a: tuple[Decimal, bool], b: tuple[Decimal, bool]) -> bool:
    """Whether upper bound ``a`` ("< v" or "<= v") lets through availability that ``b`` does not."""
    return a[0] > b[0] or (a[0] == b[0] and a[1] and not b[1])


def _check_tiers(tiers: list[dict[str, Any]], add: Any, *, target: Decimal | None, path: str = "credit_tiers") -> None:
    """Tiers are listed from the highest availability band down, contiguous (no
    gap between two tiers, the lowest reaching 0 %), never overlapping, all
    below the uptime target (a period that meets the target earns no credit),
    and the credit rises as availability falls."""
    prev: dict[str, Any] | None = None
    for i, tier in enumerate(tiers):
        where = f"{path}[{i}]"
        lower, upper, pct = _dec(tier["lower"]), _dec(tier["upper"]), _dec(tier["percent"])
        for name, value in (("lower", lower), ("upper", upper), ("percent", pct)):
            if value is not None and not Decimal(0) <= value <= Decimal(100):
                add(f"{where}.{name}", "Must be between 0 and 100.")
        if lower is None and upper is None:
            add(where, "A tier needs at least one bound.")
        if (
            lower is not None
            and upper is not None
            and (lower > upper or (lower == upper and not (tier["lower_inclusive"] and tier["upper_inclusive"])))
        ):
            add(f"{where}.lower", "The lower bound must be below the upper bound.")
        if target is not None:
            if upper is None:
                add(f"{where}.upper", f"A tier without an upper bound pays credits at or above the {target} % target.")
            elif _admits_more((upper, tier["upper_inclusive"]), (target, False)):
                limit = f"{'≤' if tier['upper_inclusive'] else '<'} {upper} %"
                add(
                    f"{where}.upper",
                    f"Reaches above the uptime target: a tier up to {limit} pays a credit for a period that meets "
                    f"the {target} % target. Use an upper bound of at most {target} % (not included).",
                )
        if prev is not None:
            p_lower = _dec(prev["lower"])
            if p_lower is None or upper is None:
                add(where, "Tiers must be strictly ordered from the highest availability band down.")
            elif upper > p_lower or (upper == p_lower and tier["upper_inclusive"] and prev["lower_inclusive"]):
                add(f"{where}.upper", f"Overlaps the tier above (which starts at {p_lower} %).")
            elif upper < p_lower or (not tier["upper_inclusive"] and not prev["lower_inclusive"]):
                shown = f"{'≤' if tier['upper_inclusive'] else '<'} {upper} %"
                add(
                    f"{where}.upper",
                    f"Leaves a gap below the tier above (which starts at {'≥' if prev['lower_inclusive'] else '>'} "
                    f"{p_lower} %): availability between it and {shown} would earn no credit. End this tier where "
                    "the one above starts.",
                )
            p_pct = _dec(prev["percent"])
            if pct is not None and p_pct is not None and pct <= p_pct:
                add(f"{where}.percent", "Credits must rise as availability falls.")
        prev = tier
    if prev is not None:
        bottom = _dec(prev["lower"])
        if bottom is not None and not (bottom == 0 and prev["lower_inclusive"]):
            add(
                f"{path}[{len(tiers) - 1}].lower",
                f"The lowest tier stops at {bottom} %: worse availability would earn no credit. "
                "Leave its lower bound empty (or ≥ 0 %).",
            )


def _check_caps(data: Mapping[str, Any], add: Any) -> None:
    """No cap may be smaller than the first tier's credit (the tier could never be paid as
    agreed). Caps compare as shares of the fees: a day of fees is the annual fee / 365."""
    cap = _dec(data["credit_cap_percent"])
    if cap is not None and not Decimal(0) <= cap <= Decimal(100):
        add("credit_cap_percent", "The cap must be between 0 and 100 %.")
        cap = None
    tiers = data["credit_tiers"]
    first = _dec(tiers[0]["percent"]) if tiers else None
    months = 3 if data["uptime"]["period"] == "quarter" else 1
    if first is not None and cap is not None and cap < first:
        add(
            "credit_cap_percent",
            f"The cap ({cap} %) is below the first tier's credit ({first} %): that tier could never be paid in full.",
        )
    extra = data.get("credit_caps") or {}
    year_percent = _dec(extra.get("year_percent"))
    if year_percent is not None and not Decimal(0) <= year_percent <= Decimal(100):
        add("credit_caps.year_percent", "Must be between 0 and 100.")
        year_percent = None
    if first is None:
        return
    # Each cap as a percentage of one period's fee (exact: a Fraction, never rounded before comparing).
    shares: list[tuple[str, Fraction, str]] = []
    if extra.get("period_days") is not None:
        days = extra["period_days"]
        shares.append(("credit_caps.period_days", Fraction(days * 12 * 100, 365 * months), f"{days} days of fees"))
    if year_percent is not None:
        shares.append(("credit_caps.year_percent", Fraction(year_percent) * 12 / months, f"{year_percent} % a year"))
    if extra.get("year_days") is not None:
        days = extra["year_days"]
        shares.append(("credit_caps.year_days", Fraction(days * 12 * 100, 365 * months), f"{days} days of fees a year"))
    for path, share, text in shares:
        if share < Fraction(first):
            add(
                path,
                f"The cap ({text}) is below the first tier's credit ({first} % of one period's fee): "
                "that tier could never be paid in full.",
            )


def _check_termination(term: Mapping[str, Any], add: Any, *, target: Decimal | None) -> None:
    if term["below_target"] > term["of_last"]:
        add("termination.below_target", "Cannot exceed the number of periods looked at (of_last).")
    threshold = _dec(term.get("threshold_percent"))
    if threshold is None:
        return
    if not Decimal(0) < threshold <= Decimal(100):
        add("termination.threshold_percent", "Must be greater than 0 and at most 100 %.")
    elif target is not None and threshold > target:
        add(
            "termination.threshold_percent",
            f"Above the uptime target ({target} %): a period that meets the target would count towards termination.",
        )
