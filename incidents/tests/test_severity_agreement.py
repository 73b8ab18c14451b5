"""Severity by agreement (issue 15, item 5): the vendor, who owes the remedy,
cannot lower an incident's severity alone; the buyer's side accepts or rejects
its proposal. Raising, and the buyer's own changes, apply at once."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Notification
from audit.models import AuditEntry
from core.errors import Conflict, InvalidInput, NotPermitted
from incidents import services
from incidents.models import Incident, IncidentEvent, SeverityChange

pytestmark = pytest.mark.django_db
K = IncidentEvent.Kind


def _open(buyer, contract, severity: str = "high") -> Incident:
    return services.open_incident(
        actor=buyer, contract=contract, title="Slow", severity=severity, environment="production", component="api"
    )


def _post(client: Any, path: str, data: dict | None = None) -> Any:
    return client.post(path, json.dumps(data or {}), content_type="application/json")


def api(incident: Incident, rest: str) -> str:
    return f"/api/incidents/{incident.pk}/{rest}"


# -- services ------------------------------------------------------------------------------------


def test_the_vendor_lowering_the_severity_only_proposes_it(buyer, vendor_engineer, contract, clock):
    incident = _open(buyer, contract)
    t0, restore_due = clock.now, incident.restore_due_at
    clock.advance(minutes=10)
    outcome = services.change_severity(
        actor=vendor_engineer, incident=incident, severity="low", reason="Only one merchant affected"
    )
    assert outcome.pending and outcome.change.status == SeverityChange.Status.PENDING
    incident.refresh_from_db()
    assert incident.severity == "high" and incident.restore_due_at == restore_due == t0 + timedelta(minutes=480)
    proposed = incident.events.get(kind=K.SEVERITY_PROPOSED)
    assert proposed.data["from"] == "high" and proposed.data["to"] == "low"
    assert not incident.events.filter(kind=K.SEVERITY_CHANGED).exists()
    assert AuditEntry.objects.filter(verb="incident.severity_proposed", object_id=str(incident.pk)).count() == 1
    assert Notification.objects.filter(user=buyer, event="incident.severity_proposed").count() == 1
    # Nobody else on the vendor side can push it through either, and a second proposal is a conflict.
    with pytest.raises(Conflict):
        services.change_severity(actor=vendor_engineer, incident=incident, severity="medium", reason="Then medium")
    with pytest.raises(NotPermitted):
        services.decide_severity(actor=vendor_engineer, change=outcome.change, accept=True)


def test_the_buyer_accepts_and_the_targets_are_recomputed(buyer, buyer_ops, vendor_engineer, contract, clock):
    incident = _open(buyer, contract)
    t0 = clock.now
    change = services.change_severity(
        actor=vendor_engineer, incident=incident, severity="medium", reason="Workaround available"
    ).change
    clock.advance(minutes=30)
    outcome = services.decide_severity(actor=buyer_ops, change=change, accept=True)
    incident = outcome.incident
    incident.refresh_from_db()
    assert outcome.change.status == SeverityChange.Status.ACCEPTED and outcome.change.decided_by == buyer_ops
    assert incident.severity == "medium"
    # Enterprise preset: medium / production restores in 24 h, from the original open time.
    assert incident.restore_due_at == t0 + timedelta(hours=24)
    kinds = list(incident.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds[-2:] == [K.SEVERITY_PROPOSED, K.SEVERITY_CHANGED]  # the history shows both
    applied = incident.events.get(kind=K.SEVERITY_CHANGED)
    assert "by agreement" in applied.message and vendor_engineer.username in applied.message
    assert buyer_ops.username in applied.message
    verbs = list(AuditEntry.objects.filter(object_id=str(incident.pk)).values_list("verb", flat=True))
    assert "incident.severity_proposed" in verbs and "incident.severity_accepted" in verbs
    # Both sides hear of the decision (never the person deciding).
    assert Notification.objects.filter(user=vendor_engineer, event="incident.severity_decided").count() == 1
    assert Notification.objects.filter(user=buyer, event="incident.severity_decided").count() == 1
    assert not Notification.objects.filter(user=buyer_ops, event="incident.severity_decided").exists()
    with pytest.raises(Conflict):
        services.decide_severity(actor=buyer, change=change, accept=False, reason="Too late")


def test_a_rejection_needs_a_reason_and_keeps_the_severity(buyer, vendor_engineer, contract, clock):
    incident = _open(buyer, contract)
    change = services.change_severity(
        actor=vendor_engineer, incident=incident, severity="low", reason="Cosmetic"
    ).change
    with pytest.raises(InvalidInput) as exc:
        services.decide_severity(actor=buyer, change=change, accept=False, reason=" ")
    assert "reason" in exc.value.errors
    services.decide_severity(actor=buyer, change=change, accept=False, reason="Checkout is down for everyone")
    incident.refresh_from_db()
    change.refresh_from_db()
    assert incident.severity == "high" and change.status == SeverityChange.Status.REJECTED
    assert incident.events.get(kind=K.SEVERITY_REJECTED).message.endswith("Checkout is down for everyone")
    assert Notification.objects.filter(user=vendor_engineer, event="incident.severity_decided").count() == 1
    # The proposal is settled: the vendor may propose again.
    again = services.change_severity(actor=vendor_engineer, incident=incident, severity="medium", reason="Half")
    assert again.pending


def test_raising_and_the_buyers_own_changes_apply_at_once(buyer, vendor_engineer, contract, clock):
    incident = _open(buyer, contract, severity="medium")
    raised = services.change_severity(actor=vendor_engineer, incident=incident, severity="high", reason="Spreads")
    assert not raised.pending and raised.incident.severity == "high"
    lowered = services.change_severity(actor=buyer, incident=incident, severity="low", reason="Our mistake")
    assert not lowered.pending and lowered.incident.severity == "low"
    assert list(SeverityChange.objects.filter(incident=incident).values_list("status", flat=True)) == [
        SeverityChange.Status.APPLIED,
        SeverityChange.Status.APPLIED,
    ]


def test_a_change_by_the_buyer_waits_while_a_proposal_is_pending(buyer, vendor_engineer, contract, clock):
    incident = _open(buyer, contract)
    services.change_severity(actor=vendor_engineer, incident=incident, severity="low", reason="Minor")
    with pytest.raises(Conflict) as exc:
        services.change_severity(actor=buyer, incident=incident, severity="critical", reason="Worse")
    assert exc.value.allowed == ["decide_severity"]


def test_terms_may_let_either_party_change_it(buyer, vendor_engineer, contract, clock):
    version = contract.sla_versions.get(number=1)
    type(version).objects.filter(pk=version.pk).update(terms={**version.terms, "severity_changes": "either_party"})
    incident = _open(buyer, contract)
    outcome = services.change_severity(actor=vendor_engineer, incident=incident, severity="low", reason="Minor")
    assert not outcome.pending and outcome.incident.severity == "low"


# -- API -----------------------------------------------------------------------------------------


def test_api_vendor_lowering_gets_202_with_the_pending_proposal(client_for, buyer, vendor_engineer, contract):
    incident = _open(buyer, contract)
    response = _post(client_for(vendor_engineer), api(incident, "severity/"), {"severity": "low", "reason": "Minor"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending" and (body["from_severity"], body["to_severity"]) == ("high", "low")
    assert body["proposed_by"] == vendor_engineer.username
    incident.refresh_from_db()
    assert incident.severity == "high"
    # A second proposal is a 409; the older route behaves the same.
    again = _post(client_for(vendor_engineer), api(incident, "change-severity/"), {"severity": "medium", "reason": "x"})
    assert again.status_code == 409
    # The vendor cannot accept its own proposal.
    accept = _post(client_for(vendor_engineer), api(incident, f"severity-proposals/{body['id']}/accept/"))
    assert accept.status_code == 403
    detail = client_for(buyer).get(api(incident, "")).json()
    assert "decide_severity" in detail["allowed_actions"] and "change_severity" not in detail["allowed_actions"]


def test_api_buyer_accepts_or_rejects(client_for, buyer, vendor_engineer, contract):
    incident = _open(buyer, contract)
    vendor, client = client_for(vendor_engineer), client_for(buyer)
    first = _post(vendor, api(incident, "severity/"), {"severity": "low", "reason": "Minor"}).json()
    missing = _post(client, api(incident, f"severity-proposals/{first['id']}/reject/"), {})
    assert missing.status_code == 400 and "reason" in missing.json()["errors"]
    rejected = _post(client, api(incident, f"severity-proposals/{first['id']}/reject/"), {"reason": "Not minor"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert _post(client, api(incident, "severity-proposals/999999/accept/")).status_code == 404

    second = _post(vendor, api(incident, "severity/"), {"severity": "medium", "reason": "Workaround"}).json()
    accepted = _post(client, api(incident, f"severity-proposals/{second['id']}/accept/"))
    assert accepted.status_code == 200 and accepted.json()["decided_by"] == buyer.username
    assert client.get(api(incident, "")).json()["severity"] == "medium"
    listed = client.get(api(incident, "severity-proposals/")).json()["results"]
    assert [row["status"] for row in listed] == ["accepted", "rejected"]
    # Raising applies at once: 200 with the incident.
    raised = _post(vendor, api(incident, "severity/"), {"severity": "critical", "reason": "Spreads"})
    assert raised.status_code == 200 and raised.json()["severity"] == "critical"
    bad = _post(vendor, api(incident, "severity/"), {"severity": "tiny", "reason": "x"})
    assert bad.status_code == 400 and "severity" in bad.json()["errors"]


def test_api_severity_proposals_list_queries_do_not_grow(
    client_for, buyer, buyer_ops, vendor_engineer, contract, django_assert_num_queries
):
    incident = _open(buyer, contract)
    client = client_for(buyer)
    client.get(api(incident, "severity-proposals/"))  # warm the session

    def add(n: int) -> None:
        for i in range(n):
            change = services.change_severity(
                actor=vendor_engineer, incident=incident, severity="low", reason=f"try {i}"
            ).change
            services.decide_severity(actor=buyer_ops, change=change, accept=False, reason="no")

    add(1)
    with django_assert_num_queries(6) as small:
        assert len(client.get(api(incident, "severity-proposals/")).json()["results"]) == 1
    add(4)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(client.get(api(incident, "severity-proposals/")).json()["results"]) == 5


# -- pages ---------------------------------------------------------------------------------------


def _act(client: Any, incident: Incident, action: str, data: dict) -> Any:
    return client.post(reverse("incidents:action", args=[incident.pk, action]), data, follow=True)


def test_page_vendor_lowering_is_a_proposal_the_buyer_decides(client_for, buyer, vendor_engineer, contract):
    incident = _open(buyer, contract)
    v, b = client_for(vendor_engineer), client_for(buyer)
    response = _act(v, incident, "change_severity", {"severity": "low", "reason": "Minor"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "proposed on" in page and "Awaiting the buyer's decision" in page
    incident.refresh_from_db()
    assert incident.severity == "high"
    # The vendor's page has no decision form; the buyer's has the banner with Accept and Reject.
    assert "Accept severity change" not in page
    buyer_page = b.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Your decision is needed:" in buyer_page and "Accept severity change" in buyer_page
    change = SeverityChange.objects.get(incident=incident)
    refused = v.post(
        reverse("incidents:action", args=[incident.pk, "decide_severity"]),
        {"change": change.pk, "decision": "accept", "reason": ""},
    )
    assert refused.status_code == 403
    no_reason = b.post(
        reverse("incidents:action", args=[incident.pk, "decide_severity"]),
        {"change": change.pk, "decision": "reject", "reason": ""},
    )
    assert no_reason.status_code == 400
    done = _act(b, incident, "decide_severity", {"change": change.pk, "decision": "accept", "reason": ""})
    assert "Severity change accepted" in done.content.decode()
    incident.refresh_from_db()
    assert incident.severity == "low"
    history = done.content.decode()
    assert "Severity changes" in history and "Severity change proposed" in history
