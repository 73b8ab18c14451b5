"""A brute-force business-time oracle, written from the SLA schedule's rules
(stated in `contracts/calendar_rules.py`) without any of the engine's code.

It reads the wall clock in the calendar's zone at every whole UTC minute of a
window and applies the rules literally:

1. A shift occurrence on local date D covers from the first minute at which
   the wall clock reads its start or later, to just after the last minute at
   which it still reads earlier than its end.
2. A closed day (holiday or closure) removes every minute from the first
   minute the wall clock reads 00:00 of that day or later to the first minute
   it reads 00:00 of the next day or later.

Every offset and transition in the zones used is a whole number of minutes and
every shift time in the tests is a whole minute, so coverage is constant on
each UTC minute and business time inside a partly counted minute is exact.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import accumulate
from zoneinfo import ZoneInfo

import holidays

from contracts.calendars import CoverageCalendar

MINUTE = timedelta(minutes=1)
MINUTE_US = 60_000_000
# The wall clock never jumps by more than a few hours, so readings this far
# outside the window settle every "first/last reading" question inside it.
MARGIN = timedelta(hours=6)


@cache
def holiday_dates(country: str | None, subdivision: str | None, year: int) -> frozenset[date]:
    if country is None:
        return frozenset()
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def is_closed(cal: CoverageCalendar, day: date) -> bool:
    return day in {c.day for c in cal.closures} or day in holiday_dates(cal.country, cal.subdivision, day.year)


def _wall_minutes(wall: datetime) -> int:
    """What the wall clock shows (a naive time, or an aware one read on its own wall), in minutes."""
    return wall.toordinal() * 1440 + wall.hour * 60 + wall.minute


def _us(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class Oracle:
    """Coverage of `cal` over the instants [lo, hi], minute by minute."""

    def __init__(self, cal: CoverageCalendar, lo: datetime, hi: datetime) -> None:
        zone = ZoneInfo(cal.timezone)
        self.lo, self.hi = lo.astimezone(UTC), hi.astimezone(UTC)
        first = (self.lo - MARGIN).replace(second=0, microsecond=0)
        count = int((self.hi + MARGIN - first) / MINUTE) + 1
        self.first = first
        epoch = int(first.timestamp())
        # The wall clock read at each minute, as whole minutes since 1970-01-01 00:00 on the wall.
        readings = [datetime.fromtimestamp(ts, zone) for ts in range(epoch, epoch + 60 * count, 60)]
        assert not any(r.second for r in readings), f"{zone} has an offset of seconds"
        walls = [_wall_minutes(r) for r in readings]
        # reached[i]: the latest wall reading so far; still_before[i]: the
        # earliest reading from minute i on. Both only grow, so bisect finds
        # "the first minute reading W or later" and "the minute after the last
        # one reading earlier than W".
        reached = list(accumulate(walls, max))
        still_before = list(accumulate(reversed(walls), min))[::-1]

        def first_reading(wall: datetime) -> int:
            return bisect_left(reached, _wall_minutes(wall))

        def after_last_reading_before(wall: datetime) -> int:
            return bisect_left(still_before, _wall_minutes(wall))

        covered = bytearray(count)
        # A shift that starts the day before the first reading may still run.
        first_day = (first.astimezone(zone) - timedelta(days=1)).date()
        day, last_day = first_day, (self.hi + MARGIN).astimezone(zone).date()
        while day <= last_day:
            for shift in cal.shifts:
                if shift.weekday == day.weekday():
                    end_day = day + timedelta(days=1) if shift.end <= shift.start else day
                    s = first_reading(datetime.combine(day, shift.start))
                    e = after_last_reading_before(datetime.combine(end_day, shift.end))
                    covered[s:e] = b"\x01" * max(e - s, 0)
            day += timedelta(days=1)
        day = first_day
        while day <= last_day:
            if is_closed(cal, day):
                s = first_reading(datetime.combine(day, time(0)))
                e = first_reading(datetime.combine(day + timedelta(days=1), time(0)))
                covered[s:e] = bytes(max(e - s, 0))
            day += timedelta(days=1)
        self.covered = covered
        self.cum = [0, *accumulate(covered)]

    def _index(self, t: datetime) -> tuple[int, int]:
        t = t.astimezone(UTC)
        assert self.lo <= t <= self.hi, f"{t} is outside the oracle's window {self.lo}..{self.hi}"
        us = _us(t - self.first)
        return us // MINUTE_US, us % MINUTE_US

    def _counted_before(self, t: datetime) -> int:
        i, into = self._index(t)
        return self.cum[i] * MINUTE_US + (into if self.covered[i] else 0)

    def is_open(self, t: datetime) -> bool:
        return bool(self.covered[self._index(t)[0]])

    def elapsed(self, a: datetime, b: datetime) -> timedelta:
        if b.astimezone(UTC) <= a.astimezone(UTC):
            return timedelta(0)
        return timedelta(microseconds=self._counted_before(b) - self._counted_before(a))

    def add(self, a: datetime, duration: timedelta) -> datetime | None:
        """The earliest instant at which `duration` has been counted since a,
        or None if that is after the window."""
        if not duration:
            return a.astimezone(UTC)
        target = self._counted_before(a) + _us(duration)
        j = bisect_left(self.cum, -(-target // MINUTE_US))  # first minute boundary at or past it
        if j >= len(self.cum):
            return None
        i = j - 1
        due = self.first + i * MINUTE + timedelta(microseconds=target - self.cum[i] * MINUTE_US)
        return due if due <= self.hi else None
