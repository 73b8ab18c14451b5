"""Incident SLA clock engine: pure Python, no Django, no database.

Every computation goes through a ``contracts.calendars.Clock`` so that
business-hours targets never silently assume 24x7 time.  Inputs are aware
datetimes (any zone); every datetime returned is aware UTC.

Pause semantics: a pause stops the clock.  Pauses may overlap each other and
may start before the clock does; they are merged and clipped first.  A pause
whose ``end`` is ``None`` is still ongoing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts.calendars import Clock

__all__ = [
    "Interval",
    "TargetState",
    "due_time",
    "effective_restore_at",
    "elapsed_excluding",
    "fraction_elapsed",
    "target_state",
]


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime | None  # None: still open


@dataclass(frozen=True)
class TargetState:
    # None while a pause that began before the due time is ongoing (the clock
    # is stopped, so no due instant exists yet) or when the target does not
    # apply.  A due time already passed before an ongoing pause is kept.
    due_at: datetime | None
    met_at: datetime | None
    elapsed: timedelta
    breached: bool
    remaining: timedelta | None


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return value.astimezone(UTC)


# A merged pause: (start, end) in UTC, end None when still running.
_Span = tuple[datetime, datetime | None]


def _merged_pauses(pauses: Sequence[Interval], *, after: datetime) -> list[_Span]:
    """Sorted, disjoint union of pauses, clipped to begin no earlier than
    ``after``; pauses ending at or before ``after`` are dropped.  Touching
    pauses are merged (a zero-length gap accrues no clock time anyway)."""
    spans: list[_Span] = []
    for pause in pauses:
        start = _utc(pause.start, "pause start")
        end = None if pause.end is None else _utc(pause.end, "pause end")
        if end is not None and end <= max(start, after):
            continue
        spans.append((max(start, after), end))
    spans.sort(key=lambda span: span[0])
    merged: list[_Span] = []
    for start, end in spans:
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break  # an open pause swallows everything after it
            if start <= last_end:
                new_end = None if end is None else max(last_end, end)
                merged[-1] = (last_start, new_end)
                continue
        merged.append((start, end))
    return merged


def elapsed_excluding(
    *,
    clock: Clock,
    start: datetime,
    end: datetime,
    pauses: Sequence[Interval],
) -> timedelta:
    """Clock time in [start, end) outside every pause; an open pause runs to
    ``end``.  Returns zero when ``end <= start``."""
    start = _utc(start, "start")
    end = _utc(end, "end")
    if end <= start:
        return timedelta(0)
    total = timedelta(0)
    cursor = start
    for pause_start, pause_end in _merged_pauses(pauses, after=start):
        if pause_start >= end:
            break
        if pause_start > cursor:
            total += clock.elapsed(cursor, pause_start)
        if pause_end is None or pause_end >= end:
            return total
        cursor = pause_end
    return total + clock.elapsed(cursor, end)


def due_time(
    *,
    clock: Clock,
    start: datetime,
    target: timedelta,
    pauses: Sequence[Interval],
) -> datetime | None:
    """Earliest instant at which clock time since ``start``, excluding pauses,
    reaches ``target``.  ``None`` when an open pause begins before that."""
    start = _utc(start, "start")
    if target < timedelta(0):
        raise ValueError("target must not be negative")
    remaining = target
    cursor = start
    for pause_start, pause_end in _merged_pauses(pauses, after=start):
        if remaining == timedelta(0):
            break  # a zero target is due the moment the clock starts
        if pause_start > cursor:
            available = clock.elapsed(cursor, pause_start)
            if available >= remaining:
                return _utc(clock.add(cursor, remaining), "clock.add result")
            remaining -= available
        if pause_end is None:
            return None
        cursor = max(cursor, pause_end)
    return _utc(clock.add(cursor, remaining), "clock.add result")


def target_state(
    *,
    clock: Clock,
    opened_at: datetime,
    target: timedelta | None,
    pauses: Sequence[Interval],
    met_at: datetime | None,
    now: datetime,
) -> TargetState:
    """State of one SLA target (response, restore, resolve...).

    ``target=None`` means the target does not apply to this incident: nothing
    is due and nothing can be breached, but elapsed time is still reported.

    Once met, only pauses before ``met_at`` matter (an open pause is closed at
    ``met_at``), and the target is breached iff it was met after its due time.
    While unmet, pauses starting after ``now`` have not happened yet and are
    ignored; the target is breached iff ``now`` is past the due time.  Wall
    clock comparison (not elapsed > target) keeps the flag from flipping back
    when a business-hours clock is closed after the due time.
    """
    opened_at = _utc(opened_at, "opened_at")
    now = _utc(now, "now")
    if met_at is not None:
        met_at = _utc(met_at, "met_at")
        horizon = met_at
        effective = [
            Interval(
                start=p.start,
                end=met_at if p.end is None or p.end > met_at else p.end,
            )
            for p in pauses
            if _utc(p.start, "pause start") < met_at
        ]
    else:
        horizon = now
        effective = [p for p in pauses if _utc(p.start, "pause start") <= now]

    elapsed = elapsed_excluding(clock=clock, start=opened_at, end=horizon, pauses=effective)
    if target is None:
        return TargetState(due_at=None, met_at=met_at, elapsed=elapsed, breached=False, remaining=None)

    due_at = due_time(clock=clock, start=opened_at, target=target, pauses=effective)
    if due_at is None:
        breached = False  # clock stopped before the due time was reached
    elif met_at is not None:
        breached = met_at > due_at
    else:
        breached = now > due_at
    return TargetState(
        due_at=due_at,
        met_at=met_at,
        elapsed=elapsed,
        breached=breached,
        remaining=None if met_at is not None else target - elapsed,
    )


def fraction_elapsed(*, state: TargetState, target: timedelta) -> float:
    """Share of the target consumed; exceeds 1.0 when over.  A zero target is
    due immediately and reports 1.0."""
    if target <= timedelta(0):
        return 1.0
    return state.elapsed / target


def effective_restore_at(
    *,
    workaround_accepted_at: datetime | None,
    workaround_expires_at: datetime | None,
    resolved_at: datetime | None,
    now: datetime,
) -> datetime | None:
    """Instant at which service counts as restored.

    An accepted workaround restores service from its acceptance, unless it is
    temporary and expired (at or before ``now``) before the incident was
    resolved: an expired workaround counts as no workaround.  Whichever valid
    event came first wins.
    """
    now = _utc(now, "now")
    resolved = None if resolved_at is None else _utc(resolved_at, "resolved_at")
    if workaround_accepted_at is None:
        return resolved
    accepted = _utc(workaround_accepted_at, "workaround_accepted_at")
    if workaround_expires_at is not None:
        expires = _utc(workaround_expires_at, "workaround_expires_at")
        still_valid = expires > now
        outlived_resolution = resolved is not None and expires >= resolved
        if not (still_valid or outlived_resolution):
            return resolved
    if resolved is not None and resolved < accepted:
        return resolved
    return accepted
