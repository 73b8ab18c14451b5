"""Compare two SLA terms documents field by field. Pure Python, no Django.

Lists of rows that have a natural identity (a severity matrix row is its
severity and environment) are keyed by it rather than by position, so moving
a row is not reported as a change of every field in it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final


class _Missing:
    """A path present on one side only (distinct from a JSON null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()

# Row identities, by the list's own path.
IDENTITY: dict[str, tuple[str, ...]] = {
    "targets": ("severity", "environment"),
    "breach_credits": ("severity", "target"),
    "escalation": ("level",),
    "notice_rules": ("change_kind",),
    "metrics": ("metric",),
    "playbook": ("severity", "order"),
    "raci": ("activity",),
}


def _row_key(row: Mapping[str, Any], fields: tuple[str, ...]) -> str:
    return ", ".join(str(row.get(f)) for f in fields)


def _keyed(path: str, rows: list[Any]) -> dict[str, Any] | None:
    """The rows keyed by identity, or None when they cannot be (not rows, or a duplicate)."""
    fields = IDENTITY.get(path)
    if not fields or not all(isinstance(r, Mapping) for r in rows):
        return None
    keyed = {_row_key(r, fields): r for r in rows}
    if any(ch in key for key in keyed for ch in ".[]"):
        return None  # free text (a RACI activity) that would break the path: by position
    return keyed if len(keyed) == len(rows) else None


def flatten(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (path, leaf) pairs. Lists of plain values are leaves."""
    if isinstance(value, Mapping):
        if not value and path:
            yield path, {}
        for key, item in value.items():
            yield from flatten(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and any(isinstance(v, Mapping | list) for v in value):
        keyed = _keyed(path, value)
        if keyed is None:
            for i, item in enumerate(value):
                yield from flatten(item, f"{path}[{i}]")
            return
        identity = IDENTITY[path]
        for key, row in keyed.items():
            # The identity is in the path already.
            yield from flatten({k: v for k, v in row.items() if k not in identity}, f"{path}[{key}]")
    else:
        yield path, value


def diff_terms(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(path, old, new) for every leaf that differs; MISSING marks an absent side.

    Paths come in the order they appear in ``a``, then paths only in ``b``.
    """
    old = dict(flatten(a))
    new = dict(flatten(b))
    rows: list[tuple[str, Any, Any]] = []
    for path in [*old, *(p for p in new if p not in old)]:
        before, after = old.get(path, MISSING), new.get(path, MISSING)
        if before == after and type(before) is type(after):
            continue
        # A list emptied on one side shows as its removed rows, not also as "[]".
        other = old if before is MISSING else new if after is MISSING else None
        present = after if before is MISSING else before
        if other is not None and present in ([], {}) and _has_children(other, path):
            continue
        rows.append((path, before, after))
    return rows


def _has_children(flat: Mapping[str, Any], path: str) -> bool:
    return any(p.startswith((f"{path}[", f"{path}.")) for p in flat)


_WORDS: dict[str, str] = {
    "calendar": "Coverage calendar",
    "timezone": "Time zone",
    "country": "Holiday country",
    "subdivision": "Holiday subdivision",
    "hours": "Weekly hours",
    "closures": "Closures",
    "targets": "Severity matrix",
    "acknowledge_minutes": "Acknowledge within",
    "restore_minutes": "Restore within",
    "resolve_minutes": "Resolve within",
    "acknowledge_clock": "Acknowledge clock",
    "restore_clock": "Restore clock",
    "resolve_clock": "Resolve clock",
    "pause": "Pauses",
    "stops": "Pauses stop these clocks",
    "workaround": "Workaround",
    "temporary_days": "Temporary workaround (days)",
    "uptime": "Uptime",
    "target_percent": "Target %",
    "period": "Measurement period",
    "downtime_definition": "Downtime definition",
    "service_rule": "Service down when",
    "critical_incidents_count": "Critical incidents count as downtime",
    "credit_tiers": "Credit tiers",
    "lower": "Lower bound %",
    "upper": "Upper bound %",
    "lower_inclusive": "Lower bound included",
    "upper_inclusive": "Upper bound included",
    "percent": "Credit %",
    "credit_cap_percent": "Credit cap %",
    "claim_window_days": "Claim window (days)",
    "breach_credits": "Breach credits",
    "exclusions": "Exclusions",
    "maintenance_allowance_minutes": "Maintenance allowance",
    "maintenance_notice_days": "Maintenance notice (days)",
    "force_majeure": "Force majeure",
    "third_party": "Third-party dependencies",
    "customer_caused": "Customer-caused",
    "escalation": "Escalation",
    "contact_role": "Contact",
    "trigger": "Trigger",
    "value": "Value",
    "notice_rules": "Change notice",
    "days": "Days",
    "reporting": "Reporting",
    "report_due_day": "Report due (day of month)",
    "retention_days": "Data retention (days)",
    "disputes": "Dispute ladder",
    "stage": "Stage",
    "termination": "Termination right",
    "below_target": "Periods below target",
    "of_last": "Out of the last",
    "consecutive": "Consecutive",
    "metrics": "Metrics",
    "outcome": "Business outcome",
    "binding": "Binding",
    "weekday": "Weekday",
    "start": "Start",
    "end": "End",
    "date": "Date",
    "name": "Name",
    "playbook": "Incident playbook",
    "order": "Step",
    "party": "Party",
    "role": "Role",
    "action": "Action",
    "target": "Target",
    "raci": "Roles and responsibilities",
    "activity": "Activity",
    "buyer": "Buyer",
    "vendor": "Vendor",
    "role_buyer": "Buyer role",
    "role_vendor": "Vendor role",
}

_ROW_NOUN: dict[str, str] = {
    "credit_tiers": "Tier",
    "hours": "Shift",
    "closures": "Closure",
    "disputes": "Stage",
    "playbook": "Step",
    "raci": "Activity",
}


def label_for(path: str) -> str:
    """A human label for a flattened path: ``targets[critical, production].restore_minutes``
    becomes ``Severity matrix › Critical, production › Restore within``."""
    parts: list[str] = []
    parts_raw: list[str] = []
    for segment in path.replace("[", ".[").split("."):
        if not segment:
            continue
        if segment.startswith("["):
            key = segment[1:-1]
            owner = parts_raw[-1] if parts_raw else ""
            if owner == "escalation":
                parts.append(f"Level {key}")  # keyed by the level itself
            elif owner == "playbook" and ", " in key:
                severity, _, order = key.partition(", ")
                parts.append(f"{severity.capitalize()} step {order}")
            elif owner == "raci" and not key.isdigit():
                parts.append(key)  # the activity as written
            elif key.isdigit():
                parts.append(f"{_ROW_NOUN.get(owner, 'Row')} {int(key) + 1}")
            else:
                parts.append(key.replace("_", "-").capitalize())
            continue
        parts_raw.append(segment)
        parts.append(_WORDS.get(segment, segment.replace("_", " ").capitalize()))
    return " › ".join(parts)
