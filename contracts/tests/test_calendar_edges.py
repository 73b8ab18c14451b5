"""Worked examples of the calendar rules the SLA schedule states: holidays cut
whole local days, shift times in a spring-forward gap start or end at the jump,
shift times a fall-back repeats start at the first and end at the second
occurrence. Each example is also checked against the brute-force oracle."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from contracts.calendars import BusinessCalendar, Closure, CoverageCalendar, Shift
from contracts.tests.calendar_oracle import Oracle

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
US = timedelta(microseconds=1)


def at(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0) -> datetime:
    """The UTC instant of a local wall time (fold=1: the second of a repeated time)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)


def intervals(cal: CoverageCalendar, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    """The engine's coverage over [lo, hi), after checking the oracle agrees minute by minute."""
    got = BusinessCalendar(cal).open_intervals(lo, hi)
    oracle = Oracle(cal, lo, hi)
    assert sum((e - s for s, e in got), timedelta(0)) == oracle.elapsed(lo, hi)
    t = lo
    while t < hi:
        assert any(s <= t < e for s, e in got) == oracle.is_open(t), t
        t += MIN
    return got


# --------------------------------------------------------------------------
# Holidays and closures cut the local day they name, 00:00-24:00
# --------------------------------------------------------------------------

NIGHTS_NY = CoverageCalendar("America/New_York", tuple(Shift(day, time(22), time(6)) for day in range(5)), country="US")


def test_the_night_after_thanksgiving_is_covered_and_thanksgiving_itself_is_not() -> None:
    ny = "America/New_York"
    # Thanksgiving 2026 is Thursday 26 November.
    got = intervals(NIGHTS_NY, at(ny, 2026, 11, 25, 12), at(ny, 2026, 11, 28, 12))
    assert got == [
        (at(ny, 2026, 11, 25, 22), at(ny, 2026, 11, 26, 0)),  # Wednesday's shift stops at midnight
        (at(ny, 2026, 11, 27, 0), at(ny, 2026, 11, 27, 6)),  # Thursday's shift keeps its Friday hours
        (at(ny, 2026, 11, 27, 22), at(ny, 2026, 11, 28, 6)),
    ]
    clock = BusinessCalendar(NIGHTS_NY)
    assert not clock.is_open(at(ny, 2026, 11, 26, 3))
    assert not clock.is_open(at(ny, 2026, 11, 26, 23))
    assert clock.is_open(at(ny, 2026, 11, 27, 3))
    assert clock.elapsed(at(ny, 2026, 11, 25, 12), at(ny, 2026, 11, 28, 12)) == 16 * H
    assert clock.add(at(ny, 2026, 11, 25, 23), 2 * H) == at(ny, 2026, 11, 27, 1)


def test_a_friday_holiday_cuts_the_thursday_night_shift_at_midnight() -> None:
    berlin = "Europe/Berlin"
    cal = CoverageCalendar(berlin, (Shift(3, time(22), time(6)),), country="DE")
    clock = BusinessCalendar(cal)
    # Labour Day 2026 is Friday 1 May.
    assert clock.is_open(at(berlin, 2026, 4, 30, 23, 59))
    assert not clock.is_open(at(berlin, 2026, 5, 1, 0))
    assert not clock.is_open(at(berlin, 2026, 5, 1, 5))
    assert clock.elapsed(at(berlin, 2026, 4, 30, 12), at(berlin, 2026, 5, 1, 12)) == 2 * H
    # The Thursday before is a normal night: 8 hours.
    assert clock.elapsed(at(berlin, 2026, 4, 23, 12), at(berlin, 2026, 4, 24, 12)) == 8 * H


def test_a_closure_cuts_a_24_hour_shift_at_both_midnights() -> None:
    ny = "America/New_York"
    cal = CoverageCalendar(ny, (Shift(5, time(12), time(12)),), closures=(Closure(date(2026, 6, 14), "Move"),))
    # Saturday 12:00 to Sunday 12:00; Sunday is closed.
    assert intervals(cal, at(ny, 2026, 6, 13), at(ny, 2026, 6, 15)) == [(at(ny, 2026, 6, 13, 12), at(ny, 2026, 6, 14))]


def test_a_closure_on_a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump() -> None:
    havana = "America/Havana"
    # 2026-03-08: Havana's clocks jump from 00:00 to 01:00, so that day starts at 01:00.
    shifts = (Shift(5, time(22), time(2)),)
    open_night = CoverageCalendar(havana, shifts)
    closed_sunday = CoverageCalendar(havana, shifts, closures=(Closure(date(2026, 3, 8), "Closed"),))
    lo, hi = at(havana, 2026, 3, 7, 12), at(havana, 2026, 3, 8, 12)
    assert intervals(open_night, lo, hi) == [(at(havana, 2026, 3, 7, 22), at(havana, 2026, 3, 8, 2))]
    assert BusinessCalendar(open_night).elapsed(lo, hi) == 3 * H
    assert intervals(closed_sunday, lo, hi) == [(at(havana, 2026, 3, 7, 22), at(havana, 2026, 3, 8, 1))]
    assert BusinessCalendar(closed_sunday).elapsed(lo, hi) == 2 * H


def test_a_closure_on_a_day_whose_midnight_is_repeated_covers_both_of_its_first_hours() -> None:
    havana = "America/Havana"
    # 2026-11-01: Havana's clocks go back from 01:00 to 00:00; the closed day is 25 hours.
    cal = CoverageCalendar(
        havana, tuple(Shift(d, time(0), time(0)) for d in range(7)), closures=(Closure(date(2026, 11, 1), "Closed"),)
    )
    lo, hi = at(havana, 2026, 10, 31, 12), at(havana, 2026, 11, 2, 12)
    assert intervals(cal, lo, hi) == [(lo, at(havana, 2026, 11, 1)), (at(havana, 2026, 11, 2), hi)]
    assert BusinessCalendar(cal).elapsed(lo, hi) == 49 * H - 25 * H  # the span itself has 49 real hours


# --------------------------------------------------------------------------
# Spring forward: a missing wall time is the moment the clocks jump
# --------------------------------------------------------------------------


def test_berlin_shift_starting_in_the_gap_covers_from_the_jump_without_a_hole() -> None:
    berlin = "Europe/Berlin"
    cal = CoverageCalendar(berlin, (Shift(6, time(2, 45), time(5)),))
    # 2026-03-29: 02:00 CET -> 03:00 CEST; 02:45 does not exist.
    got = intervals(cal, at(berlin, 2026, 3, 28, 12), at(berlin, 2026, 3, 29, 12))
    assert got == [(at(berlin, 2026, 3, 29, 3), at(berlin, 2026, 3, 29, 5))]
    assert got[0][0] == datetime(2026, 3, 29, 1, tzinfo=UTC)
    clock = BusinessCalendar(cal)
    for minute in (0, 30, 40, 45, 59):
        assert clock.is_open(at(berlin, 2026, 3, 29, 3, minute))


def test_lord_howe_half_hour_gap_keeps_the_part_of_a_shift_after_the_jump() -> None:
    lh = "Australia/Lord_Howe"
    # 2026-10-04: 02:00 (+10:30) -> 02:30 (+11).
    day = (at(lh, 2026, 10, 3, 12), at(lh, 2026, 10, 4, 12))
    straddling = CoverageCalendar(lh, (Shift(6, time(2, 20), time(2, 40)),))
    assert intervals(straddling, *day) == [(at(lh, 2026, 10, 4, 2, 30), at(lh, 2026, 10, 4, 2, 40))]
    ending_in_gap = CoverageCalendar(lh, (Shift(6, time(1, 30), time(2, 15)),))
    assert intervals(ending_in_gap, *day) == [(at(lh, 2026, 10, 4, 1, 30), at(lh, 2026, 10, 4, 2, 30))]
    assert BusinessCalendar(ending_in_gap).elapsed(*day) == 30 * MIN


def test_a_shift_wholly_inside_the_gap_gives_no_cover_that_night_only() -> None:
    lh = "Australia/Lord_Howe"
    cal = CoverageCalendar(lh, (Shift(6, time(2, 5), time(2, 25)),))
    assert intervals(cal, at(lh, 2026, 10, 3, 12), at(lh, 2026, 10, 4, 12)) == []
    assert BusinessCalendar(cal).elapsed(at(lh, 2026, 10, 10, 12), at(lh, 2026, 10, 11, 12)) == 20 * MIN
    # add() steps over the empty night to the next Sunday.
    assert BusinessCalendar(cal).add(at(lh, 2026, 10, 3, 12), MIN) == at(lh, 2026, 10, 11, 2, 6)


def test_dublin_negative_dst_still_reads_the_wall_clock() -> None:
    dublin = "Europe/Dublin"
    # zoneinfo models Irish summer time as standard and winter time as negative DST.
    cal = CoverageCalendar(dublin, (*(Shift(d, time(9), time(17)) for d in range(7)), Shift(5, time(22), time(6))))
    clock = BusinessCalendar(cal)
    winter, summer = at(dublin, 2026, 1, 14), at(dublin, 2026, 7, 15)
    assert clock.elapsed(winter, winter + 24 * H) == clock.elapsed(summer, summer + 24 * H) == 8 * H
    # Saturday night: 7 real hours on 2026-03-28/29 (01:00 -> 02:00), 9 on 2026-10-24/25 (02:00 -> 01:00).
    assert clock.elapsed(at(dublin, 2026, 3, 28, 18), at(dublin, 2026, 3, 29, 8)) == 7 * H
    assert clock.elapsed(at(dublin, 2026, 10, 24, 18), at(dublin, 2026, 10, 25, 8)) == 9 * H


# --------------------------------------------------------------------------
# Fall back: a repeated wall time starts a shift at its first occurrence and
# ends one at its second
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "start", "end", "real"),
    [
        # 2026-11-01: 02:00 EDT -> 01:00 EST.
        ("America/New_York", date(2026, 11, 1), time(1, 30), time(1, 45), 75 * MIN),
        ("America/New_York", date(2026, 11, 1), time(1), time(2), 2 * H),
        ("America/New_York", date(2026, 11, 1), time(0, 30), time(1, 15), 105 * MIN),
        # 2026-10-25: 02:00 IST -> 01:00 GMT.
        ("Europe/Dublin", date(2026, 10, 25), time(1, 30), time(1, 45), 75 * MIN),
        # 2026-04-05: 02:00 (+11) -> 01:30 (+10:30).
        ("Australia/Lord_Howe", date(2026, 4, 5), time(1, 45), time(3), 105 * MIN),
        ("Australia/Lord_Howe", date(2026, 4, 5), time(1, 40), time(1, 50), 40 * MIN),
    ],
)
def test_a_shift_in_the_repeated_hour_covers_both_occurrences_without_a_hole(
    zone: str, day: date, start: time, end: time, real: timedelta
) -> None:
    cal = CoverageCalendar(zone, (Shift(day.weekday(), start, end),))
    lo = at(zone, day.year, day.month, day.day) - 12 * H
    got = intervals(cal, lo, lo + 36 * H)
    assert got == [
        (
            at(zone, day.year, day.month, day.day, start.hour, start.minute),
            at(zone, day.year, day.month, day.day, end.hour, end.minute, fold=1),
        )
    ]
    assert got[0][1] - got[0][0] == real


def test_a_fall_back_that_repeats_the_evening_before_midnight_keeps_the_overnight_shift_whole() -> None:
    santiago = "America/Santiago"
    # 2026-04-05 00:00 (-03) -> 2026-04-04 23:00 (-04): Saturday 23:00-24:00 happens twice.
    cal = CoverageCalendar(santiago, (Shift(5, time(22), time(2)),))
    got = intervals(cal, at(santiago, 2026, 4, 4, 12), at(santiago, 2026, 4, 5, 12))
    assert got == [(at(santiago, 2026, 4, 4, 22), at(santiago, 2026, 4, 5, 2))]
    assert got[0][1] - got[0][0] == 5 * H
    clock = BusinessCalendar(cal)
    assert clock.add(at(santiago, 2026, 4, 4, 22), 90 * MIN) == at(santiago, 2026, 4, 4, 23, 30)
    assert clock.add(at(santiago, 2026, 4, 4, 22), 150 * MIN) == at(santiago, 2026, 4, 4, 23, 30, fold=1)
