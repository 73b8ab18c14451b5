"""Service-credit engine: pure Python, no Django, no database.

Money is ``Decimal``; every line and the cap are rounded half-up to the
currency's ISO 4217 minor unit before they are summed, so the statement a
customer sees adds up exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.money import minor_units

__all__ = [
    "AVAILABILITY",
    "INCIDENT_BREACH",
    "Bound",
    "CreditLine",
    "CreditResult",
    "CreditTier",
    "availability_credit",
    "compute_credits",
    "minor_units",
    "termination_triggered",
    "tier_contains",
    "validate_tiers",
]

AVAILABILITY = "availability"
INCIDENT_BREACH = "incident_breach"

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
    kind: str  # AVAILABILITY | INCIDENT_BREACH
    description: str
    percent: Decimal
    amount: Decimal
    ref: str = ""


@dataclass(frozen=True)
class CreditResult:
    lines: list[CreditLine]
    total_before_cap: Decimal
    cap_amount: Decimal
    total: Decimal
    capped: bool


# --- tiers ---------------------------------------------------------------------


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


def _round(amount: Decimal, exponent: int) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)


def _percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return amount * percent.scaleb(-2)


def compute_credits(
    *,
    monthly_fee: Decimal,
    period_months: int,
    currency: str,
    availability: Decimal | None,
    tiers: Sequence[CreditTier],
    breach_credits: Sequence[tuple[str, str, Decimal]],
    cap_percent: Decimal,
) -> CreditResult:
    """Credits for one review period.

    Percentages (tier, breach, cap) are of the period fee, ``monthly_fee *
    period_months``.  ``breach_credits`` holds ``(ref, description, percent)``.
    An availability line appears only when a tier pays a non-zero credit;
    breach lines always appear.  Each line and the cap are rounded half-up to
    the minor unit; the total is the smaller of their sum and the cap.
    """
    if monthly_fee < _ZERO:
        raise ValueError("monthly_fee must not be negative")
    if period_months < 1:
        raise ValueError("period_months must be at least 1")
    if not _ZERO <= cap_percent <= _HUNDRED:
        raise ValueError("cap_percent must be between 0 and 100")
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
    for ref, description, percent in breach_credits:
        if percent < _ZERO:
            raise ValueError(f"breach credit {ref!r} has a negative percent")
        lines.append(
            CreditLine(
                kind=INCIDENT_BREACH,
                description=description,
                percent=percent,
                amount=_round(_percent_of(period_fee, percent), exponent),
                ref=ref,
            )
        )

    total_before_cap = sum((line.amount for line in lines), _round(_ZERO, exponent))
    cap_amount = _round(_percent_of(period_fee, cap_percent), exponent)
    return CreditResult(
        lines=lines,
        total_before_cap=total_before_cap,
        cap_amount=cap_amount,
        total=min(total_before_cap, cap_amount),
        capped=total_before_cap > cap_amount,
    )


# --- termination ------------------------------------------------------------------


def termination_triggered(*, below_target: Sequence[bool], n: int, m: int, consecutive: bool) -> bool:
    """ "N of the last M periods below target".

    ``below_target`` is ordered oldest first; only its last ``m`` entries are
    considered (fewer if fewer periods exist).  With ``consecutive`` the N
    periods must be in a row inside that window.
    """
    if not 1 <= n <= m:
        raise ValueError("need 1 <= n <= m")
    window = list(below_target)[-m:]
    if not consecutive:
        return sum(window) >= n
    run = 0
    for below in window:
        run = run + 1 if below else 0
        if run >= n:
            return True
    return False
