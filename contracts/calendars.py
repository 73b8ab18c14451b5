"""Business-time engine: pure Python, no Django.

All arithmetic happens on aware datetimes converted to UTC; wall-clock rules
(weekly hours, holidays, closures) are resolved in the calendar's own zone.

`BusinessCalendar` turns a `CoverageCalendar` into a sorted list of merged UTC
open intervals (integer microseconds since the epoch) plus prefix sums of
business time, built lazily a local year at a time. `elapsed()` is then two
bisects and `add()` one bisect on the cumulative sums.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays


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


# --------------------------------------------------------------------------
# Calendar description
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Shift:
    """A weekly block of coverage in the calendar's local wall-clock time.

    `weekday` (0=Monday .. 6=Sunday) is the day the shift STARTS. `end <= start`
    means the shift runs overnight into the next day; `end == start` is 24h.
    """

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Closure:
    """A named day on which every shift that starts that local date is closed."""

    day: date
    name: str


@dataclass(frozen=True)
class CoverageCalendar:
    timezone: str
    shifts: tuple[Shift, ...]
    country: str | None = None
    subdivision: str | None = None
    closures: tuple[Closure, ...] = ()


class CalendarError(ValueError):
    """A CoverageCalendar that cannot be turned into a clock."""


def validate_calendar(cal: CoverageCalendar) -> None:
    """Raise CalendarError naming the offending field and the rule it breaks."""
    _zone(cal.timezone)
    _check_shifts(cal.shifts)
    _check_closures(cal.closures)
    _check_holidays(cal.country, cal.subdivision)


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise CalendarError(f"timezone: must be a non-empty IANA zone name, got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(f"timezone: unknown IANA zone {name!r}") from exc


def _check_shifts(shifts: object) -> None:
    if not isinstance(shifts, tuple) or not shifts:
        raise CalendarError("shifts: must be a non-empty tuple of Shift")
    for i, shift in enumerate(shifts):
        if not isinstance(shift, Shift):
            raise CalendarError(f"shifts[{i}]: expected a Shift, got {shift!r}")
        wd = shift.weekday
        if isinstance(wd, bool) or not isinstance(wd, int) or not 0 <= wd <= 6:
            raise CalendarError(f"shifts[{i}].weekday: must be an int 0 (Monday) .. 6 (Sunday), got {wd!r}")
        for attr in ("start", "end"):
            value = getattr(shift, attr)
            if not isinstance(value, time):
                raise CalendarError(f"shifts[{i}].{attr}: must be a datetime.time, got {value!r}")
            if value.tzinfo is not None:
                raise CalendarError(
                    f"shifts[{i}].{attr}: must be a naive wall-clock time "
                    "(the calendar's timezone applies), got an aware time"
                )


def _check_closures(closures: object) -> None:
    if not isinstance(closures, tuple):
        raise CalendarError("closures: must be a tuple of Closure")
    for i, closure in enumerate(closures):
        if not isinstance(closure, Closure):
            raise CalendarError(f"closures[{i}]: expected a Closure, got {closure!r}")
        if isinstance(closure.day, datetime) or not isinstance(closure.day, date):
            raise CalendarError(f"closures[{i}].day: must be a datetime.date, got {closure.day!r}")


def _check_holidays(country: str | None, subdivision: str | None) -> None:
    if country is None:
        if subdivision is not None:
            raise CalendarError("subdivision: requires a country")
        return
    if not isinstance(country, str) or country not in holidays.list_supported_countries():
        raise CalendarError(f"country: {country!r} is not a country code known to `holidays`")
    try:
        holidays.country_holidays(country, subdiv=subdivision, years=())
    except NotImplementedError as exc:
        raise CalendarError(
            f"subdivision: {subdivision!r} is not a subdivision of {country!r} known to `holidays`"
        ) from exc


# --------------------------------------------------------------------------
# Integer-microsecond helpers (exact; no float seconds anywhere)
# --------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = 1_000_000
_ONE_DAY = timedelta(days=1)
# A year with no coverage at all this many times in a row means add() can
# never finish (e.g. closures blanket the future): stop instead of spinning.
_MAX_EMPTY_YEARS = 10


def _to_us(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError(f"business-time queries need aware datetimes, got naive {dt!r}")
    d = dt - _EPOCH  # aware - aware: real elapsed time, offsets applied
    return (d.days * 86_400 + d.seconds) * _US + d.microseconds


def _td_to_us(td: timedelta) -> int:
    return (td.days * 86_400 + td.seconds) * _US + td.microseconds


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _wall_to_us(day: date, at: time, zone: ZoneInfo) -> int:
    """Resolve a local wall time with fold=0.

    An ambiguous time (fall-back) is its first occurrence; a non-existent time
    (spring-forward gap) is read with the pre-transition offset, which lands
    after the gap by the gap's length (02:30 in Berlin's gap -> 03:30 CEST).
    """
    return _to_us(datetime.combine(day, at.replace(fold=0), tzinfo=zone))


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
        a = _to_us(start)
        b = _to_us(end)
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
        d = _td_to_us(duration)
        if d < 0:
            raise ValueError(f"duration must not be negative, got {duration!r}")
        a = _to_us(start)
        if d == 0:
            return _from_us(a)
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
                return _from_us(span.ends[k] - (span.cum_end[k] - target))
            covered = span.total
            span = self._extend(span.y0, span.y1 + 1)
            empty_years = empty_years + 1 if span.total == covered else 0
            if empty_years >= _MAX_EMPTY_YEARS:
                raise CalendarError(
                    f"shifts: no coverage in {_MAX_EMPTY_YEARS} consecutive years "
                    f"after {start!r}; the due time cannot be reached"
                )

    def is_open(self, at: datetime) -> bool:
        t = _to_us(at)
        span = self._span
        if span is None or not span.lo <= t < span.hi:
            span = self._cover(t, t)
        i = bisect_right(span.starts, t) - 1
        return i >= 0 and t < span.ends[i]

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The UTC intervals of coverage within [start, end), clipped to it."""
        a = _to_us(start)
        b = _to_us(end)
        if b <= a:
            return []
        span = self._cover(a, b)
        i = max(bisect_right(span.starts, a) - 1, 0)
        j = bisect_left(span.starts, b)
        out: list[tuple[datetime, datetime]] = []
        for s, e in zip(span.starts[i:j], span.ends[i:j], strict=True):
            s, e = max(s, a), min(e, b)
            if s < e:
                out.append((_from_us(s), _from_us(e)))
        return out

    # -- precomputation ----------------------------------------------------

    def _local_year(self, t: int, shift_days: int) -> int:
        local = _from_us(t).astimezone(self._zone).date()
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
            raw.sort()
            starts: list[int] = []
            ends: list[int] = []
            for s, e in raw:
                if ends and s <= ends[-1]:  # overlapping or touching: merge
                    if e > ends[-1]:
                        ends[-1] = e
                else:
                    starts.append(s)
                    ends.append(e)
            zone = self._zone
            lo = _wall_to_us(date(y0, 1, 2), time(0), zone)
            hi = _wall_to_us(date(y1, 12, 31), time(0), zone)
            span = _Span(y0, y1, lo, hi, starts, ends)
            self._span = span
            return span

    def _year_intervals(self, year: int) -> list[tuple[int, int]]:
        cached = self._year_cache.get(year)
        if cached is not None:
            return cached
        self._load_holidays(year)
        closed = self._closed
        zone = self._zone
        out: list[tuple[int, int]] = []
        day = date(year, 1, 1)
        while day.year == year:
            shifts = self._by_weekday[day.weekday()]
            if shifts and day not in closed:
                for shift in shifts:
                    end_day = day + _ONE_DAY if shift.end <= shift.start else day
                    s = _wall_to_us(day, shift.start, zone)
                    e = _wall_to_us(end_day, shift.end, zone)
                    # Both ends are read with fold=0, so a shift inside a
                    # spring-forward gap moves later by the gap, keeping its
                    # length. Only a shift starting in the gap and ending
                    # less than a gap after it inverts: it has no real time.
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
