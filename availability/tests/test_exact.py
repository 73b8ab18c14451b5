"""Availability is exact: the engine against a brute-force oracle over
microsecond bounds, the display rule against every bound a figure is judged
by, and the boundary cases that rounding used to get wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from availability.engine import Span, compute_availability, shown

T0 = datetime(2026, 11, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
HORIZON_US = 3 * 86_400 * 1_000_000  # three days, in microseconds


def at(us: int) -> datetime:
    return T0 + us * US


# --- the oracle ----------------------------------------------------------------------


def oracle(
    *,
    period: tuple[int, int],
    outages: list[tuple[int, int]],
    excused: list[tuple[int, int]],
    no_data: list[tuple[int, int]],
    rule: str,
) -> tuple[Fraction | None, Fraction]:
    """(availability percent, coverage percent) of one component, by walking
    every elementary segment between two boundaries and asking each span
    directly whether it covers the segment: no interval algebra shared with
    the engine."""
    lo, hi = period
    points = sorted({lo, hi, *(p for s in (*outages, *excused, *no_data) for p in s if lo < p < hi)})
    down = dropped = unmonitored = 0
    for a, b in zip(points, points[1:], strict=False):

        def covers(spans: list[tuple[int, int]], a: int = a, b: int = b) -> bool:
            return any(s <= a and b <= e for s, e in spans)

        is_outage = covers(outages)
        is_gap = covers(no_data) and not is_outage
        is_excused = covers(excused)
        unmonitored += (b - a) * is_gap
        if rule == "excluded":
            dropped += (b - a) * is_gap
        is_down = is_outage or (rule == "unavailable" and is_gap)
        down += (b - a) * (is_down and not is_excused)
    measured = hi - lo - dropped
    value = Fraction(100 * (measured - down), measured) if measured else None
    return value, Fraction(100 * (hi - lo - unmonitored), hi - lo)


intervals = st.lists(
    st.tuples(st.integers(0, HORIZON_US), st.integers(0, 86_400 * 1_000_000)).map(lambda p: (p[0], p[0] + p[1])),
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(
    bounds=st.tuples(st.integers(0, HORIZON_US), st.integers(1, HORIZON_US)),
    outages=intervals,
    excused=intervals,
    no_data=intervals,
    rule=st.sampled_from(["excluded", "available", "unavailable"]),
)
def test_availability_equals_the_brute_force_exact_value(bounds, outages, excused, no_data, rule):
    lo, hi = bounds[0], bounds[0] + bounds[1]

    def spans(pairs: list[tuple[int, int]]) -> list[Span]:
        return [Span(start=at(a), end=at(b), component="api", ref=f"r{i}") for i, (a, b) in enumerate(pairs)]

    result = compute_availability(
        period_start=at(lo),
        period_end=at(hi),
        components=["api"],
        outages=spans(outages),
        excused=spans(excused),
        no_data=spans(no_data),
        unmeasured=rule,
    )
    value, coverage = oracle(period=(lo, hi), outages=outages, excused=excused, no_data=no_data, rule=rule)
    for summary in (result.service, result.components["api"]):
        assert summary.exact == value
        assert summary.coverage == coverage
        assert summary.measured == (value is not None)


@settings(max_examples=100, deadline=None)
@given(
    outages=st.lists(
        st.tuples(st.sampled_from(["api", "web", "*"]), st.integers(0, HORIZON_US), st.integers(0, 10**10)),
        max_size=6,
    )
)
def test_service_under_the_any_rule_is_the_union_to_the_microsecond(outages):
    result = compute_availability(
        period_start=at(0),
        period_end=at(HORIZON_US),
        components=["api", "web"],
        outages=[Span(start=at(a), end=at(a + n), component=c) for c, a, n in outages],
        excused=[],
    )
    value, _ = oracle(
        period=(0, HORIZON_US), outages=[(a, a + n) for _, a, n in outages], excused=[], no_data=[], rule="excluded"
    )
    assert result.service.exact == value


# --- decisions: never across a bound -------------------------------------------------

# (lower, lower_inclusive, upper, upper_inclusive): the two presets' tables and a "<= 99.9" one.
TIER_TABLES: list[list[tuple[str | None, bool, str | None, bool]]] = [
    [
        ("99.0", True, "99.95", False),
        ("98.0", True, "99.0", False),
        ("95.0", True, "98.0", False),
        (None, True, "95.0", False),
    ],
    [("99.0", False, "99.5", False), ("97.0", False, "99.0", True), (None, True, "97.0", True)],
    [("99.0", False, "99.9", True), (None, True, "99.0", True)],
]
TARGETS = ["99.95", "99.5", "99.9", "99.9995", "99.0"]


def tier_of(value: Fraction | Decimal, table: list[tuple[str | None, bool, str | None, bool]]) -> int | None:
    for index, (lower, lower_inc, upper, upper_inc) in enumerate(table):
        v = Fraction(value)
        if lower is not None and not (v > Fraction(Decimal(lower)) or (lower_inc and v == Fraction(Decimal(lower)))):
            continue
        if upper is not None and not (v < Fraction(Decimal(upper)) or (upper_inc and v == Fraction(Decimal(upper)))):
            continue
        return index
    return None


@settings(max_examples=300, deadline=None)
@given(
    table=st.sampled_from(TIER_TABLES),
    target=st.sampled_from(TARGETS),
    period_us=st.integers(60_000_000, 92 * 86_400 * 1_000_000),
    offset_us=st.integers(-5, 5),
    data=st.data(),
)
def test_shown_figure_decides_like_the_exact_value(table, target, period_us, offset_us, data):
    """Downtime a few microseconds either side of a bound: the figure shown
    lands on the same tier and the same side of the target as the exact value."""
    bounds = [Decimal(target), *(Decimal(b) for row in table for b in (row[0], row[2]) if b is not None)]
    bound = data.draw(st.sampled_from(bounds))
    down = max(0, min(period_us, int((100 - Fraction(bound)) * period_us / 100) + offset_us))
    result = compute_availability(
        period_start=at(0),
        period_end=at(period_us),
        components=["api"],
        outages=[Span(start=at(0), end=at(down), component="api")] if down else [],
        excused=[],
    )
    exact = result.service.exact
    assert exact == Fraction(100 * (period_us - down), period_us)
    figure = shown(exact, bounds=bounds)
    assert tier_of(figure, table) == tier_of(exact, table)
    assert (figure >= Decimal(target)) == (exact >= Fraction(Decimal(target)))
    assert figure <= exact and figure == figure.quantize(Decimal(1).scaleb(figure.as_tuple().exponent))
    assert -figure.as_tuple().exponent >= 3  # never fewer than 3 decimals


@given(
    bound=st.sampled_from([Decimal(t) for t in TARGETS]),
    numerator=st.integers(-(10**6), 10**6),
    denominator=st.integers(1, 10**13),
)
def test_shown_is_on_the_same_side_of_every_bound(bound, numerator, denominator):
    value = Fraction(bound) + Fraction(numerator, denominator)
    figure = shown(value, bounds=[bound])
    assert (Fraction(figure) > bound) == (value > bound)
    assert (Fraction(figure) == bound) == (value == bound)


# --- the boundary cases ------------------------------------------------------------------


def one_outage(period_us: int, down_us: int) -> Fraction:
    result = compute_availability(
        period_start=at(0),
        period_end=at(period_us),
        components=["api"],
        outages=[Span(start=at(10**9), end=at(10**9 + down_us), component="api")],
        excused=[],
    )
    assert result.service.exact is not None
    return result.service.exact


def test_99_90001_percent_is_above_a_99_9_bound_and_reads_so() -> None:
    # 30 days; 0.09999 % of it down.
    period = 30 * 86_400 * 1_000_000
    exact = one_outage(period, period * 9_999 // 10_000_000)
    assert exact == Fraction("99.90001")
    assert shown(exact, bounds=[Decimal("99.9")]) == Decimal("99.90001")  # not 99.900: that is the bound
    assert tier_of(exact, TIER_TABLES[2]) is None  # "<= 99.9" pays nothing
    assert shown(exact) == Decimal("99.900")  # with no bound to respect, 3 decimals


def test_99_99955_percent_meets_a_99_9995_target() -> None:
    period = 31 * 86_400 * 1_000_000
    exact = one_outage(period, period * 45 // 10_000_000)
    assert exact == Fraction("99.99955") and exact >= Fraction(Decimal("99.9995"))
    assert shown(exact, bounds=[Decimal("99.9995")]) == Decimal("99.99955")
    assert shown(Fraction(Decimal("99.9995")), bounds=[Decimal("99.9995")]) == Decimal("99.9995")


def test_a_month_without_data_has_no_figure_and_zero_coverage() -> None:
    result = compute_availability(
        period_start=at(0),
        period_end=at(HORIZON_US),
        components=["api", "web"],
        outages=[],
        excused=[],
        no_data=[Span(start=at(0), end=at(HORIZON_US), component="*")],
        minimum_coverage_percent=Decimal(90),
    )
    assert result.service.coverage == 0 and not result.service.measured and result.service.exact is None
    for rule, expected in (("available", 100), ("unavailable", 0)):
        other = compute_availability(
            period_start=at(0),
            period_end=at(HORIZON_US),
            components=["api"],
            outages=[],
            excused=[],
            no_data=[Span(start=at(0), end=at(HORIZON_US), component="api")],
            unmeasured=rule,
            minimum_coverage_percent=Decimal(0),
        )
        assert other.service.exact == expected and other.service.measured and other.service.coverage == 0


def test_coverage_under_the_minimum_is_not_measured_at_the_exact_bound() -> None:
    period = 1_000_000_000
    for gap, measured in ((100_000_000, True), (100_000_001, False)):  # 90 % exactly, then a microsecond less
        result = compute_availability(
            period_start=at(0),
            period_end=at(period),
            components=["api"],
            outages=[],
            excused=[],
            no_data=[Span(start=at(0), end=at(gap), component="api")],
            minimum_coverage_percent=Decimal(90),
        )
        assert result.service.measured is measured
