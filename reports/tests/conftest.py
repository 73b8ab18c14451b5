"""Fixtures for report tests: a frozen server clock and Celery in-process."""

from datetime import UTC, datetime

import pytest

from incidents.tests.conftest import FrozenClock


@pytest.fixture
def clock(monkeypatch):
    frozen = FrozenClock(datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    monkeypatch.setattr("django.utils.timezone.now", lambda: frozen.now)
    return frozen


@pytest.fixture
def eager(settings):
    """Celery tasks run in-process, as the worker would run them."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = False
