"""Business-time engine: pure Python, no Django.

All arithmetic happens on aware datetimes converted to UTC; wall-clock rules
(weekly hours, holidays, closures, clock changes) are resolved in the
calendar's own zone as `contracts.calendar_rules` states them.

`BusinessCalendar` turns a `CoverageCalendar` into a sorted list of merged UTC
open intervals (integer microseconds since the epoch) plus prefix sums of
business time, built lazily a local year at a time. `elapsed()` is then two
bisects and `add()` one bisect on the cumulative sums.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

from contracts.calendar_rules import (
    CalendarError,
    Closure,
    CoverageCalendar,
    Shift,
    day_start_us,
    from_us,
    td_to_us,
    to_us,
    validate_calendar,
    wall_end_us,
    wall_start_us,
)

__all__ = [
    "ALWAYS",
    "BusinessCalendar",
    "CalendarError",
    "Clock",
    "Closure",
    "CoverageCalendar",
    "Shift",
    "TwentyFourSeven",
    "clock_for",
    "validate_calendar",
]


class Clock(Protocol):
    """What every SLA clock answers. Inputs and outputs are aware datetimes."""

    def elapsed(self, start: datetime, end: datetime) -> timedelta: ...

    def add(self, start: datetime, duration: timedelta) -> datetime: ...

    def is_open(self, at: datetime) -> bool: ...


class TwentyFourSeven:
    """The 24x7 clock: every instant counts."""

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        # Same-tzinfo subtraction and comparison are wall-clock (fold is
        # ignored); in UTC they are real elapsed time.
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return timedelta(0)
        return end - start

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return start.astimezone(UTC) + duration

    def is_open(self, at: datetime) -> bool:
        return True


ALWAYS = TwentyFourSeven()

_ONE_DAY = timedelta(days=1)
# A year with no coverage at all this many times in a row means add() can
# never finish (e.g. closures blanket the future): stop instead of spinning.
_MAX_EMPTY_YEARS = 10


def _merge(raw: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Sorted, disjoint (starts, ends) covering the union of the intervals."""
    starts: list[int] = []
    ends: list[int] = []
    for s, e in sorted(raw):
        if ends and s <= ends[-1]:  # overlapping or touching: merge
            if e > ends[-1]:
                ends[-1] = e
        else:
            starts.append(s)
            ends.append(e)
    return starts, ends


def _subtract(
    starts: list[int], ends: list[int], cut_starts: list[int], cut_ends: list[int]
) -> tuple[list[int], list[int]]:
    """The sorted, disjoint intervals minus the sorted, disjoint cuts."""
    out_s: list[int] = []
    out_e: list[int] = []
    j = 0
    for s, e in zip(starts, ends, strict=True):
        while j < len(cut_ends) and cut_ends[j] <= s:
            j += 1
        k = j
        while s < e:
            if k == len(cut_starts) or cut_starts[k] >= e:
                out_s.append(s)
                out_e.append(e)
                break
            if cut_starts[k] > s:
                out_s.append(s)
                out_e.append(cut_starts[k])
            s = max(s, cut_ends[k])
            k += 1
    return out_s, out_e


# --------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------


class _Span:
    """Immutable snapshot of the precomputed intervals for years y0..y1.

    The intervals are the merged coverage of every shift that starts on a
    local date in [Jan 1 y0, Dec 31 y1]. `lo`/`hi` bound the instants whose
    answers are known to be complete (their local date +-1 day lies inside
    the built years); outside it the span must be extended first.
    """

    __slots__ = ("y0", "y1", "lo", "hi", "starts", "ends", "cum_start", "cum_end", "total")

    def __init__(
        self,
        y0: int,
        y1: int,
        lo: int,
        hi: int,
        starts: list[int],
        ends: list[int],
    ) -> None:
        self.y0 = y0
        self.y1 = y1
        self.lo = lo
        self.hi = hi
        self.starts = starts
        self.ends = ends
        cum_start: list[int] = []
        cum_end: list[int] = []
        total = 0
        for s, e in zip(starts, ends, strict=True):
            cum_start.append(total)
            total += e - s
            cum_end.append(total)
        self.cum_start = cum_start
        self.cum_end = cum_end
        self.total = total

    def cum(self, t: int) -> int:
        """Business microseconds from the start of the span up to instant t."""
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        end = self.ends[i]
        return self.cum_start[i] + (t if t < end else end) - self.starts[i]


class BusinessCalendar:
    """A Clock that counts only the coverage of a CoverageCalendar.

    `years`, if given, is built eagerly; any query outside the built years
    extends the precomputation lazily (thread-safe), so it is only a hint.
    """

    def __init__(self, calendar: CoverageCalendar, *, years: range | None = None) -> None:
        validate_calendar(calendar)
        self.calendar = calendar
        self._zone = ZoneInfo(calendar.timezone)
        by_weekday: list[list[Shift]] = [[] for _ in range(7)]
        for shift in calendar.shifts:
            by_weekday[shift.weekday].append(shift)
        self._by_weekday = by_weekday
        self._closed: set[date] = {c.day for c in calendar.closures}
        self._holiday_years: set[int] = set()
        self._year_cache: dict[int, list[tuple[int, int]]] = {}
        self._lock = threading.Lock()
        self._span: _Span | None = None
        if years is not None and len(years):
            self._extend(min(years), max(years))

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.calendar!r})"

    # -- Clock API ---------------------------------------------------------

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two aware instants; zero if end <= start."""
        a = to_us(start)
        b = to_us(end)
        if b <= a:
            return timedelta(0)
        span = self._span
        if span is None or a < span.lo or b >= span.hi:
            span = self._cover(a, b)
        return timedelta(microseconds=span.cum(b) - span.cum(a))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant (aware, UTC) at which `duration` of business time
        has elapsed since `start`.

        A zero duration returns `start` (as UTC) even outside hours. A positive
        duration that runs out exactly at the end of an opening returns that
        end (e.g. Mon 08:00 + 10h on an 08-18 calendar is Mon 18:00, not Tue
        08:00). Negative durations are rejected.
        """
        d = td_to_us(duration)
        if d < 0:
            raise ValueError(f"duration must not be negative, got {duration!r}")
        a = to_us(start)
        if d == 0:
            return from_us(a)
        span = self._span
        if span is None or not span.lo <= a < span.hi:
            span = self._cover(a, a)
        empty_years = 0
        while True:
            # Recomputed per pass: another thread may have extended the span
            # backwards, which shifts every prefix sum.
            target = span.cum(a) + d
            k = bisect_left(span.cum_end, target)
            if k < len(span.cum_end):
                return from_us(span.ends[k] - (span.cum_end[k] - target))
            covered = span.total
            span = self._extend(span.y0, span.y1 + 1)
            empty_years = empty_years + 1 if span.total == covered else 0
            if empty_years >= _MAX_EMPTY_YEARS:
                raise CalendarError(
                    f"shifts: no coverage in {_MAX_EMPTY_YEARS} consecutive years "
                    f"after {start!r}; the due time cannot be reached"
                )

    def is_open(self, at: datetime) -> bool:
        t = to_us(at)
        span = self._span
        if span is None or not span.lo <= t < span.hi:
            span = self._cover(t, t)
        i = bisect_right(span.starts, t) - 1
        return i >= 0 and t < span.ends[i]

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The UTC intervals of coverage within [start, end), clipped to it."""
        a = to_us(start)
        b = to_us(end)
        if b <= a:
            return []
        span = self._cover(a, b)
        i = max(bisect_right(span.starts, a) - 1, 0)
        j = bisect_left(span.starts, b)
        out: list[tuple[datetime, datetime]] = []
        for s, e in zip(span.starts[i:j], span.ends[i:j], strict=True):
            s, e = max(s, a), min(e, b)
            if s < e:
                out.append((from_us(s), from_us(e)))
        return out

    # -- precomputation ----------------------------------------------------

    def _local_year(self, t: int, shift_days: int) -> int:
        local = from_us(t).astimezone(self._zone).date()
        try:
            return (local + timedelta(days=shift_days)).year
        except OverflowError:
            return local.year

    def _cover(self, a: int, b: int) -> _Span:
        """A span whose complete range contains both instants a <= b."""
        span = self._span
        if span is not None and span.lo <= a and b < span.hi:
            return span
        # A shift starting on local date D-1 can still be running on D.
        need_lo = self._local_year(a, -1)
        need_hi = self._local_year(b, +1)
        if span is not None:
            need_lo = min(need_lo, span.y0)
            need_hi = max(need_hi, span.y1)
        return self._extend(need_lo, need_hi)

    def _extend(self, y0: int, y1: int) -> _Span:
        with self._lock:
            span = self._span
            if span is not None:
                if span.y0 <= y0 and y1 <= span.y1:
                    return span
                y0, y1 = min(y0, span.y0), max(y1, span.y1)
            if y0 <= MINYEAR or y1 >= MAXYEAR:
                raise ValueError(f"business time is only supported for years {MINYEAR + 1}..{MAXYEAR - 1}")
            raw: list[tuple[int, int]] = []
            for year in range(y0, y1 + 1):
                raw.extend(self._year_intervals(year))
            starts, ends = _merge(raw)
            # Rule 2: a closed day removes 00:00-24:00 local, whichever day
            # the shift started on. Jan 1 of y1 + 1 is included: shifts that
            # start on Dec 31 y1 run into it.
            for year in range(y0, y1 + 2):
                self._load_holidays(year)
            zone = self._zone
            first, last = date(y0, 1, 1), date(y1 + 1, 1, 1)
            closed = [
                (day_start_us(day, zone), day_start_us(day + _ONE_DAY, zone))
                for day in sorted(self._closed)
                if first <= day <= last
            ]
            starts, ends = _subtract(starts, ends, *_merge(closed))
            lo = day_start_us(date(y0, 1, 2), zone)
            hi = day_start_us(date(y1, 12, 31), zone)
            span = _Span(y0, y1, lo, hi, starts, ends)
            self._span = span
            return span

    def _year_intervals(self, year: int) -> list[tuple[int, int]]:
        """Every shift occurrence starting on a local date in `year` (rule 1),
        before holidays and closures are cut out."""
        cached = self._year_cache.get(year)
        if cached is not None:
            return cached
        zone = self._zone
        out: list[tuple[int, int]] = []
        day = date(year, 1, 1)
        while day.year == year:
            for shift in self._by_weekday[day.weekday()]:
                end_day = day + _ONE_DAY if shift.end <= shift.start else day
                s = wall_start_us(day, shift.start, zone)
                e = wall_end_us(end_day, shift.end, zone)
                # s == e: the whole span lies in a spring-forward gap.
                if s < e:
                    out.append((s, e))
            day += _ONE_DAY
        self._year_cache[year] = out
        return out

    def _load_holidays(self, year: int) -> None:
        country = self.calendar.country
        if country is None or year in self._holiday_years:
            return
        found = holidays.country_holidays(country, subdiv=self.calendar.subdivision, years=year)
        self._closed.update(found.keys())
        self._holiday_years.add(year)


@lru_cache(maxsize=256)
def _cached_clock(calendar: CoverageCalendar) -> BusinessCalendar:
    return BusinessCalendar(calendar)


def clock_for(calendar: CoverageCalendar | None) -> Clock:
    """ALWAYS for no calendar; else one shared BusinessCalendar per calendar value."""
    if calendar is None:
        return ALWAYS
    try:
        return _cached_clock(calendar)
    except TypeError:  # unhashable, e.g. a list of shifts: say which field
        validate_calendar(calendar)
        raise
