"""Uptime periods (a month or a quarter in the terms' uptime time zone):
labels such as ``2026-10`` / ``2026-Q4`` and their instants. Pure Python."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    kind: str  # "month" or "quarter"
    year: int
    index: int  # month 1..12 or quarter 1..4
    zone: str

    @property
    def label(self) -> str:
        return f"{self.year}-{self.index:02d}" if self.kind == "month" else f"{self.year}-Q{self.index}"

    @property
    def short(self) -> str:
        """For a chart axis: "Oct 26", "Q4 26"."""
        if self.kind == "month":
            return f"{calendar.month_abbr[self.index]} {self.year % 100:02d}"
        return f"Q{self.index} {self.year % 100:02d}"

    @property
    def title(self) -> str:
        if self.kind == "month":
            return f"{calendar.month_name[self.index]} {self.year}"
        return f"Q{self.index} {self.year}"

    def _first_month(self) -> int:
        return self.index if self.kind == "month" else 3 * (self.index - 1) + 1

    @property
    def start(self) -> datetime:
        return datetime(self.year, self._first_month(), 1, tzinfo=_zone(self.zone)).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return self.next().start

    def next(self) -> Period:
        return self.shift(1)

    def previous(self) -> Period:
        return self.shift(-1)

    def shift(self, steps: int) -> Period:
        per_year = 12 if self.kind == "month" else 4
        n = self.year * per_year + (self.index - 1) + steps
        return Period(self.kind, n // per_year, n % per_year + 1, self.zone)

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def period_at(at: datetime, *, kind: str = "month", zone: str = "UTC") -> Period:
    local = at.astimezone(_zone(zone))
    if kind == "month":
        return Period("month", local.year, local.month, zone)
    return Period("quarter", local.year, (local.month - 1) // 3 + 1, zone)


def parse_period(label: str, *, kind: str = "month", zone: str = "UTC") -> Period:
    """``2026-10`` for a monthly agreement, ``2026-Q4`` for a quarterly one
    (a month label in a quarterly agreement means the quarter holding it)."""
    text = (label or "").strip()
    month = MONTH_RE.match(text)
    quarter = QUARTER_RE.match(text)
    if month and 1 <= int(month.group(2)) <= 12 and 1970 <= int(month.group(1)) <= 2999:
        year, number = int(month.group(1)), int(month.group(2))
        if kind == "month":
            return Period("month", year, number, zone)
        return Period("quarter", year, (number - 1) // 3 + 1, zone)
    if quarter and 1970 <= int(quarter.group(1)) <= 2999:
        if kind == "month":
            raise PeriodError("This agreement measures uptime per month: give the period as YYYY-MM.")
        return Period("quarter", int(quarter.group(1)), int(quarter.group(2)), zone)
    example = "2026-10" if kind == "month" else "2026-Q4"
    raise PeriodError(f"Give the period as {'YYYY-MM' if kind == 'month' else 'YYYY-Qn'}, e.g. {example}.")


def last_periods(now: datetime, count: int, *, kind: str = "month", zone: str = "UTC") -> list[Period]:
    """The ``count`` periods ending with the one holding ``now``, oldest first."""
    current = period_at(now, kind=kind, zone=zone)
    return [current.shift(-i) for i in range(count - 1, -1, -1)]
