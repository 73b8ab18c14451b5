"""Maintenance-window compliance: pure Python, no Django.

A window excuses downtime only as far as the agreement allows it: announced
at least the required notice ahead, within its planned end (an overrun is not
excused), and within the period's allowance (the excess is not excused).
Each window gets a verdict that says why, so the page can show it.

A window recorded after the fact (its announcement time is the vendor's claim)
is judged on that claimed announcement, but excuses nothing until the buyer
accepts the record: until then the whole of it counts as downtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Window:
    ref: str
    start: datetime
    end: datetime  # planned end
    announced_at: datetime
    components: tuple[str, ...]  # empty: the whole service
    actual_end: datetime | None = None
    cancelled: bool = False
    agreed: bool = True  # False: recorded after the fact and not yet accepted by the other party


@dataclass(frozen=True)
class Verdict:
    ref: str
    excused: tuple[tuple[datetime, datetime], ...]  # UTC intervals that count as excused
    not_excused: tuple[tuple[datetime, datetime], ...]  # UTC intervals that count as downtime
    reasons: tuple[str, ...] = field(default=())

    @property
    def compliant(self) -> bool:
        return not self.not_excused and not any(r.startswith(("late", "unaccepted")) for r in self.reasons)


def _u(value: datetime) -> datetime:
    return value.astimezone(UTC)


def assess(
    windows: Sequence[Window], *, notice: timedelta, allowance: timedelta, period_start: datetime, period_end: datetime
) -> list[Verdict]:
    """Verdicts for the windows overlapping [period_start, period_end), in start order.

    The allowance is spent in the order windows started; a window that is
    announced late excuses nothing (all of it counts as downtime)."""
    period_start, period_end = _u(period_start), _u(period_end)
    remaining = allowance
    out: list[Verdict] = []
    for w in sorted(windows, key=lambda w: (_u(w.start), w.ref)):
        if w.cancelled:
            continue
        start, planned_end = _u(w.start), _u(w.end)
        real_end = _u(w.actual_end) if w.actual_end else planned_end
        a, b = max(start, period_start), min(real_end, period_end)
        if a >= b:
            continue
        reasons: list[str] = []
        excused: list[tuple[datetime, datetime]] = []
        not_excused: list[tuple[datetime, datetime]] = []
        if not w.agreed:
            reasons.append(
                "unaccepted: recorded after the fact and not yet accepted by the buyer; the whole window counts as downtime"
            )
            not_excused.append((a, b))
        elif _u(w.announced_at) > start - notice:
            given = start - _u(w.announced_at)
            reasons.append(
                f"late: announced {_human(given)} ahead, the agreement requires {_human(notice)}; the whole window counts as downtime"
            )
            not_excused.append((a, b))
        else:
            in_plan_end = min(planned_end, b)
            if in_plan_end > a:
                planned = (a, in_plan_end)
                length = planned[1] - planned[0]
                if length <= remaining:
                    excused.append(planned)
                    remaining -= length
                else:
                    cut = planned[0] + remaining
                    if remaining > timedelta(0):
                        excused.append((planned[0], cut))
                    not_excused.append((cut, planned[1]))
                    reasons.append(
                        f"over allowance: {_human(planned[1] - cut)} beyond the period's {_human(allowance)} counts as downtime"
                    )
                    remaining = timedelta(0)
            if real_end > planned_end and b > max(a, planned_end):
                not_excused.append((max(a, planned_end), b))
                reasons.append(
                    f"overran its planned end by {_human(real_end - planned_end)}; the overrun counts as downtime"
                )
        out.append(Verdict(w.ref, tuple(excused), tuple(not_excused), tuple(reasons)))
    return out


def _human(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 0:
        return "after it started"
    if minutes % (60 * 24) == 0 and minutes:
        days = minutes // (60 * 24)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes} min"
