"""The feedback register: either party logs an observation with evidence from
its own contract, the other party responds, the raising party closes, and the
annual review packet lists what is still open or was logged in the year."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from audit.models import AuditEntry
from contracts import onboarding
from contracts.models import FeedbackItem
from core.errors import Conflict, InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db


def _incident(contract, opener):
    from incidents import services as incidents

    return incidents.open_incident(
        actor=opener,
        contract=contract,
        title="Bridge empty",
        severity="critical",
        environment="production",
        component="api",
    )


def post_json(client, path: str, data=None):
    return client.post(path, json.dumps(data or {}), content_type="application/json")


def test_a_party_logs_feedback_with_evidence_from_its_contract(contract, buyer_ops, vendor):
    incident = _incident(contract, buyer_ops)
    item = onboarding.feedback_log(
        actor=buyer_ops,
        contract=contract,
        category="process",
        text="Nobody joined the bridge for 40 minutes.",
        evidence=[{"type": "incident", "id": incident.pk}],
        proposed_action="Name an out-of-hours engineer.",
    )
    assert item.side == "buyer" and item.status == "open" and item.evidence == [{"type": "incident", "id": incident.pk}]
    assert onboarding.evidence_links(item.evidence)[0]["url"] == f"/incidents/{incident.pk}/"
    assert AuditEntry.objects.filter(verb="feedback.logged", contract_id=contract.pk).exists()
    # The other party's managers are told.
    assert Notification.objects.filter(user=vendor, event="feedback.logged").exists()


def test_evidence_must_point_at_this_contracts_records(contract, foreign_contract, buyer_ops):
    foreign = _incident(foreign_contract, buyer_ops)
    with pytest.raises(InvalidInput) as exc:
        onboarding.feedback_log(
            actor=buyer_ops,
            contract=contract,
            category="process",
            text="x",
            evidence=[
                {"type": "incident", "id": foreign.pk},
                {"type": "invoice", "id": 1},
                {"type": "report", "id": 0},
            ],
        )
    assert set(exc.value.errors) == {"evidence[0].id", "evidence[1].type", "evidence[2].id"}
    assert not FeedbackItem.objects.exists()


def test_text_and_category_are_required(contract, buyer):
    with pytest.raises(InvalidInput) as exc:
        onboarding.feedback_log(actor=buyer, contract=contract, category="mood", text=" ")
    assert set(exc.value.errors) == {"category", "text"}


def test_viewers_and_board_only_members_do_not_log(contract, buyer_viewer, board_member):
    for person in (buyer_viewer, board_member):
        with pytest.raises(NotPermitted):
            onboarding.feedback_log(actor=person, contract=contract, category="other", text="x")


def test_staff_name_the_side(contract, staff):
    with pytest.raises(InvalidInput) as exc:
        onboarding.feedback_log(actor=staff, contract=contract, category="other", text="x")
    assert list(exc.value.errors) == ["side"]
    assert onboarding.feedback_log(actor=staff, contract=contract, category="other", text="x", side="vendor").side == (
        "vendor"
    )


def test_the_other_party_responds_and_the_raising_party_closes(contract, buyer_ops, buyer, vendor, vendor_engineer):
    item = onboarding.feedback_log(actor=buyer_ops, contract=contract, category="target", text="Restore 4 h is tight.")
    with pytest.raises(NotPermitted):
        onboarding.feedback_respond(actor=buyer, item=item, response="We agree with ourselves.")
    with pytest.raises(InvalidInput) as exc:
        onboarding.feedback_respond(actor=vendor_engineer, item=item, response="")
    assert list(exc.value.errors) == ["response"]
    item = onboarding.feedback_respond(
        actor=vendor_engineer, item=item, response="Agreed for weekends.", proposed_action="6 h at weekends."
    )
    assert item.status == "responded" and item.proposed_action == "6 h at weekends."
    with pytest.raises(NotPermitted):
        onboarding.feedback_close(actor=vendor, item=item)
    item = onboarding.feedback_close(actor=buyer, item=item, note="Goes to the annual review.")
    assert item.status == "closed" and item.closed_by == buyer
    with pytest.raises(Conflict):
        onboarding.feedback_respond(actor=vendor, item=item, response="late")
    with pytest.raises(Conflict):
        onboarding.feedback_close(actor=buyer, item=item)


def test_the_annual_review_lists_open_items_and_those_logged_in_the_year(contract, buyer, vendor):
    now = timezone.now()
    old_open = onboarding.feedback_log(actor=buyer, contract=contract, category="contact", text="Old but open")
    old_closed = onboarding.feedback_log(actor=buyer, contract=contract, category="other", text="Old and closed")
    onboarding.feedback_close(actor=buyer, item=old_closed)
    in_year = onboarding.feedback_log(actor=vendor, contract=contract, category="process", text="This year")
    onboarding.feedback_close(actor=vendor, item=in_year)
    FeedbackItem.objects.filter(pk__in=[old_open.pk, old_closed.pk]).update(created_at=now - timedelta(days=500))
    listed = FeedbackItem.objects.for_annual_review(
        contract=contract, start=now - timedelta(days=365), end=now + timedelta(days=1)
    )
    assert list(listed) == [old_open, in_year]


def test_seed_demo_feedback_is_idempotent(contract, buyer_ops):
    incident = _incident(contract, buyer_ops)
    first = onboarding.seed_demo_feedback(contract=contract, raised_by=buyer_ops, incident_id=incident.pk)
    assert first is not None and first.evidence == [{"type": "incident", "id": incident.pk}]
    assert onboarding.seed_demo_feedback(contract=contract, raised_by=buyer_ops, incident_id=incident.pk) is None
    assert FeedbackItem.objects.count() == 1


def test_the_page_logs_responds_and_closes(client_for, contract, buyer_ops, vendor_engineer):
    base = f"/contracts/{contract.pk}/routine/feedback"
    client = client_for(buyer_ops)
    response = client.post(f"{base}/add/", {"category": "process", "text": "Slow", "evidence": "INC-99999"})
    assert response.status_code == 400
    assert "has no incident 99999" in response.content.decode()
    response = client.post(f"{base}/add/", {"category": "process", "text": "Slow", "evidence": "invoice 4"})
    assert response.status_code == 400 and "is not a reference" in response.content.decode()
    assert client.post(f"{base}/add/", {"category": "process", "text": "Slow bridge"}).status_code == 302
    item = FeedbackItem.objects.get()
    assert client_for(vendor_engineer).post(f"{base}/{item.pk}/respond/", {"response": "Fixed"}).status_code == 302
    assert client_for(vendor_engineer).post(f"{base}/{item.pk}/close/", {}).status_code == 403
    assert client.post(f"{base}/{item.pk}/close/", {"note": "ok"}).status_code == 302
    item.refresh_from_db()
    assert item.status == "closed"
    html = client.get(f"/contracts/{contract.pk}/routine/").content.decode()
    assert "Slow bridge" in html and "Fixed" in html


def test_api_feedback(client_for, contract, buyer_ops, vendor_engineer, outsider):
    incident = _incident(contract, buyer_ops)
    base = f"/api/contracts/{contract.pk}/feedback/"
    response = post_json(
        client_for(buyer_ops),
        base,
        {"category": "process", "text": "Bridge", "evidence": [{"type": "incident", "id": incident.pk}]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["evidence"][0]["label"] == f"INC-{incident.pk}" and body["side"] == "buyer"
    response = post_json(
        client_for(buyer_ops),
        base,
        {"category": "process", "text": "x", "evidence": [{"type": "incident", "id": 10**6}]},
    )
    assert response.status_code == 400 and "evidence[0].id" in response.json()["errors"]
    pk = body["id"]
    response = post_json(client_for(vendor_engineer), f"{base}{pk}/respond/", {"response": "On it"})
    assert response.status_code == 200 and response.json()["status"] == "responded"
    assert post_json(client_for(vendor_engineer), f"{base}{pk}/close/").status_code == 403
    assert post_json(client_for(buyer_ops), f"{base}{pk}/close/").json()["status"] == "closed"
    assert post_json(client_for(buyer_ops), f"{base}{pk}/close/").status_code == 409
    assert client_for(outsider).get(f"{base}{pk}/").status_code == 404
    assert post_json(client_for(outsider), f"{base}{pk}/respond/", {"response": "x"}).status_code == 404
