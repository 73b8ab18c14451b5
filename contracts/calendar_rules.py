"""What a coverage calendar says, and how its wall-clock times become instants.

Pure Python, no Django. `contracts.calendars` builds the business-time clock on
top of these rules; the SLA schedule (`contracts/wording.py`, the schedule
template) states them to the parties in the same words:

1. **Shifts follow the local wall clock.** A shift that starts on local date D
   covers one continuous stretch of real time: from the first instant the wall
   clock in the calendar's zone reads its start time or later, to the last
   instant it still reads earlier than its end time (on D, or on D + 1 when the
   end is not after the start; start == end is 24 hours).

   - A wall time inside a spring-forward gap does not exist; the shift starts
     or ends at the moment the clocks jump (the first wall time after the gap).
     A shift wholly inside the gap gives no cover that night.
   - A wall time that a fall-back repeats starts a shift at its first
     occurrence and ends one at its second, so the shift covers every instant
     of its wall-clock span, the repeated one included.

2. **A holiday or closure removes the whole calendar day it names**, 00:00 to
   24:00 local wall time: every instant from the start of that day to the
   start of the next, where a day starts when the wall clock first reads
   00:00 of it (or the first wall time after a gap that swallows midnight).
   An overnight shift that starts the evening before keeps its hours up to
   midnight; a shift that starts on the holiday keeps its hours after
   midnight on the next day unless that day is closed too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays


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
    """A named local date with no coverage at all, 00:00 to 24:00."""

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
    zone(cal.timezone)
    _check_shifts(cal.shifts)
    _check_closures(cal.closures)
    _check_holidays(cal.country, cal.subdivision)


def zone(name: object) -> ZoneInfo:
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
# Instants as integer microseconds since the epoch (exact; no float seconds)
# --------------------------------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = 1_000_000


def to_us(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError(f"business-time queries need aware datetimes, got naive {dt!r}")
    d = dt - EPOCH  # aware - aware: real elapsed time, offsets applied
    return (d.days * 86_400 + d.seconds) * US + d.microseconds


def td_to_us(td: timedelta) -> int:
    return (td.days * 86_400 + td.seconds) * US + td.microseconds


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


# --------------------------------------------------------------------------
# Wall-clock time -> instant (rule 1)
# --------------------------------------------------------------------------


def _both_folds(day: date, at: time, tz: ZoneInfo) -> tuple[int, int]:
    first = to_us(datetime.combine(day, at.replace(fold=0), tzinfo=tz))
    second = to_us(datetime.combine(day, at.replace(fold=1), tzinfo=tz))
    return first, second


def _jump(before: int, after: int, tz: ZoneInfo) -> int:
    """The instant the clocks jump forward, somewhere in (before, after].

    PEP 495 reads a wall time in the gap with the offset before the jump for
    fold=0 and after it for fold=1, which puts the two readings on either side
    of the jump: bisect for the first microsecond with the later offset.
    """
    offset = from_us(after).astimezone(tz).utcoffset()
    lo, hi = before, after
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if from_us(mid).astimezone(tz).utcoffset() == offset:
            hi = mid
        else:
            lo = mid
    return hi


def wall_start_us(day: date, at: time, tz: ZoneInfo) -> int:
    """The first instant the wall clock reads `at` on `day` or later."""
    first, second = _both_folds(day, at, tz)
    if first <= second:  # unique (equal) or repeated by a fall-back (first is earlier)
        return first
    return _jump(second, first, tz)


def wall_end_us(day: date, at: time, tz: ZoneInfo) -> int:
    """The instant after which the wall clock never again reads earlier than `at` on `day`."""
    first, second = _both_folds(day, at, tz)
    if first == second:
        return first
    if first > second:
        return _jump(second, first, tz)
    # Repeated: usually the second occurrence. But the first wall time of the
    # repeated stretch has its second occurrence at the jump back itself, and
    # just before that the clock still reads later times: it is last left
    # behind at its first occurrence (a shift "until 01:00" on the night New
    # York falls back from 02:00 to 01:00 ends at the first 01:00).
    wall = datetime.combine(day, at)
    just_before = from_us(second - 1).astimezone(tz).replace(tzinfo=None)
    return second if just_before < wall else first


def day_start_us(day: date, tz: ZoneInfo) -> int:
    """Local 00:00 of `day` (rule 2), or the end of a gap that swallows it."""
    return wall_start_us(day, time(0), tz)
