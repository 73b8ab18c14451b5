"""The remedies part of a period's snapshot: credits (tiers, caps, minimum, claim deadline)
and the termination rule, read from the reporting version's terms.

The arithmetic is ``reports.credits`` (pure); this module reads the terms document and the
earlier reports of the contract year (the year cap counts what they already owe).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from contracts.models import Contract
from contracts.pdf import termination_text, tier_range
from contracts.terms import Terms
from core import periods
from reports.credits import (
    AVAILABILITY,
    Caps,
    CommitmentCredit,
    CreditTier,
    below_threshold,
    claim_deadline,
    compute_credits,
    contract_year_start,
    termination_triggered,
    tier_contains,
    tiers_from,
)
from reports.models import ServiceReport
from reports.snapshot_parts import iso

__all__ = [
    "caps_of",
    "claim_deadline_of",
    "credits_part",
    "reopened_claim_deadline",
    "termination_part",
    "tiers_of",
    "year_to_date_credits",
]


def tiers_of(terms: Terms) -> list[CreditTier]:
    return tiers_from(terms.data["credit_tiers"])


def caps_of(data: Mapping[str, Any]) -> Caps:
    """The caps and minimum of a terms document (absent keys: no such cap, no minimum)."""
    extra = data.get("credit_caps") or {}
    year_percent = extra.get("year_percent")
    return Caps(
        period_percent=Decimal(data["credit_cap_percent"]),
        period_days=extra.get("period_days"),
        year_percent=None if year_percent is None else Decimal(year_percent),
        year_days=extra.get("year_days"),
        minimum=Decimal(data.get("credit_minimum") or 0),
    )


def claim_deadline_of(data: Mapping[str, Any], *, period_end: datetime, zone: str) -> datetime:
    """The claim deadline of a period's credits under the terms' rule (end of that day in ``zone``)."""
    rule = data.get("claim_deadline") or {}
    return claim_deadline(
        period_end=period_end,
        zone=zone,
        rule=rule.get("rule", "days_after_period_end"),
        days=data["claim_window_days"],
        cycles=rule.get("billing_cycles") or 1,
    )


def reopened_claim_deadline(data: Mapping[str, Any], *, now: datetime, zone: str) -> datetime:
    """A reissue reopens the window: ``claim_window_days`` from today, to the end of that day."""
    today = now.astimezone(ZoneInfo(zone)).date()
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo(zone))
    return claim_deadline(period_end=midnight, zone=zone, days=data["claim_window_days"])


def year_to_date_credits(contract: Contract, period: periods.Period) -> Decimal:
    """What the earlier periods of the contract year holding ``period`` already owe (their current
    reports' totals), for the per-year caps."""
    first_day = period.start.astimezone(ZoneInfo(period.zone)).date()
    year_start = contract_year_start(contract_start=contract.start_date, on=first_day)
    starts = datetime.combine(year_start, datetime.min.time(), tzinfo=ZoneInfo(period.zone))
    totals = (
        ServiceReport.objects.current()
        .filter(contract=contract, period_start__gte=starts, period_start__lt=period.start)
        .exclude(period=period.label)
        .values_list("credit_total", flat=True)
    )
    return sum(totals, Decimal(0))


def credits_part(
    contract: Contract,
    period: periods.Period,
    reporting: Terms,
    *,
    availability: Decimal | None,
    breach_credits: Sequence[tuple[str, str, Decimal]],
    commitments: Sequence[CommitmentCredit] = (),
    event_credits: Sequence[tuple[str, str, Decimal]] = (),
) -> dict[str, Any]:
    """The ``credits`` section of a snapshot (``commitments``: the service commitments' credits;
    ``event_credits``: the per-event credits, ``reports.event_credits``)."""
    data = reporting.data
    caps = caps_of(data)
    year_used = (
        year_to_date_credits(contract, period)
        if caps.year_percent is not None or caps.year_days is not None
        else Decimal(0)
    )
    tiers = tiers_of(reporting)
    result = compute_credits(
        monthly_fee=contract.monthly_fee,
        period_months=period.months,
        currency=contract.currency,
        availability=availability,
        tiers=tiers,
        breach_credits=breach_credits,
        cap_percent=None,
        caps=caps,
        year_used=year_used,
        commitments=commitments,
        event_credits=event_credits,
    )
    lines = []
    for line in result.lines:
        description = line.description
        # Name the tier, as the schedule words it (a commitment's line carries its key and its own wording).
        if line.kind == AVAILABILITY and availability is not None and not line.ref:
            raw = next(
                raw
                for tier, raw in zip(tiers, data["credit_tiers"], strict=True)
                if tier_contains(tier=tier, availability=availability)
            )
            description = f"Availability {availability} %: tier {tier_range(raw)}"
        lines.append(
            {
                "kind": line.kind,
                "ref": line.ref,
                "description": description,
                "percent": str(line.percent),
                "amount": str(line.amount),
                "payable": str(line.payable),
            }
        )
    deadline = claim_deadline_of(data, period_end=period.end, zone=period.zone)
    return {
        "period_fee": str(contract.monthly_fee * period.months),
        "cap_percent": str(reporting.credit_cap),
        "cap_amount": str(result.cap_amount),
        "cap_rule": result.cap_rule,
        "caps": {k: str(v) for k, v in result.caps.items()},
        "year_used": str(year_used),
        "minimum": str(caps.minimum),
        "below_minimum": result.below_minimum,
        "total_before_cap": str(result.total_before_cap),
        "total": str(result.total),
        "capped": result.capped,
        "lines": lines,
        "claim_window_days": data["claim_window_days"],
        "claim_rule": (data.get("claim_deadline") or {}).get("rule", "days_after_period_end"),
        "claim_billing_cycles": (data.get("claim_deadline") or {}).get("billing_cycles") or 1,
        "claim_deadline": iso(deadline),
    }


def termination_part(
    reporting: Terms, period: periods.Period, history: Sequence[Mapping[str, Any]], *, binding: bool
) -> dict[str, Any]:
    """The ``termination`` section of a snapshot: a period counts when its availability is below
    the rule's threshold (the uptime target unless the terms set another)."""
    term = reporting.data["termination"]
    threshold = Decimal(term["threshold_percent"]) if term.get("threshold_percent") else reporting.uptime_target

    def below(h: Mapping[str, Any]) -> bool:
        if not term.get("threshold_percent"):
            return h["met"] is False
        value = h.get("availability")
        return below_threshold(availability=None if value is None else Decimal(value), threshold=threshold)

    window = [{"period": h["period"], "below_target": below(h)} for h in history[-term["of_last"] :]]
    triggered = binding and termination_triggered(
        below_target=[w["below_target"] for w in window],
        n=term["below_target"],
        m=term["of_last"],
        consecutive=term["consecutive"],
    )
    return {
        "rule": termination_text(term, period.kind),
        "below_target": term["below_target"],
        "of_last": term["of_last"],
        "consecutive": term["consecutive"],
        "threshold_percent": str(threshold),
        "exercise_window_days": term.get("exercise_window_days"),
        "window": window,
        "triggered": bool(triggered),
    }
