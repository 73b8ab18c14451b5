from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import calendars
from contracts.calendars import ALWAYS, Clock
from incidents.clocks import (
    Interval,
    TargetState,
    due_time,
    effective_restore_at,
    elapsed_excluding,
    fraction_elapsed,
    target_state,
)


class OfficeHours:
    """Mon-Fri 09:00-17:00 UTC, computed by stepping day by day."""

    open_at = time(9)
    close_at = time(17)

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if day.weekday() >= 5:
            return None
        return (
            datetime.combine(day, self.open_at, tzinfo=UTC),
            datetime.combine(day, self.close_at, tzinfo=UTC),
        )

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta(0)
        day = start.date()
        while day <= end.date():
            window = self._window(day)
            if window is not None:
                lo, hi = max(window[0], start), min(window[1], end)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def add(self, start: datetime, duration: timedelta) -> datetime:
        cursor = start.astimezone(UTC)
        if duration <= timedelta(0):
            return cursor
        remaining = duration
        day = cursor.date()
        while True:
            window = self._window(day)
            if window is not None:
                seg = max(window[0], cursor)
                if seg < window[1]:
                    available = window[1] - seg
                    if available >= remaining:
                        return seg + remaining
                    remaining -= available
            day += timedelta(days=1)

    def is_open(self, at: datetime) -> bool:
        at = at.astimezone(UTC)
        window = self._window(at.date())
        return window is not None and window[0] <= at < window[1]


OFFICE = OfficeHours()
MONDAY = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday
IST = timezone(timedelta(hours=5, minutes=30))
PDT = timezone(timedelta(hours=-7))


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return MONDAY + timedelta(days=days, hours=hours, minutes=minutes)


# --- strategies -------------------------------------------------------------

zones = st.sampled_from([UTC, IST, PDT])
clocks = st.sampled_from([ALWAYS, OFFICE])
instants = st.builds(
    lambda minutes, zone: (MONDAY + timedelta(minutes=minutes)).astimezone(zone),
    st.integers(min_value=0, max_value=20 * 24 * 60),
    zones,
)
durations = st.integers(min_value=0, max_value=5 * 24 * 60).map(lambda m: timedelta(minutes=m))


@st.composite
def intervals(draw: st.DrawFn, *, allow_open: bool = True) -> Interval:
    start = draw(instants)
    if allow_open and draw(st.integers(0, 5)) == 0:
        return Interval(start=start, end=None)
    length = draw(st.integers(min_value=0, max_value=3 * 24 * 60))
    return Interval(start=start, end=start + timedelta(minutes=length))


pause_lists = st.lists(intervals(), max_size=5)
closed_pause_lists = st.lists(intervals(allow_open=False), max_size=5)


# --- due_time -----------------------------------------------------------------


@given(start=instants, target=durations)
def test_no_pauses_always_due_is_start_plus_target(start: datetime, target: timedelta) -> None:
    due = due_time(clock=ALWAYS, start=start, target=target, pauses=[])
    assert due == start + target
    assert due is not None and due.tzinfo is UTC


@given(clock=clocks, start=instants, target=durations, data=st.data())
def test_pause_before_due_pushes_due_out_by_its_clock_length(
    clock: Clock, start: datetime, target: timedelta, data: st.DataObject
) -> None:
    base_due = due_time(clock=clock, start=start, target=target, pauses=[])
    assert base_due is not None
    span_minutes = int((base_due - start).total_seconds() // 60)
    offset = data.draw(st.integers(0, span_minutes))
    length = data.draw(st.integers(0, span_minutes - offset))
    pause = Interval(
        start=start + timedelta(minutes=offset),
        end=start + timedelta(minutes=offset + length),
    )
    assert pause.end is not None and pause.end <= base_due

    due = due_time(clock=clock, start=start, target=target, pauses=[pause])

    assert due is not None and due >= base_due
    pause_clock = clock.elapsed(pause.start, pause.end)
    assert clock.elapsed(start, due) == target + pause_clock
    if clock is ALWAYS:
        assert due == base_due + (pause.end - pause.start)


@given(clock=clocks, start=instants, target=durations, pauses=pause_lists)
def test_due_time_is_earliest_instant_reaching_target(
    clock: Clock, start: datetime, target: timedelta, pauses: list[Interval]
) -> None:
    due = due_time(clock=clock, start=start, target=target, pauses=pauses)
    if due is None:
        open_starts = [p.start for p in pauses if p.end is None]
        assert open_starts
        assert elapsed_excluding(clock=clock, start=start, end=max(open_starts), pauses=pauses) < target
        return
    assert elapsed_excluding(clock=clock, start=start, end=due, pauses=pauses) == (target)
    if target > timedelta(0):
        just_before = due - timedelta(microseconds=1)
        assert elapsed_excluding(clock=clock, start=start, end=just_before, pauses=pauses) < target


@given(clock=clocks, start=instants, a=durations, b=durations, pauses=pause_lists)
def test_due_time_is_monotone_in_target(
    clock: Clock,
    start: datetime,
    a: timedelta,
    b: timedelta,
    pauses: list[Interval],
) -> None:
    small, large = sorted((a, b))
    due_small = due_time(clock=clock, start=start, target=small, pauses=pauses)
    due_large = due_time(clock=clock, start=start, target=large, pauses=pauses)
    if due_small is None:
        assert due_large is None
    elif due_large is not None:
        assert due_small <= due_large


@given(
    clock=clocks,
    start=instants,
    target=durations,
    pauses=pause_lists,
    extra=intervals(),
)
def test_adding_a_pause_never_makes_due_earlier(
    clock: Clock,
    start: datetime,
    target: timedelta,
    pauses: list[Interval],
    extra: Interval,
) -> None:
    before = due_time(clock=clock, start=start, target=target, pauses=pauses)
    after = due_time(clock=clock, start=start, target=target, pauses=[*pauses, extra])
    if before is None:
        assert after is None
    elif after is not None:
        assert after >= before


@given(clock=clocks, start=instants, target=durations, pauses=pause_lists)
def test_pause_order_is_irrelevant(clock: Clock, start: datetime, target: timedelta, pauses: list[Interval]) -> None:
    forward = due_time(clock=clock, start=start, target=target, pauses=pauses)
    backward = due_time(clock=clock, start=start, target=target, pauses=pauses[::-1])
    assert forward == backward


# --- elapsed_excluding -------------------------------------------------------


@given(clock=clocks, points=st.lists(instants, min_size=3, max_size=3), pauses=pause_lists)
def test_elapsed_excluding_is_additive_across_a_split(
    clock: Clock, points: list[datetime], pauses: list[Interval]
) -> None:
    a, b, c = sorted(points)
    whole = elapsed_excluding(clock=clock, start=a, end=c, pauses=pauses)
    first = elapsed_excluding(clock=clock, start=a, end=b, pauses=pauses)
    second = elapsed_excluding(clock=clock, start=b, end=c, pauses=pauses)
    assert whole == first + second


@given(clock=clocks, start=instants, end=instants, pauses=pause_lists)
def test_elapsed_excluding_bounded_by_clock_elapsed(
    clock: Clock, start: datetime, end: datetime, pauses: list[Interval]
) -> None:
    value = elapsed_excluding(clock=clock, start=start, end=end, pauses=pauses)
    assert timedelta(0) <= value <= clock.elapsed(start, end)


def test_elapsed_excluding_merges_overlapping_pauses() -> None:
    pauses = [
        Interval(start=at(hours=1), end=at(hours=3)),
        Interval(start=at(hours=2), end=at(hours=4)),  # overlaps the first
        Interval(start=at(hours=2, minutes=30), end=at(hours=2, minutes=45)),
    ]
    assert elapsed_excluding(clock=ALWAYS, start=at(), end=at(hours=10), pauses=pauses) == timedelta(hours=7)


def test_open_pause_runs_to_end() -> None:
    pauses = [Interval(start=at(hours=2), end=None)]
    assert elapsed_excluding(clock=ALWAYS, start=at(), end=at(hours=10), pauses=pauses) == timedelta(hours=2)


def test_pause_started_before_clock_is_clipped() -> None:
    pauses = [Interval(start=at(hours=-5), end=at(hours=1))]
    assert elapsed_excluding(clock=ALWAYS, start=at(), end=at(hours=3), pauses=pauses) == timedelta(hours=2)
    assert due_time(clock=ALWAYS, start=at(), target=timedelta(hours=2), pauses=pauses) == at(hours=3)


def test_office_hours_elapsed_uses_the_clock() -> None:
    # Friday 16:00 to Monday 10:00 is two business hours, not 66.
    friday_4pm = at(days=4, hours=16)
    monday_10am = at(days=7, hours=10)
    assert elapsed_excluding(clock=OFFICE, start=friday_4pm, end=monday_10am, pauses=[]) == timedelta(hours=2)
    assert elapsed_excluding(clock=ALWAYS, start=friday_4pm, end=monday_10am, pauses=[]) == timedelta(hours=66)


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_time(
            clock=ALWAYS,
            start=datetime(2024, 1, 1),
            target=timedelta(hours=1),
            pauses=[],
        )


# --- worked examples: due_time -----------------------------------------------


def test_office_hours_due_rolls_over_the_weekend() -> None:
    friday_4pm = at(days=4, hours=16)
    due = due_time(clock=OFFICE, start=friday_4pm, target=timedelta(hours=4), pauses=[])
    assert due == at(days=7, hours=12)  # Mon 12:00: 1h Friday + 3h Monday


def test_office_hours_pause_only_costs_open_time() -> None:
    # Opened Mon 09:00, 8h target: due Mon 17:00.  A pause Mon 16:00-Tue 10:00
    # contains one open hour Monday and one Tuesday: due moves 2 open hours.
    pause = Interval(start=at(hours=16), end=at(days=1, hours=10))
    due = due_time(clock=OFFICE, start=at(hours=9), target=timedelta(hours=8), pauses=[pause])
    assert due == at(days=1, hours=11)


def test_open_pause_before_due_gives_no_due_time() -> None:
    pauses = [Interval(start=at(hours=1), end=None)]
    assert due_time(clock=ALWAYS, start=at(), target=timedelta(hours=4), pauses=pauses) is None


def test_open_pause_after_due_keeps_due_time() -> None:
    pauses = [Interval(start=at(hours=5), end=None)]
    assert due_time(clock=ALWAYS, start=at(), target=timedelta(hours=4), pauses=pauses) == at(hours=4)


def test_non_utc_inputs_give_utc_outputs() -> None:
    start = at(hours=9).astimezone(IST)
    due = due_time(clock=ALWAYS, start=start, target=timedelta(hours=1), pauses=[])
    assert due == at(hours=10)
    assert due is not None and due.tzinfo is UTC


# --- target_state ------------------------------------------------------------


@given(
    clock=clocks,
    opened=instants,
    target=durations,
    pauses=pause_lists,
    now_offset=st.integers(0, 20 * 24 * 60),
)
def test_unmet_state_is_consistent(
    clock: Clock,
    opened: datetime,
    target: timedelta,
    pauses: list[Interval],
    now_offset: int,
) -> None:
    now = opened + timedelta(minutes=now_offset)
    state = target_state(
        clock=clock,
        opened_at=opened,
        target=target,
        pauses=pauses,
        met_at=None,
        now=now,
    )
    assert state.remaining == target - state.elapsed
    assert state.breached == (state.due_at is not None and now > state.due_at)
    if state.elapsed > target:
        assert state.breached
    if state.elapsed < target:
        assert not state.breached
    # elapsed == target with now past due: a pause began exactly at the due
    # instant (or the clock is closed); the target was still missed.


@given(clock=clocks, opened=instants, target=durations, met_offset=durations)
def test_met_state_breached_iff_met_after_due(
    clock: Clock, opened: datetime, target: timedelta, met_offset: timedelta
) -> None:
    met = opened + met_offset
    state = target_state(
        clock=clock,
        opened_at=opened,
        target=target,
        pauses=[],
        met_at=met,
        now=met + timedelta(days=30),
    )
    assert state.remaining is None
    assert state.due_at is not None
    assert state.breached == (met > state.due_at)
    assert state.elapsed == clock.elapsed(opened, met)


def test_met_on_time() -> None:
    state = target_state(
        clock=ALWAYS,
        opened_at=at(),
        target=timedelta(hours=4),
        pauses=[],
        met_at=at(hours=3),
        now=at(hours=10),
    )
    assert state == TargetState(
        due_at=at(hours=4),
        met_at=at(hours=3),
        elapsed=timedelta(hours=3),
        breached=False,
        remaining=None,
    )


def test_met_exactly_at_due_is_not_breached() -> None:
    state = target_state(
        clock=ALWAYS,
        opened_at=at(),
        target=timedelta(hours=4),
        pauses=[],
        met_at=at(hours=4),
        now=at(hours=4),
    )
    assert not state.breached


def test_met_late() -> None:
    state = target_state(
        clock=ALWAYS,
        opened_at=at(),
        target=timedelta(hours=4),
        pauses=[Interval(start=at(hours=1), end=at(hours=2))],
        met_at=at(hours=6),
        now=at(hours=10),
    )
    assert state.due_at == at(hours=5)
    assert state.elapsed == timedelta(hours=5)
    assert state.breached


def test_met_during_open_pause_closes_it_at_met_time() -> None:
    state = target_state(
        clock=ALWAYS,
        opened_at=at(),
        target=timedelta(hours=4),
        pauses=[Interval(start=at(hours=1), end=None)],
        met_at=at(hours=2),
        now=at(hours=10),
    )
    assert state.elapsed == timedelta(hours=1)
    assert state.due_at == at(hours=5)
    assert not state.breached


def test_unmet_and_overdue() -> None:
    state = target_state(
        clock=ALWAYS,
        opened_at=at(),
        target=timedelta(hours=4),
        pauses=[],
        met_at=None,
        now=at(hours=5),
    )
    assert state.breached
    assert state.remaining == timedelta(hours=-1)
    assert fraction_elapsed(state=state, target=timedelta(hours=4)) == 1.25


def test_ongoing_pause_stops_the_clock() -> None:
    state = target_state(
        clock=ALWAYS,
        opened_at=at(),
        target=timedelta(hours=4),
        pauses=[Interval(start=at(hours=1), end=None)],
        met_at=None,
        now=at(hours=9),
    )
    assert state.due_at is None
    assert state.elapsed == timedelta(hours=1)
    assert state.remaining == timedelta(hours=3)
    assert not state.breached
    assert fraction_elapsed(state=state, target=timedelta(hours=4)) == 0.25


def test_pause_after_breach_keeps_it_breached() -> None:
    state = target_state(
        clock=ALWAYS,
        opened_at=at(),
        target=timedelta(hours=4),
        pauses=[Interval(start=at(hours=6), end=None)],
        met_at=None,
        now=at(hours=9),
    )
    assert state.due_at == at(hours=4)
    assert state.breached
    assert state.elapsed == timedelta(hours=6)


def test_future_pause_is_ignored_while_unmet() -> None:
    state = target_state(
        clock=ALWAYS,
        opened_at=at(),
        target=timedelta(hours=4),
        pauses=[Interval(start=at(hours=3), end=None)],
        met_at=None,
        now=at(hours=2),
    )
    assert state.due_at == at(hours=4)
    assert state.elapsed == timedelta(hours=2)


def test_office_hours_breach_does_not_flip_back_after_close() -> None:
    # Opened Fri 13:00, 4h target: due Fri 17:00.  At Fri 20:00 no business
    # time has accrued since the due time, yet the target is overdue.
    state = target_state(
        clock=OFFICE,
        opened_at=at(days=4, hours=13),
        target=timedelta(hours=4),
        pauses=[],
        met_at=None,
        now=at(days=4, hours=20),
    )
    assert state.due_at == at(days=4, hours=17)
    assert state.elapsed == timedelta(hours=4)
    assert state.remaining == timedelta(0)
    assert state.breached


def test_not_applicable_target() -> None:
    state = target_state(
        clock=ALWAYS,
        opened_at=at(),
        target=None,
        pauses=[],
        met_at=None,
        now=at(hours=3),
    )
    assert state.due_at is None
    assert state.remaining is None
    assert not state.breached
    assert state.elapsed == timedelta(hours=3)


def test_fraction_elapsed_zero_target() -> None:
    state = TargetState(due_at=at(), met_at=None, elapsed=timedelta(0), breached=False, remaining=None)
    assert fraction_elapsed(state=state, target=timedelta(0)) == 1.0


# --- effective_restore_at ------------------------------------------------------


def test_no_workaround_uses_resolution() -> None:
    assert effective_restore_at(
        workaround_accepted_at=None,
        workaround_expires_at=None,
        resolved_at=at(hours=5),
        now=at(hours=9),
    ) == at(hours=5)


def test_permanent_workaround_restores() -> None:
    assert effective_restore_at(
        workaround_accepted_at=at(hours=2),
        workaround_expires_at=None,
        resolved_at=None,
        now=at(hours=9),
    ) == at(hours=2)


def test_temporary_workaround_not_yet_expired_restores() -> None:
    assert effective_restore_at(
        workaround_accepted_at=at(hours=2),
        workaround_expires_at=at(hours=12),
        resolved_at=None,
        now=at(hours=9),
    ) == at(hours=2)


def test_expired_workaround_counts_as_none() -> None:
    assert (
        effective_restore_at(
            workaround_accepted_at=at(hours=2),
            workaround_expires_at=at(hours=6),
            resolved_at=None,
            now=at(hours=9),
        )
        is None
    )
    assert effective_restore_at(
        workaround_accepted_at=at(hours=2),
        workaround_expires_at=at(hours=6),
        resolved_at=at(hours=8),
        now=at(hours=9),
    ) == at(hours=8)


def test_workaround_expiring_after_resolution_still_counts() -> None:
    assert effective_restore_at(
        workaround_accepted_at=at(hours=2),
        workaround_expires_at=at(hours=6),
        resolved_at=at(hours=5),
        now=at(hours=9),
    ) == at(hours=2)


def test_workaround_accepted_after_resolution_does_not_delay_restore() -> None:
    assert effective_restore_at(
        workaround_accepted_at=at(hours=7),
        workaround_expires_at=None,
        resolved_at=at(hours=5),
        now=at(hours=9),
    ) == at(hours=5)


# --- the shared business calendar (skipped if contracts.calendars lacks it) ---


def london_office_hours() -> Clock:
    business_calendar = getattr(calendars, "BusinessCalendar", None)
    if business_calendar is None:
        pytest.skip("contracts.calendars.BusinessCalendar is not available")
    shifts = tuple(calendars.Shift(weekday=day, start=time(9), end=time(17)) for day in range(5))
    return business_calendar(calendars.CoverageCalendar(timezone="Europe/London", shifts=shifts))


def test_business_calendar_due_time_across_dst_and_a_pause() -> None:
    clock = london_office_hours()
    opened = datetime(2024, 3, 29, 16, tzinfo=UTC)  # Fri 16:00 GMT
    # Mon 1 Apr 09:00-10:00 BST (08:00-09:00 UTC): clocks went forward on Sunday.
    pause = Interval(start=datetime(2024, 4, 1, 8, tzinfo=UTC), end=datetime(2024, 4, 1, 9, tzinfo=UTC))
    due = due_time(clock=clock, start=opened, target=timedelta(hours=4), pauses=[pause])
    # 1h on Friday, then 3h from 10:00 BST Monday: 13:00 BST = 12:00 UTC.
    assert due == datetime(2024, 4, 1, 12, tzinfo=UTC)
    state = target_state(
        clock=clock,
        opened_at=opened,
        target=timedelta(hours=4),
        pauses=[pause],
        met_at=None,
        now=datetime(2024, 4, 1, 11, tzinfo=UTC),
    )
    assert state.elapsed == timedelta(hours=3)
    assert state.due_at == due
    assert not state.breached


@settings(max_examples=50)
@given(start=instants, target=durations, pauses=pause_lists)
def test_business_calendar_due_time_is_earliest_instant(
    start: datetime, target: timedelta, pauses: list[Interval]
) -> None:
    clock = london_office_hours()
    due = due_time(clock=clock, start=start, target=target, pauses=pauses)
    if due is None:
        return
    assert elapsed_excluding(clock=clock, start=start, end=due, pauses=pauses) == target
    if target > timedelta(0):
        before = due - timedelta(microseconds=1)
        assert elapsed_excluding(clock=clock, start=start, end=before, pauses=pauses) < target


def test_pause_starting_exactly_at_due_does_not_save_the_target() -> None:
    state = target_state(
        clock=ALWAYS,
        opened_at=at(),
        target=timedelta(hours=4),
        pauses=[Interval(start=at(hours=4), end=at(hours=6))],
        met_at=None,
        now=at(hours=5),
    )
    assert state.due_at == at(hours=4)
    assert state.elapsed == timedelta(hours=4)
    assert state.breached
