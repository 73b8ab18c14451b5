"""The service-commitments part of a period snapshot (terms with a ``commitments`` list).

Each commitment is measured over its own window and its own components, with its own service
rule, from the same recorded facts as the contract-level figure: every SLA version in force
during the window measures its slice under its own rules (exclusions, maintenance, how
unmonitored time counts), and the slices add up in exact microseconds. A quarterly commitment
in a monthly report is judged in the report of the quarter's last month, over the whole
quarter; in the other months it is "not due". A request-based commitment asks
``availability.requests`` for its exact ratio.

Met, breached and the tier are decided on the exact figure; the figure shown is rounded once
(``availability.engine.shown`` with the commitment's target and tier bounds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol

from availability.data import WHOLE_SERVICE, Facts, availability_from_facts, load_facts, uptime_rules
from availability.engine import covered, percent, shown
from availability.requests import request_uptime
from contracts.models import Contract, SLAVersion
from contracts.pdf import tier_range
from contracts.terms import Commitment, Terms
from core import periods
from reports.credits import CommitmentCredit, CreditTier, availability_credit, tier_contains, tiers_from
from reports.snapshot_parts import binding, dec

__all__ = ["STATUS_NOT_DUE", "commitments_part", "mark_owed"]

STATUS_NOT_DUE = "not due"


class _Slice(Protocol):
    @property
    def version(self) -> SLAVersion: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...


Slicer = Callable[[datetime, datetime], Sequence[_Slice]]


def _tiers(commitment: Commitment) -> list[CreditTier]:
    return tiers_from(commitment.credit_tiers)


def _window(commitment: Commitment, period: periods.Period) -> periods.Period:
    return period if commitment.window == period.kind else period.enclosing(commitment.window)


def _time_figure(
    contract: Contract,
    commitment: Commitment,
    parts: Sequence[_Slice],
    *,
    now: datetime,
    facts_cache: dict[tuple[datetime, datetime, bool], Facts],
) -> tuple[Fraction | None, Fraction, dict[str, int]]:
    """(exact availability, exact coverage, micro-second sums) of the commitment's components
    as one service under its rule, over the slices."""
    listed = bool(contract.covered_components)
    components = list(commitment.components) if listed else [WHOLE_SERVICE]
    sums = dict.fromkeys(("period_us", "down_us", "no_data_us", "unmonitored_us"), 0)
    for part in parts:
        data = part.version.terms
        incidents = bool(data["uptime"].get("critical_incidents_count"))
        key = (part.start, part.end, incidents)
        if key not in facts_cache:
            facts_cache[key] = load_facts(
                contract, start=part.start, end=min(part.end, now), critical_incidents=incidents
            )
        scoped = Terms({**data, "uptime": {**data["uptime"], "service_rule": commitment.service_rule}})
        service = availability_from_facts(
            facts_cache[key], scoped, components=components, start=part.start, end=part.end, now=now, listed=listed
        ).result.service
        sums["period_us"] += service.period_us
        sums["down_us"] += service.downtime_us
        sums["no_data_us"] += service.no_data_us
        sums["unmonitored_us"] += service.unmonitored_us
    measured_us = sums["period_us"] - sums["no_data_us"]
    exact = percent(part_us=measured_us - sums["down_us"], whole_us=measured_us) if measured_us > 0 else None
    coverage = (
        percent(part_us=sums["period_us"] - sums["unmonitored_us"], whole_us=sums["period_us"])
        if sums["period_us"] > 0
        else Fraction(0)
    )
    return exact, coverage, sums


def _request_figure(
    contract: Contract, commitment: Commitment, window: periods.Period, *, now: datetime
) -> tuple[Fraction | None, Fraction]:
    """The request-based figure (``availability.requests``): exact percent (None: no requests) and coverage."""
    result = request_uptime(
        contract=contract,
        components=list(commitment.components),
        start=window.start,
        end=min(window.end, now),
        rule=commitment.request_rule,
        **({"interval_minutes": commitment.interval_minutes} if commitment.interval_minutes is not None else {}),
    )
    return result.exact, Fraction(result.coverage)


def commitments_part(
    contract: Contract,
    period: periods.Period,
    reporting: Terms,
    *,
    now: datetime,
    slicer: Slicer,
) -> tuple[list[dict[str, Any]], list[CommitmentCredit]]:
    """The snapshot rows of the reporting version's commitments, and the credits they earn
    (before groups and caps: ``reports.credits.compute_credits`` resolves both)."""
    rows: list[dict[str, Any]] = []
    credits: list[CommitmentCredit] = []
    minimum = uptime_rules(reporting).minimum_coverage_percent
    pays = binding(reporting, "availability")
    covered_names = set(contract.covered_components) or {WHOLE_SERVICE}
    facts_cache: dict[tuple[datetime, datetime, bool], Facts] = {}
    for c in reporting.commitments:
        window = _window(c, period)
        fee = contract.monthly_fee * c.window_months
        row: dict[str, Any] = {
            "key": c.key,
            "name": c.name,
            "window": c.window,
            "window_label": window.label,
            "components": list(c.components),
            "service_rule": c.service_rule,
            "measure": c.measure,
            "target": str(c.target),
            "group": c.group,
            "fee_share": str(c.fee_share),
            "credit_base": dec(fee * c.fee_share / 100, 2),
            "status": STATUS_NOT_DUE,
            "measured": False,
            "met": None,
            "value": None,
            "exact": None,
            "coverage": None,
            "tier": None,
            "credit_percent": "0",
            "amount": "0",
            "owed": False,
            "payable": "0",
            "note": "",
        }
        rows.append(row)
        if window.end != period.end:
            row["note"] = f"Judged over {window.title} in the report of its last month."
            continue
        missing = [name for name in c.components if name not in covered_names]
        if missing:
            row.update(status="not measured", note=f"Not covered by the contract: {', '.join(missing)}.")
            continue
        if c.measure == "requests":
            exact, coverage = _request_figure(contract, c, window, now=now)
            row["exact"] = None if exact is None else {"fraction": f"{exact.numerator}/{exact.denominator}"}
        else:
            exact, coverage, sums = _time_figure(
                contract, c, slicer(window.start, window.end), now=now, facts_cache=facts_cache
            )
            measured_us = sums["period_us"] - sums["no_data_us"]
            row["exact"] = {"up_us": measured_us - sums["down_us"], "measured_us": measured_us}
        has_figure = exact is not None and covered(coverage, minimum)
        row["coverage"] = dec(shown(coverage, bounds=[minimum]))
        if not has_figure or exact is None:
            row.update(status="not measured", note=row["note"] or f"Under {minimum} % of the window monitored.")
            continue
        value = shown(exact, bounds=c.bounds())
        met = exact >= Fraction(c.target)
        row.update(measured=True, met=met, value=dec(value), status="met" if met else "breached")
        tiers = _tiers(c)
        credit = Decimal(0) if met else availability_credit(tiers=tiers, availability=value)
        hit = next(
            (
                raw
                for tier, raw in zip(tiers, c.credit_tiers, strict=True)
                if tier_contains(tier=tier, availability=value)
            ),
            None,
        )
        row["tier"] = tier_range(hit) if hit is not None and not met else None
        row["credit_percent"] = str(credit)
        if credit > 0:
            item = CommitmentCredit(
                ref=c.key,
                description=f"{c.name}: {value} % against {c.target} % ({window.label}), tier {row['tier']}",
                percent=credit,
                fee_share=c.fee_share,
                months=c.window_months,
                group=c.group,
            )
            row["amount"] = str(item.amount(monthly_fee=contract.monthly_fee, currency=contract.currency))
            if pays:
                credits.append(item)
            else:
                row["note"] = "Availability is not binding: no credit is owed."
    return rows, credits


def mark_owed(rows: list[dict[str, Any]], lines: Sequence[dict[str, Any]]) -> None:
    """Mark which commitments the credits section owes (a group pays only its largest) and what
    each pays after the caps, from the credit lines."""
    paid = {line["ref"]: line for line in lines if line["kind"] == "availability" and line["ref"]}
    for row in rows:
        line = paid.get(row["key"])
        row["owed"] = line is not None
        row["payable"] = line["payable"] if line is not None else "0"
        if line is None and row["group"] and Decimal(row["amount"]) > 0 and not row["note"]:
            winner = next((r for r in rows if r["group"] == row["group"] and r["key"] in paid), None)
            if winner is not None:
                row["note"] = f"Not cumulative with {winner['name']}, whose larger credit is owed."
