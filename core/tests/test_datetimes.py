from datetime import datetime, timedelta, timezone

from core.datetimes import when


def test_it_shows_the_moment_in_utc_and_a_dash_for_none():
    paris_summer = timezone(timedelta(hours=2))
    assert when(datetime(2026, 7, 3, 12, 20, tzinfo=paris_summer)) == "03 Jul 2026 10:20 UTC"
    assert when(None) == "—"
