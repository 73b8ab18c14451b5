"""Measurement periods, the one ``Period`` of every app. Pure Python, no Django.

A period is a calendar month ("2026-10") or quarter ("2026-Q4") in the time
zone the terms measure uptime in (``uptime.timezone``). Its bounds are the
local midnights that open it and the next one, as half-open ``[start, end)``
UTC instants, so a month in Europe/Berlin starts at 22:00 or 23:00 UTC of the
previous day depending on daylight saving time.

The rules, explicit so that no two callers read a label differently:

- **A label's granularity is what it says.** ``YYYY-MM`` is a month and
  ``YYYY-Qn`` (``q`` in either case) a quarter, for years 1970 to 2999.
  ``parse`` never turns a month into the quarter holding it: a caller that
  wants that asks for it by name (``Period.enclosing("quarter")``). With
  ``kind``, ``parse`` rejects a label of the other kind.
- **An unknown time zone is an error**, never silently UTC: every ``Period``
  checks its zone when it is built.
- **Errors are ``PeriodError``**, a ``ValueError`` naming the input it is
  about in ``field`` (``"period"``, ``"timezone"``, ``"kind"``,
  ``"report_due_day"``). Callers turn it into their own shape: the period
  close into ``InvalidInput``, the availability API into a 400 on ``period``,
  the availability page into a 404.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "KINDS",
    "MAX_YEAR",
    "MIN_YEAR",
    "Period",
    "PeriodError",
    "last_ended",
    "last_n",
    "parse",
    "period_of",
    "report_due_at",
    "report_due_date",
    "zone_info",
]

KINDS = ("month", "quarter")
MIN_YEAR, MAX_YEAR = 1970, 2999
_PER_YEAR = {"month": 12, "quarter": 4}
_EXAMPLE = {"month": "2026-10", "quarter": "2026-Q4"}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q(\d)$")


class PeriodError(ValueError):
    """A period cannot be built from the input named by ``field``."""

    def __init__(self, message: str, *, field: str = "period") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def zone_info(zone: str) -> ZoneInfo:
    """The IANA zone ``zone``; PeriodError (field ``timezone``) if there is none."""
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise PeriodError(f"Unknown time zone '{zone}'.", field="timezone") from None


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise PeriodError(f"A period is a month or a quarter, not '{kind}'.", field="kind")


@dataclass(frozen=True)
class Period:
    kind: str  # "month" | "quarter"
    year: int
    index: int  # month 1..12 or quarter 1..4
    zone: str  # IANA name, e.g. "Europe/Berlin"

    def __post_init__(self) -> None:
        _check_kind(self.kind)
        if not 1 <= self.index <= _PER_YEAR[self.kind]:
            raise PeriodError(f"There is no {self.kind} {self.index} in a year.")
        zone_info(self.zone)

    # -- naming -------------------------------------------------------------------------

    @property
    def label(self) -> str:
        """ "2026-10", "2026-Q4": what ``parse`` reads back."""
        return f"{self.year}-{self.index:02d}" if self.kind == "month" else f"{self.year}-Q{self.index}"

    @property
    def title(self) -> str:
        """ "October 2026", "Q4 2026"."""
        if self.kind == "month":
            return f"{calendar.month_name[self.index]} {self.year}"
        return f"Q{self.index} {self.year}"

    @property
    def short(self) -> str:
        """ "Oct 26", "Q4 26": chart axis labels."""
        if self.kind == "month":
            return f"{calendar.month_abbr[self.index]} {self.year % 100:02d}"
        return f"Q{self.index} {self.year % 100:02d}"

    @property
    def months(self) -> int:
        return 12 // _PER_YEAR[self.kind]

    def __str__(self) -> str:
        return self.label

    # -- bounds -------------------------------------------------------------------------

    @property
    def first_day(self) -> date:
        return date(self.year, (self.index - 1) * self.months + 1, 1)

    @property
    def next_first_day(self) -> date:
        return self.next().first_day

    @property
    def start(self) -> datetime:
        return _local_midnight(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        return _local_midnight(self.next_first_day, self.zone)

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def has_ended(self, now: datetime) -> bool:
        return now >= self.end

    # -- neighbours and the enclosing period -------------------------------------------------

    def shift(self, steps: int) -> Period:
        per_year = _PER_YEAR[self.kind]
        n = self.year * per_year + (self.index - 1) + steps
        return Period(kind=self.kind, year=n // per_year, index=n % per_year + 1, zone=self.zone)

    def previous(self) -> Period:
        return self.shift(-1)

    def next(self) -> Period:
        return self.shift(1)

    def enclosing(self, kind: str) -> Period:
        """The period of ``kind`` that holds this one: a month's quarter, or
        the period itself. A quarter is in no single month: PeriodError."""
        _check_kind(kind)
        if kind == self.kind:
            return self
        if self.kind == "quarter":
            raise PeriodError(
                f"'{self.label}' is a quarter, but uptime is measured per month here (for example {_EXAMPLE['month']})."
            )
        return Period(kind="quarter", year=self.year, index=(self.index - 1) // 3 + 1, zone=self.zone)


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone_info(zone)).astimezone(UTC)


def _read_label(text: str) -> tuple[str, int, int] | None:
    """(kind, year, index) of a well-formed label, else None."""
    for kind, pattern in (("month", _MONTH), ("quarter", _QUARTER)):
        match = pattern.match(text)
        if match is not None:
            year, index = int(match.group(1)), int(match.group(2))
            if MIN_YEAR <= year <= MAX_YEAR and 1 <= index <= _PER_YEAR[kind]:
                return kind, year, index
    return None


def parse(label: str, *, zone: str, kind: str | None = None) -> Period:
    """ "2026-10" -> October 2026, "2026-Q4" -> Q4 2026, in ``zone``.

    With ``kind`` the label must be of that kind (a contract measured per
    quarter has no period "2026-10"). Raises PeriodError naming the problem.
    """
    if kind is not None:
        _check_kind(kind)
    zone_info(zone)  # an unknown zone fails here, whatever the label
    read = _read_label((label or "").strip().upper())
    if read is None:
        raise PeriodError(
            f"'{label}' is not a period: use YYYY-MM for a month or YYYY-Qn for a quarter "
            f"(years {MIN_YEAR} to {MAX_YEAR})."
        )
    found, year, index = read
    if kind is not None and kind != found:
        raise PeriodError(
            f"'{label}' is a {found}, but this contract is measured per {kind} (for example {_EXAMPLE[kind]})."
        )
    return Period(kind=found, year=year, index=index, zone=zone)


def period_of(at: datetime, *, kind: str, zone: str) -> Period:
    """The period of ``kind`` containing the instant ``at`` (aware)."""
    _check_kind(kind)
    local = at.astimezone(zone_info(zone))
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
        raise PeriodError("report_due_day must be between 1 and 28", field="report_due_day")
    return period.next_first_day.replace(day=due_day)


def report_due_at(period: Period, due_day: int) -> datetime:
    """The start (local midnight, as UTC) of the report's due day."""
    return _local_midnight(report_due_date(period, due_day), period.zone)
