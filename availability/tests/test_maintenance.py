"""The maintenance compliance engine (availability.maintenance.assess): pure,
worked examples. The agreement below: 5 days' notice, 240 minutes per month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from availability.maintenance import Verdict, Window, assess

NOTICE = timedelta(days=5)
ALLOWANCE = timedelta(minutes=240)
OCT, NOV = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)


def t(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def window(ref: str, start: datetime, end: datetime, *, announced: datetime | None = None, **kw) -> Window:
    return Window(
        ref=ref, start=start, end=end, announced_at=announced or start - timedelta(days=10), components=(), **kw
    )


def run(*windows: Window, allowance: timedelta = ALLOWANCE) -> list[Verdict]:
    return assess(windows, notice=NOTICE, allowance=allowance, period_start=OCT, period_end=NOV)


def minutes(intervals: tuple[tuple[datetime, datetime], ...]) -> int:
    return sum(int((b - a).total_seconds() // 60) for a, b in intervals)


def test_announced_in_time_within_allowance_is_fully_excused():
    # 12 Oct 02:00-03:00, announced 10 days ahead: 60 min of the 240 allowed.
    [v] = run(window("m1", t(12, 2), t(12, 3)))
    assert v.compliant and v.reasons == ()
    assert v.excused == ((t(12, 2), t(12, 3)),) and v.not_excused == ()


def test_announced_two_days_ahead_when_five_are_required_counts_whole_window():
    [v] = run(window("m1", t(20, 1), t(20, 2), announced=t(18, 1)))
    assert not v.compliant
    assert v.excused == () and v.not_excused == ((t(20, 1), t(20, 2)),)
    assert v.reasons == (
        "late: announced 2 days ahead, the agreement requires 5 days; the whole window counts as downtime",
    )


def test_exactly_the_notice_is_in_time_one_minute_less_is_late():
    on_time = window("a", t(20, 1), t(20, 2), announced=t(15, 1))
    late = window("b", t(21, 1), t(21, 2), announced=t(16, 1, 1))
    a, b = run(on_time, late)
    assert a.compliant and not b.compliant
    assert b.reasons[0].startswith("late: announced 119 h 59 min ahead, the agreement requires 5 days")


def test_announced_after_it_started():
    [v] = run(window("m", t(5, 10), t(5, 11), announced=t(5, 10, 30)))
    assert v.reasons[0].startswith("late: announced after it started")
    assert minutes(v.not_excused) == 60


def test_overrun_past_the_planned_end_counts_as_downtime():
    # Planned 02:00-03:00, really ended 03:30: 60 excused, 30 not.
    [v] = run(window("m", t(12, 2), t(12, 3), actual_end=t(12, 3, 30)))
    assert v.excused == ((t(12, 2), t(12, 3)),)
    assert v.not_excused == ((t(12, 3), t(12, 3, 30)),)
    assert v.reasons == ("overran its planned end by 30 min; the overrun counts as downtime",)
    assert not v.compliant


def test_allowance_is_spent_in_start_order_and_the_excess_counts():
    # 180 min on the 3rd, then 120 min on the 17th: 240 allowed, so the
    # second window has 60 min excused and 60 min over the allowance.
    second = window("b", t(17, 0), t(17, 2))
    first = window("a", t(3, 0), t(3, 3))
    a, b = run(second, first)  # input order does not matter
    assert (a.ref, minutes(a.excused), minutes(a.not_excused)) == ("a", 180, 0)
    assert (b.ref, minutes(b.excused), minutes(b.not_excused)) == ("b", 60, 60)
    assert b.not_excused == ((t(17, 1), t(17, 2)),)
    assert b.reasons == ("over allowance: 1 h 00 min beyond the period's 4 h 00 min counts as downtime",)


def test_late_window_does_not_spend_the_allowance():
    late = window("late", t(2, 0), t(2, 4), announced=t(1, 0))
    fine = window("fine", t(9, 0), t(9, 4))
    a, b = run(late, fine)
    assert minutes(a.not_excused) == 240 and a.excused == ()
    assert minutes(b.excused) == 240 and b.compliant


def test_overrun_and_allowance_together():
    # 200 min already used; a 60 min window overrunning by 15: 40 excused,
    # 20 over the allowance, 15 overrun.
    used = window("used", t(4, 0), t(4, 3, 20))
    w = window("w", t(8, 0), t(8, 1), actual_end=t(8, 1, 15))
    _, v = run(used, w)
    assert minutes(v.excused) == 40 and minutes(v.not_excused) == 35
    assert v.reasons == (
        "over allowance: 20 min beyond the period's 4 h 00 min counts as downtime",
        "overran its planned end by 15 min; the overrun counts as downtime",
    )


def test_cancelled_and_out_of_period_windows_are_skipped():
    verdicts = run(
        window("cancelled", t(6, 1), t(6, 2), cancelled=True),
        window("september", datetime(2026, 9, 30, 20, tzinfo=UTC), datetime(2026, 9, 30, 22, tzinfo=UTC)),
        window("kept", t(7, 1), t(7, 2)),
    )
    assert [v.ref for v in verdicts] == ["kept"]


def test_window_across_the_month_end_counts_only_its_part_in_the_period():
    # 31 Oct 23:00 - 1 Nov 01:00: 60 min in October, against October's allowance.
    [v] = run(window("m", t(31, 23), t(1, 1, month=11)))
    assert v.excused == ((t(31, 23), NOV),)
    [nov] = assess(
        [window("m", t(31, 23), t(1, 1, month=11))],
        notice=NOTICE,
        allowance=ALLOWANCE,
        period_start=NOV,
        period_end=datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert nov.excused == ((NOV, t(1, 1, month=11)),)


def test_zero_allowance_excuses_nothing():
    [v] = run(window("m", t(12, 2), t(12, 3)), allowance=timedelta(0))
    assert v.excused == () and minutes(v.not_excused) == 60
    assert v.reasons[0].startswith("over allowance: 1 h 00 min beyond the period's 0 min")


@pytest.mark.parametrize("zone", [UTC, timezone(timedelta(hours=-5))])
def test_results_are_utc_whatever_the_input_zone(zone):
    start = t(12, 2).astimezone(zone)
    [v] = run(Window("m", start, start + timedelta(hours=1), start - timedelta(days=6), ()))
    assert v.excused == ((t(12, 2), t(12, 3)),)
    assert all(x.tzinfo is UTC for pair in v.excused for x in pair)
