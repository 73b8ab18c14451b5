"""The dashboard tests' clock: the instant the shared factories build their world for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)  # October 2026 is closed and its credits claimable


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return NOW
