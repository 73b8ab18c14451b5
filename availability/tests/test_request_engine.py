"""The request-based availability engine (``availability.requests``): exact
figures against a brute-force oracle, the S3 rule's worked cases, the choice
between sources and granularities, the interval grid, and its speed."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from availability.requests import (
    Tally,
    aligned,
    epoch_seconds,
    period_slots,
    slot_readings,
    uptime,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
FIVE = 300


def tally(slot: int, total: int, failed: int, *, source: int = 1, component: str = "api", minutes: int = 5) -> Tally:
    return Tally(source, component, epoch_seconds(T0) + slot * FIVE, minutes, total, failed)


def slots_of(n: int, minutes: int = 5) -> range:
    return period_slots(T0, T0 + timedelta(minutes=minutes * n), minutes)


def test_the_s3_rule_averages_interval_error_rates_not_requests():
    # Four intervals: 1 of 10 failed, 0 of 1,000, none reported, 0 requests.
    # Error rates 10 %, 0 %, 0 %, 0 %: the average is 2.5 %, uptime 97.5 %.
    # Weighted by requests it would be 100 - 100 x 1/1010, about 99.90 %.
    rows = [tally(0, 10, 1), tally(1, 1000, 0), tally(3, 0, 0)]
    figure = uptime(rows, rule="interval_average", slots=slots_of(4), minutes=5)
    assert figure.exact == Fraction(975, 10)
    assert figure.measured == Fraction(100) - Fraction(100, 30)  # 10 % over the 3 measured intervals
    assert figure.coverage == Fraction(75)
    assert (figure.requests, figure.failed, figure.intervals, figure.measured_intervals) == (1010, 1, 4, 3)

    ratio = uptime(rows, rule="total_ratio", slots=slots_of(4), minutes=5)
    assert ratio.exact == Fraction(100) - Fraction(100, 1010)
    assert ratio.exact == ratio.measured


def test_a_month_at_99_9_percent_is_exactly_99_9():
    # 8,640 five-minute intervals in a 30-day month: 0.1 % of them is 8.64 intervals' worth of errors,
    # here 8 intervals with every request failed and one with 64 % failed.
    rows = [tally(i, 50, 50 if i < 8 else 32 if i == 8 else 0) for i in range(8640)]
    figure = uptime(rows, rule="interval_average", slots=slots_of(8640), minutes=5)
    assert figure.exact == Fraction(999, 10)


def test_intervals_with_no_requests_or_no_tally_count_as_no_errors():
    rows = [tally(0, 0, 0)]
    figure = uptime(rows, rule="interval_average", slots=slots_of(12), minutes=5)
    assert figure.exact == 100 and figure.coverage == Fraction(100, 12)
    # total_ratio without any request is not measured
    assert uptime(rows, rule="total_ratio", slots=slots_of(12), minutes=5).exact is None


def test_nothing_reported_is_not_measured():
    for rule in ("interval_average", "total_ratio"):
        figure = uptime([], rule=rule, slots=slots_of(12), minutes=5)
        assert figure.exact is None and figure.measured is None and figure.coverage == 0
    empty = uptime([], rule="interval_average", slots=period_slots(T0, T0, 5), minutes=5)
    assert empty.intervals == 0 and empty.exact is None and empty.coverage == 0


def test_the_highest_error_rate_counts_when_sources_disagree():
    a = tally(0, 1000, 10, source=1)  # 1 %
    b = tally(0, 10, 1, source=2)  # 10 %: fewer failures but the higher rate counts
    per_slot, _ = slot_readings([a, b], minutes=5)
    assert per_slot == {a.start // FIVE: (1, 10)}
    # a tie on the rate goes to more requests, then to the lower source id, in any order
    c, d = tally(0, 20, 2, source=3), tally(0, 10, 1, source=4)
    assert slot_readings([d, c], minutes=5)[0] == slot_readings([c, d], minutes=5)[0] == {a.start // FIVE: (2, 20)}
    e, f = tally(0, 10, 1, source=6), tally(0, 10, 1, source=5)
    assert slot_readings([e, f], minutes=5)[0] == {a.start // FIVE: (1, 10)}
    # a reading without requests loses to one with a failure
    assert slot_readings([tally(0, 0, 0, source=1), tally(0, 5, 1, source=2)], minutes=5)[0] == {
        a.start // FIVE: (1, 5)
    }


def test_components_add_up_within_an_interval():
    rows = [tally(0, 100, 1, component="api"), tally(0, 300, 3, component="web")]
    assert slot_readings(rows, minutes=5)[0] == {rows[0].start // FIVE: (4, 400)}


def test_finer_tallies_roll_up_and_coarser_ones_are_left_out():
    base = epoch_seconds(T0)
    ones = [Tally(1, "api", base + 60 * m, 1, 10, 1 if m == 2 else 0) for m in range(5)]
    hour = Tally(1, "api", base, 60, 600, 60)
    per_slot, ignored = slot_readings([*ones, hour], minutes=5)
    assert per_slot == {base // FIVE: (1, 50)} and ignored == 1
    # one source sending both 1- and 5-minute tallies for an interval: its 5-minute one counts, never both
    five = Tally(1, "api", base, 5, 40, 0)
    assert slot_readings([*ones, five], minutes=5)[0] == {base // FIVE: (0, 40)}


def test_the_grid_is_the_utc_epoch_and_edges_belong_to_the_period_they_start_in():
    assert aligned(datetime(2026, 3, 29, 1, 5, tzinfo=UTC), 5)
    assert not aligned(datetime(2026, 3, 29, 1, 6, tzinfo=UTC), 5)
    assert not aligned(datetime(2026, 3, 29, 1, 5, 0, 1, tzinfo=UTC), 5)
    assert not aligned(datetime(2026, 3, 29, 1, 5), 5)  # naive
    # March in Berlin (DST starts on the 29th) has 31 x 288 - 12 five-minute intervals
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    march = period_slots(datetime(2026, 3, 1, tzinfo=berlin), datetime(2026, 4, 1, tzinfo=berlin), 5)
    assert len(march) == 31 * 288 - 12
    # Kathmandu (+05:45): midnight is on the 5-minute grid but not on the hour grid
    kathmandu = ZoneInfo("Asia/Kathmandu")
    day = period_slots(datetime(2026, 3, 1, tzinfo=kathmandu), datetime(2026, 3, 2, tzinfo=kathmandu), 60)
    assert len(day) == 24  # the hour straddling the start belongs to the day before
    # a start off the grid: the straddling interval is the previous period's
    off = period_slots(T0 + timedelta(minutes=2), T0 + timedelta(minutes=12), 5)
    assert list(off) == [epoch_seconds(T0) // FIVE + 1, epoch_seconds(T0) // FIVE + 2]
    with pytest.raises(ValueError):
        epoch_seconds(datetime(2026, 3, 1))


def test_unknown_rules_and_intervals_are_refused():
    with pytest.raises(ValueError):
        uptime([], rule="median", slots=slots_of(1), minutes=5)
    with pytest.raises(ValueError):
        uptime([], rule="total_ratio", slots=slots_of(1), minutes=7)


# -- brute force -----------------------------------------------------------------------------


def oracle(rows: list[Tally], n: int, rule: str) -> Fraction | None:
    """The rules written out the slow way, one interval and one component at a time."""
    base = epoch_seconds(T0) // FIVE
    rates: list[Fraction] = []
    failed = total = 0
    seen = False
    for slot in range(base, base + n):
        f_slot = t_slot = 0
        here = [r for r in rows if r.start // FIVE == slot]
        for component in sorted({r.component for r in here}):
            best = None
            for source in sorted({r.source_id for r in here if r.component == component}):
                mine = [r for r in here if r.component == component and r.source_id == source]
                size = max(r.minutes for r in mine)
                f = sum(r.failed for r in mine if r.minutes == size)
                t = sum(r.total for r in mine if r.minutes == size)
                rate = Fraction(f, t) if t else Fraction(0)
                key = (rate, t, -source)
                if best is None or key > best[0]:
                    best = (key, f, t)
            assert best is not None
            f_slot += best[1]
            t_slot += best[2]
        if here:
            seen = True
            rates.append(Fraction(f_slot, t_slot) if t_slot else Fraction(0))
            failed += f_slot
            total += t_slot
    if rule == "interval_average":
        return 100 - 100 * sum(rates, Fraction(0)) / n if seen else None
    return 100 - Fraction(100 * failed, total) if total else None


@st.composite
def tallies(draw: st.DrawFn) -> tuple[list[Tally], int]:
    n = draw(st.integers(min_value=1, max_value=12))
    base = epoch_seconds(T0)
    rows: dict[tuple[int, str, int, int], Tally] = {}
    for _ in range(draw(st.integers(min_value=0, max_value=30))):
        minutes = draw(st.sampled_from([1, 5]))
        offset = (
            draw(st.integers(min_value=0, max_value=n * 5 - 1))
            if minutes == 1
            else 5 * draw(st.integers(min_value=0, max_value=n - 1))
        )
        total = draw(st.integers(min_value=0, max_value=50))
        row = Tally(
            draw(st.integers(min_value=1, max_value=3)),
            draw(st.sampled_from(["api", "web"])),
            base + 60 * offset,
            minutes,
            total,
            draw(st.integers(min_value=0, max_value=total)),
        )
        rows[(row.source_id, row.component, row.start, row.minutes)] = row  # unique, as the table keeps them
    return list(rows.values()), n


@settings(max_examples=300, deadline=None)
@given(tallies(), st.sampled_from(["interval_average", "total_ratio"]))
def test_the_engine_agrees_with_brute_force(case, rule):
    rows, n = case
    assert uptime(rows, rule=rule, slots=slots_of(n), minutes=5).exact == oracle(rows, n, rule)


def test_a_month_of_8640_intervals_from_two_sources_in_well_under_a_second():
    rng = random.Random(14)
    rows = []
    for source in (1, 2):
        for i in range(8640):
            total = rng.randint(1, 10**6)
            rows.append(tally(i, total, rng.randint(0, total // 50), source=source))
    started = time.perf_counter()
    figure = uptime(rows, rule="interval_average", slots=slots_of(8640), minutes=5)
    elapsed = time.perf_counter() - started
    assert figure.exact is not None and 0 < figure.exact < 100 and figure.coverage == 100
    assert elapsed < 1.0, f"{elapsed:.3f}s"
