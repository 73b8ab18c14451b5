"""The one Period: labels, bounds in the terms' zone (daylight saving time
included), neighbours, the enclosing quarter, due dates and the errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import periods
from core.periods import Period, PeriodError

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]


def test_month_bounds_in_utc():
    p = periods.parse("2026-10", zone="UTC")
    assert (p.kind, p.label, p.title, p.short, p.months) == ("month", "2026-10", "October 2026", "Oct 26", 1)
    assert p.start == datetime(2026, 10, 1, tzinfo=UTC)
    assert p.end == datetime(2026, 11, 1, tzinfo=UTC)
    assert str(p) == "2026-10"


def test_a_month_ending_daylight_saving_time_is_an_hour_longer():
    p = periods.parse("2026-10", zone="Europe/Berlin")
    assert p.start == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # CEST, UTC+2
    assert p.end == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # CET, UTC+1
    assert p.end - p.start == timedelta(days=31, hours=1)


def test_a_month_starting_daylight_saving_time_is_an_hour_shorter():
    p = periods.parse("2026-03", zone="Europe/Berlin")
    assert p.start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)  # CET
    assert p.end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # CEST
    assert p.end - p.start == timedelta(days=31, hours=-1)
    # In the southern hemisphere the same month ends daylight saving time instead.
    sydney = periods.parse("2026-04", zone="Australia/Sydney")
    assert sydney.end - sydney.start == timedelta(days=30, hours=1)


def test_contains_is_half_open():
    p = periods.parse("2026-10", zone="Europe/Berlin")
    assert p.contains(p.start)
    assert p.contains(p.end - timedelta(microseconds=1))
    assert not p.contains(p.end)
    assert not p.contains(p.start - timedelta(microseconds=1))


def test_quarters_and_year_boundaries():
    q = periods.parse("2026-q4", zone="UTC")
    assert (q.kind, q.label, q.title, q.short, q.months) == ("quarter", "2026-Q4", "Q4 2026", "Q4 26", 3)
    assert q.start == datetime(2026, 10, 1, tzinfo=UTC) and q.end == datetime(2027, 1, 1, tzinfo=UTC)
    assert q.next().label == "2027-Q1" and q.previous().label == "2026-Q3"
    assert periods.parse("2026-Q1", zone="UTC").previous().label == "2025-Q4"
    assert periods.parse("2026-01", zone="UTC").previous().label == "2025-12"
    assert periods.parse("2026-12", zone="UTC").next().label == "2027-01"
    assert periods.parse("2026-12", zone="UTC").shift(13).label == "2028-01"
    assert periods.parse(" 2026-10 ", zone="UTC").label == "2026-10"


def test_a_month_label_is_a_month_even_for_quarterly_terms_unless_the_quarter_is_asked_for():
    with pytest.raises(PeriodError, match="measured per quarter"):
        periods.parse("2026-11", zone="UTC", kind="quarter")
    month = periods.parse("2026-11", zone="Europe/Berlin")
    assert month.kind == "month"
    quarter = month.enclosing("quarter")
    assert (quarter.label, quarter.zone) == ("2026-Q4", "Europe/Berlin")
    assert month.enclosing("month") is month
    assert quarter.enclosing("quarter") is quarter
    with pytest.raises(PeriodError, match="is a quarter"):
        quarter.enclosing("month")


@pytest.mark.parametrize(
    ("label", "kind", "message"),
    [
        ("2026-13", None, "not a period"),
        ("2026-00", None, "not a period"),
        ("Oct 2026", None, "not a period"),
        ("2026-Q5", None, "not a period"),
        ("2026-Q0", None, "not a period"),
        ("2026", None, "not a period"),
        ("", None, "not a period"),
        ("1969-12", None, "not a period"),
        ("3000-01", None, "not a period"),
        ("2026-10", "quarter", "measured per quarter"),
        ("2026-Q4", "month", "measured per month"),
    ],
)
def test_bad_labels_say_why(label, kind, message):
    with pytest.raises(PeriodError, match=message) as caught:
        periods.parse(label, zone="UTC", kind=kind)
    assert caught.value.field == "period"
    assert isinstance(caught.value, ValueError)  # callers that catch ValueError keep working


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "utc/../../etc", "Europe/Berlin "])
def test_an_unknown_zone_is_an_error_not_utc(zone):
    with pytest.raises(PeriodError, match="Unknown time zone") as caught:
        periods.parse("2026-10", zone=zone)
    assert caught.value.field == "timezone"
    with pytest.raises(PeriodError, match="Unknown time zone"):
        periods.period_of(datetime(2026, 10, 1, tzinfo=UTC), kind="month", zone=zone)
    with pytest.raises(PeriodError, match="Unknown time zone"):
        Period(kind="month", year=2026, index=10, zone=zone)


def test_a_period_cannot_be_built_out_of_range():
    with pytest.raises(PeriodError) as caught:
        Period(kind="week", year=2026, index=1, zone="UTC")
    assert caught.value.field == "kind"
    with pytest.raises(PeriodError):
        Period(kind="quarter", year=2026, index=5, zone="UTC")
    with pytest.raises(PeriodError):
        Period(kind="month", year=2026, index=0, zone="UTC")
    with pytest.raises(PeriodError):
        periods.period_of(datetime(2026, 10, 1, tzinfo=UTC), kind="year", zone="UTC")
    with pytest.raises(PeriodError):
        periods.parse("2026", zone="UTC", kind="year")


def test_period_of_an_instant_uses_the_local_calendar():
    # 23:30 UTC on 31 October is already November in Berlin (and Q4 either way).
    at = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    assert periods.period_of(at, kind="month", zone="UTC").label == "2026-10"
    assert periods.period_of(at, kind="month", zone="Europe/Berlin").label == "2026-11"
    assert periods.period_of(at, kind="quarter", zone="UTC").label == "2026-Q4"
    # 23:30 UTC on 31 December is already next year's first quarter in Berlin.
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert periods.period_of(new_year, kind="quarter", zone="UTC").label == "2026-Q4"
    assert periods.period_of(new_year, kind="quarter", zone="Europe/Berlin").label == "2027-Q1"


def test_ended_and_last_ended():
    p = periods.parse("2026-10", zone="UTC")
    assert not p.has_ended(datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC))
    assert p.has_ended(datetime(2026, 11, 1, tzinfo=UTC))
    assert periods.last_ended(datetime(2026, 11, 26, tzinfo=UTC), kind="month", zone="UTC").label == "2026-10"
    assert periods.last_ended(datetime(2026, 11, 26, tzinfo=UTC), kind="quarter", zone="UTC").label == "2026-Q3"


def test_last_n_is_oldest_first_across_a_year():
    labels = [p.label for p in periods.last_n(periods.parse("2026-02", zone="UTC"), 4)]
    assert labels == ["2025-11", "2025-12", "2026-01", "2026-02"]
    quarters = [p.label for p in periods.last_n(periods.parse("2026-Q2", zone="UTC"), 4)]
    assert quarters == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]


def test_report_due_day_of_the_following_month():
    assert periods.report_due_date(periods.parse("2026-10", zone="UTC"), 5) == date(2026, 11, 5)
    assert periods.report_due_date(periods.parse("2026-12", zone="UTC"), 28) == date(2027, 1, 28)
    assert periods.report_due_date(periods.parse("2026-Q4", zone="UTC"), 5) == date(2027, 1, 5)
    berlin = periods.parse("2026-10", zone="Europe/Berlin")
    assert periods.report_due_at(berlin, 5) == datetime(2026, 11, 4, 23, 0, tzinfo=UTC)
    with pytest.raises(PeriodError) as caught:
        periods.report_due_date(berlin, 29)
    assert caught.value.field == "report_due_day"


@given(
    year=st.integers(min_value=periods.MIN_YEAR, max_value=periods.MAX_YEAR - 1),
    index=st.integers(min_value=1, max_value=12),
    zone=st.sampled_from(ZONES),
)
def test_months_tile_time_and_read_back(year, index, zone):
    """Consecutive months meet exactly (no instant is in two periods or none),
    and a label reads back to the same period."""
    p = periods.parse(f"{year}-{index:02d}", zone=zone)
    assert periods.parse(p.label, zone=zone) == p
    assert p.end == p.next().start
    assert p.start < p.end
    assert periods.period_of(p.start, kind="month", zone=zone) == p
    assert periods.period_of(p.end - timedelta(microseconds=1), kind="month", zone=zone) == p


@given(
    year=st.integers(min_value=periods.MIN_YEAR, max_value=periods.MAX_YEAR - 1),
    index=st.integers(min_value=1, max_value=12),
    zone=st.sampled_from(ZONES),
)
def test_a_quarter_is_its_three_months(year, index, zone):
    month = periods.parse(f"{year}-{index:02d}", zone=zone)
    quarter = month.enclosing("quarter")
    first = periods.parse(f"{year}-{quarter.first_day.month:02d}", zone=zone)
    assert quarter.start == first.start and quarter.end == first.shift(3).start
    assert quarter.start <= month.start < month.end <= quarter.end
    assert periods.period_of(month.start, kind="quarter", zone=zone) == quarter
    assert periods.parse(quarter.label, zone=zone, kind="quarter") == quarter
