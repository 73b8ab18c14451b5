"""The reconciliation API and the Reconciliation section of the availability
page: list, propose, accept, dispute, and their query counts at two sizes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from availability.models import Discrepancy
from availability.services import sources

pytestmark = pytest.mark.django_db

T = datetime(2026, 3, 3, 10, tzinfo=UTC)


@pytest.fixture
def pair(clock, contract, buyer, vendor):
    probes, _ = sources.register_source(actor=buyer, contract=contract, name="Buyer probes", kind="probe")
    sources.accept_source(actor=vendor, source=probes)
    status, _ = sources.register_source(actor=vendor, contract=contract, name="Status page", kind="statuspage")
    sources.accept_source(actor=buyer, source=status)
    return probes, status


def items(contract, pair, n: int, *, start: int = 0) -> list[Discrepancy]:
    probes, status = pair
    return [
        Discrepancy.objects.create(
            contract=contract,
            component="api",
            period="2026-03",
            period_start=datetime(2026, 3, 1, tzinfo=UTC),
            period_end=datetime(2026, 4, 1, tzinfo=UTC),
            start=T + timedelta(hours=i),
            end=T + timedelta(hours=i, minutes=20),
            down_sources=[probes.pk],
            up_sources=[status.pk],
            down_seconds={str(probes.pk): 1200},
            detected_at=T,
        )
        for i in range(start, start + n)
    ]


def post(client, path, data=None):
    return client.post(path, json.dumps(data or {}), content_type="application/json")


def test_it_lists_proposes_accepts_and_disputes(client_for, contract, buyer, vendor, outsider, pair):
    probes, status = pair
    first, second = items(contract, pair, 2)
    listed = client_for(vendor).get(f"/api/contracts/{contract.pk}/discrepancies/")
    assert listed.status_code == 200
    body = listed.json()
    assert [r["id"] for r in body] == [first.pk, second.pk]
    assert body[0]["says_down"] == [{"id": probes.pk, "name": "Buyer probes", "side": "buyer", "down_seconds": 1200}]
    assert body[0]["says_up"][0]["name"] == "Status page" and body[0]["seconds"] == 1200

    bad = post(client_for(vendor), f"/api/discrepancies/{first.pk}/resolve/", {"resolution": "source", "reason": "x"})
    assert bad.status_code == 400 and "source" in bad.json()["errors"]
    proposed = post(
        client_for(vendor),
        f"/api/discrepancies/{first.pk}/resolve/",
        {"resolution": "source", "source": status.pk, "reason": "The probe region lost its network."},
    )
    assert proposed.status_code == 200 and proposed.json()["proposed_side"] == "vendor"
    assert post(client_for(vendor), f"/api/discrepancies/{first.pk}/accept/").status_code == 403
    accepted = post(client_for(buyer), f"/api/discrepancies/{first.pk}/accept/")
    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["picked_source"]) == ("resolved", status.pk)
    assert post(client_for(buyer), f"/api/discrepancies/{first.pk}/dispute/", {"reason": "no"}).status_code == 409

    disputed = post(client_for(buyer), f"/api/discrepancies/{second.pk}/dispute/", {"reason": "Probes are right."})
    assert disputed.status_code == 200 and disputed.json()["resolution"] == "disputed"
    assert client_for(buyer).get(f"/api/contracts/{contract.pk}/discrepancies/?status=disputed").json()[0]["id"] == (
        second.pk
    )
    # another tenant's people see nothing of it
    assert client_for(outsider).get(f"/api/contracts/{contract.pk}/discrepancies/").status_code == 404
    assert post(client_for(outsider), f"/api/discrepancies/{second.pk}/accept/").status_code == 404


def test_the_list_runs_a_fixed_number_of_queries(client_for, contract, vendor, pair, django_assert_num_queries):
    client = client_for(vendor)
    path = f"/api/contracts/{contract.pk}/discrepancies/"
    items(contract, pair, 2)
    client.get(path)  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert len(client.get(path).json()) == 2
    items(contract, pair, 8, start=2)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(client.get(path).json()) == 10


def test_the_page_shows_the_section_and_acts(client_for, contract, buyer, vendor, pair, django_assert_num_queries):
    probes, status = pair
    (item,) = items(contract, pair, 1)
    page = f"/availability/contracts/{contract.pk}/?period=2026-03"
    client = client_for(vendor)
    response = client.get(page)
    text = response.content.decode()
    assert response.status_code == 200 and 'id="reconciliation"' in text
    assert "Buyer probes" in text and "a split counts half the interval as down" in text
    act = f"/availability/contracts/{contract.pk}/discrepancies/{item.pk}/"
    done = client.post(act + "resolve/", {"resolution": "split", "reason": "Both partly right."})
    assert done.status_code == 302
    item.refresh_from_db()
    assert (item.proposed_resolution, item.proposed_side) == ("split", "vendor")
    assert "Accept</button>" in client_for(buyer).get(page).content.decode()
    assert client_for(buyer).post(act + "accept/").status_code == 302
    item.refresh_from_db()
    assert item.status == "resolved"

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(page)
    items(contract, pair, 6, start=1)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(page).content.decode().count('class="av-claim"><summary>Propose') == 6
