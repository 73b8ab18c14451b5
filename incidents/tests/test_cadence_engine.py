"""The update-cadence engine against a brute-force oracle that steps minute by minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.calendars import ALWAYS, Clock
from incidents.cadence import cadence_state, first_update
from incidents.clocks import Interval
from incidents.tests.test_clocks import OFFICE

MONDAY = datetime(2024, 1, 1, tzinfo=UTC)


def at(minute: int) -> datetime:
    return MONDAY + timedelta(minutes=minute)


def _oracle(
    *,
    clock: Clock,
    opened: int,
    interval: int,
    updates: list[int],
    pauses: list[tuple[int, int | None]],
    ended: int | None,
    now: int,
) -> tuple[int, int | None]:
    """(misses, minute the next update is due) by stepping minute by minute:
    a minute counts when the clock is open and no pause covers it; a gap
    [s, e] is missed when its interval-th counting minute ends before e."""

    def counts(m: int) -> bool:
        if not clock.is_open(at(m)):
            return False
        return not any(a <= m and (b is None or m < b) for a, b in pauses)

    def due_from(s: int, limit: int) -> int | None:
        seen = 0
        for m in range(s, limit):
            if counts(m):
                seen += 1
                if seen == interval:
                    return m + 1
        return None

    horizon = now if ended is None else min(ended, now)
    finished = ended is not None and ended <= now
    marks = sorted({u for u in updates if opened < u <= horizon})
    gaps = []
    start = opened
    for end in marks:
        gaps.append((start, end))
        start = end
    if finished and (horizon > start or not gaps):
        gaps.append((start, horizon))
    misses = 0
    for s, e in gaps:
        due = due_from(s, e)
        misses += due is not None and e > due
    if finished:
        return misses, None
    due = due_from(start, now + 30 * 24 * 60)  # open pauses make it None
    misses += due is not None and now > due
    return misses, due


clocks = st.sampled_from([ALWAYS, OFFICE])


@st.composite
def histories(draw):
    opened = draw(st.integers(0, 6 * 24 * 60))  # any weekday or weekend start
    now = opened + draw(st.integers(0, 3000))
    interval = draw(st.integers(1, 600))
    updates = draw(st.lists(st.integers(opened - 30, now + 60), max_size=8))
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        a = draw(st.integers(opened - 60, now))
        length = draw(st.one_of(st.none(), st.integers(0, 900)))
        end = None if length is None else a + length
        if end is not None and end > now:
            end = None  # a pause cannot have ended in the future
        pauses.append((a, end))
    ended = draw(st.one_of(st.none(), st.integers(opened, now + 60)))
    return {"opened": opened, "now": now, "interval": interval, "updates": updates, "pauses": pauses, "ended": ended}


@settings(max_examples=150, deadline=None)
@given(clock=clocks, h=histories())
def test_cadence_matches_the_minute_stepping_oracle(clock, h):
    state = cadence_state(
        clock=clock,
        opened_at=at(h["opened"]),
        interval=timedelta(minutes=h["interval"]),
        updates=[at(u) for u in h["updates"]],
        pauses=[Interval(start=at(a), end=None if b is None else at(b)) for a, b in h["pauses"]],
        ended_at=None if h["ended"] is None else at(h["ended"]),
        now=at(h["now"]),
    )
    misses, due = _oracle(clock=clock, **h)
    assert state.misses == misses
    assert state.next_due_at == (None if due is None else at(due))


def test_each_gap_longer_than_the_interval_is_one_miss():
    state = cadence_state(
        clock=ALWAYS,
        opened_at=at(0),
        interval=timedelta(minutes=30),
        updates=[at(30), at(100), at(110)],  # 30 on the dot is in time; 30 -> 100 is late
        pauses=[],
        ended_at=None,
        now=at(200),  # 110 -> now (due 140) is late as well
    )
    assert [g.missed for g in state.gaps] == [False, True, False, True]
    assert state.misses == 2
    assert state.next_due_at == at(140)


def test_a_pause_stops_the_cadence_and_the_resolution_ends_it():
    paused = cadence_state(
        clock=ALWAYS,
        opened_at=at(0),
        interval=timedelta(minutes=30),
        updates=[at(10)],
        pauses=[Interval(start=at(20), end=None)],
        ended_at=None,
        now=at(500),
    )
    assert (paused.misses, paused.next_due_at) == (0, None)
    resumed = cadence_state(
        clock=ALWAYS,
        opened_at=at(0),
        interval=timedelta(minutes=30),
        updates=[at(10)],
        pauses=[Interval(start=at(20), end=at(400))],
        ended_at=None,
        now=at(410),
    )
    assert resumed.next_due_at == at(420)  # 10 minutes before the pause, 20 after it
    ended = cadence_state(
        clock=ALWAYS,
        opened_at=at(0),
        interval=timedelta(minutes=30),
        updates=[at(10)],
        pauses=[],
        ended_at=at(25),
        now=at(500),
    )
    assert (ended.misses, ended.next_due_at, ended.current) == (0, None, None)


def test_business_hours_cadence_waits_for_the_office():
    # Friday 16:50 UTC, a 30-minute interval on Mon-Fri 09-17: due Monday 09:20.
    friday = at(4 * 24 * 60 + 16 * 60 + 50)
    state = cadence_state(
        clock=OFFICE, opened_at=friday, interval=timedelta(minutes=30), updates=[], pauses=[], ended_at=None, now=friday
    )
    assert state.next_due_at == datetime(2024, 1, 8, 9, 20, tzinfo=UTC)


def test_first_update_counts_only_from_the_acknowledgement():
    updates = [at(5), at(20), at(40)]
    assert first_update(updates=updates, after=None) is None
    assert first_update(updates=updates, after=at(10)) == at(20)
    assert first_update(updates=updates, after=at(20)) == at(20)
    assert first_update(updates=updates, after=at(41)) is None


def test_naive_times_and_empty_intervals_are_refused():
    with pytest.raises(ValueError):
        cadence_state(
            clock=ALWAYS,
            opened_at=datetime(2024, 1, 1),
            interval=timedelta(minutes=1),
            updates=[],
            pauses=[],
            ended_at=None,
            now=at(0),
        )
    with pytest.raises(ValueError):
        cadence_state(
            clock=ALWAYS, opened_at=at(0), interval=timedelta(0), updates=[], pauses=[], ended_at=None, now=at(0)
        )
