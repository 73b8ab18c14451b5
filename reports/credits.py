"""Service-credit engine: pure Python, no Django, no database.

Money is ``Decimal``; every line and the cap are rounded half-up to the
currency's ISO 4217 minor unit before they are summed, so the statement a
customer sees adds up exactly.

The rules a contract reader needs, in one place:

- **Caps.** A period's credits are capped by the smallest of the caps the terms
  set: a percentage of the period fee, a number of days of fees for the
  period, and, per contract year, a percentage of the annual fee or a number
  of days of fees less what earlier periods of that year already owe. A day of
  fees is the annual fee / 365 (``monthly_fee * 12 / 365``), the same for
  every month.
- **Minimum credit.** A period whose capped total is below the minimum owes
  nothing (the common contractual rule: small credits are not issued, never
  rounded up).
- **Claim deadline and termination** live in ``reports.clauses`` (re-exported here).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from core.money import minor_units
from reports.clauses import CLAIM_RULES, below_threshold, claim_deadline, termination_triggered

__all__ = [
    "AVAILABILITY",
    "CLAIM_RULES",
    "EVENT_BREACH",
    "INCIDENT_BREACH",
    "Bound",
    "Caps",
    "CommitmentCredit",
    "CreditLine",
    "CreditResult",
    "CreditTier",
    "availability_credit",
    "below_threshold",
    "claim_deadline",
    "compute_credits",
    "contract_year_start",
    "days_of_fees",
    "minor_units",
    "owed_commitments",
    "termination_triggered",
    "tier_contains",
    "tiers_from",
    "validate_tiers",
]

AVAILABILITY = "availability"
INCIDENT_BREACH = "incident_breach"
EVENT_BREACH = "event_breach"  # a per-event credit (an outage, a late notice): reports.event_credits

_HUNDRED = Decimal(100)
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Bound:
    value: Decimal
    inclusive: bool


@dataclass(frozen=True)
class CreditTier:
    # "<= 99.9 % but > 99.0 %" -> lower=Bound(99.0, False), upper=Bound(99.9, True)
    lower: Bound | None  # None: no lower limit
    upper: Bound | None  # None: no upper limit
    percent: Decimal  # of the period fee


@dataclass(frozen=True)
class CreditLine:
    kind: str  # AVAILABILITY | INCIDENT_BREACH | EVENT_BREACH
    description: str
    percent: Decimal
    amount: Decimal
    ref: str = ""
    payable: Decimal | None = field(default=None, compare=False)  # after the cap and minimum (compute_credits)


@dataclass(frozen=True)
class Caps:
    """The caps and the minimum of the terms; ``None`` means no such cap."""

    period_percent: Decimal | None = None  # of the period fee
    period_days: int | None = None  # days of fees
    year_percent: Decimal | None = None  # of the annual fee, per contract year
    year_days: int | None = None  # days of fees, per contract year
    minimum: Decimal = Decimal(0)  # a capped total below it owes nothing


@dataclass(frozen=True)
class CreditResult:
    lines: list[CreditLine]
    total_before_cap: Decimal
    cap_amount: Decimal
    total: Decimal
    capped: bool
    cap_rule: str = ""  # which cap bound: "period_percent", "period_days", "year_percent", "year_days"
    below_minimum: bool = False  # the capped total was below the minimum, so nothing is owed
    caps: dict[str, Decimal] = field(default_factory=dict)  # every cap that applies, as an amount


@dataclass(frozen=True)
class CommitmentCredit:
    """A service commitment's credit: ``percent`` of ``fee_share`` % of ``months`` months' fee.
    Commitments sharing a non-empty ``group`` are not cumulative (``owed_commitments``)."""

    ref: str  # the commitment's key
    description: str
    percent: Decimal
    fee_share: Decimal = Decimal(100)
    months: int = 1
    group: str = ""

    def exact(self, monthly_fee: Decimal) -> Fraction:
        return Fraction(monthly_fee) * self.months * Fraction(self.fee_share) * Fraction(self.percent) / 10_000

    def amount(self, *, monthly_fee: Decimal, currency: str) -> Decimal:
        """The credit, half up to the currency's minor unit (once, from the exact value)."""
        return _round(self.exact(monthly_fee), minor_units(currency))


def owed_commitments(items: Sequence[CommitmentCredit], *, monthly_fee: Decimal) -> list[CommitmentCredit]:
    """The credits owed, in their order: in each group only the largest (exact, before rounding;
    the first listed on a tie). Zero credits are dropped."""
    best: dict[str, CommitmentCredit] = {}
    for item in items:
        if item.group and item.percent > 0:
            held = best.get(item.group)
            if held is None or item.exact(monthly_fee) > held.exact(monthly_fee):
                best[item.group] = item
    return [i for i in items if i.percent > 0 and (not i.group or best[i.group] is i)]


# --- tiers ---------------------------------------------------------------------


def tiers_from(rows: Sequence[Mapping[str, Any]]) -> list[CreditTier]:
    """Tiers as a terms document writes them (``credit_tiers``, or a commitment's)."""

    def bound(value: str | None, inclusive: bool) -> Bound | None:
        return None if value is None else Bound(Decimal(value), inclusive)

    return [
        CreditTier(
            lower=bound(t["lower"], t["lower_inclusive"]),
            upper=bound(t["upper"], t["upper_inclusive"]),
            percent=Decimal(t["percent"]),
        )
        for t in rows
    ]


def tier_contains(*, tier: CreditTier, availability: Decimal) -> bool:
    lower, upper = tier.lower, tier.upper
    if lower is not None and not (availability > lower.value or (lower.inclusive and availability == lower.value)):
        return False
    return upper is None or availability < upper.value or (upper.inclusive and availability == upper.value)


def _nonempty(lower: Bound | None, upper: Bound | None) -> bool:
    if lower is None or upper is None:
        return True
    if lower.value != upper.value:
        return lower.value < upper.value
    return lower.inclusive and upper.inclusive


def _tighter_lower(a: Bound | None, b: Bound | None) -> Bound | None:
    if a is None or b is None:
        return b if a is None else a
    if a.value != b.value:
        return a if a.value > b.value else b
    return a if not a.inclusive else b


def _tighter_upper(a: Bound | None, b: Bound | None) -> Bound | None:
    if a is None or b is None:
        return b if a is None else a
    if a.value != b.value:
        return a if a.value < b.value else b
    return a if not a.inclusive else b


def _overlap(a: CreditTier, b: CreditTier) -> bool:
    return _nonempty(_tighter_lower(a.lower, b.lower), _tighter_upper(a.upper, b.upper))


def _upper_key(bound: Bound | None) -> tuple[int, Decimal, int]:
    # Orders upper bounds by how much they admit: None (no limit) is highest,
    # and "<= v" admits more than "< v".
    if bound is None:
        return (1, _ZERO, 0)
    return (0, bound.value, int(bound.inclusive))


def _describe(bound: Bound, *, side: str) -> str:
    if side == "lower":
        return f"{'>=' if bound.inclusive else '>'} {bound.value}%"
    return f"{'<=' if bound.inclusive else '<'} {bound.value}%"


def validate_tiers(tiers: Sequence[CreditTier]) -> list[str]:
    """Errors that make a tier table ambiguous or unfair; empty means valid.

    A valid table guarantees that at most one tier contains any availability
    and that lower availability never earns a smaller credit.  That needs the
    tiers to be contiguous and the lowest tier to reach down to 0 %: a gap
    would pay nothing for availability worse than a paying tier.
    """
    errors: list[str] = []
    for number, tier in enumerate(tiers, start=1):
        if not _ZERO <= tier.percent <= _HUNDRED:
            errors.append(f"Tier {number}: credit percent must be between 0 and 100.")
        for bound in (tier.lower, tier.upper):
            if bound is not None and not _ZERO <= bound.value <= _HUNDRED:
                errors.append(f"Tier {number}: bound {bound.value}% must be between 0 and 100.")
        if not _nonempty(tier.lower, tier.upper):
            errors.append(f"Tier {number}: no availability satisfies its bounds.")

    for i, first in enumerate(tiers):
        for j in range(i + 1, len(tiers)):
            if _overlap(first, tiers[j]):
                errors.append(f"Tiers {i + 1} and {j + 1} overlap.")

    for number, (above, below) in enumerate(zip(tiers, tiers[1:], strict=False), start=1):
        if _upper_key(below.upper) >= _upper_key(above.upper):
            errors.append(
                f"Tiers must be ordered from highest to lowest availability: "
                f"tier {number + 1} does not come below tier {number}."
            )
            continue
        if below.percent <= above.percent:
            errors.append(
                f"Tier {number + 1} must earn a larger credit than tier {number} "
                f"({below.percent}% is not more than {above.percent}%)."
            )
        expected = None if above.lower is None else Bound(above.lower.value, not above.lower.inclusive)
        if above.lower is not None and below.upper != expected and not _overlap(above, below):
            errors.append(
                f"Gap between tier {number} ({_describe(above.lower, side='lower')}) and "
                f"tier {number + 1}: availability in between would earn no credit."
            )

    if tiers:
        bottom = tiers[-1].lower
        if bottom is not None and not (bottom.value < _ZERO or (bottom.value == _ZERO and bottom.inclusive)):
            errors.append(
                f"The lowest tier must extend down to 0% availability (it stops at {_describe(bottom, side='lower')})."
            )
    return errors


def availability_credit(*, tiers: Sequence[CreditTier], availability: Decimal) -> Decimal:
    """Credit percent for an availability figure; 0 when no tier contains it.

    Precondition: ``validate_tiers(tiers)`` is empty (else the first containing
    tier wins).
    """
    for tier in tiers:
        if tier_contains(tier=tier, availability=availability):
            return tier.percent
    return _ZERO


# --- money ---------------------------------------------------------------------


def _round(amount: Decimal | Fraction, exponent: int) -> Decimal:
    """Half up to the minor unit, exactly (a Fraction is never turned into a float)."""
    if isinstance(amount, Fraction):
        scaled = amount * 10**exponent
        whole = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
        return Decimal(whole).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))
    return amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)


def _percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return amount * percent.scaleb(-2)


def days_of_fees(*, monthly_fee: Decimal, days: int) -> Fraction:
    """The fee for ``days`` days: a day is the annual fee / 365, whatever the month."""
    return Fraction(monthly_fee) * 12 * days / 365


def contract_year_start(*, contract_start: date, on: date) -> date:
    """The first day of the contract year holding ``on``: the latest anniversary of
    ``contract_start`` on or before it (a 29 February start counts from 28 February)."""

    def anniversary(year: int) -> date:
        day = min(contract_start.day, calendar.monthrange(year, contract_start.month)[1])
        return date(year, contract_start.month, day)

    start = anniversary(on.year)
    return start if start <= on else anniversary(on.year - 1)


def _cap_amounts(
    *, monthly_fee: Decimal, period_months: int, caps: Caps, year_used: Decimal, exponent: int
) -> dict[str, Decimal]:
    period_fee = monthly_fee * period_months
    out: dict[str, Decimal] = {}
    if caps.period_percent is not None:
        out["period_percent"] = _round(_percent_of(period_fee, caps.period_percent), exponent)
    if caps.period_days is not None:
        out["period_days"] = _round(days_of_fees(monthly_fee=monthly_fee, days=caps.period_days), exponent)
    if caps.year_percent is not None:
        year_cap = _round(_percent_of(monthly_fee * 12, caps.year_percent), exponent)
        out["year_percent"] = _round(max(year_cap - year_used, _ZERO), exponent)
    if caps.year_days is not None:
        year_cap = _round(days_of_fees(monthly_fee=monthly_fee, days=caps.year_days), exponent)
        out["year_days"] = _round(max(year_cap - year_used, _ZERO), exponent)
    return out


def compute_credits(
    *,
    monthly_fee: Decimal,
    period_months: int,
    currency: str,
    availability: Decimal | None,
    tiers: Sequence[CreditTier],
    breach_credits: Sequence[tuple[str, str, Decimal]],
    cap_percent: Decimal | None,
    caps: Caps | None = None,
    year_used: Decimal = _ZERO,
    commitments: Sequence[CommitmentCredit] = (),
    event_credits: Sequence[tuple[str, str, Decimal]] = (),
) -> CreditResult:
    """Credits for one review period.

    Percentages (tier, breach, period cap) are of the period fee, ``monthly_fee
    * period_months``.  ``breach_credits`` holds ``(ref, description,
    percent)``, and so does ``event_credits`` (per-event credits: an outage,
    a late notice; lines of kind EVENT_BREACH).  An availability line appears only when a tier pays a non-zero
    credit; breach lines always appear.  Each line and each cap are rounded
    half-up to the minor unit; the total is the smaller of their sum and the
    smallest cap (``cap_percent`` is the period percentage cap; ``caps`` adds
    the others and the minimum; ``year_used`` is what earlier periods of the
    same contract year already owe). ``commitments``: the service commitments'
    credits, each of its own base; non-cumulative groups are resolved before the
    caps, and their lines (kind availability, ref the commitment's key) come first.  The cap is shared out over the lines in
    order (``payable``); below the minimum every line pays nothing.
    """
    caps = caps or Caps()
    if cap_percent is not None:
        caps = Caps(
            period_percent=cap_percent,
            period_days=caps.period_days,
            year_percent=caps.year_percent,
            year_days=caps.year_days,
            minimum=caps.minimum,
        )
    if monthly_fee < _ZERO:
        raise ValueError("monthly_fee must not be negative")
    if period_months < 1:
        raise ValueError("period_months must be at least 1")
    for name, value in (("cap_percent", caps.period_percent), ("year cap percent", caps.year_percent)):
        if value is not None and not _ZERO <= value <= _HUNDRED:
            raise ValueError(f"{name} must be between 0 and 100")
    for name, days in (("period cap days", caps.period_days), ("year cap days", caps.year_days)):
        if days is not None and days < 0:
            raise ValueError(f"{name} must not be negative")
    if caps.minimum < _ZERO or year_used < _ZERO:
        raise ValueError("the minimum credit and the year's credits must not be negative")
    if availability is not None and not _ZERO <= availability <= _HUNDRED:
        raise ValueError("availability must be between 0 and 100")
    exponent = minor_units(currency)
    period_fee = monthly_fee * period_months

    lines: list[CreditLine] = []
    if availability is not None:
        percent = availability_credit(tiers=tiers, availability=availability)
        if percent > _ZERO:
            lines.append(
                CreditLine(
                    kind=AVAILABILITY,
                    description=f"Availability {availability}% earns a {percent}% credit",
                    percent=percent,
                    amount=_round(_percent_of(period_fee, percent), exponent),
                )
            )
    for item in owed_commitments(commitments, monthly_fee=monthly_fee):
        if not _ZERO <= item.fee_share <= _HUNDRED or item.months < 1:
            raise ValueError(f"commitment {item.ref!r} has an invalid credit base")
        lines.append(
            CreditLine(
                kind=AVAILABILITY,
                description=item.description,
                percent=item.percent,
                amount=_round(item.exact(monthly_fee), exponent),
                ref=item.ref,
            )
        )
    for kind, (ref, description, percent) in [
        *((INCIDENT_BREACH, b) for b in breach_credits),
        *((EVENT_BREACH, e) for e in event_credits),
    ]:
        if percent < _ZERO:
            raise ValueError(f"breach credit {ref!r} has a negative percent")
        lines.append(
            CreditLine(
                kind=kind,
                description=description,
                percent=percent,
                amount=_round(_percent_of(period_fee, percent), exponent),
                ref=ref,
            )
        )

    zero = _round(_ZERO, exponent)
    total_before_cap = sum((line.amount for line in lines), zero)
    amounts = _cap_amounts(
        monthly_fee=monthly_fee, period_months=period_months, caps=caps, year_used=year_used, exponent=exponent
    )
    cap_rule = min(amounts, key=lambda k: amounts[k]) if amounts else ""
    cap_amount = amounts[cap_rule] if amounts else total_before_cap
    total = min(total_before_cap, cap_amount)
    below_minimum = zero < total < caps.minimum
    if below_minimum:
        total = zero
    remaining = total
    paid: list[CreditLine] = []
    for line in lines:
        payable = min(line.amount, remaining)
        remaining -= payable
        paid.append(
            CreditLine(
                kind=line.kind,
                description=line.description,
                percent=line.percent,
                amount=line.amount,
                ref=line.ref,
                payable=payable,
            )
        )
    return CreditResult(
        lines=paid,
        total_before_cap=total_before_cap,
        cap_amount=cap_amount,
        total=total,
        capped=total_before_cap > cap_amount,
        cap_rule=cap_rule if total_before_cap > cap_amount else "",
        below_minimum=below_minimum,
        caps=amounts,
    )
