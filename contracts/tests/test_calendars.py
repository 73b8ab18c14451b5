"""The business-time engine, without Django.

Run alone: .venv/bin/python -m pytest contracts/tests/test_calendars.py -p no:django \
    --noconftest -o addopts="" -q
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.calendars import (
    ALWAYS,
    BusinessCalendar,
    CalendarError,
    Closure,
    CoverageCalendar,
    Shift,
    clock_for,
    validate_calendar,
)
from contracts.tests.calendar_oracle import Oracle

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
US = timedelta(microseconds=1)
H = timedelta(hours=1)

WEEKDAYS = range(5)


def every_day(start: time, end: time) -> tuple[Shift, ...]:
    return tuple(Shift(day, start, end) for day in range(7))


BUSINESS_DE = CoverageCalendar(
    timezone="Europe/Berlin",
    shifts=tuple(Shift(day, time(8), time(18)) for day in WEEKDAYS),
    country="DE",
)
ROUND_THE_CLOCK_BERLIN = CoverageCalendar(timezone="Europe/Berlin", shifts=every_day(time(0), time(0)))
# Split weekday shifts, a Friday night shift, a Sunday small-hours shift that
# meets both DST nights, US holidays and a named closure.
MIXED_NY = CoverageCalendar(
    timezone="America/New_York",
    shifts=(
        *(Shift(day, time(9), time(12)) for day in WEEKDAYS),
        *(Shift(day, time(13), time(17)) for day in WEEKDAYS),
        Shift(4, time(22), time(6)),
        Shift(6, time(0), time(4)),
    ),
    country="US",
    closures=(Closure(date(2026, 6, 15), "Company offsite"),),
)
# Half-hour DST: a daily 01:00-03:00 shift crosses both transitions, and an
# overlapping 24h Saturday shift exercises merging.
LORD_HOWE_CAL = CoverageCalendar(
    timezone="Australia/Lord_Howe",
    shifts=(*every_day(time(1), time(3)), Shift(5, time(20), time(20)), Shift(2, time(2, 10), time(2, 40))),
    country="AU",
    subdivision="NSW",
)
PROPERTY_CALENDARS = [BUSINESS_DE, MIXED_NY, LORD_HOWE_CAL, ROUND_THE_CLOCK_BERLIN]


def local(zone: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    """The UTC instant of a local wall time.

    Returned in UTC because == between datetimes in different zones is always
    False when one of them falls in a repeated (fall-back) hour (PEP 495).
    """
    return datetime(*args, tzinfo=zone, fold=fold).astimezone(UTC)


def utc(t: datetime) -> datetime:
    """For arithmetic and equality: `local + timedelta` is wall-clock arithmetic."""
    return t.astimezone(UTC)


# --------------------------------------------------------------------------
# The brute-force oracle (minute by minute, from the stated rules)
# --------------------------------------------------------------------------


def oracle_elapsed(cal: CoverageCalendar, a: datetime, b: datetime) -> timedelta:
    return Oracle(cal, a, b).elapsed(a, b)


def oracle_open(cal: CoverageCalendar, t: datetime) -> bool:
    return Oracle(cal, t, t).is_open(t)


# --------------------------------------------------------------------------
# Hypothesis strategies: whole-second instants, biased towards the edges
# (shift boundaries and DST transitions) where bugs live.
# --------------------------------------------------------------------------

WINDOW_START = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW_END = datetime(2028, 1, 1, tzinfo=UTC)
WINDOW_SECONDS = int((WINDOW_END - WINDOW_START).total_seconds())
DISPLAY_ZONES = [UTC, BERLIN, NEW_YORK, LORD_HOWE, ZoneInfo("Asia/Kolkata")]


@cache
def _dst_transitions(zone: ZoneInfo) -> tuple[datetime, ...]:
    out = []
    t = WINDOW_START
    while t < WINDOW_END:
        nxt = t + H
        if t.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            out.append(nxt)
        t = nxt
    return tuple(out)


@cache
def _edges(cal: CoverageCalendar) -> tuple[datetime, ...]:
    clock = BusinessCalendar(cal)
    edges = set(_dst_transitions(ZoneInfo(cal.timezone)))
    for s, e in clock.open_intervals(WINDOW_START, WINDOW_END):
        edges.update((s, e))
    return tuple(sorted(edges))


@cache  # building strategies per draw dominates the run time otherwise
def instants(cal: CoverageCalendar) -> st.SearchStrategy[datetime]:
    anywhere = st.integers(0, WINDOW_SECONDS).map(lambda s: WINDOW_START + timedelta(seconds=s))
    near_edge = st.builds(
        lambda edge, offset: edge + timedelta(seconds=offset),
        st.sampled_from(_edges(cal)),
        st.sampled_from([0, 0, 1, -1, 60, -60]) | st.integers(-4 * 3600, 4 * 3600),
    )
    return st.builds(lambda t, zone: t.astimezone(zone), anywhere | near_edge, st.sampled_from(DISPLAY_ZONES))


durations = st.sampled_from([0, 1, 60, 3600, 36000]) | st.integers(0, 400 * 3600)


@st.composite
def calendar_and_instants(draw: st.DrawFn, count: int) -> tuple[BusinessCalendar, CoverageCalendar, list[datetime]]:
    cal = draw(st.sampled_from(PROPERTY_CALENDARS))
    # key=utc: same-zone datetimes compare by wall clock, ignoring fold.
    points = sorted((draw(instants(cal)) for _ in range(count)), key=utc)
    return clock_for(cal), cal, points


PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(calendar_and_instants(3))
def test_elapsed_is_additive(case: tuple[BusinessCalendar, CoverageCalendar, list[datetime]]) -> None:
    clock, _, (a, b, c) = case
    assert clock.elapsed(a, c) == clock.elapsed(a, b) + clock.elapsed(b, c)


@PROPERTY_SETTINGS
@given(calendar_and_instants(3))
def test_elapsed_is_monotonic_and_bounded_by_real_time(
    case: tuple[BusinessCalendar, CoverageCalendar, list[datetime]],
) -> None:
    clock, _, (a, b, c) = case
    assert timedelta(0) <= clock.elapsed(a, b) <= clock.elapsed(a, c)
    assert clock.elapsed(a, c) >= clock.elapsed(b, c)
    assert clock.elapsed(a, b) <= utc(b) - utc(a)
    assert clock.elapsed(b, a) == timedelta(0) or utc(a) == utc(b)


@PROPERTY_SETTINGS
@given(calendar_and_instants(1), durations)
def test_elapsed_to_the_due_time_is_the_duration(
    case: tuple[BusinessCalendar, CoverageCalendar, list[datetime]], seconds: int
) -> None:
    clock, _, (a,) = case
    d = timedelta(seconds=seconds)
    due = clock.add(a, d)
    assert due.tzinfo is UTC
    assert due >= a
    assert clock.elapsed(a, due) == d
    if d:
        # The earliest such instant: a microsecond earlier is not yet due.
        assert clock.elapsed(a, due - US) == d - US


@PROPERTY_SETTINGS
@given(calendar_and_instants(2))
def test_add_inverts_elapsed_inside_coverage(case: tuple[BusinessCalendar, CoverageCalendar, list[datetime]]) -> None:
    clock, _, (a, b) = case
    due = clock.add(a, clock.elapsed(a, b))
    # Always: the due time is no later than b and nothing counts between them.
    assert due <= b
    assert clock.elapsed(due, b) == timedelta(0)
    # Exactly b when b is inside coverage. The one exception is b at the very
    # start of an opening: the duration was already reached at the end of the
    # previous opening (add returns the earliest instant).
    at_opening_start = clock.is_open(b) and clock.elapsed(utc(b) - US, b) == timedelta(0)
    if clock.is_open(b) and not (at_opening_start and utc(b) > utc(a)):
        assert due == utc(b)


@PROPERTY_SETTINGS
@given(calendar_and_instants(2), durations, durations)
def test_add_is_monotonic(case: tuple[BusinessCalendar, CoverageCalendar, list[datetime]], s1: int, s2: int) -> None:
    clock, _, (a, b) = case
    d1, d2 = sorted((timedelta(seconds=s1), timedelta(seconds=s2)))
    assert clock.add(a, d1) <= clock.add(a, d2)
    assert clock.add(a, d1) <= clock.add(b, d1)


@PROPERTY_SETTINGS
@given(calendar_and_instants(1))
def test_is_open_matches_the_rules_and_elapsed(case: tuple[BusinessCalendar, CoverageCalendar, list[datetime]]) -> None:
    clock, cal, (t,) = case
    assert clock.is_open(t) == oracle_open(cal, t)
    assert clock.is_open(t) == (clock.elapsed(t, utc(t) + US) == US)


@PROPERTY_SETTINGS
@given(calendar_and_instants(1), st.integers(0, 3 * 86400))
def test_elapsed_matches_the_rules_over_short_windows(
    case: tuple[BusinessCalendar, CoverageCalendar, list[datetime]], seconds: int
) -> None:
    clock, cal, (a,) = case
    b = utc(a) + timedelta(seconds=seconds)
    assert clock.elapsed(a, b) == oracle_elapsed(cal, a, b)
    intervals = clock.open_intervals(a, b)
    assert sum((e - s for s, e in intervals), timedelta(0)) == clock.elapsed(a, b)
    assert all(a <= s < e <= b for s, e in intervals)
    assert all(e1 < s2 for (_, e1), (s2, _) in zip(intervals, intervals[1:], strict=False))


# Zones with awkward transitions: half-hour DST, DST at midnight (Santiago,
# Havana), a 45-minute offset, and no DST at all.
ODD_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "America/Havana",
    "Pacific/Chatham",
    "Asia/Kolkata",
]
wall_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 0, 15, 30, 45, 59]))


@st.composite
def random_calendars(draw: st.DrawFn) -> CoverageCalendar:
    shifts = draw(st.lists(st.builds(Shift, st.integers(0, 6), wall_times, wall_times), min_size=1, max_size=5))
    closures = draw(
        st.lists(
            st.builds(Closure, st.dates(date(2025, 1, 1), date(2027, 12, 31)), st.just("closed")),
            max_size=20,
        )
    )
    return CoverageCalendar(draw(st.sampled_from(ODD_ZONES)), tuple(shifts), closures=tuple(closures))


@st.composite
def near_a_transition(draw: st.DrawFn, zone_name: str) -> datetime:
    transitions = _dst_transitions(ZoneInfo(zone_name))
    if transitions and draw(st.booleans()):
        return draw(st.sampled_from(transitions)) + timedelta(seconds=draw(st.integers(-2 * 86400, 86400)))
    return WINDOW_START + timedelta(seconds=draw(st.integers(0, WINDOW_SECONDS - 4 * 86400)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_calendars_match_the_rules(data: st.DataObject) -> None:
    cal = data.draw(random_calendars())
    clock = BusinessCalendar(cal)
    a = data.draw(near_a_transition(cal.timezone))
    b = a + timedelta(seconds=data.draw(st.integers(0, 3 * 86400)))
    assert clock.elapsed(a, b) == oracle_elapsed(cal, a, b)
    for t in (a, b):
        assert clock.is_open(t) == oracle_open(cal, t)
    d = timedelta(seconds=data.draw(st.integers(0, 30 * 3600)))
    assert clock.elapsed(a, clock.add(a, d)) == d


# --------------------------------------------------------------------------
# DST worked examples
# --------------------------------------------------------------------------


def test_berlin_fall_back_night_counts_real_hours_on_a_24h_calendar() -> None:
    clock = clock_for(ROUND_THE_CLOCK_BERLIN)
    # 2025-10-26, last Sunday of October: 03:00 CEST -> 02:00 CET.
    start = datetime(2025, 10, 26, 0, 30, tzinfo=BERLIN)
    end = datetime(2025, 10, 26, 4, 30, tzinfo=BERLIN)
    assert end - start == 4 * H  # same-tzinfo subtraction is wall time...
    assert clock.elapsed(start, end) == 5 * H  # ...business time is real time
    assert clock.add(start, 5 * H) == utc(end)
    assert clock.add(start, 2 * H) == local(BERLIN, 2025, 10, 26, 2, 30)  # first 02:30 (CEST)
    assert clock.add(start, 3 * H) == local(BERLIN, 2025, 10, 26, 2, 30, fold=1)  # second 02:30 (CET)


def test_berlin_spring_forward_night_loses_an_hour_on_a_24h_calendar() -> None:
    clock = clock_for(ROUND_THE_CLOCK_BERLIN)
    start, end = local(BERLIN, 2025, 3, 30, 0, 30), local(BERLIN, 2025, 3, 30, 4, 30)
    assert clock.elapsed(start, end) == 3 * H


@pytest.mark.parametrize(
    ("day", "real_hours"),
    [(date(2025, 10, 26), 5), (date(2025, 3, 30), 3), (date(2025, 6, 1), 4)],
)
def test_berlin_small_hours_shift_has_real_length_on_dst_nights(day: date, real_hours: int) -> None:
    clock = BusinessCalendar(CoverageCalendar("Europe/Berlin", (Shift(6, time(0), time(4)),)))
    midnight = datetime.combine(day, time(0), tzinfo=BERLIN)
    (interval,) = clock.open_intervals(midnight - 2 * H, midnight + 8 * H)
    assert interval[1] - interval[0] == real_hours * H
    assert interval[0] == midnight
    assert clock.elapsed(midnight - 2 * H, midnight + 8 * H) == real_hours * H


def test_new_york_overnight_shift_across_both_dst_nights() -> None:
    clock = BusinessCalendar(CoverageCalendar("America/New_York", (Shift(5, time(22), time(6)),)))
    # 2026-03-08: 02:00 EST -> 03:00 EDT; 2026-11-01: 02:00 EDT -> 01:00 EST.
    spring = local(NEW_YORK, 2026, 3, 7, 22)
    fall = local(NEW_YORK, 2026, 10, 31, 22)
    assert clock.elapsed(spring, spring + 12 * H) == 7 * H
    assert clock.elapsed(fall, fall + 12 * H) == 9 * H
    assert clock.add(spring, 7 * H) == local(NEW_YORK, 2026, 3, 8, 6)
    assert clock.add(fall, 9 * H) == local(NEW_YORK, 2026, 11, 1, 6)
    assert clock.add(fall, 3 * H) == local(NEW_YORK, 2026, 11, 1, 1)  # first 01:00 (EDT)
    assert clock.add(fall, 4 * H) == local(NEW_YORK, 2026, 11, 1, 1, fold=1)  # second 01:00 (EST)
    # Local inputs inside the repeated hour are read with their fold.
    assert (
        clock.elapsed(
            datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK), datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK)
        )
        == H
    )


def test_new_york_business_day_is_wall_clock_in_both_offsets() -> None:
    clock = clock_for(MIXED_NY)
    winter = local(NEW_YORK, 2026, 3, 6, 9)  # Friday, EST
    summer = local(NEW_YORK, 2026, 3, 9, 9)  # Monday, EDT
    assert clock.add(winter, 7 * H) == local(NEW_YORK, 2026, 3, 6, 17)
    assert clock.add(summer, 7 * H) == local(NEW_YORK, 2026, 3, 9, 17)
    assert clock.add(winter, 7 * H).astimezone(UTC).hour == 22
    assert clock.add(summer, 7 * H).astimezone(UTC).hour == 21


def test_lord_howe_half_hour_dst_on_a_24h_calendar() -> None:
    clock = BusinessCalendar(CoverageCalendar("Australia/Lord_Howe", every_day(time(0), time(0))))
    # 2026-04-05: 02:00 (+11) -> 01:30 (+10:30); 2026-10-04: 02:00 (+10:30) -> 02:30 (+11).
    autumn = (local(LORD_HOWE, 2026, 4, 5, 0), local(LORD_HOWE, 2026, 4, 5, 4))
    spring = (local(LORD_HOWE, 2026, 10, 4, 0), local(LORD_HOWE, 2026, 10, 4, 4))
    assert clock.elapsed(*autumn) == timedelta(hours=4, minutes=30)
    assert clock.elapsed(*spring) == timedelta(hours=3, minutes=30)
    assert clock.add(autumn[0], timedelta(hours=4, minutes=30)) == autumn[1]


def test_lord_howe_shift_lengths_and_resolution_of_missing_and_repeated_times() -> None:
    clock = BusinessCalendar(
        CoverageCalendar(
            "Australia/Lord_Howe",
            (Shift(6, time(1), time(3)),),
        )
    )
    assert clock.elapsed(local(LORD_HOWE, 2026, 4, 4, 12), local(LORD_HOWE, 2026, 4, 5, 12)) == timedelta(
        hours=2, minutes=30
    )
    assert clock.elapsed(local(LORD_HOWE, 2026, 10, 3, 12), local(LORD_HOWE, 2026, 10, 4, 12)) == timedelta(
        hours=1, minutes=30
    )

    # 02:10 does not exist on 2026-10-04: the shift starts when the clocks jump to 02:30 (+11).
    gap = BusinessCalendar(CoverageCalendar("Australia/Lord_Howe", (Shift(6, time(2, 10), time(4)),)))
    day = (local(LORD_HOWE, 2026, 10, 3, 12), local(LORD_HOWE, 2026, 10, 4, 12))
    ((opens, closes),) = gap.open_intervals(*day)
    assert opens == local(LORD_HOWE, 2026, 10, 4, 2, 30)
    assert opens.astimezone(LORD_HOWE).utcoffset() == timedelta(hours=11)
    assert closes - opens == timedelta(hours=1, minutes=30)
    # A shift wholly inside the gap covers no wall time that exists: no cover that night.
    vanished = BusinessCalendar(CoverageCalendar("Australia/Lord_Howe", (Shift(6, time(2, 5), time(2, 25)),)))
    assert vanished.open_intervals(*day) == []

    # 01:45 happens twice on 2026-04-05: the shift starts at the first one (+11).
    fold = BusinessCalendar(CoverageCalendar("Australia/Lord_Howe", (Shift(6, time(1, 45), time(3)),)))
    ((opens, closes),) = fold.open_intervals(local(LORD_HOWE, 2026, 4, 4, 12), local(LORD_HOWE, 2026, 4, 5, 12))
    assert opens == datetime(2026, 4, 4, 14, 45, tzinfo=UTC)
    assert closes - opens == timedelta(hours=1, minutes=45)


def test_answers_do_not_depend_on_the_zone_of_the_inputs() -> None:
    clock = clock_for(BUSINESS_DE)
    a = local(BERLIN, 2026, 3, 27, 10)
    b = local(BERLIN, 2026, 3, 31, 10)
    expected = clock.elapsed(a, b)
    assert expected == 20 * H
    for zone in DISPLAY_ZONES:
        assert clock.elapsed(a.astimezone(zone), b.astimezone(zone)) == expected
        assert clock.add(a.astimezone(zone), expected) == b


# --------------------------------------------------------------------------
# Holidays, closures, shapes of shifts
# --------------------------------------------------------------------------


def test_christmas_day_closes_the_german_business_day() -> None:
    clock = clock_for(BUSINESS_DE)
    assert not clock.is_open(local(BERLIN, 2026, 12, 25, 10))  # Friday, 1st Christmas Day
    assert clock.is_open(local(BERLIN, 2026, 12, 24, 10))  # Christmas Eve is no public holiday
    # Thu 24th (10h), Fri 25th closed, weekend, Mon 28th (10h).
    assert clock.elapsed(local(BERLIN, 2026, 12, 24), local(BERLIN, 2026, 12, 29)) == 20 * H
    assert clock.add(local(BERLIN, 2026, 12, 24, 17), 2 * H) == local(BERLIN, 2026, 12, 28, 9)


def test_subdivision_holidays_apply_only_to_that_subdivision() -> None:
    epiphany = local(BERLIN, 2026, 1, 6, 10)  # Tuesday; a holiday in Bavaria only
    bavaria = CoverageCalendar("Europe/Berlin", BUSINESS_DE.shifts, country="DE", subdivision="BY")
    assert clock_for(BUSINESS_DE).is_open(epiphany)
    assert not clock_for(bavaria).is_open(epiphany)


def test_named_closures_close_the_day() -> None:
    offsite = local(NEW_YORK, 2026, 6, 15, 10)  # Monday
    clock = clock_for(MIXED_NY)
    assert not clock.is_open(offsite)
    assert clock.is_open(offsite + timedelta(days=1))
    assert clock.elapsed(local(NEW_YORK, 2026, 6, 15), local(NEW_YORK, 2026, 6, 16)) == timedelta(0)


def test_overnight_shift_belongs_to_the_day_it_starts() -> None:
    cal = CoverageCalendar("Europe/Berlin", (Shift(4, time(22), time(6)),), country="DE")
    clock = BusinessCalendar(cal)
    friday = local(BERLIN, 2026, 6, 5, 22)
    assert clock.is_open(friday)
    assert clock.is_open(local(BERLIN, 2026, 6, 6, 3))  # Saturday small hours
    assert not clock.is_open(local(BERLIN, 2026, 6, 6, 6))
    assert clock.elapsed(friday - 2 * H, friday + 12 * H) == 8 * H
    assert clock.add(friday - 2 * H, 8 * H) == local(BERLIN, 2026, 6, 6, 6)
    # Labour Day 2026 is a Friday: its night shift loses Friday but keeps Saturday.
    assert not clock.is_open(local(BERLIN, 2026, 5, 1, 23))
    assert clock.is_open(local(BERLIN, 2026, 5, 2, 3))
    assert clock.elapsed(local(BERLIN, 2026, 5, 1, 12), local(BERLIN, 2026, 5, 2, 12)) == 6 * H


def test_overnight_shift_starting_the_evening_before_a_holiday_stops_at_midnight() -> None:
    cal = CoverageCalendar("Europe/Berlin", (Shift(3, time(22), time(6)),), country="DE")
    clock = BusinessCalendar(cal)
    # Thursday 2026-12-24 22:00 runs until Christmas Day begins.
    assert clock.is_open(local(BERLIN, 2026, 12, 24, 23, 59))
    assert not clock.is_open(local(BERLIN, 2026, 12, 25, 0))
    assert not clock.is_open(local(BERLIN, 2026, 12, 25, 5, 59))
    assert clock.elapsed(local(BERLIN, 2026, 12, 24, 12), local(BERLIN, 2026, 12, 25, 12)) == 2 * H


def test_overnight_shift_across_new_year() -> None:
    cal = CoverageCalendar("Europe/Berlin", every_day(time(22), time(6)))
    clock = BusinessCalendar(cal, years=range(2026, 2027))
    assert clock.is_open(local(BERLIN, 2027, 1, 1, 5))
    assert clock.elapsed(local(BERLIN, 2026, 12, 31, 12), local(BERLIN, 2027, 1, 1, 12)) == 8 * H


def test_split_shifts() -> None:
    clock = clock_for(MIXED_NY)
    day = (2026, 6, 17)  # Wednesday
    assert clock.elapsed(local(NEW_YORK, *day, 10), local(NEW_YORK, *day, 14)) == 3 * H
    assert not clock.is_open(local(NEW_YORK, *day, 12, 30))
    assert clock.add(local(NEW_YORK, *day, 11), 2 * H) == local(NEW_YORK, *day, 14)
    # Reached exactly at the lunch break: due at 12:00, not 13:00.
    assert clock.add(local(NEW_YORK, *day, 11), H) == local(NEW_YORK, *day, 12)
    assert clock.elapsed(local(NEW_YORK, *day), local(NEW_YORK, *day) + timedelta(days=1)) == 7 * H


def test_adding_from_outside_hours_starts_at_the_next_opening() -> None:
    clock = clock_for(BUSINESS_DE)
    saturday = local(BERLIN, 2026, 6, 6, 12)
    assert clock.add(saturday, timedelta(minutes=90)) == local(BERLIN, 2026, 6, 8, 9, 30)
    assert clock.add(saturday, timedelta(0)) == saturday
    assert clock.add(saturday, US) == local(BERLIN, 2026, 6, 8, 8) + US
    # Exactly used up at closing time: due at 18:00, not at the next opening.
    assert clock.add(local(BERLIN, 2026, 6, 8, 8), 10 * H) == local(BERLIN, 2026, 6, 8, 18)
    # From the next opening, the same amount of business time.
    assert clock.elapsed(saturday, local(BERLIN, 2026, 6, 8, 8)) == timedelta(0)


def test_open_intervals_are_utc_and_clipped() -> None:
    clock = clock_for(BUSINESS_DE)
    got = clock.open_intervals(local(BERLIN, 2026, 6, 8, 12), local(BERLIN, 2026, 6, 9, 9))
    assert got == [
        (datetime(2026, 6, 8, 10, tzinfo=UTC), datetime(2026, 6, 8, 16, tzinfo=UTC)),
        (datetime(2026, 6, 9, 6, tzinfo=UTC), datetime(2026, 6, 9, 7, tzinfo=UTC)),
    ]
    assert all(s.tzinfo is UTC and e.tzinfo is UTC for s, e in got)


def test_microseconds_are_exact() -> None:
    clock = clock_for(BUSINESS_DE)
    a = local(BERLIN, 2026, 6, 8, 9, 0, 0) + timedelta(microseconds=123_457)
    d = timedelta(hours=13, microseconds=999_999)
    assert clock.elapsed(a, clock.add(a, d)) == d


# --------------------------------------------------------------------------
# Lazy precomputation, caching, errors
# --------------------------------------------------------------------------


def test_queries_far_outside_the_first_years_extend_lazily() -> None:
    lazy = BusinessCalendar(BUSINESS_DE)
    assert lazy.elapsed(local(BERLIN, 2026, 1, 5), local(BERLIN, 2026, 1, 6)) == 10 * H
    # Mon 2040-12-24 and Thu 27th; Christmas falls on Tue/Wed.
    assert lazy.elapsed(local(BERLIN, 2040, 12, 24), local(BERLIN, 2040, 12, 28)) == 20 * H
    assert lazy.elapsed(local(BERLIN, 1999, 12, 31), local(BERLIN, 2000, 1, 4)) == 20 * H
    eager = BusinessCalendar(BUSINESS_DE, years=range(1990, 2050))
    a, b = local(BERLIN, 1995, 3, 1, 12), local(BERLIN, 2045, 7, 1, 12)
    assert lazy.elapsed(a, b) == eager.elapsed(a, b)
    assert lazy.add(a, 1000 * H) == eager.add(a, 1000 * H)
    # add() running past the built years extends forward on its own.
    fresh = BusinessCalendar(BUSINESS_DE)
    far = fresh.add(local(BERLIN, 2026, 1, 2, 8), 2600 * H * 3)
    assert far.year == 2029
    assert fresh.elapsed(local(BERLIN, 2026, 1, 2, 8), far) == 2600 * H * 3
    # Round the clock, all coverage merges into one interval: still found.
    always = BusinessCalendar(ROUND_THE_CLOCK_BERLIN)
    start = local(BERLIN, 2026, 1, 1)
    assert always.add(start, timedelta(days=365 * 12)) == start + timedelta(days=365 * 12)


def test_always_counts_real_time_even_inside_a_repeated_hour() -> None:
    first = datetime(2025, 10, 26, 2, 30, tzinfo=BERLIN)  # CEST
    second = datetime(2025, 10, 26, 2, 10, fold=1, tzinfo=BERLIN)  # CET, 40 minutes later
    assert ALWAYS.elapsed(first, second) == timedelta(minutes=40)
    assert ALWAYS.elapsed(second, first) == timedelta(0)
    assert clock_for(ROUND_THE_CLOCK_BERLIN).elapsed(first, second) == timedelta(minutes=40)


def test_lazy_extension_is_thread_safe() -> None:
    shared = BusinessCalendar(BUSINESS_DE)
    eager = BusinessCalendar(BUSINESS_DE, years=range(2000, 2052))
    starts = [local(BERLIN, 2000 + 3 * i, 6, 1, 12) for i in range(16)]

    def work(a: datetime) -> tuple[timedelta, datetime]:
        return shared.elapsed(a, a + timedelta(days=400)), shared.add(a, 3000 * H)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, starts))
    assert results == [(eager.elapsed(a, a + timedelta(days=400)), eager.add(a, 3000 * H)) for a in starts]


def test_clock_for() -> None:
    assert clock_for(None) is ALWAYS
    first = clock_for(BUSINESS_DE)
    assert isinstance(first, BusinessCalendar)
    same = CoverageCalendar("Europe/Berlin", tuple(Shift(d, time(8), time(18)) for d in WEEKDAYS), country="DE")
    assert clock_for(same) is first
    with pytest.raises(CalendarError, match="^shifts: must be a non-empty tuple"):
        clock_for(CoverageCalendar("UTC", [Shift(0, time(9), time(17))]))  # type: ignore[arg-type]


def test_naive_datetimes_and_negative_durations_are_rejected() -> None:
    clock = clock_for(BUSINESS_DE)
    with pytest.raises(ValueError, match="aware"):
        clock.elapsed(datetime(2026, 1, 1), local(BERLIN, 2026, 1, 2))
    with pytest.raises(ValueError, match="negative"):
        clock.add(local(BERLIN, 2026, 1, 2), -H)


def test_a_calendar_that_never_opens_again_fails_instead_of_spinning() -> None:
    mondays = [date(2026, 1, 5) + timedelta(weeks=w) for w in range(52 * 15)]
    cal = CoverageCalendar("UTC", (Shift(0, time(9), time(10)),), closures=tuple(Closure(d, "Dark") for d in mondays))
    with pytest.raises(CalendarError, match="no coverage"):
        BusinessCalendar(cal).add(datetime(2026, 1, 1, tzinfo=UTC), H)


SHIFT = (Shift(0, time(9), time(17)),)


@pytest.mark.parametrize(
    ("calendar", "field", "rule"),
    [
        (CoverageCalendar("Mars/Olympus_Mons", SHIFT), "timezone", "unknown IANA zone"),
        (CoverageCalendar("", SHIFT), "timezone", "non-empty"),
        (CoverageCalendar("../../etc/passwd", SHIFT), "timezone", "unknown IANA zone"),
        (CoverageCalendar("UTC", SHIFT, country="XX"), "country", "not a country code"),
        (CoverageCalendar("UTC", SHIFT, country="DE", subdivision="ZZ"), "subdivision", "not a subdivision"),
        (CoverageCalendar("UTC", SHIFT, subdivision="BY"), "subdivision", "requires a country"),
        (CoverageCalendar("UTC", (Shift(7, time(9), time(17)),)), r"shifts\[0\].weekday", "0 \\(Monday\\)"),
        (CoverageCalendar("UTC", (Shift(-1, time(9), time(17)),)), r"shifts\[0\].weekday", "0 \\(Monday\\)"),
        (CoverageCalendar("UTC", (Shift(0, time(9), 17),)), r"shifts\[0\].end", "datetime.time"),  # type: ignore[arg-type]
        (CoverageCalendar("UTC", (Shift(0, time(9, tzinfo=UTC), time(17)),)), r"shifts\[0\].start", "naive"),
        (CoverageCalendar("UTC", ()), "shifts", "non-empty"),
        (
            CoverageCalendar("UTC", SHIFT, closures=(Closure(datetime(2026, 1, 1, tzinfo=UTC), "x"),)),
            r"closures\[0\].day",
            "datetime.date",
        ),
    ],
)
def test_calendar_validation_errors_name_the_field(calendar: CoverageCalendar, field: str, rule: str) -> None:
    with pytest.raises(CalendarError, match=rf"^{field}: .*{rule}"):
        validate_calendar(calendar)
    with pytest.raises(ValueError, match=rf"^{field}:"):  # CalendarError is a ValueError
        BusinessCalendar(calendar)


def test_valid_calendars_validate() -> None:
    for cal in [*PROPERTY_CALENDARS, CoverageCalendar("UTC", SHIFT, country="DE", subdivision="BY")]:
        validate_calendar(cal)
