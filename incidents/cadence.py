"""Update cadence and the investigate target: pure Python, no Django.

A *customer-visible update* is an instant supplied by the caller (see
``incidents.sla.update_times`` for which timeline entries count).

Investigate target: met by the first update at or after the acknowledgement
(``first_update``); its due time, breach and elapsed time are those of any
other target (``incidents.clocks.target_state``).

Update cadence: while an incident is open, the clock time since the last update
(or since opening) must not exceed the interval.  The open time is cut into
gaps at each update; a gap ends at the next update, at the end of the
obligation (resolution or cancellation), or is still running at ``now``.  Like
every target, a gap's due time is the instant at which its clock time, with
pauses excluded, reaches the interval; the gap is missed iff it ended (or
``now`` is) strictly after that instant: an update exactly at the due time is
in time.  Each missed gap is one miss.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts.calendars import Clock
from incidents.clocks import Interval, due_time

__all__ = ["CadenceState", "Gap", "cadence_state", "first_update"]


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Gap:
    start: datetime
    # None while a pause that began before the due time is ongoing.
    due_at: datetime | None
    end: datetime | None  # None: still running at ``now``
    missed: bool


@dataclass(frozen=True)
class CadenceState:
    gaps: tuple[Gap, ...]

    @property
    def misses(self) -> int:
        return sum(1 for g in self.gaps if g.missed)

    @property
    def current(self) -> Gap | None:
        """The running gap (None once the obligation has ended)."""
        if self.gaps and self.gaps[-1].end is None:
            return self.gaps[-1]
        return None

    @property
    def next_due_at(self) -> datetime | None:
        """When the next update is due: the running gap's due time."""
        current = self.current
        return None if current is None else current.due_at


def first_update(*, updates: Iterable[datetime], after: datetime | None) -> datetime | None:
    """The first update at or after ``after`` (None when ``after`` is None:
    nothing counts before the acknowledgement)."""
    if after is None:
        return None
    after = _utc(after, "after")
    later = [u for u in (_utc(x, "update") for x in updates) if u >= after]
    return min(later, default=None)


def _clipped(pauses: Sequence[Interval], end: datetime) -> list[Interval]:
    """Pauses as they stood at ``end``: later ones have not happened, an open
    or longer one is closed at ``end``."""
    return [
        Interval(start=p.start, end=end if p.end is None or _utc(p.end, "pause end") > end else p.end)
        for p in pauses
        if _utc(p.start, "pause start") < end
    ]


def cadence_state(
    *,
    clock: Clock,
    opened_at: datetime,
    interval: timedelta,
    updates: Iterable[datetime],
    pauses: Sequence[Interval],
    ended_at: datetime | None,
    now: datetime,
) -> CadenceState:
    """Every gap between updates from ``opened_at`` to ``ended_at`` (or
    ``now`` while the obligation lasts).  Updates before opening or after the
    horizon are ignored; an update at the very instant a gap starts only
    starts the next one."""
    if interval <= timedelta(0):
        raise ValueError("interval must be positive")
    opened_at = _utc(opened_at, "opened_at")
    now = _utc(now, "now")
    horizon = now if ended_at is None else min(_utc(ended_at, "ended_at"), now)
    finished = ended_at is not None and _utc(ended_at, "ended_at") <= now
    marks = sorted({u for u in (_utc(x, "update") for x in updates) if opened_at < u <= horizon})
    gaps: list[Gap] = []
    start = opened_at
    for end in marks:
        due = due_time(clock=clock, start=start, target=interval, pauses=_clipped(pauses, end))
        gaps.append(Gap(start=start, due_at=due, end=end, missed=due is not None and end > due))
        start = end
    if finished:
        if horizon > start or not gaps:
            due = due_time(clock=clock, start=start, target=interval, pauses=_clipped(pauses, horizon))
            gaps.append(Gap(start=start, due_at=due, end=horizon, missed=due is not None and horizon > due))
    else:
        begun = [p for p in pauses if _utc(p.start, "pause start") <= now]
        due = due_time(clock=clock, start=start, target=interval, pauses=begun)
        gaps.append(Gap(start=start, due_at=due, end=None, missed=due is not None and now > due))
    return CadenceState(gaps=tuple(gaps))
