"""The engine's elapsed, add and is_open agree with the brute-force oracle
(`calendar_oracle.py`) on random calendars around clock changes and holidays:
half-hour DST (Lord Howe), negative DST (Dublin), DST at midnight (Havana,
Santiago), US and EU zones; overnight shifts next to holidays; shift times in
gaps and repeated hours.

Run alone: .venv/bin/python -m pytest contracts/tests/test_calendar_oracle.py -p no:django \
    --noconftest -o addopts="" -q
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.calendars import BusinessCalendar, Closure, CoverageCalendar, Shift
from contracts.tests.calendar_oracle import Oracle, holiday_dates

# zone, holiday country, subdivision
ZONES = [
    ("Australia/Lord_Howe", "AU", "NSW"),
    ("Europe/Dublin", "IE", None),
    ("America/New_York", "US", None),
    ("America/Los_Angeles", "US", "CA"),
    ("Europe/Berlin", "DE", "BY"),
    ("America/Havana", "CU", None),
    ("America/Santiago", "CL", None),
]
YEARS = (2025, 2026, 2027)
DISPLAY_ZONES = [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("Australia/Lord_Howe"), ZoneInfo("America/New_York")]


@cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """UTC instants (to the half hour) where the zone's offset changes, 2025-2027."""
    zone = ZoneInfo(zone_name)
    out = []
    day, step = timedelta(days=1), timedelta(minutes=30)
    t = datetime(YEARS[0], 1, 1, tzinfo=UTC)
    while t.year <= YEARS[-1]:
        if t.astimezone(zone).utcoffset() != (t + day).astimezone(zone).utcoffset():
            u = t
            while u < t + day:
                if u.astimezone(zone).utcoffset() != (u + step).astimezone(zone).utcoffset():
                    out.append(u + step)
                u += step
        t += day
    return tuple(out)


@cache
def holiday_midnights(zone_name: str, country: str, subdivision: str | None) -> tuple[datetime, ...]:
    zone = ZoneInfo(zone_name)
    days = sorted(d for year in YEARS for d in holiday_dates(country, subdivision, year))
    return tuple(datetime.combine(d, time(0), tzinfo=zone).astimezone(UTC) for d in days)


# Wall times where clocks change somewhere (00:00-03:00), overnight starts,
# plus anything on the minute.
EDGE_TIMES = [
    time(h, m)
    for h, m in [(0, 0), (0, 30), (1, 0), (1, 15), (1, 30), (1, 45), (2, 0), (2, 10), (2, 20), (2, 30), (2, 45)]
    + [(3, 0), (3, 30), (6, 0), (22, 0), (23, 0), (23, 30)]
]
wall_times = st.sampled_from(EDGE_TIMES) | st.builds(time, st.integers(0, 23), st.integers(0, 59))


@st.composite
def cases(draw: st.DrawFn) -> tuple[CoverageCalendar, datetime]:
    zone_name, country, subdivision = draw(st.sampled_from(ZONES))
    with_holidays = draw(st.booleans())
    anchors = list(transitions(zone_name))
    if with_holidays:
        anchors += holiday_midnights(zone_name, country, subdivision)
    anchor = draw(st.sampled_from(anchors))
    shifts = draw(st.lists(st.builds(Shift, st.integers(0, 6), wall_times, wall_times), min_size=1, max_size=4))
    # Shifts on the anchor's weekday and the one before make every case count.
    local_day = anchor.astimezone(ZoneInfo(zone_name)).date()
    for day in (local_day - timedelta(days=1), local_day):
        if draw(st.booleans()):
            shifts.append(Shift(day.weekday(), draw(wall_times), draw(wall_times)))
    closures = tuple(
        Closure(local_day + timedelta(days=offset), "closed")
        for offset in draw(st.lists(st.integers(-2, 3), max_size=2, unique=True))
    )
    cal = CoverageCalendar(
        zone_name,
        tuple(shifts),
        country=country if with_holidays else None,
        subdivision=subdivision if with_holidays else None,
        closures=closures,
    )
    seconds = draw(st.integers(-36 * 3600, 24 * 3600))
    micros = draw(st.sampled_from([0, 0, 0, 1, 999_999]) | st.integers(0, 999_999))
    return cal, anchor + timedelta(seconds=seconds, microseconds=micros)


def shown(t: datetime, zone: ZoneInfo) -> datetime:
    """The same instant as callers may pass it (any zone; fold set in repeated hours)."""
    return t.astimezone(zone)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cases(),
    st.integers(0, 2 * 86400),
    st.sampled_from([0, 1, 60, 3600]) | st.integers(0, 30 * 3600),
    st.sampled_from(DISPLAY_ZONES),
)
def test_engine_agrees_with_the_oracle(
    case: tuple[CoverageCalendar, datetime], span_seconds: int, due_seconds: int, display: ZoneInfo
) -> None:
    cal, a = case
    b = a + timedelta(seconds=span_seconds)
    hi = a + timedelta(days=3)
    oracle = Oracle(cal, a, hi)
    clock = BusinessCalendar(cal)

    assert clock.elapsed(shown(a, display), shown(b, display)) == oracle.elapsed(a, b)
    for t in (a, b):
        assert clock.is_open(shown(t, display)) == oracle.is_open(t), t

    # Every edge the engine reports is an edge for the oracle too, to the microsecond.
    for start, end in clock.open_intervals(a, hi):
        assert oracle.is_open(start)
        assert start == a or not oracle.is_open(start - timedelta(microseconds=1))
        assert end == hi or not oracle.is_open(end)
        assert oracle.is_open(end - timedelta(microseconds=1))

    duration = timedelta(seconds=due_seconds)
    expected = oracle.add(a, duration)
    if expected is None:  # not reached within three days: the engine agrees it is not
        assert clock.elapsed(a, hi) == oracle.elapsed(a, hi) < duration
    else:
        assert clock.add(shown(a, display), duration) == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_engine_and_oracle_see_the_same_days(case: tuple[CoverageCalendar, datetime]) -> None:
    cal, a = case
    lo, hi = a - timedelta(days=1), a + timedelta(days=2)
    oracle = Oracle(cal, lo, hi)
    clock = BusinessCalendar(cal)
    assert clock.elapsed(lo, hi) == oracle.elapsed(lo, hi)
    t = lo
    while t < hi:  # every quarter hour of three days
        assert clock.is_open(t) == oracle.is_open(t), t
        t += timedelta(minutes=15)


def test_the_oracle_is_not_the_engine() -> None:
    # A smoke check that the oracle reads the rules, on a case worked by hand:
    # Thanksgiving 2026 (Thu) in New York with a nightly 22:00-06:00 shift.
    cal = CoverageCalendar("America/New_York", (Shift(3, time(22), time(6)),), country="US")
    ny = ZoneInfo("America/New_York")
    lo = datetime(2026, 11, 26, 12, tzinfo=ny)
    oracle = Oracle(cal, lo, lo + timedelta(days=1))
    assert oracle.elapsed(lo, lo + timedelta(days=1)) == timedelta(hours=6)
    assert oracle.is_open(datetime(2026, 11, 27, 5, 59, tzinfo=ny))
    assert not oracle.is_open(datetime(2026, 11, 26, 23, tzinfo=ny))
    assert oracle.add(lo, timedelta(hours=1)) == datetime(2026, 11, 27, 1, tzinfo=ny).astimezone(UTC)
    assert date(2026, 11, 26) in holiday_dates("US", None, 2026)
