"""Measurement periods: labels, bounds in the terms' zone, due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.checksum import canonical_json, checksum
from reports import periods


def test_month_bounds_in_utc():
    p = periods.parse("2026-10", zone="UTC")
    assert (p.kind, p.label, p.title, p.months) == ("month", "2026-10", "October 2026", 1)
    assert p.start == datetime(2026, 10, 1, tzinfo=UTC)
    assert p.end == datetime(2026, 11, 1, tzinfo=UTC)


def test_month_bounds_follow_daylight_saving_in_the_terms_zone():
    p = periods.parse("2026-10", zone="Europe/Berlin")
    assert p.start == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # CEST, UTC+2
    assert p.end == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # CET, UTC+1
    assert p.end - p.start == timedelta(days=31, hours=1)


def test_quarters_and_year_boundaries():
    q = periods.parse("2026-q4", zone="UTC")
    assert (q.label, q.title, q.months) == ("2026-Q4", "Q4 2026", 3)
    assert q.start == datetime(2026, 10, 1, tzinfo=UTC) and q.end == datetime(2027, 1, 1, tzinfo=UTC)
    assert q.next().label == "2027-Q1" and q.previous().label == "2026-Q3"
    assert periods.parse("2026-01", zone="UTC").previous().label == "2025-12"
    assert periods.parse("2026-12", zone="UTC").next().label == "2027-01"


@pytest.mark.parametrize(
    ("label", "kind", "message"),
    [
        ("2026-13", None, "not a period"),
        ("Oct 2026", None, "not a period"),
        ("2026-Q5", None, "not a period"),
        ("2026-10", "quarter", "measured per quarter"),
        ("2026-Q4", "month", "measured per month"),
    ],
)
def test_bad_labels_say_why(label, kind, message):
    with pytest.raises(ValueError, match=message):
        periods.parse(label, zone="UTC", kind=kind)


def test_period_of_an_instant_uses_the_local_calendar():
    # 23:30 UTC on 31 October is already November in Berlin.
    at = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    assert periods.period_of(at, kind="month", zone="UTC").label == "2026-10"
    assert periods.period_of(at, kind="month", zone="Europe/Berlin").label == "2026-11"
    assert periods.period_of(at, kind="quarter", zone="UTC").label == "2026-Q4"


def test_ended_and_last_ended():
    p = periods.parse("2026-10", zone="UTC")
    assert not p.has_ended(datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC))
    assert p.has_ended(datetime(2026, 11, 1, tzinfo=UTC))
    assert periods.last_ended(datetime(2026, 11, 26, tzinfo=UTC), kind="month", zone="UTC").label == "2026-10"
    assert periods.last_ended(datetime(2026, 11, 26, tzinfo=UTC), kind="quarter", zone="UTC").label == "2026-Q3"


def test_last_n_is_oldest_first_across_a_year():
    labels = [p.label for p in periods.last_n(periods.parse("2026-02", zone="UTC"), 4)]
    assert labels == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_report_due_day_of_the_following_month():
    assert periods.report_due_date(periods.parse("2026-10", zone="UTC"), 5) == date(2026, 11, 5)
    assert periods.report_due_date(periods.parse("2026-12", zone="UTC"), 28) == date(2027, 1, 28)
    assert periods.report_due_date(periods.parse("2026-Q4", zone="UTC"), 5) == date(2027, 1, 5)
    berlin = periods.parse("2026-10", zone="Europe/Berlin")
    assert periods.report_due_at(berlin, 5) == datetime(2026, 11, 4, 23, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        periods.report_due_date(berlin, 29)


@given(
    year=st.integers(min_value=2000, max_value=2100),
    index=st.integers(min_value=1, max_value=12),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]),
)
def test_periods_tile_time(year, index, zone):
    """Consecutive periods meet exactly: no instant is in two periods or none."""
    p = periods.parse(f"{year}-{index:02d}", zone=zone)
    assert p.end == p.next().start
    assert p.start < p.end
    assert periods.period_of(p.start, kind="month", zone=zone) == p
    assert periods.period_of(p.end - timedelta(microseconds=1), kind="month", zone=zone) == p


def test_checksum_is_independent_of_key_order():
    a = {"b": [1, {"y": "2", "x": None}], "a": True, "é": "ü"}
    b = {"é": "ü", "a": True, "b": [1, {"x": None, "y": "2"}]}
    assert canonical_json(a) == canonical_json(b) == '{"a":true,"b":[1,{"x":null,"y":"2"}],"é":"ü"}'.encode()
    assert checksum(a) == checksum(b) and len(checksum(a)) == 64
