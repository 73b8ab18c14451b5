"""The credit engine's caps, minimum, claim deadline and termination threshold, checked against
brute-force oracles and by hand; each preset's tiers on both sides of every bound."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.presets import preset_choices, preset_terms
from contracts.terms import Terms
from core.periods import Period
from reports.credits import (
    Bound,
    Caps,
    CreditResult,
    CreditTier,
    availability_credit,
    below_threshold,
    claim_deadline,
    compute_credits,
    contract_year_start,
    days_of_fees,
)
from reports.remedies import caps_of, tiers_of

D = Decimal
STEP = D("0.001")  # availability is reported to 0.001 %


# --- brute force -----------------------------------------------------------------------------


def _oracle_percent(raw_tiers: list[dict], availability: Decimal) -> Decimal:
    """Scan the tiers as written in the document (strings), the first whose bounds admit the figure wins."""
    for t in raw_tiers:
        lo, hi = t["lower"], t["upper"]
        if lo is not None and (availability < D(lo) or (availability == D(lo) and not t["lower_inclusive"])):
            continue
        if hi is not None and (availability > D(hi) or (availability == D(hi) and not t["upper_inclusive"])):
            continue
        return D(t["percent"])
    return D(0)


def _cent(x: Fraction) -> Decimal:
    # Half up to the cent from an exact fraction: the rule the engine states.
    return (D(x.numerator) / D(x.denominator)).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def _oracle_total(
    *, fee: Decimal, months: int, percent: Decimal, breaches: list[Decimal], caps: Caps, year_used: Decimal
) -> Decimal:
    period_fee = Fraction(fee) * months
    lines = [_cent(period_fee * Fraction(p) / 100) for p in ([percent] if percent else []) + breaches]
    total = sum(lines, D("0.00"))
    bounds = []
    if caps.period_percent is not None:
        bounds.append(_cent(period_fee * Fraction(caps.period_percent) / 100))
    if caps.period_days is not None:
        bounds.append(_cent(Fraction(fee) * 12 * caps.period_days / 365))
    if caps.year_percent is not None:
        bounds.append(max(_cent(Fraction(fee) * 12 * Fraction(caps.year_percent) / 100) - year_used, D("0.00")))
    if caps.year_days is not None:
        bounds.append(max(_cent(Fraction(fee) * 12 * caps.year_days / 365) - year_used, D("0.00")))
    if bounds:
        total = min([total, *bounds])
    return D("0.00") if D(0) < total < caps.minimum else total


@st.composite
def tier_tables(draw: st.DrawFn) -> list[dict]:
    """A contiguous table from the top bound down to no lower bound, rising credits,
    each bound inclusive on exactly one side."""
    cuts = sorted(
        draw(st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=5, unique=True)), reverse=True
    )
    percents = sorted(draw(st.lists(st.integers(1, 100), min_size=len(cuts), max_size=len(cuts), unique=True)))
    upper_in = [draw(st.booleans()) for _ in cuts]
    rows = []
    for i, cut in enumerate(cuts):
        upper = str(D(cut).scaleb(-3))
        lower = None if i + 1 == len(cuts) else str(D(cuts[i + 1]).scaleb(-3))
        rows.append(
            {
                "upper": upper,
                "upper_inclusive": upper_in[i],
                "lower": lower,
                "lower_inclusive": True if lower is None else not upper_in[i + 1],
                "percent": str(percents[i]),
            }
        )
    return rows


caps_strategy = st.builds(
    Caps,
    period_percent=st.one_of(st.none(), st.integers(0, 100).map(D)),
    period_days=st.one_of(st.none(), st.integers(0, 60)),
    year_percent=st.one_of(st.none(), st.integers(0, 100).map(D)),
    year_days=st.one_of(st.none(), st.integers(0, 120)),
    minimum=st.integers(0, 3000).map(D),
)


@settings(max_examples=300, deadline=None)
@given(
    raw=tier_tables(),
    availability=st.integers(0, 100_000).map(lambda n: D(n).scaleb(-3)),
    fee=st.integers(0, 5_000_000).map(lambda n: D(n).scaleb(-2)),
    months=st.sampled_from([1, 3]),
    breaches=st.lists(st.integers(0, 20).map(D), max_size=3),
    caps=caps_strategy,
    year_used=st.integers(0, 500_000).map(lambda n: D(n).scaleb(-2)),
)
def test_the_credit_equals_a_brute_force_scan_with_caps_and_minimum(
    raw: list[dict], availability: Decimal, fee: Decimal, months: int, breaches: list, caps: Caps, year_used: Decimal
) -> None:
    tiers = tiers_of(Terms({"credit_tiers": raw}))
    result = compute_credits(
        monthly_fee=fee,
        period_months=months,
        currency="EUR",
        availability=availability,
        tiers=tiers,
        breach_credits=[(f"INC-{i}", "breach", p) for i, p in enumerate(breaches)],
        cap_percent=None,
        caps=caps,
        year_used=year_used,
    )
    percent = _oracle_percent(raw, availability)
    assert availability_credit(tiers=tiers, availability=availability) == percent
    expected = _oracle_total(fee=fee, months=months, percent=percent, breaches=breaches, caps=caps, year_used=year_used)
    assert result.total == expected
    assert sum((line.payable or D(0) for line in result.lines), D(0)) == expected
    assert result.below_minimum == (D(0) < min(result.total_before_cap, result.cap_amount) < caps.minimum)


# --- caps and minimum by hand ----------------------------------------------------------------


def _one(caps: Caps, *, percent: str = "30", fee: str = "10000.00", year_used: str = "0") -> CreditResult:
    from reports.credits import Bound, CreditTier

    return compute_credits(
        monthly_fee=D(fee),
        period_months=1,
        currency="EUR",
        availability=D("90"),
        tiers=[CreditTier(lower=None, upper=Bound(D("99.9"), False), percent=D(percent))],
        breach_credits=[],
        cap_percent=None,
        caps=caps,
        year_used=D(year_used),
    )


def test_the_smallest_cap_applies_and_is_named() -> None:
    # 30 % of 10,000.00 = 3,000.00; 5 days of fees = 10,000 * 12 * 5 / 365 = 1,643.835... -> 1,643.84.
    r = _one(Caps(period_percent=D("25"), period_days=5))
    assert (r.total_before_cap, r.cap_amount, r.total, r.cap_rule) == (
        D("3000.00"),
        D("1643.84"),
        D("1643.84"),
        "period_days",
    )
    assert r.caps == {"period_percent": D("2500.00"), "period_days": D("1643.84")}
    assert days_of_fees(monthly_fee=D("10000"), days=5) == Fraction(600000, 365)


def test_the_year_cap_counts_what_earlier_periods_owe() -> None:
    # 10 % of the annual fee 120,000.00 = 12,000.00, of which 11,000.00 is already owed.
    r = _one(Caps(period_percent=D("30"), year_percent=D("10")), year_used="11000.00")
    assert (r.total, r.cap_rule, r.capped) == (D("1000.00"), "year_percent", True)
    spent = _one(Caps(year_percent=D("10")), year_used="12500.00")
    assert spent.total == D("0.00") and spent.cap_amount == D("0.00")


def test_below_the_minimum_nothing_is_owed_at_it_the_credit_is_issued() -> None:
    below = _one(Caps(minimum=D("3000.01")))
    at = _one(Caps(minimum=D("3000.00")))
    assert (below.total, below.below_minimum, [x.payable for x in below.lines]) == (D("0.00"), True, [D("0.00")])
    assert (at.total, at.below_minimum) == (D("3000.00"), False)


def test_a_contract_year_starts_on_the_anniversary() -> None:
    assert contract_year_start(contract_start=date(2025, 3, 15), on=date(2026, 3, 14)) == date(2025, 3, 15)
    assert contract_year_start(contract_start=date(2025, 3, 15), on=date(2026, 3, 15)) == date(2026, 3, 15)
    assert contract_year_start(contract_start=date(2024, 2, 29), on=date(2025, 3, 1)) == date(2025, 2, 28)


# --- every preset's tier bounds, on both sides ---------------------------------------------------


def _bounds(key: str) -> list[tuple[str, Decimal, Decimal]]:
    """(preset, availability, expected percent) just above, at and just below each bound."""
    terms = preset_terms(key)
    raw = terms["credit_tiers"]
    out = []
    for t in raw:
        for side in ("lower", "upper"):
            if t[side] is None:
                continue
            v = D(t[side])
            for a in (v - STEP, v, v + STEP):
                out.append((key, a, _oracle_percent(raw, a)))
    return out


CASES = [case for key, _ in preset_choices() for case in _bounds(key)]


@pytest.mark.parametrize(("key", "availability", "expected"), CASES, ids=[f"{k}-{a}" for k, a, _ in CASES])
def test_each_preset_pays_the_right_tier_on_both_sides_of_every_bound(
    key: str, availability: Decimal, expected: Decimal
) -> None:
    terms = Terms(preset_terms(key))
    assert availability_credit(tiers=tiers_of(terms), availability=availability) == expected
    target = terms.uptime_target
    if availability >= target:  # a period that meets the target never earns an availability credit
        assert expected == 0


def test_the_enterprise_preset_bounds_by_hand() -> None:
    tiers = tiers_of(Terms(preset_terms("enterprise-24x7")))
    pay = {
        a: availability_credit(tiers=tiers, availability=D(a))
        for a in ("99.95", "99.949", "99.0", "98.999", "95.0", "94.999")
    }
    assert pay == {"99.95": 0, "99.949": 5, "99.0": 5, "98.999": 10, "95.0": 20, "94.999": 30}
    assert caps_of(preset_terms("enterprise-24x7")) == Caps(period_percent=D("30"))


# --- claim deadline ------------------------------------------------------------------------------

AUCKLAND = "Pacific/Auckland"  # UTC+13 in summer (NZDT), +12 in winter; DST ends on 5 April 2026


def _month_end(zone: str, year: int, month: int) -> datetime:
    return Period(kind="month", year=year, index=month, zone=zone).end


def test_the_deadline_is_the_end_of_the_day_in_the_zone_far_from_utc() -> None:
    # June 2026 in Auckland ends at 1 July 00:00 NZST; 30 days after its last day is 30 July.
    deadline = claim_deadline(period_end=_month_end(AUCKLAND, 2026, 6), zone=AUCKLAND, days=30)
    local = deadline.astimezone(ZoneInfo(AUCKLAND))
    assert (local.date(), local.hour, local.minute, local.second, local.microsecond) == (
        date(2026, 7, 30),
        23,
        59,
        59,
        999_999,
    )
    assert deadline == datetime(2026, 7, 30, 11, 59, 59, 999_999, tzinfo=UTC)  # NZST is UTC+12
    # A claim late on the printed day is in time; the next local morning is not.
    assert datetime(2026, 7, 30, 11, 30, tzinfo=UTC) <= deadline < datetime(2026, 7, 30, 12, 0, tzinfo=UTC)


def test_the_deadline_across_a_dst_change_keeps_the_local_end_of_day() -> None:
    # March 2026 in Auckland (NZDT, +13); 10 days later is 10 April, after DST ended (NZST, +12).
    deadline = claim_deadline(period_end=_month_end(AUCKLAND, 2026, 3), zone=AUCKLAND, days=10)
    assert deadline == datetime(2026, 4, 10, 11, 59, 59, 999_999, tzinfo=UTC)
    # A 24-hour day count would have landed an hour off.
    assert deadline - _month_end(AUCKLAND, 2026, 3) != timedelta(days=10)
    # Berlin, into summer time: February + 30 days = 30 March 23:59:59.999999 CEST (+2).
    berlin = claim_deadline(period_end=_month_end("Europe/Berlin", 2026, 2), zone="Europe/Berlin", days=30)
    assert berlin == datetime(2026, 3, 30, 21, 59, 59, 999_999, tzinfo=UTC)


def test_the_month_and_billing_cycle_rules() -> None:
    end = _month_end(AUCKLAND, 2026, 11)
    following = claim_deadline(period_end=end, zone=AUCKLAND, rule="end_of_following_month")
    second = claim_deadline(period_end=end, zone=AUCKLAND, rule="end_of_billing_cycle", cycles=2)
    assert following == datetime(2026, 12, 31, 10, 59, 59, 999_999, tzinfo=UTC)  # NZDT, +13
    assert second == datetime(2027, 1, 31, 10, 59, 59, 999_999, tzinfo=UTC)
    q = Period(kind="quarter", year=2026, index=4, zone="Europe/Berlin").end
    assert claim_deadline(period_end=q, zone="Europe/Berlin", rule="end_of_following_month") == datetime(
        2027, 1, 31, 22, 59, 59, 999_999, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="unknown claim rule"):
        claim_deadline(period_end=end, zone=AUCKLAND, rule="whenever")


def test_the_termination_threshold_is_strict() -> None:
    assert below_threshold(availability=D("98.999"), threshold=D("99"))
    assert not below_threshold(availability=D("99.000"), threshold=D("99"))
    assert not below_threshold(availability=None, threshold=D("99"))


def test_a_spent_year_cap_shows_in_minor_units_whatever_the_stored_scale():
    # Earlier periods' totals come back from the database with three decimals.
    result = compute_credits(
        monthly_fee=D("1000.00"),
        period_months=1,
        currency="EUR",
        availability=D("98"),
        tiers=[CreditTier(lower=None, upper=Bound(D("99.9"), False), percent=D("10"))],
        breach_credits=[],
        cap_percent=None,
        caps=Caps(year_percent=D("10")),
        year_used=D("1200.000"),
    )
    assert str(result.total) == "0.00" and str(result.cap_amount) == "0.00"
