"""Zendesk trigger webhooks (the body template Covenant documents, with the
fields of Zendesk's documented ticket object) create and move incidents."""

from __future__ import annotations

import copy

import pytest

from availability.models import RawPayload, TicketLink
from availability.tests.tickets_support import fixture, send, ticket_source
from incidents.models import Incident

pytestmark = pytest.mark.django_db


def ticket(status: str, at: str, **more: str) -> dict:
    body = copy.deepcopy(fixture("zendesk_ticket.json"))
    body["ticket"].update(status=status, updated_at=at, **more)
    return body


def test_it_opens_acknowledges_and_resolves(clock, contract, buyer, vendor):
    _, token = ticket_source(contract, buyer, "zendesk", vendor, component_map={"checkout": "web"})
    created = send("zendesk", token, fixture("zendesk_ticket.json"))
    assert created.status_code == 201, created.content
    incident = Incident.objects.get(pk=created.json()["incident"])
    assert (incident.severity, incident.component, incident.status) == ("critical", "web", Incident.Status.OPEN)
    assert TicketLink.objects.get().label == "#35436"
    clock.advance(minutes=5)
    assert send("zendesk", token, ticket("Open", "2026-03-02T09:05:00Z")).json()["steps"] == ["acknowledge"]
    clock.advance(hours=1)
    assert send("zendesk", token, ticket("solved", "2026-03-02T10:05:00Z")).json()["steps"] == ["resolve"]
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED


def test_a_priority_change_changes_the_severity(clock, contract, buyer, vendor):
    _, token = ticket_source(contract, buyer, "zendesk", vendor)
    send("zendesk", token, fixture("zendesk_ticket.json"))
    body = send("zendesk", token, ticket("open", "2026-03-02T09:05:00Z", priority="normal")).json()
    assert body["steps"] == ["change_severity", "acknowledge"]
    assert Incident.objects.get().severity == "medium"


def test_redelivery_and_out_of_order(clock, contract, buyer, vendor):
    _, token = ticket_source(contract, buyer, "zendesk", vendor)
    send("zendesk", token, ticket("open", "2026-03-02T09:05:00Z"))
    assert send("zendesk", token, ticket("open", "2026-03-02T09:05:00Z")).json()["duplicate"] is True
    late = send("zendesk", token, fixture("zendesk_ticket.json")).json()
    assert late["ignored"] == 1 and late["steps"] == []
    assert Incident.objects.get().status == Incident.Status.ACKNOWLEDGED and RawPayload.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [({"priority": "-"}, "ticket.priority"), ({"status": "escalated"}, "ticket.status"), ({"id": ""}, "ticket.id")],
)
def test_a_bad_payload_is_400_naming_the_field(contract, buyer, vendor, change, field):
    _, token = ticket_source(contract, buyer, "zendesk", vendor)
    body = fixture("zendesk_ticket.json")
    body["ticket"].update(change)
    response = send("zendesk", token, body)
    assert response.status_code == 400 and field in response.json()["errors"], response.content
    assert not RawPayload.objects.exists()


def test_an_unaccepted_source_creates_nothing(clock, contract, buyer):
    _, token = ticket_source(contract, buyer, "zendesk")
    assert send("zendesk", token, fixture("zendesk_ticket.json")).json()["counted"] is False
    assert not Incident.objects.exists() and RawPayload.objects.count() == 1


def test_another_contracts_token_cannot_touch_it(clock, contract, foreign_contract, buyer, vendor, staff):
    _, token = ticket_source(contract, buyer, "zendesk", vendor)
    _, foreign = ticket_source(foreign_contract, staff, "zendesk")
    mine = send("zendesk", token, fixture("zendesk_ticket.json")).json()["incident"]
    send("zendesk", foreign, ticket("solved", "2026-03-02T10:05:00Z"))
    assert Incident.objects.get(pk=mine).status == Incident.Status.OPEN
