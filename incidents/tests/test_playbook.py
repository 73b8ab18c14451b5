"""The playbook on the incident page: the steps for the incident's severity,
when each falls due, who fills each role, and ticking steps off onto the
timeline."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from audit.models import AuditEntry
from contracts import services as contract_services
from core.errors import Conflict, InvalidInput, NotPermitted
from incidents import services
from incidents.models import IncidentEvent, IncidentPlaybookTick
from incidents.services.playbook import playbook_checklist, tick_playbook_step

pytestmark = pytest.mark.django_db


def _open(actor, contract, **kw):
    fields = {"title": "Checkout fails", "severity": "critical", "environment": "production", "component": "api"}
    return services.open_incident(actor=actor, contract=contract, **{**fields, **kw})


def post_json(client, path: str, data=None):
    return client.post(path, json.dumps(data or {}), content_type="application/json")


def test_ticking_a_step_writes_a_timeline_event_and_an_audit_entry(buyer_ops, vendor_engineer, contract, clock):
    incident = _open(buyer_ops, contract)
    clock.advance(minutes=3)
    tick = tick_playbook_step(actor=vendor_engineer, incident=incident, order=2)
    assert tick.ticked_by == vendor_engineer and tick.party == "vendor" and tick.role == "support_engineer"
    ev = incident.events.get(kind=IncidentEvent.Kind.PLAYBOOK_STEP)
    assert ev.actor == vendor_engineer and ev.at == clock.now
    assert ev.message.startswith("Step 2 (vendor support engineer): Acknowledge the incident")
    assert ev.data == {"severity": "critical", "order": 2, "party": "vendor", "role": "support_engineer"}
    assert AuditEntry.objects.filter(verb="incident.playbook_step", contract_id=contract.pk).count() == 1
    # Each side ticks its own steps, each step once.
    tick_playbook_step(actor=buyer_ops, incident=incident, order=1)
    with pytest.raises(Conflict) as exc:
        tick_playbook_step(actor=vendor_engineer, incident=incident, order=2)
    assert "already ticked" in exc.value.message
    assert IncidentPlaybookTick.objects.filter(incident=incident).count() == 2


def test_only_the_parties_people_tick_and_only_existing_steps(buyer_ops, buyer_viewer, board_member, contract, clock):
    incident = _open(buyer_ops, contract)
    for person in (buyer_viewer, board_member):
        with pytest.raises(NotPermitted):
            tick_playbook_step(actor=person, incident=incident, order=1)
    with pytest.raises(InvalidInput) as exc:
        tick_playbook_step(actor=buyer_ops, incident=incident, order=42)
    assert list(exc.value.errors) == ["order"]
    assert not IncidentPlaybookTick.objects.exists()


def test_a_closed_incident_cannot_be_ticked(buyer_ops, vendor_engineer, contract, clock):
    incident = _open(buyer_ops, contract)
    incident = services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    incident = services.resolve_incident(actor=vendor_engineer, incident=incident, message="Fixed")
    incident = services.confirm_resolution(actor=buyer_ops, incident=incident)
    with pytest.raises(Conflict):
        tick_playbook_step(actor=buyer_ops, incident=incident, order=1)


def test_the_checklist_times_each_trigger(buyer_ops, vendor_engineer, contract, clock, staff):
    contract_services.contact_add(
        actor=staff,
        contract=contract,
        side="vendor",
        role="escalation_contact",
        name="Eve Escalation",
        email="e@x.test",
    )
    incident = _open(buyer_ops, contract)
    t0 = clock.now
    steps = {s.order: s for s in playbook_checklist(incident)}
    assert steps[1].at == t0 and steps[1].state == "due"
    assert steps[3].at is None and steps[3].state == "waiting" and steps[3].note == "once the vendor acknowledges"
    # Enterprise critical: restore within 4 h (24x7); step 5 at 50 %, step 7 on breach.
    assert steps[5].at == t0 + timedelta(hours=2) and steps[5].state == "upcoming"
    assert steps[5].at_text == "11:00 UTC" and [p.name for p in steps[5].people] == ["Eve Escalation"]
    assert steps[7].at == t0 + timedelta(hours=4)
    assert [p.name for p in steps[2].people] == [str(vendor_engineer)]

    clock.advance(minutes=10)
    incident = services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    clock.advance(hours=2)
    steps = {s.order: s for s in playbook_checklist(incident)}
    assert steps[3].at == t0 + timedelta(minutes=10) and steps[3].state == "due"
    assert steps[5].state == "due"

    tick_playbook_step(actor=vendor_engineer, incident=incident, order=5)
    steps = {s.order: s for s in playbook_checklist(incident)}
    assert steps[5].state == "ticked" and steps[5].tick.ticked_by == vendor_engineer


def test_a_met_target_skips_its_later_steps(buyer_ops, vendor_engineer, contract, clock):
    incident = _open(buyer_ops, contract)
    clock.advance(minutes=5)
    incident = services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    clock.advance(minutes=30)
    incident = services.resolve_incident(actor=vendor_engineer, incident=incident, message="Fixed")
    steps = {s.order: s for s in playbook_checklist(incident)}
    assert steps[5].state == "skipped" and "restore target was met" in steps[5].note
    assert steps[7].state == "skipped"


def test_the_incident_page_shows_the_checklist_for_a_new_vendor_engineer(
    client_for, buyer_ops, vendor_engineer, contract, clock
):
    incident = _open(buyer_ops, contract)
    client = client_for(vendor_engineer)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'id="playbook"' in html
    assert "Acknowledge the incident in Covenant and join the bridge call." in html
    assert "Support engineer" in html and f"{vendor_engineer}" in html and ">you<" in html
    assert "At 50 % of the restore target: <time" in html and "11:00 UTC" in html
    assert "due now" in html

    response = client.post(f"/incidents/{incident.pk}/playbook/2/tick/")
    assert response.status_code == 302
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Playbook step done" in html  # on the timeline
    assert "1/7 done" in html
    assert client.post(f"/incidents/{incident.pk}/playbook/2/tick/").status_code == 409


def test_viewers_see_the_checklist_without_tick_buttons(client_for, buyer_ops, buyer_viewer, contract, clock):
    incident = _open(buyer_ops, contract)
    html = client_for(buyer_viewer).get(f"/incidents/{incident.pk}/").content.decode()
    assert "join the bridge call" in html and "/playbook/1/tick/" not in html
    assert client_for(buyer_viewer).post(f"/incidents/{incident.pk}/playbook/1/tick/").status_code == 403


def test_outsiders_get_404_on_the_playbook(client_for, buyer_ops, outsider, contract, clock):
    incident = _open(buyer_ops, contract)
    client = client_for(outsider)
    assert client.post(f"/incidents/{incident.pk}/playbook/1/tick/").status_code == 404
    assert client.get(f"/api/incidents/{incident.pk}/playbook/").status_code == 404
    assert post_json(client, f"/api/incidents/{incident.pk}/playbook/", {"order": 1}).status_code == 404
    assert not IncidentPlaybookTick.objects.exists()


def test_api_reads_and_ticks_the_checklist(client_for, buyer_ops, vendor_engineer, contract, clock):
    incident = _open(buyer_ops, contract)
    client = client_for(vendor_engineer)
    body = client.get(f"/api/incidents/{incident.pk}/playbook/").json()
    assert body["severity"] == "critical" and body["sla_version"] == 1
    assert [s["order"] for s in body["steps"]] == [1, 2, 3, 4, 5, 6, 7]
    assert body["steps"][1]["state"] == "due" and body["steps"][1]["ticked_by"] is None
    response = post_json(client, f"/api/incidents/{incident.pk}/playbook/", {"order": 2})
    assert response.status_code == 201, response.content
    step = response.json()["steps"][1]
    assert step["state"] == "ticked" and step["ticked_by"] == vendor_engineer.username
    assert post_json(client, f"/api/incidents/{incident.pk}/playbook/", {"order": 2}).status_code == 409
    response = post_json(client, f"/api/incidents/{incident.pk}/playbook/", {"order": 99})
    assert response.status_code == 400 and "order" in response.json()["errors"]


def test_the_incident_page_query_count_does_not_grow_with_ticks(
    client_for, count_queries, buyer_ops, vendor_engineer, contract, clock
):
    incident = _open(buyer_ops, contract)
    client = client_for(vendor_engineer)
    url = f"/incidents/{incident.pk}/"
    tick_playbook_step(actor=vendor_engineer, incident=incident, order=2)
    client.get(url)
    small = count_queries(lambda: client.get(url))
    for order in (1, 3, 6):
        tick_playbook_step(actor=buyer_ops, incident=incident, order=order)
    for order in (4, 5):
        tick_playbook_step(actor=vendor_engineer, incident=incident, order=order)
    assert count_queries(lambda: client.get(url)) == small


def _resolved(buyer_ops, vendor_engineer, contract, clock):
    incident = _open(buyer_ops, contract)
    clock.advance(minutes=5)
    incident = services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    clock.advance(minutes=30)
    return services.resolve_incident(actor=vendor_engineer, incident=incident, message="Fixed")


def test_a_resolved_or_closed_incident_has_no_due_steps(client_for, buyer_ops, vendor_engineer, contract, clock):
    incident = _resolved(buyer_ops, vendor_engineer, contract, clock)
    tick_playbook_step(actor=vendor_engineer, incident=incident, order=2)
    clock.advance(hours=1)
    steps = {s.order: s for s in playbook_checklist(incident)}
    assert not [s.order for s in steps.values() if s.state == "due"]
    # Steps whose trigger passed without a tick are missed; ticks stay ticks.
    assert steps[1].state == "missed" and steps[1].note == "not ticked before the incident was resolved"
    assert steps[2].state == "ticked" and steps[5].state == "skipped"
    client = client_for(buyer_ops)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "due now" not in html and "not ticked before the incident was resolved" in html
    body = client.get(f"/api/incidents/{incident.pk}/playbook/").json()
    assert [s["state"] for s in body["steps"] if s["state"] == "due"] == []
    assert body["steps"][0]["state"] == "missed"
    incident = services.confirm_resolution(actor=buyer_ops, incident=incident)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "due now" not in html and "/playbook/1/tick/" not in html


def test_each_side_ticks_only_its_own_steps(client_for, buyer_ops, vendor_engineer, staff, contract, clock):
    incident = _open(buyer_ops, contract)  # step 1 is the buyer's operations, step 2 the vendor's engineer
    with pytest.raises(NotPermitted) as exc:
        tick_playbook_step(actor=vendor_engineer, incident=incident, order=1)
    assert "only Northwind Bank's people may tick it" in exc.value.message
    with pytest.raises(NotPermitted):
        tick_playbook_step(actor=buyer_ops, incident=incident, order=2)
    assert not IncidentPlaybookTick.objects.exists()

    vendor_client, buyer_client = client_for(vendor_engineer), client_for(buyer_ops)
    html = vendor_client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "/playbook/2/tick/" in html and "/playbook/1/tick/" not in html and "Buyer ticks this" in html
    html = buyer_client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "/playbook/1/tick/" in html and "/playbook/2/tick/" not in html
    response = vendor_client.post(f"/incidents/{incident.pk}/playbook/1/tick/")
    assert response.status_code == 403 and "only Northwind Bank&#x27;s people may tick it" in response.content.decode()
    response = post_json(buyer_client, f"/api/incidents/{incident.pk}/playbook/", {"order": 2})
    assert response.status_code == 403 and "only Acme Cloud's people may tick it" in response.json()["detail"]
    assert not IncidentPlaybookTick.objects.exists()
    assert post_json(buyer_client, f"/api/incidents/{incident.pk}/playbook/", {"order": 1}).status_code == 201
    tick_playbook_step(actor=staff, incident=incident, order=2)  # staff may tick either side's steps
    assert IncidentPlaybookTick.objects.count() == 2
