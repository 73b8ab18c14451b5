from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from reports.credits import (
    AVAILABILITY,
    INCIDENT_BREACH,
    Bound,
    CreditLine,
    CreditTier,
    availability_credit,
    compute_credits,
    minor_units,
    termination_triggered,
    tier_contains,
    validate_tiers,
)

D = Decimal

# "<= 99.9 % but > 99.0 %" style: upper bounds inclusive.
INCLUSIVE = [
    CreditTier(lower=Bound(D("99.9"), False), upper=Bound(D("99.95"), False), percent=D(5)),
    CreditTier(lower=Bound(D("99.0"), False), upper=Bound(D("99.9"), True), percent=D(10)),
    CreditTier(lower=None, upper=Bound(D("99.0"), True), percent=D(25)),
]
# "< 99.9 % but >= 99.0 %" style: upper bounds exclusive.
EXCLUSIVE = [
    CreditTier(lower=Bound(D("99.9"), True), upper=Bound(D("99.95"), False), percent=D(5)),
    CreditTier(lower=Bound(D("99.0"), True), upper=Bound(D("99.9"), False), percent=D(10)),
    CreditTier(lower=None, upper=Bound(D("99.0"), False), percent=D(25)),
]


# --- strategies -------------------------------------------------------------

percent_values = st.integers(min_value=0, max_value=100_000).map(lambda n: D(n).scaleb(-3))


@st.composite
def valid_tiers(draw: st.DrawFn) -> list[CreditTier]:
    """Contiguous tables, highest availability first, credit rising."""
    cuts = draw(
        st.lists(
            st.integers(min_value=1, max_value=100_000),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    cuts = sorted(cuts, reverse=True)
    inclusive = draw(st.lists(st.booleans(), min_size=len(cuts), max_size=len(cuts)))
    steps = draw(st.lists(st.integers(1, 20), min_size=len(cuts), max_size=len(cuts)))
    first_percent = draw(st.integers(0, 5))
    percents = [D(first_percent + sum(steps[:i])) for i in range(len(cuts))]
    assume(percents[-1] <= 100)
    top_open = draw(st.booleans()) and len(cuts) > 1
    floor_at_zero = draw(st.booleans())

    uppers: list[Bound | None] = [Bound(D(c).scaleb(-3), inc) for c, inc in zip(cuts, inclusive, strict=True)]
    if top_open:
        uppers[0] = None
    tiers = []
    for i, upper in enumerate(uppers):
        if i + 1 < len(uppers):
            below = uppers[i + 1]
            assert below is not None
            lower: Bound | None = Bound(below.value, not below.inclusive)
        else:
            lower = Bound(D(0), True) if floor_at_zero else None
        tiers.append(CreditTier(lower=lower, upper=upper, percent=percents[i]))
    return tiers


bounds = st.one_of(
    st.none(),
    st.builds(Bound, st.sampled_from([D(0), D(50), D(99), D("99.9"), D(100)]), st.booleans()),
)


@st.composite
def mutated_tiers(draw: st.DrawFn) -> list[CreditTier]:
    """A valid table with one small edit; often still valid, often not."""
    tiers = draw(valid_tiers())
    i = draw(st.integers(0, len(tiers) - 1))
    tier = tiers[i]
    edit = draw(st.sampled_from(["lower", "upper", "percent", "drop", "swap", "none"]))
    if edit == "lower" and tier.lower is not None:
        tier = CreditTier(
            lower=Bound(tier.lower.value, not tier.lower.inclusive), upper=tier.upper, percent=tier.percent
        )
    elif edit == "lower":
        tier = CreditTier(lower=Bound(D(0), draw(st.booleans())), upper=tier.upper, percent=tier.percent)
    elif edit == "upper" and tier.upper is not None:
        tier = CreditTier(
            lower=tier.lower, upper=Bound(tier.upper.value, not tier.upper.inclusive), percent=tier.percent
        )
    elif edit == "upper":
        tier = CreditTier(lower=tier.lower, upper=Bound(D(100), draw(st.booleans())), percent=tier.percent)
    elif edit == "percent":
        tier = CreditTier(lower=tier.lower, upper=tier.upper, percent=D(draw(st.integers(0, 100))))
    elif edit == "drop":
        return tiers[:i] + tiers[i + 1 :]
    elif edit == "swap" and i + 1 < len(tiers):
        return [*tiers[:i], tiers[i + 1], tiers[i], *tiers[i + 2 :]]
    return [*tiers[:i], tier, *tiers[i + 1 :]]


def probes(tiers: list[CreditTier]) -> list[Decimal]:
    """0, 100, and every bound value with its neighbours."""
    step = D("0.001")
    values = {D(0), D(100)}
    for tier in tiers:
        for bound in (tier.lower, tier.upper):
            if bound is not None:
                values.update({bound.value - step, bound.value, bound.value + step})
    return sorted(v for v in values if D(0) <= v <= D(100))


# --- tiers: properties -------------------------------------------------------


@given(tiers=valid_tiers())
def test_generated_tables_are_valid(tiers: list[CreditTier]) -> None:
    assert validate_tiers(tiers) == []


@given(tiers=valid_tiers(), value=percent_values)
def test_at_most_one_tier_contains_any_value(tiers: list[CreditTier], value: Decimal) -> None:
    containing = [t for t in tiers if tier_contains(tier=t, availability=value)]
    assert len(containing) <= 1
    top = tiers[0].upper
    if top is None or value < top.value or (top.inclusive and value == top.value):
        assert len(containing) == 1


@given(tiers=valid_tiers(), a=percent_values, b=percent_values)
def test_lower_availability_never_earns_less(tiers: list[CreditTier], a: Decimal, b: Decimal) -> None:
    worse, better = sorted((a, b))
    assert availability_credit(tiers=tiers, availability=worse) >= availability_credit(tiers=tiers, availability=better)


@given(tiers=mutated_tiers())
def test_any_table_the_validator_accepts_is_unambiguous_and_monotone(tiers: list[CreditTier]) -> None:
    if validate_tiers(tiers):
        return
    credits = []
    values = probes(tiers)
    for value in values:
        assert sum(tier_contains(tier=t, availability=value) for t in tiers) <= 1
        credits.append(availability_credit(tiers=tiers, availability=value))
    assert credits == sorted(credits, reverse=True)  # values ascend, credits descend
    # Every value from 0 up to the top tier is covered by some tier.
    for value, credit in zip(values, credits, strict=True):
        if any(tier_contains(tier=t, availability=value) for t in tiers) or not tiers:
            continue
        top = tiers[0].upper
        assert top is not None and (value > top.value or (value == top.value and not top.inclusive))
        assert credit == 0


@given(tiers=valid_tiers(), data=st.data())
def test_validator_rejects_reordered_tables(tiers: list[CreditTier], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(tiers))
    assume(shuffled != tiers)
    assert validate_tiers(shuffled)


# --- tiers: worked examples -------------------------------------------------------


def test_inclusive_upper_bound_gets_that_tier() -> None:
    assert validate_tiers(INCLUSIVE) == []
    assert availability_credit(tiers=INCLUSIVE, availability=D("99.9")) == 10
    assert availability_credit(tiers=INCLUSIVE, availability=D("99.0")) == 25
    assert availability_credit(tiers=INCLUSIVE, availability=D("99.95")) == 0
    assert availability_credit(tiers=INCLUSIVE, availability=D("99.901")) == 5


def test_exclusive_upper_bound_gets_the_next_higher_tier() -> None:
    assert validate_tiers(EXCLUSIVE) == []
    assert availability_credit(tiers=EXCLUSIVE, availability=D("99.9")) == 5
    assert availability_credit(tiers=EXCLUSIVE, availability=D("99.0")) == 10
    assert availability_credit(tiers=EXCLUSIVE, availability=D("98.999")) == 25


def test_tier_contains_open_ends() -> None:
    everything = CreditTier(lower=None, upper=None, percent=D(1))
    assert tier_contains(tier=everything, availability=D(0))
    assert tier_contains(tier=everything, availability=D(100))


def test_overlapping_tiers_are_rejected() -> None:
    tiers = [
        CreditTier(lower=Bound(D(99), True), upper=Bound(D("99.9"), True), percent=D(10)),
        CreditTier(lower=None, upper=Bound(D(99), True), percent=D(25)),
    ]
    assert any("overlap" in e for e in validate_tiers(tiers))


def test_unordered_tiers_are_rejected() -> None:
    assert any("ordered" in e for e in validate_tiers(INCLUSIVE[::-1]))


def test_credit_must_rise_as_availability_falls() -> None:
    tiers = [INCLUSIVE[0], INCLUSIVE[1], CreditTier(lower=None, upper=Bound(D(99), True), percent=D(10))]
    assert any("larger credit" in e for e in validate_tiers(tiers))


def test_gaps_are_rejected() -> None:
    tiers = [
        CreditTier(lower=Bound(D(99), False), upper=Bound(D("99.9"), True), percent=D(10)),
        CreditTier(lower=None, upper=Bound(D(98), True), percent=D(25)),
    ]
    assert any("Gap" in e for e in validate_tiers(tiers))
    # Both exclusive at 99 leaves exactly 99 uncovered.
    tiers = [
        CreditTier(lower=Bound(D(99), False), upper=Bound(D("99.9"), True), percent=D(10)),
        CreditTier(lower=None, upper=Bound(D(99), False), percent=D(25)),
    ]
    assert any("Gap" in e for e in validate_tiers(tiers))


def test_lowest_tier_must_reach_zero() -> None:
    tiers = [CreditTier(lower=Bound(D(95), True), upper=Bound(D("99.9"), False), percent=D(10))]
    assert any("0%" in e for e in validate_tiers(tiers))
    tiers = [CreditTier(lower=Bound(D(0), True), upper=Bound(D("99.9"), False), percent=D(10))]
    assert validate_tiers(tiers) == []


def test_percent_and_bound_ranges_and_empty_tiers() -> None:
    errors = validate_tiers([CreditTier(lower=Bound(D(99), True), upper=Bound(D(98), True), percent=D(101))])
    assert any("between 0 and 100" in e for e in errors)
    assert any("no availability" in e for e in errors)
    errors = validate_tiers([CreditTier(lower=None, upper=Bound(D(101), True), percent=D(5))])
    assert any("bound 101%" in e for e in errors)


def test_empty_table_is_valid_and_pays_nothing() -> None:
    assert validate_tiers([]) == []
    assert availability_credit(tiers=[], availability=D(50)) == 0


# --- compute_credits ---------------------------------------------------------------

money = st.integers(min_value=0, max_value=10**9).map(lambda n: D(n).scaleb(-2))
small_percent = st.integers(min_value=0, max_value=10_000).map(lambda n: D(n).scaleb(-2))
currencies = st.sampled_from(["USD", "EUR", "JPY", "KWD", "BHD", "CLF"])


@given(
    fee=money,
    months=st.integers(1, 12),
    currency=currencies,
    availability=st.one_of(st.none(), percent_values),
    tiers=valid_tiers(),
    breaches=st.lists(st.tuples(st.just("INC"), st.just("breach"), small_percent), max_size=5),
    cap=small_percent,
)
def test_credit_never_exceeds_cap(
    fee: Decimal,
    months: int,
    currency: str,
    availability: Decimal | None,
    tiers: list[CreditTier],
    breaches: list[tuple[str, str, Decimal]],
    cap: Decimal,
) -> None:
    result = compute_credits(
        monthly_fee=fee,
        period_months=months,
        currency=currency,
        availability=availability,
        tiers=tiers,
        breach_credits=breaches,
        cap_percent=cap,
    )
    assert result.total <= result.cap_amount
    assert result.total <= result.total_before_cap
    assert result.total == min(result.total_before_cap, result.cap_amount)
    assert result.capped == (result.total_before_cap > result.cap_amount)
    assert result.total_before_cap == sum((line.amount for line in result.lines), D(0))
    quantum = D(1).scaleb(-minor_units(currency))
    for amount in [result.total, result.cap_amount, *(line.amount for line in result.lines)]:
        assert amount == amount.quantize(quantum)
        assert amount >= 0


@given(
    fee=money,
    tiers=valid_tiers(),
    a=percent_values,
    b=percent_values,
    cap=small_percent,
)
def test_lower_availability_never_earns_a_smaller_total(
    fee: Decimal, tiers: list[CreditTier], a: Decimal, b: Decimal, cap: Decimal
) -> None:
    worse, better = sorted((a, b))

    def total(availability: Decimal) -> Decimal:
        return compute_credits(
            monthly_fee=fee,
            period_months=1,
            currency="USD",
            availability=availability,
            tiers=tiers,
            breach_credits=[],
            cap_percent=cap,
        ).total

    assert total(worse) >= total(better)


def test_quarterly_statement_hits_the_cap() -> None:
    result = compute_credits(
        monthly_fee=D("10000.00"),
        period_months=3,
        currency="USD",
        availability=D("99.5"),
        tiers=INCLUSIVE,
        breach_credits=[("INC-1", "P1 restore target missed", D(5)), ("INC-2", "P1 response missed", D(5))],
        cap_percent=D(15),
    )
    assert result.lines == [
        CreditLine(
            kind=AVAILABILITY,
            description="Availability 99.5% earns a 10% credit",
            percent=D(10),
            amount=D("3000.00"),
        ),
        CreditLine(
            kind=INCIDENT_BREACH,
            description="P1 restore target missed",
            percent=D(5),
            amount=D("1500.00"),
            ref="INC-1",
        ),
        CreditLine(
            kind=INCIDENT_BREACH,
            description="P1 response missed",
            percent=D(5),
            amount=D("1500.00"),
            ref="INC-2",
        ),
    ]
    assert result.total_before_cap == D("6000.00")
    assert result.cap_amount == D("4500.00")
    assert result.total == D("4500.00")
    assert result.capped


def test_no_availability_line_when_target_met() -> None:
    result = compute_credits(
        monthly_fee=D(1000),
        period_months=1,
        currency="EUR",
        availability=D("99.99"),
        tiers=INCLUSIVE,
        breach_credits=[],
        cap_percent=D(100),
    )
    assert result.lines == []
    assert result.total == D("0.00")
    assert str(result.total) == "0.00"
    assert not result.capped


def test_rounding_is_half_up_per_line() -> None:
    result = compute_credits(
        monthly_fee=D("10.05"),
        period_months=1,
        currency="USD",
        availability=None,
        tiers=[],
        breach_credits=[("a", "half", D(50)), ("b", "half", D(50))],
        cap_percent=D(100),
    )
    # 5.025 rounds half-up to 5.03 on each line (half-even would give 5.02).
    assert [line.amount for line in result.lines] == [D("5.03"), D("5.03")]
    assert result.total_before_cap == D("10.06")
    assert result.cap_amount == D("10.05")
    assert result.total == D("10.05")
    assert result.capped


def test_zero_and_three_decimal_currencies() -> None:
    yen = compute_credits(
        monthly_fee=D(123457),
        period_months=1,
        currency="jpy",
        availability=D("99.5"),
        tiers=INCLUSIVE,
        breach_credits=[],
        cap_percent=D(100),
    )
    assert yen.total == D(12346)  # 12345.7 -> 12346
    assert yen.total.as_tuple().exponent == 0
    dinar = compute_credits(
        monthly_fee=D("333.3335"),
        period_months=1,
        currency="KWD",
        availability=D("99.5"),
        tiers=INCLUSIVE,
        breach_credits=[],
        cap_percent=D(100),
    )
    assert dinar.total == D("33.333")  # 33.33335 -> 33.333


def test_minor_units_table() -> None:
    assert minor_units("JPY") == 0
    assert minor_units("KWD") == 3
    assert minor_units("BHD") == 3
    assert minor_units("USD") == 2
    assert minor_units("gbp") == 2
    with pytest.raises(ValueError, match="ISO 4217"):
        minor_units("US$")


def test_invalid_inputs_are_rejected() -> None:
    base = {
        "monthly_fee": D(100),
        "period_months": 1,
        "currency": "USD",
        "availability": None,
        "tiers": [],
        "breach_credits": [],
        "cap_percent": D(10),
    }
    for override in (
        {"monthly_fee": D(-1)},
        {"period_months": 0},
        {"cap_percent": D(101)},
        {"availability": D(101)},
        {"breach_credits": [("x", "negative", D(-1))]},
    ):
        with pytest.raises(ValueError):
            compute_credits(**{**base, **override})  # type: ignore[arg-type]


# --- termination ------------------------------------------------------------------

T, F = True, False


def test_three_in_a_row() -> None:
    history = [F, F, T, T, T]
    assert termination_triggered(below_target=history, n=3, m=6, consecutive=True)
    assert not termination_triggered(below_target=[T, T, F, T, F, F], n=3, m=6, consecutive=True)


def test_three_of_six() -> None:
    history = [T, F, T, F, F, T]
    assert termination_triggered(below_target=history, n=3, m=6, consecutive=False)
    assert not termination_triggered(below_target=history, n=3, m=6, consecutive=True)


def test_only_the_last_m_periods_count() -> None:
    history = [T, T, T, F, F, F, F, F, F]
    assert not termination_triggered(below_target=history, n=3, m=6, consecutive=False)
    assert termination_triggered(below_target=history, n=3, m=9, consecutive=True)
    # A run straddling the window edge only counts its in-window part.
    assert not termination_triggered(below_target=[T, T, T, F, F, F, F, T], n=3, m=6, consecutive=True)


def test_fewer_periods_than_window() -> None:
    assert termination_triggered(below_target=[T, T], n=2, m=6, consecutive=True)
    assert not termination_triggered(below_target=[], n=1, m=1, consecutive=False)


def test_bad_n_m() -> None:
    with pytest.raises(ValueError):
        termination_triggered(below_target=[T], n=4, m=3, consecutive=False)
    with pytest.raises(ValueError):
        termination_triggered(below_target=[T], n=0, m=3, consecutive=False)


@given(
    history=st.lists(st.booleans(), max_size=15),
    n=st.integers(1, 6),
    extra=st.integers(0, 6),
)
def test_consecutive_implies_count(history: list[bool], n: int, extra: int) -> None:
    m = n + extra
    if termination_triggered(below_target=history, n=n, m=m, consecutive=True):
        assert termination_triggered(below_target=history, n=n, m=m, consecutive=False)
    # A larger window never un-triggers.
    if termination_triggered(below_target=history, n=n, m=m, consecutive=False):
        assert termination_triggered(below_target=history, n=n, m=m + 1, consecutive=False)
