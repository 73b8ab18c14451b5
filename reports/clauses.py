"""Claim deadlines and the termination rule: pure Python, no Django, no database.

- **Claim deadline.** The last moment to claim is the END of the deadline's
  day (23:59:59.999999) in the period's time zone: "N days after the period
  end" (the period's last day plus N days), "end of the following month", or
  "end of the Nth billing cycle" (monthly cycles after the period).
- **Termination.** A period counts when it is measured and strictly below the
  termination threshold; "N of the last M periods" (optionally in a row).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

__all__ = ["CLAIM_RULES", "below_threshold", "claim_deadline", "termination_triggered"]


# --- claim deadline ------------------------------------------------------------------

CLAIM_RULES = ("days_after_period_end", "end_of_following_month", "end_of_billing_cycle")


def _end_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.max, tzinfo=zone).astimezone(UTC)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def claim_deadline(
    *, period_end: datetime, zone: str, rule: str = "days_after_period_end", days: int = 0, cycles: int = 1
) -> datetime:
    """The last instant (UTC) to claim a credit of the period that ends at
    ``period_end`` (the exclusive end: the local midnight after its last day).

    ``days_after_period_end``: the period's last day plus ``days``;
    ``end_of_following_month``: the last day of the month after the one the
    period ends in; ``end_of_billing_cycle``: the last day of the ``cycles``-th
    monthly billing cycle after the period.  Always the END of that day
    (23:59:59.999999) in ``zone``, so a deadline printed as "31 Jul" accepts a
    claim made at any time on 31 Jul there.
    """
    tz = ZoneInfo(zone)
    last_day = period_end.astimezone(tz).date() - timedelta(days=1)
    if rule == "days_after_period_end":
        if days < 0:
            raise ValueError("days must not be negative")
        return _end_of_day(last_day + timedelta(days=days), tz)
    if rule == "end_of_following_month":
        cycles = 1
    elif rule != "end_of_billing_cycle":
        raise ValueError(f"unknown claim rule {rule!r}")
    if cycles < 1:
        raise ValueError("cycles must be at least 1")
    months = last_day.year * 12 + last_day.month - 1 + cycles
    return _end_of_day(_month_end(months // 12, months % 12 + 1), tz)


# --- termination ------------------------------------------------------------------


def below_threshold(*, availability: Decimal | None, threshold: Decimal) -> bool:
    """Whether a period counts towards the termination rule: measured and strictly below
    its threshold (which may differ from the uptime target). Unmeasured periods do not count."""
    return availability is not None and availability < threshold


def termination_triggered(*, below_target: Sequence[bool], n: int, m: int, consecutive: bool) -> bool:
    """ "N of the last M periods below target".

    ``below_target`` is ordered oldest first; only its last ``m`` entries are
    considered (fewer if fewer periods exist).  With ``consecutive`` the N
    periods must be in a row inside that window.
    """
    if not 1 <= n <= m:
        raise ValueError("need 1 <= n <= m")
    window = list(below_target)[-m:]
    if not consecutive:
        return sum(window) >= n
    run = 0
    for below in window:
        run = run + 1 if below else 0
        if run >= n:
            return True
    return False
