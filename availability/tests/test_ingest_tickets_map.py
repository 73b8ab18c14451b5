"""A ticketing source's map: product defaults, edited by either party through
the API and the sources page, validated by field, and used by the next ticket."""

from __future__ import annotations

import json

import pytest

from accounts.models import Notification
from audit.models import AuditEntry
from availability.ingest.tickets import DEFAULT_MAPS
from availability.models import MonitoringSource
from availability.services import sources
from availability.tests.tickets_support import fixture, send, ticket_source
from incidents.models import Incident

pytestmark = pytest.mark.django_db


def put(client, source, ticket_map):
    return client.put(
        f"/api/sources/{source.pk}/ticket-map/", json.dumps({"ticket_map": ticket_map}), content_type="application/json"
    )


def test_the_map_starts_from_the_products_defaults(contract, buyer, vendor, client_for):
    login = client_for
    source, _ = ticket_source(contract, buyer, "servicenow", vendor)
    response = login(vendor).get(f"/api/sources/{source.pk}/ticket-map/")
    assert response.status_code == 200
    assert response.json()["ticket_map"]["priority"] == DEFAULT_MAPS["servicenow"]["priority"]
    listed = login(buyer).get(f"/api/contracts/{contract.pk}/sources/").json()
    assert listed[0]["ticket_map"] == {} and listed[0]["ingest_url"].endswith("/api/monitoring/servicenow/")


def test_either_party_edits_it_and_the_other_is_told(clock, contract, buyer, vendor, client_for):
    login = client_for
    source, token = ticket_source(contract, buyer, "zendesk", vendor)
    response = put(
        login(vendor), source, {"priority": {"urgent": "high", "high": "high", "normal": "medium", "low": "low"}}
    )
    assert response.status_code == 200, response.content
    assert response.json()["ticket_map"]["status"] == DEFAULT_MAPS["zendesk"]["status"]  # untouched section
    source.refresh_from_db()
    assert source.ticket_map["priority"]["urgent"] == "high"
    assert AuditEntry.objects.filter(verb="monitoring_source.ticket_map_changed").count() == 1
    assert Notification.objects.filter(user=buyer, title__contains="ticket map").exists()
    send("zendesk", token, fixture("zendesk_ticket.json"))
    assert Incident.objects.get().severity == "high"


@pytest.mark.parametrize(
    ("ticket_map", "field"),
    [
        ({"priority": {"Highest": "apocalyptic"}}, "ticket_map.priority.Highest"),
        ({"status": {"Done": "celebrate"}}, "ticket_map.status.Done"),
        ({"environment": "staging"}, "ticket_map.environment"),
        ({"colour": {}}, "ticket_map.colour"),
    ],
)
def test_a_bad_map_is_400_naming_the_entry(contract, buyer, vendor, ticket_map, field, client_for):
    login = client_for
    source, _ = ticket_source(contract, buyer, "jira", vendor)
    response = put(login(buyer), source, ticket_map)
    assert response.status_code == 400 and field in response.json()["errors"], response.content
    source.refresh_from_db()
    assert source.ticket_map == {}


def test_outsiders_and_other_kinds_get_404(contract, buyer, vendor, outsider, client_for):
    login = client_for
    source, _ = ticket_source(contract, buyer, "jira", vendor)
    assert put(login(outsider), source, {}).status_code == 404
    probe, _ = sources.register_source(actor=buyer, contract=contract, name="Probes", kind="probe")
    assert login(buyer).get(f"/api/sources/{probe.pk}/ticket-map/").status_code == 404


def test_the_sources_page_shows_and_saves_it(contract, buyer, vendor, client_for):
    login = client_for
    source, _ = ticket_source(contract, buyer, "jira", vendor)
    client = login(vendor)
    page = client.get(f"/availability/contracts/{contract.pk}/sources/")
    assert page.status_code == 200 and "Ticket map" in page.content.decode() and "Highest" in page.content.decode()
    edited = {**DEFAULT_MAPS["jira"], "environment": "non_production"}
    response = client.post(
        f"/availability/contracts/{contract.pk}/sources/ticket-map/",
        {"source": source.pk, "ticket_map": json.dumps(edited)},
    )
    assert response.status_code == 302
    assert MonitoringSource.objects.get(pk=source.pk).ticket_map["environment"] == "non_production"
    bad = client.post(
        f"/availability/contracts/{contract.pk}/sources/ticket-map/",
        {"source": source.pk, "ticket_map": "{"},
        follow=True,
    )
    assert "Invalid JSON" in bad.content.decode()
