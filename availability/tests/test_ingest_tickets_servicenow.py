"""ServiceNow incidents (a Business Rule's outbound REST message with the
record's values, as the Table API documents them) create and move incidents."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from availability.models import RawPayload, TicketLink
from availability.tests.tickets_support import fixture, send, ticket_source
from incidents.models import Incident

pytestmark = pytest.mark.django_db


def record(state: str, at: str, **more: str) -> dict:
    body = copy.deepcopy(fixture("servicenow_incident.json"))
    body["result"].update(state=state, sys_updated_on=at, **more)
    return body


def test_it_opens_acknowledges_and_resolves(clock, contract, buyer, vendor):
    _, token = ticket_source(
        contract, vendor, "servicenow", buyer, component_map={"281190e3c0a8000b003f593aa3f20ca6": "mail"}
    )
    created = send("servicenow", token, fixture("servicenow_incident.json"))
    assert created.status_code == 201, created.content
    incident = Incident.objects.get(pk=created.json()["incident"])
    assert (incident.severity, incident.component) == ("critical", "mail")
    assert incident.opened_by == buyer  # only the buyer opens: the buyer who accepted the vendor's source
    link = TicketLink.objects.get()
    assert link.label == "INC0000060" and link.ticket_created_at == datetime(2026, 3, 2, 8, 50, tzinfo=UTC)
    clock.advance(minutes=5)
    assert send("servicenow", token, record("2", "2026-03-02 09:05:00")).json()["steps"] == ["acknowledge"]
    clock.advance(hours=1)
    done = record("6", "2026-03-02 10:05:00", resolved_at="2026-03-02 10:04:00")
    assert send("servicenow", token, done).json()["steps"] == ["resolve"]
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert "resolved 2026-03-02 10:04:00 UTC" in incident.events.get(kind="resolved").message


def test_a_ticket_first_seen_resolved_runs_every_step(clock, contract, buyer, vendor):
    _, token = ticket_source(contract, buyer, "servicenow", vendor)
    body = send("servicenow", token, record("7", "2026-03-02 10:05:00")).json()
    assert body["steps"] == ["open", "acknowledge", "resolve"]


def test_cancel_withdraws_the_incident(clock, contract, buyer, vendor):
    _, token = ticket_source(contract, buyer, "servicenow", vendor)
    send("servicenow", token, fixture("servicenow_incident.json"))
    assert send("servicenow", token, record("8", "2026-03-02 09:05:00")).json()["steps"] == ["cancel"]
    assert Incident.objects.get().status == Incident.Status.CANCELLED


def test_redelivery_and_out_of_order(clock, contract, buyer, vendor):
    _, token = ticket_source(contract, buyer, "servicenow", vendor)
    send("servicenow", token, record("2", "2026-03-02 09:05:00"))
    assert send("servicenow", token, record("2", "2026-03-02 09:05:00")).json()["duplicate"] is True
    late = send("servicenow", token, fixture("servicenow_incident.json")).json()
    assert late["ignored"] == 1
    assert Incident.objects.get().status == Incident.Status.ACKNOWLEDGED and RawPayload.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"priority": "9"}, "result.priority"),
        ({"state": "4"}, "result.state"),
        ({"opened_at": "yesterday"}, "result.opened_at"),
    ],
)
def test_a_bad_payload_is_400_naming_the_field(contract, buyer, vendor, change, field):
    _, token = ticket_source(contract, buyer, "servicenow", vendor)
    body = fixture("servicenow_incident.json")
    body["result"].update(change)
    response = send("servicenow", token, body)
    assert response.status_code == 400 and field in response.json()["errors"], response.content
    assert not RawPayload.objects.exists()


def test_an_unaccepted_source_creates_nothing(clock, contract, vendor):
    _, token = ticket_source(contract, vendor, "servicenow")
    assert send("servicenow", token, fixture("servicenow_incident.json")).json()["counted"] is False
    assert not Incident.objects.exists()


def test_another_contracts_token_cannot_touch_it(clock, contract, foreign_contract, buyer, vendor, staff):
    _, token = ticket_source(contract, buyer, "servicenow", vendor)
    _, foreign = ticket_source(foreign_contract, staff, "servicenow")
    mine = send("servicenow", token, fixture("servicenow_incident.json")).json()["incident"]
    send("servicenow", foreign, record("6", "2026-03-02 10:05:00"))
    assert Incident.objects.get(pk=mine).status == Incident.Status.OPEN
