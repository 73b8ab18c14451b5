"""A buyer names a vendor on a new contract; the vendor consents first.
Until it accepts, the vendor sees an invitation only (the buyer's name and
the reference), nothing is filed against it, and either answer is audited."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps as django_apps

from audit.models import AuditEntry
from availability.services import outages
from contracts import services
from contracts.models import Contract
from contracts.tests.factories import make_contract
from contracts.tests.test_api import new_contract_body, post
from core.errors import Conflict, NotPermitted
from incidents import services as incidents


@pytest.fixture
def pending(buyer, buyer_org, vendor_org, client_for):
    response = post(
        client_for(buyer), "/api/contracts/", new_contract_body(buyer_org, vendor_org, preset="enterprise-24x7")
    )
    assert response.status_code == 201, response.content
    return Contract.objects.get(pk=response.json()["id"])


def test_a_new_contract_waits_for_the_vendor(pending, buyer, vendor, client_for):
    assert pending.vendor_acceptance == Contract.VendorAcceptance.PENDING
    client = client_for(vendor)
    assert client.get(f"/api/contracts/{pending.pk}/").status_code == 404
    assert pending.pk not in [c["id"] for c in client.get("/api/contracts/").json()["results"]]
    assert client.get(f"/api/contracts/{pending.pk}/audit/").status_code == 404
    assert client.get("/api/contract-invitations/").json()["results"] == [
        {"id": pending.pk, "reference": "C-NEW", "buyer": "Northwind Bank"}
    ]
    assert client_for(buyer).get(f"/api/contracts/{pending.pk}/").status_code == 200  # the buyer's draft
    assert client_for(buyer).get("/api/contract-invitations/").json()["results"] == []


def test_the_vendors_account_manager_accepts(pending, vendor, vendor_engineer, outsider, client_for):
    assert post(client_for(outsider), f"/api/contract-invitations/{pending.pk}/accept/").status_code == 404
    assert post(client_for(vendor_engineer), f"/api/contract-invitations/{pending.pk}/accept/").status_code == 403
    response = post(client_for(vendor), f"/api/contract-invitations/{pending.pk}/accept/")
    assert response.status_code == 200, response.content
    assert response.json() == {"id": pending.pk, "vendor_acceptance": "accepted"}
    pending.refresh_from_db()
    assert (pending.vendor_acceptance, pending.vendor_answered_by) == ("accepted", vendor)
    assert client_for(vendor).get(f"/api/contracts/{pending.pk}/").status_code == 200
    entry = AuditEntry.objects.get(verb="contract.vendor_accepted", contract_id=pending.pk)
    assert entry.changes == {"vendor_acceptance": ["pending", "accepted"]}
    assert post(client_for(vendor), f"/api/contract-invitations/{pending.pk}/accept/").status_code == 404  # answered
    with pytest.raises(Conflict):
        services.contract_vendor_accept(actor=vendor, contract=pending)


def test_a_declined_contract_stays_the_buyers(pending, vendor, client_for):
    response = post(client_for(vendor), f"/api/contract-invitations/{pending.pk}/decline/", {"reason": "Not ours"})
    assert response.status_code == 200, response.content
    pending.refresh_from_db()
    assert pending.vendor_acceptance == Contract.VendorAcceptance.DECLINED
    assert client_for(vendor).get(f"/api/contracts/{pending.pk}/").status_code == 404
    assert AuditEntry.objects.get(verb="contract.vendor_declined").changes["reason"] == [None, "Not ours"]


def test_nothing_is_filed_on_a_pending_contract(buyer_org, vendor_org, buyer, staff):
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, vendor_accept=False)
    assert contract.status == Contract.Status.ACTIVE  # terms in force, still no consent
    with pytest.raises(Conflict, match="awaiting the vendor"):
        incidents.open_incident(
            actor=buyer, contract=contract, title="Down", severity="high", environment="production", component="api"
        )
    at = datetime(2025, 3, 1, tzinfo=UTC)
    with pytest.raises(Conflict, match="Outages"):
        outages.record_outage(actor=staff, contract=contract, component="api", start=at, end=None, reason="missed")
    with pytest.raises(NotPermitted):
        services.contract_vendor_accept(actor=buyer, contract=contract)


def test_the_vendor_answers_on_its_contract_list(pending, vendor, client_for):
    client = client_for(vendor)
    page = client.get("/contracts/").content.decode()
    assert "Invitations" in page and "C-NEW" in page and "Northwind Bank" in page
    assert "Payments Hub" not in page  # the product (or anything else of the contract) is not shown
    response = client.post(f"/contracts/invitations/{pending.pk}/answer/", {"answer": "accept"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.vendor_acceptance == Contract.VendorAcceptance.ACCEPTED


def test_the_migration_counts_existing_contracts_as_accepted(pending):
    migration = importlib.import_module("contracts.migrations.0006_contract_vendor_acceptance")
    migration.accepted_since_created(django_apps, None)
    pending.refresh_from_db()
    assert pending.vendor_acceptance == Contract.VendorAcceptance.ACCEPTED
    assert pending.vendor_answered_at == pending.created_at


def _invite(client, buyer_org, vendor_org, n: int, *, start: int = 0) -> None:
    for i in range(start, start + n):
        body = new_contract_body(buyer_org, vendor_org, preset="enterprise-24x7", reference=f"C-INV-{i}")
        assert post(client, "/api/contracts/", body).status_code == 201


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/api/contract-invitations/", "/contracts/"])
def test_the_invitation_lists_run_the_same_queries_at_two_sizes(url, buyer, buyer_org, vendor_org, vendor, client_for):
    _invite(client_for(buyer), buyer_org, vendor_org, 1)
    client = client_for(vendor)
    client.get(url)  # warm the session and caches
    small = _queries(client, url)
    _invite(client_for(buyer), buyer_org, vendor_org, 6, start=1)
    assert _queries(client, url) == small
