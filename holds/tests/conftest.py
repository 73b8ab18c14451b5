import pytest

from reports.tests.ledger_factories import freeze


@pytest.fixture
def clock(monkeypatch):
    """2 March 2026, two days after February ended: a February outage is still within its dispute window."""
    return freeze(monkeypatch)
