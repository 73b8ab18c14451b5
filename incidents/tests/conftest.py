from datetime import UTC, datetime, timedelta

import pytest


class FrozenClock:
    """Server time under the test's control (services read django.utils.timezone.now)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now

    def set(self, when: datetime) -> datetime:
        self.now = when
        return self.now


@pytest.fixture
def clock(monkeypatch):
    frozen = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    monkeypatch.setattr("django.utils.timezone.now", lambda: frozen.now)
    return frozen
