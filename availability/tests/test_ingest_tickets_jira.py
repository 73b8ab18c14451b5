"""Jira Service Management issue webhooks create and move incidents
(fixtures: Atlassian's documented jira:issue_created / jira:issue_updated shape)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from audit.models import AuditEntry
from availability.models import RawPayload, TicketLink
from availability.tests.tickets_support import fixture, send, ticket_source
from incidents.models import Incident, IncidentEvent

pytestmark = pytest.mark.django_db


def updated(status: str, category: str, at: str, resolved: str | None = None) -> dict:
    body = copy.deepcopy(fixture("jira_issue_updated.json"))
    body["issue"]["fields"]["status"] = {"name": status, "statusCategory": {"key": category}}
    body["issue"]["fields"]["updated"] = at
    body["issue"]["fields"]["resolutiondate"] = resolved
    return body


def test_it_opens_an_incident_with_the_ticket_times_as_evidence(clock, contract, buyer, vendor):
    _, token = ticket_source(contract, buyer, "jira", vendor, component_map={"Payments API": "api"})
    response = send("jira", token, fixture("jira_issue_created.json"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["counted"] is True and body["incident_opened"] is True and body["steps"] == ["open"]
    incident = Incident.objects.get(pk=body["incident"])
    assert (incident.severity, incident.environment, incident.component) == ("critical", "production", "api")
    assert incident.status == Incident.Status.OPEN and incident.opened_by == buyer
    assert incident.opened_at == clock.now  # Covenant's server time ...
    link = TicketLink.objects.get()
    assert link.label == "SUP-154" and link.key == "25201" and link.incident == incident
    assert link.ticket_created_at == datetime(2026, 3, 2, 8, 55, tzinfo=UTC)  # ... beside the ticket's own
    assert link.evidence[0]["ticket_created"] == "2026-03-02T08:55:00+00:00"
    assert "created 2026-03-02 08:55:00 UTC" in incident.description
    assert AuditEntry.objects.filter(verb="monitoring.jira_ingested").count() == 1


def test_updates_acknowledge_then_resolve(clock, contract, buyer, vendor):
    _, token = ticket_source(contract, buyer, "jira", vendor)
    send("jira", token, fixture("jira_issue_created.json"))
    clock.advance(minutes=15)
    ack = send("jira", token, fixture("jira_issue_updated.json")).json()
    assert ack["steps"] == ["acknowledge"]
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.ACKNOWLEDGED and incident.acknowledged_at == clock.now
    entry = incident.events.get(kind=IncidentEvent.Kind.ACKNOWLEDGED)
    assert entry.actor == vendor and "SUP-154 'In Progress'" in entry.message
    assert "updated 2026-03-02 09:10:00 UTC" in entry.message
    clock.advance(hours=2)
    done = updated("Resolved", "done", "2026-03-02T12:00:00.000+0100", "2026-03-02T12:00:00.000+0100")
    assert send("jira", token, done).json()["steps"] == ["resolve"]
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert TicketLink.objects.get().ticket_resolved_at == datetime(2026, 3, 2, 11, tzinfo=UTC)


def test_a_redelivery_changes_nothing(clock, contract, buyer, vendor):
    _, token = ticket_source(contract, buyer, "jira", vendor)
    send("jira", token, fixture("jira_issue_created.json"))
    again = fixture("jira_issue_created.json")
    again["timestamp"] += 30_000  # Jira's retry: other bytes, the same ticket state
    response = send("jira", token, again)
    assert response.status_code == 200 and response.json()["duplicate"] is True
    assert Incident.objects.count() == 1 and RawPayload.objects.count() == 1


def test_an_older_update_is_kept_but_changes_nothing(clock, contract, buyer, vendor):
    _, token = ticket_source(contract, buyer, "jira", vendor)
    first = send("jira", token, fixture("jira_issue_updated.json")).json()  # the later update arrives first
    assert first["steps"] == ["open", "acknowledge"]
    late = send("jira", token, fixture("jira_issue_created.json"))
    assert late.status_code == 201 and late.json()["ignored"] == 1 and "Older" in late.json()["note"]
    assert Incident.objects.get().status == Incident.Status.ACKNOWLEDGED
    assert RawPayload.objects.count() == 2
    assert [e["applied"] for e in TicketLink.objects.get().evidence] == [True, False]


def test_an_unmapped_priority_is_400_naming_the_field(contract, buyer, vendor):
    _, token = ticket_source(contract, buyer, "jira", vendor)
    body = fixture("jira_issue_created.json")
    body["issue"]["fields"]["priority"]["name"] = "Blocker"
    response = send("jira", token, body)
    assert response.status_code == 400
    assert "issue.fields.priority.name" in response.json()["errors"]
    assert not RawPayload.objects.exists() and not Incident.objects.exists()


def test_an_unmapped_workflow_status_falls_back_to_its_category(clock, contract, buyer, vendor):
    _, token = ticket_source(contract, buyer, "jira", vendor)
    body = updated("Investigating", "indeterminate", "2026-03-02T10:10:00.000+0100")
    assert send("jira", token, body).json()["steps"] == ["open", "acknowledge"]


def test_a_source_not_yet_accepted_keeps_the_payload_and_creates_nothing(clock, contract, vendor):
    _, token = ticket_source(contract, vendor, "jira")  # the vendor's desk, awaiting the buyer
    response = send("jira", token, fixture("jira_issue_created.json"))
    assert response.status_code == 201
    body = response.json()
    assert body["counted"] is False and body["incident"] is None and "not accepted" in body["note"]
    assert RawPayload.objects.count() == 1
    assert not Incident.objects.exists() and not TicketLink.objects.exists()


def test_another_contracts_token_cannot_touch_this_contracts_incident(
    clock, contract, foreign_contract, buyer, vendor, staff
):
    _, token = ticket_source(contract, buyer, "jira", vendor)
    _, foreign = ticket_source(foreign_contract, staff, "jira")
    mine = send("jira", token, fixture("jira_issue_created.json")).json()["incident"]
    done = updated("Resolved", "done", "2026-03-02T12:00:00.000+0100", "2026-03-02T12:00:00.000+0100")
    theirs = send("jira", foreign, done).json()
    assert theirs["incident"] != mine  # the same issue id on another source is another ticket
    assert Incident.objects.get(pk=mine).status == Incident.Status.OPEN
    assert Incident.objects.get(pk=theirs["incident"]).contract == foreign_contract
    assert send("zendesk", token, fixture("zendesk_ticket.json")).status_code == 400  # wrong endpoint for the token


def test_a_workaround_then_a_reopen(clock, contract, buyer, vendor):
    _, token = ticket_source(contract, buyer, "jira", vendor)
    body = updated("Workaround provided", "indeterminate", "2026-03-02T10:10:00.000+0100")
    assert send("jira", token, body).json()["steps"] == ["open", "acknowledge", "propose_workaround"]
    incident = Incident.objects.get()
    assert incident.workaround == Incident.Workaround.PROPOSED  # the buyer still answers it in Covenant
    done = updated("Done", "done", "2026-03-02T11:00:00.000+0100", "2026-03-02T11:00:00.000+0100")
    assert send("jira", token, done).json()["steps"] == ["resolve"]
    again = updated("In Progress", "indeterminate", "2026-03-02T12:00:00.000+0100")
    assert send("jira", token, again).json()["steps"] == ["reopen"]
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ACKNOWLEDGED and incident.reopened_count == 1


def test_a_refused_step_is_reported_and_the_payload_kept(clock, contract, buyer, vendor):
    _, token = ticket_source(contract, buyer, "jira", vendor)
    send("jira", token, fixture("jira_issue_created.json"))
    vendor.memberships.update(is_active=False)  # the vendor person who accepted the source left
    body = send("jira", token, fixture("jira_issue_updated.json")).json()
    assert body["steps"] == [] and body["note"].startswith("Not applied: acknowledge")
    assert Incident.objects.get().status == Incident.Status.OPEN and RawPayload.objects.count() == 2
