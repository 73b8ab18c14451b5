"""Service commitments: several uptime commitments in one terms document.

A real agreement often promises more than one thing: a region-level and an instance-level uptime
(AWS Compute), an uptime per service feature (GitHub), each with its own target, measurement
window, credit tiers and credit base. The optional ``commitments`` list holds them; a document
without it keeps the single ``uptime`` commitment and its ``credit_tiers``, unchanged.

When the list is present, the contract-level ``uptime`` block still sets the reporting period,
time zone, downtime definition and how unmonitored time counts, and its figure is still reported
(and judges the termination rule and remedies), but only the commitments pay availability credits.

Pure Python (no Django): the schema fragment, the semantic checks and a typed view.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "MEASURES",
    "REQUEST_RULES",
    "WINDOWS",
    "Commitment",
    "check_commitments",
    "commitments_of",
    "commitments_schema",
]

WINDOWS = ("month", "quarter")
MEASURES = ("time", "requests")
# How a request-based commitment turns request counts into a percentage (availability.requests).
REQUEST_RULES = ("interval_average", "total_ratio")
_SLUG = r"^[a-z0-9][a-z0-9_-]{0,39}$"
WINDOW_MONTHS = {"month": 1, "quarter": 3}
# Request intervals divide an hour, so they nest in hours and days (as availability.requests counts them).
INTERVAL_MINUTES = (1, 5, 10, 15, 30, 60)


def commitments_schema(*, decimal: Mapping[str, Any], tier_item: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of the ``commitments`` key (``decimal`` and ``tier_item`` are the terms
    schema's own, so a commitment's tiers read exactly as the top-level ones)."""
    return {
        "type": "array",
        "maxItems": 40,
        "description": "Service commitments, each scoped to components (a service, feature, region or "
        "instance), with its own target, window, credit tiers and credit base. Absent: the single uptime "
        "commitment and the top-level credit tiers. Present: only these pay availability credits; the "
        "total of all credits stays under the contract's caps.",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["key", "name", "components", "target_percent", "window", "service_rule", "credit_tiers"],
            "properties": {
                "key": {"type": "string", "pattern": _SLUG, "description": "Unique; names the credit line."},
                "name": {"type": "string", "minLength": 1, "maxLength": 120},
                "components": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"type": "string", "minLength": 1},
                    "description": "Covered components of the contract this commitment measures.",
                },
                "target_percent": dict(decimal),
                "window": {
                    "enum": list(WINDOWS),
                    "description": "A quarterly commitment is judged over the whole quarter, in the report of "
                    "the quarter's last month (or the quarter's report).",
                },
                "service_rule": {"enum": ["any", "all"]},
                "credit_tiers": {"type": "array", "items": dict(tier_item)},
                "fee_share_percent": {
                    **decimal,
                    "description": "The credit base: the share of the window's fee the tier percentages are "
                    "of. Absent: 100.",
                },
                "group": {
                    "type": "string",
                    "pattern": _SLUG,
                    "description": "Commitments in one group are not cumulative: only the largest credit of "
                    "the group is owed.",
                },
                "measure": {
                    "enum": list(MEASURES),
                    "description": "time: up time over measured time; requests: successful over total requests "
                    "(see request_rule). Absent: time.",
                },
                "request_rule": {
                    "enum": list(REQUEST_RULES),
                    "description": "For measure requests: interval_average, the mean of each interval's success "
                    "ratio; total_ratio, successful requests over all requests.",
                },
                "interval_minutes": {
                    "enum": list(INTERVAL_MINUTES),
                    "description": "For measure requests: the interval's length (interval_average averages "
                    "per interval; tallies coarser than it are not read). Absent: 5.",
                },
            },
        },
    }


@dataclass(frozen=True)
class Commitment:
    """One service commitment, read from a validated terms document."""

    key: str
    name: str
    components: tuple[str, ...]
    target: Decimal
    window: str
    service_rule: str
    credit_tiers: tuple[Mapping[str, Any], ...]
    fee_share: Decimal
    group: str
    measure: str
    request_rule: str
    interval_minutes: int | None

    @property
    def window_months(self) -> int:
        return WINDOW_MONTHS[self.window]

    def bounds(self) -> list[Decimal]:
        """The target and every tier bound: what the commitment's figure is judged against."""
        out = [self.target]
        for tier in self.credit_tiers:
            out.extend(Decimal(tier[k]) for k in ("lower", "upper") if tier[k] is not None)
        return out


def commitments_of(data: Mapping[str, Any]) -> list[Commitment]:
    return [
        Commitment(
            key=row["key"],
            name=row["name"],
            components=tuple(row["components"]),
            target=Decimal(row["target_percent"]),
            window=row["window"],
            service_rule=row["service_rule"],
            credit_tiers=tuple(row["credit_tiers"]),
            fee_share=Decimal(row.get("fee_share_percent") or "100"),
            group=row.get("group") or "",
            measure=row.get("measure") or "time",
            request_rule=row.get("request_rule") or "total_ratio",
            interval_minutes=row.get("interval_minutes"),
        )
        for row in data.get("commitments") or []
    ]


TierCheck = Callable[..., None]


def check_commitments(
    data: Mapping[str, Any],
    add: Callable[[str, str], None],
    *,
    check_tiers: TierCheck,
    components: Sequence[str] | None,
) -> None:
    """The rules the schema cannot express, each error under ``commitments[i].<field>``.
    ``components``: the contract's covered components (None: not known here, not checked)."""
    rows = data.get("commitments") or []
    seen: dict[str, int] = {}
    reporting = data["uptime"]["period"]
    known = set(components) if components is not None else None
    for i, row in enumerate(rows):
        where = f"commitments[{i}]"
        if row["key"] in seen:
            add(f"{where}.key", f"The key '{row['key']}' is already used by commitments[{seen[row['key']]}].")
        seen.setdefault(row["key"], i)
        target = Decimal(row["target_percent"])
        if not Decimal(0) < target <= Decimal(100):
            add(f"{where}.target_percent", "The target must be greater than 0 and at most 100 %.")
            target_for_tiers: Decimal | None = None
        else:
            target_for_tiers = target
        share = Decimal(row.get("fee_share_percent") or "100")
        if not Decimal(0) < share <= Decimal(100):
            add(f"{where}.fee_share_percent", "The credit base is a share of the fee above 0 and at most 100 %.")
        if reporting == "quarter" and row["window"] == "month":
            add(
                f"{where}.window",
                "A monthly commitment needs monthly reports: the uptime period is a quarter. "
                "Make the commitment quarterly or the uptime period monthly.",
            )
        if known is not None:
            missing = [c for c in row["components"] if c not in known]
            if missing:
                allowed = ", ".join(sorted(known)) or "(none)"
                add(
                    f"{where}.components",
                    f"Not covered by the contract: {', '.join(missing)}. The covered components are: {allowed}.",
                )
        measure = row.get("measure") or "time"
        if measure == "time":
            for extra in ("request_rule", "interval_minutes"):
                if row.get(extra) is not None:
                    add(f"{where}.{extra}", "Only a request-based commitment (measure: requests) takes this.")
        if not row["credit_tiers"]:
            add(f"{where}.credit_tiers", "A commitment needs at least one credit tier.")
        elif Decimal(0) < share <= Decimal(100):
            # The period cap, as a share of one report's fee, against the first tier's credit on its base.
            first = Decimal(row["credit_tiers"][0]["percent"]) * share / 100 * WINDOW_MONTHS[row["window"]]
            cap = Decimal(data["credit_cap_percent"]) * WINDOW_MONTHS[reporting]
            if cap < first:
                add(
                    f"{where}.credit_tiers[0].percent",
                    f"The first tier's credit ({first.normalize()} % of a month's fee) is above the cap "
                    f"({cap.normalize()} %): it could never be paid in full.",
                )
        check_tiers(row["credit_tiers"], add, target=target_for_tiers, path=f"{where}.credit_tiers")
