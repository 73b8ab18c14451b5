"""The incident lists' query budget (issue 19): at most ten queries with the
session and the user, and the same number at 5 and at 40 incidents, for the
HTML list and the API, with and without the breached filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services

BUDGET = 10
URLS = [
    "/incidents/",
    "/incidents/?breached=true",
    "/api/incidents/",
    "/api/incidents/?breached=true",
]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def list_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", fake)
    return fake


def open_many(contract, buyer, n: int) -> None:
    for i in range(n):
        services.open_incident(
            actor=buyer,
            contract=contract,
            title=f"Incident {i}",
            severity=("critical", "high", "medium", "low")[i % 4],
            environment="production",
            component="api",
        )


def queries_for(client, url: str) -> list[str]:
    client.get(url)  # warm the session and content types
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("url", URLS)
def test_the_list_stays_within_budget_at_two_sizes(url, list_clock, client_for, contract, buyer):
    client = client_for(buyer)
    open_many(contract, buyer, 5)
    small = queries_for(client, url)
    open_many(contract, buyer, 35)
    large = queries_for(client, url)
    assert len(small) <= BUDGET, "\n".join(small)
    assert len(large) == len(small), "\n".join(large)


def test_past_the_cap_the_list_reads_n_plus_and_counts_no_further(list_clock, client_for, contract, buyer, monkeypatch):
    from core.api import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "COUNT_CAP", 3)
    monkeypatch.setattr("incidents.views.PAGE_SIZE", 2)
    open_many(contract, buyer, 5)
    client = client_for(buyer)
    page = client.get("/incidents/").content.decode()
    assert "3+ incidents" in page and "Page 1 of 2+" in page
    body = client.get("/api/incidents/?page_size=2").json()
    assert body["count_capped"] is True and body["count"] == 4 and len(body["results"]) == 2


def test_the_lists_serve_the_stored_clocks(list_clock, client_for, contract, buyer):
    """What the row stores is what the lists show: no recomputation per row at
    read time (a stored due time the engine would not give proves it)."""
    from incidents.models import Incident

    open_many(contract, buyer, 1)
    stored = list_clock.now + timedelta(days=3, minutes=7)
    Incident.objects.update(
        acknowledge_due_at=stored,
        restore_due_at=stored + timedelta(days=1),
        resolve_due_at=stored + timedelta(days=2),
        next_due_at=stored,
    )
    client = client_for(buyer)
    row = client.get("/api/incidents/").json()["results"][0]
    assert row["clocks"]["acknowledge"]["due_at"] == stored.isoformat().replace("+00:00", "Z")
    assert row["next_due_at"] == row["clocks"]["acknowledge"]["due_at"] and row["breached"] is False
    assert "3d 0h left" in client.get("/incidents/").content.decode()


def test_the_report_button_follows_the_role_without_a_query_of_its_own(
    list_clock, client_for, contract, buyer, vendor_engineer, staff
):
    report = 'href="/incidents/new/'
    assert report in client_for(buyer).get("/incidents/").content.decode()
    assert report not in client_for(vendor_engineer).get("/incidents/").content.decode()
    assert report in client_for(staff).get("/incidents/").content.decode()
