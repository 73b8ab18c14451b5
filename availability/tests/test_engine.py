from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from availability.engine import (
    AvailabilityResult,
    ComponentAvailability,
    Pair,
    Span,
    clip,
    compute_availability,
    intersect,
    merge,
    subtract,
    total,
)

T0 = datetime(2024, 10, 1, tzinfo=UTC)
IST = timezone(timedelta(hours=5, minutes=30))
COMPONENTS = ["api", "web", "db"]


def m(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def cells(intervals: list[Pair]) -> set[int]:
    """Brute-force model: the set of whole minutes (since T0) covered."""
    covered: set[int] = set()
    for start, end in intervals:
        first = (start - T0) // timedelta(minutes=1)
        last = (end - T0) // timedelta(minutes=1)
        covered.update(range(first, last))
    return covered


def assert_canonical(intervals: list[Pair]) -> None:
    for start, end in intervals:
        assert start < end
        assert start.tzinfo is UTC and end.tzinfo is UTC
    for (_, left_end), (right_start, _) in zip(intervals, intervals[1:], strict=False):
        assert left_end < right_start  # sorted, disjoint, not touching


# --- strategies -------------------------------------------------------------

HORIZON = 6 * 24 * 60  # minutes
minutes = st.integers(min_value=0, max_value=HORIZON)
zones = st.sampled_from([UTC, IST])


@st.composite
def pairs(draw: st.DrawFn) -> Pair:
    start = draw(minutes)
    length = draw(st.integers(min_value=0, max_value=2 * 24 * 60))
    zone = draw(zones)
    return (m(start).astimezone(zone), m(start + length).astimezone(zone))


pair_lists = st.lists(pairs(), max_size=8)


@st.composite
def spans(draw: st.DrawFn, *, components: list[str]) -> Span:
    start, end = draw(pairs())
    component = draw(st.sampled_from([*components, "*"]))
    return Span(start=start, end=end, component=component, ref=f"r{draw(minutes)}")


span_lists = st.lists(spans(components=COMPONENTS), max_size=6)
rules = st.sampled_from(["any", "all"])


# --- interval algebra ----------------------------------------------------------


@given(intervals=pair_lists, data=st.data())
def test_merge_is_order_independent(intervals: list[Pair], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(intervals))
    assert merge(shuffled) == merge(intervals)


@given(intervals=pair_lists)
def test_merge_is_the_union(intervals: list[Pair]) -> None:
    merged = merge(intervals)
    assert_canonical(merged)
    assert cells(merged) == cells(intervals)
    assert merge(merged) == merged


@given(base=pair_lists, remove=pair_lists)
def test_subtract_is_set_difference(base: list[Pair], remove: list[Pair]) -> None:
    result = subtract(base=base, remove=remove)
    assert_canonical(result)
    assert cells(result) == cells(base) - cells(remove)


@given(left=pair_lists, right=pair_lists)
def test_intersect_is_set_intersection(left: list[Pair], right: list[Pair]) -> None:
    result = intersect(left=left, right=right)
    assert_canonical(result)
    assert cells(result) == cells(left) & cells(right)


@given(intervals=pair_lists, a=minutes, b=minutes)
def test_clip_restricts_to_window(intervals: list[Pair], a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    result = clip(intervals=intervals, start=m(lo), end=m(hi))
    assert_canonical(result)
    assert cells(result) == cells(intervals) & set(range(lo, hi))


def test_merge_coalesces_touching_and_drops_empty() -> None:
    assert merge([(m(10), m(20)), (m(0), m(10)), (m(30), m(30))]) == [(m(0), m(20))]


def test_merge_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        merge([(datetime(2024, 1, 1), datetime(2024, 1, 2))])


# --- compute_availability: properties -------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    lo = draw(minutes)
    hi = draw(st.integers(min_value=lo + 1, max_value=HORIZON + 1))
    return {
        "period_start": m(lo),
        "period_end": m(hi),
        "components": COMPONENTS,
        "outages": draw(span_lists),
        "excused": draw(span_lists),
        "no_data": draw(span_lists),
        "service_rule": draw(rules),
    }


def all_summaries(result: AvailabilityResult) -> list[ComponentAvailability]:
    return [result.service, *result.components.values()]


@given(scenario=scenarios())
def test_availability_within_bounds(scenario: dict[str, object]) -> None:
    result = compute_availability(**scenario)  # type: ignore[arg-type]
    for summary in all_summaries(result):
        assert Decimal(0) <= summary.availability <= Decimal(100)
        assert summary.availability == summary.availability.quantize(Decimal("0.001"))
        assert summary.downtime_minutes + summary.no_data_minutes <= (summary.period_minutes)
        if not summary.measured:
            assert summary.availability == 100


@given(scenario=scenarios())
def test_excused_never_exceeds_outage_time(scenario: dict[str, object]) -> None:
    result = compute_availability(**scenario)  # type: ignore[arg-type]
    start, end = scenario["period_start"], scenario["period_end"]
    outages: list[Span] = scenario["outages"]  # type: ignore[assignment]
    for name, summary in result.components.items():
        mine = [(o.start, o.end) for o in outages if o.component in (name, "*")]
        outage_minutes = Decimal(
            total(clip(intervals=mine, start=start, end=end))  # type: ignore[arg-type]
            // timedelta(minutes=1)
        )
        assert summary.excused_minutes <= outage_minutes
        assert summary.excused_minutes + summary.downtime_minutes == outage_minutes


@given(scenario=scenarios(), data=st.data())
def test_splitting_the_period_is_additive(scenario: dict[str, object], data: st.DataObject) -> None:
    start: datetime = scenario["period_start"]  # type: ignore[assignment]
    end: datetime = scenario["period_end"]  # type: ignore[assignment]
    span_minutes = (end - start) // timedelta(minutes=1)
    cut = start + timedelta(minutes=data.draw(st.integers(0, span_minutes)))

    whole = compute_availability(**scenario)  # type: ignore[arg-type]
    parts = [
        compute_availability(**{**scenario, "period_start": lo, "period_end": hi})  # type: ignore[arg-type]
        for lo, hi in ((start, cut), (cut, end))
        if hi > lo
    ]

    def fields(summary: ComponentAvailability) -> tuple[Decimal, ...]:
        return (
            summary.period_minutes,
            summary.downtime_minutes,
            summary.excused_minutes,
            summary.no_data_minutes,
        )

    for key in ["*", *COMPONENTS]:

        def pick(result: AvailabilityResult, key: str = key) -> ComponentAvailability:
            return result.service if key == "*" else result.components[key]

        summed = tuple(sum(values, Decimal(0)) for values in zip(*(fields(pick(p)) for p in parts), strict=True))
        assert summed == fields(pick(whole))

    def counted_length(result: AvailabilityResult) -> timedelta:
        return sum((s.end - s.start for s in result.counted), timedelta(0))

    assert sum((counted_length(p) for p in parts), timedelta(0)) == counted_length(whole)


@given(scenario=scenarios(), data=st.data())
def test_input_order_is_irrelevant(scenario: dict[str, object], data: st.DataObject) -> None:
    shuffled = {
        **scenario,
        "outages": data.draw(st.permutations(scenario["outages"])),  # type: ignore[arg-type]
        "excused": data.draw(st.permutations(scenario["excused"])),  # type: ignore[arg-type]
        "components": data.draw(st.permutations(COMPONENTS)),
    }
    a = compute_availability(**scenario)  # type: ignore[arg-type]
    b = compute_availability(**shuffled)  # type: ignore[arg-type]
    assert a.service == b.service
    assert a.components == b.components
    assert a.counted == b.counted


@given(scenario=scenarios())
def test_any_rule_is_never_better_than_all_rule(scenario: dict[str, object]) -> None:
    any_rule = compute_availability(**{**scenario, "service_rule": "any"})  # type: ignore[arg-type]
    all_rule = compute_availability(**{**scenario, "service_rule": "all"})  # type: ignore[arg-type]
    assert any_rule.service.downtime_minutes >= all_rule.service.downtime_minutes
    for summary in any_rule.components.values():
        assert any_rule.service.downtime_minutes >= summary.downtime_minutes
        assert all_rule.service.downtime_minutes <= summary.downtime_minutes


# --- compute_availability: worked examples ----------------------------------------

OCT = datetime(2024, 10, 1, tzinfo=UTC)
NOV = datetime(2024, 11, 1, tzinfo=UTC)
DEC = datetime(2024, 12, 1, tzinfo=UTC)


def test_outage_spanning_a_month_end_is_split() -> None:
    outage = Span(
        start=datetime(2024, 10, 31, 23, 0, tzinfo=UTC),
        end=datetime(2024, 11, 1, 1, 0, tzinfo=UTC),
        component="api",
        ref="INC-1",
    )
    october = compute_availability(
        period_start=OCT,
        period_end=NOV,
        components=["api"],
        outages=[outage],
        excused=[],
    )
    november = compute_availability(
        period_start=NOV,
        period_end=DEC,
        components=["api"],
        outages=[outage],
        excused=[],
    )
    assert october.service.downtime_minutes == Decimal(60)
    assert november.service.downtime_minutes == Decimal(60)
    assert october.counted == [Span(start=outage.start, end=NOV, component="api", ref="INC-1")]
    assert november.counted == [Span(start=NOV, end=outage.end, component="api", ref="INC-1")]
    # 31-day October: 44640 min, 60 down -> 99.86559... -> 99.865 (floored)
    assert october.service.availability == Decimal("99.865")
    # 30-day November: 43200 min, 60 down -> 99.86111... -> 99.861
    assert november.service.availability == Decimal("99.861")


def test_overlapping_outages_on_two_components_union_for_service() -> None:
    result = compute_availability(
        period_start=NOV,
        period_end=DEC,
        components=["api", "db"],
        outages=[
            Span(start=NOV + timedelta(hours=1), end=NOV + timedelta(hours=2), component="api", ref="INC-1"),
            Span(start=NOV + timedelta(hours=1, minutes=30), end=NOV + timedelta(hours=3), component="db", ref="INC-2"),
        ],
        excused=[],
    )
    assert result.components["api"].downtime_minutes == Decimal(60)
    assert result.components["db"].downtime_minutes == Decimal(90)
    assert result.service.downtime_minutes == Decimal(120)  # 01:00-03:00, not 150
    assert [s.ref for s in result.counted] == ["INC-1", "INC-2"]


def test_all_rule_counts_only_the_overlap() -> None:
    result = compute_availability(
        period_start=NOV,
        period_end=DEC,
        components=["primary", "replica"],
        outages=[
            Span(start=NOV + timedelta(hours=1), end=NOV + timedelta(hours=2), component="primary"),
            Span(start=NOV + timedelta(hours=1, minutes=30), end=NOV + timedelta(hours=3), component="replica"),
        ],
        excused=[],
        service_rule="all",
    )
    assert result.service.downtime_minutes == Decimal(30)


def test_maintenance_inside_an_outage_is_excused() -> None:
    result = compute_availability(
        period_start=NOV,
        period_end=DEC,
        components=["api", "web"],
        outages=[
            Span(start=NOV + timedelta(hours=10), end=NOV + timedelta(hours=14), component="api", ref="INC-7"),
        ],
        excused=[
            Span(start=NOV + timedelta(hours=11), end=NOV + timedelta(hours=12), component="*", ref="MW-3"),
        ],
    )
    api = result.components["api"]
    assert api.downtime_minutes == Decimal(180)
    assert api.excused_minutes == Decimal(60)
    assert result.components["web"].excused_minutes == Decimal(0)
    assert result.service.downtime_minutes == Decimal(180)
    assert result.service.excused_minutes == Decimal(60)
    assert result.counted == [
        Span(start=NOV + timedelta(hours=10), end=NOV + timedelta(hours=11), component="api", ref="INC-7"),
        Span(start=NOV + timedelta(hours=12), end=NOV + timedelta(hours=14), component="api", ref="INC-7"),
    ]


def test_thirty_day_month_with_43_2_minutes_down_is_99_900() -> None:
    start = NOV + timedelta(days=3)
    result = compute_availability(
        period_start=NOV,
        period_end=DEC,
        components=["api"],
        outages=[Span(start=start, end=start + timedelta(seconds=2592), component="api")],
        excused=[],
    )
    assert result.service.period_minutes == Decimal(43200)
    assert result.service.downtime_minutes == Decimal("43.2")
    assert result.service.availability == Decimal("99.900")
    assert str(result.service.availability) == "99.900"


def test_availability_rounds_down_never_up() -> None:
    # 43.25 minutes is 99.89988...%: half-up would show a passing 99.900.
    start = NOV + timedelta(days=3)
    result = compute_availability(
        period_start=NOV,
        period_end=DEC,
        components=["api"],
        outages=[Span(start=start, end=start + timedelta(seconds=2595), component="api")],
        excused=[],
    )
    assert result.service.availability == Decimal("99.899")


def test_no_data_leaves_the_denominator() -> None:
    result = compute_availability(
        period_start=NOV,
        period_end=NOV + timedelta(minutes=1000),
        components=["api"],
        outages=[Span(start=NOV, end=NOV + timedelta(minutes=9), component="api")],
        excused=[],
        no_data=[
            # 100 min gap, 5 of which overlap the recorded outage and so are data.
            Span(start=NOV + timedelta(minutes=4), end=NOV + timedelta(minutes=104), component="api"),
        ],
    )
    api = result.components["api"]
    assert api.no_data_minutes == Decimal(95)
    assert api.downtime_minutes == Decimal(9)
    # (905 - 9) / 905 = 99.00552...%
    assert api.availability == Decimal("99.005")
    assert api.measured


def test_all_no_data_is_reported_as_unmeasured() -> None:
    result = compute_availability(
        period_start=NOV,
        period_end=DEC,
        components=["api"],
        outages=[],
        excused=[],
        no_data=[Span(start=OCT, end=DEC, component="*")],
    )
    assert result.service.availability == Decimal(100)
    assert not result.service.measured
    assert not result.components["api"].measured


def test_service_no_data_under_any_rule_is_known_when_a_component_is_down() -> None:
    result = compute_availability(
        period_start=NOV,
        period_end=NOV + timedelta(hours=10),
        components=["api", "db"],
        outages=[Span(start=NOV, end=NOV + timedelta(hours=1), component="db")],
        excused=[],
        no_data=[Span(start=NOV, end=NOV + timedelta(hours=2), component="api")],
    )
    # api unknown 00:00-02:00, but db down 00:00-01:00 already decides "down".
    assert result.service.no_data_minutes == Decimal(60)
    assert result.service.downtime_minutes == Decimal(60)


def test_non_utc_period_bounds() -> None:
    result = compute_availability(
        period_start=NOV.astimezone(IST),
        period_end=DEC.astimezone(IST),
        components=["api"],
        outages=[],
        excused=[],
    )
    assert result.period_start == NOV and result.period_start.tzinfo is UTC
    assert result.service.period_minutes == Decimal(43200)


def test_unknown_component_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown component"):
        compute_availability(
            period_start=NOV,
            period_end=DEC,
            components=["api"],
            outages=[Span(start=NOV, end=DEC, component="dns")],
            excused=[],
        )


def test_bad_rule_and_period_are_rejected() -> None:
    with pytest.raises(ValueError, match="service_rule"):
        compute_availability(
            period_start=NOV,
            period_end=DEC,
            components=["api"],
            outages=[],
            excused=[],
            service_rule="majority",
        )
    with pytest.raises(ValueError, match="period_end"):
        compute_availability(
            period_start=DEC,
            period_end=NOV,
            components=["api"],
            outages=[],
            excused=[],
        )
