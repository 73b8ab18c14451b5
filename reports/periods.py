"""Measurement periods: pure Python, no Django.

A period is a calendar month ("2026-10") or quarter ("2026-Q4") in the time
zone the terms measure uptime in (``uptime.timezone``). Its bounds are the
local midnights that open it and the next one, as half-open ``[start, end)``
UTC instants, so a month in Europe/Berlin starts at 22:00 or 23:00 UTC of the
previous day depending on daylight saving time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

__all__ = [
    "KINDS",
    "Period",
    "last_ended",
    "last_n",
    "parse",
    "period_of",
    "report_due_at",
    "report_due_date",
]

KINDS = ("month", "quarter")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Period:
    kind: str  # "month" | "quarter"
    year: int
    index: int  # month 1..12 or quarter 1..4
    zone: str

    # -- naming -------------------------------------------------------------------

    @property
    def label(self) -> str:
        return f"{self.year}-{self.index:02d}" if self.kind == "month" else f"{self.year}-Q{self.index}"

    @property
    def title(self) -> str:
        """ "October 2026", "Q4 2026"."""
        if self.kind == "month":
            return date(self.year, self.index, 1).strftime("%B %Y")
        return f"Q{self.index} {self.year}"

    @property
    def short(self) -> str:
        """ "Oct 26", "Q4 26": chart axis labels."""
        if self.kind == "month":
            return date(self.year, self.index, 1).strftime("%b %y")
        return f"Q{self.index} {self.year % 100:02d}"

    @property
    def months(self) -> int:
        return 1 if self.kind == "month" else 3

    # -- bounds ----------------------------------------------------------------------

    @property
    def first_day(self) -> date:
        month = self.index if self.kind == "month" else 3 * (self.index - 1) + 1
        return date(self.year, month, 1)

    @property
    def next_first_day(self) -> date:
        first = self.first_day
        month0 = first.month - 1 + self.months
        return date(first.year + month0 // 12, month0 % 12 + 1, 1)

    @property
    def start(self) -> datetime:
        return _local_midnight(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        return _local_midnight(self.next_first_day, self.zone)

    def has_ended(self, now: datetime) -> bool:
        return now >= self.end

    # -- neighbours ----------------------------------------------------------------------

    def shift(self, steps: int) -> Period:
        per_year = 12 if self.kind == "month" else 4
        n = self.year * per_year + (self.index - 1) + steps
        return Period(kind=self.kind, year=n // per_year, index=n % per_year + 1, zone=self.zone)

    def previous(self) -> Period:
        return self.shift(-1)

    def next(self) -> Period:
        return self.shift(1)

    def __str__(self) -> str:
        return self.label


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def parse(label: str, *, zone: str, kind: str | None = None) -> Period:
    """ "2026-10" -> October 2026, "2026-Q4" -> Q4 2026, in ``zone``.

    With ``kind`` the label must be of that kind (a contract measured per
    quarter has no period "2026-10"). Raises ValueError naming the problem.
    """
    text = (label or "").strip().upper()
    match = _MONTH.match(text)
    found = "month"
    if match is None:
        match = _QUARTER.match(text)
        found = "quarter"
    if match is None:
        raise ValueError(f"'{label}' is not a period: use YYYY-MM for a month or YYYY-Qn for a quarter.")
    if kind is not None and kind != found:
        example = "2026-10" if kind == "month" else "2026-Q4"
        raise ValueError(f"'{label}' is a {found}, but this contract is measured per {kind} (for example {example}).")
    ZoneInfo(zone)  # unknown zones fail here, not later
    return Period(kind=found, year=int(match.group(1)), index=int(match.group(2)), zone=zone)


def period_of(at: datetime, *, kind: str, zone: str) -> Period:
    """The period containing the instant ``at``."""
    if kind not in KINDS:
        raise ValueError(f"period kind must be one of {KINDS}")
    local = at.astimezone(ZoneInfo(zone))
    index = local.month if kind == "month" else (local.month - 1) // 3 + 1
    return Period(kind=kind, year=local.year, index=index, zone=zone)


def last_ended(now: datetime, *, kind: str, zone: str) -> Period:
    """The most recent period that has ended by ``now``."""
    return period_of(now, kind=kind, zone=zone).previous()


def last_n(period: Period, n: int) -> list[Period]:
    """The ``n`` periods ending with ``period``, oldest first."""
    return [period.shift(-k) for k in range(n - 1, -1, -1)]


def report_due_date(period: Period, due_day: int) -> date:
    """Day ``due_day`` of the month following the period (the month its end falls in)."""
    if not 1 <= due_day <= 28:
        raise ValueError("report_due_day must be between 1 and 28")
    return period.next_first_day.replace(day=due_day)


def report_due_at(period: Period, due_day: int) -> datetime:
    """The start (local midnight, as UTC) of the report's due day."""
    return _local_midnight(report_due_date(period, due_day), period.zone)
