"""Fair attribution (issue 15, item 4): one buyer, two competing vendors.

Attributing an incident to the other vendor's contract opens that vendor's
own incident from the buyer's facts only; each vendor keeps its own record,
neither reads the other's contract, name, staff or statements, the new
vendor is told, and the first contract stops counting the incident."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Membership, Notification
from accounts.tests.factories import member
from audit.models import AuditEntry
from contracts.models import Contract
from contracts.terms import TermsError, validate_terms
from incidents import services
from incidents.models import Incident, IncidentEvent, IncidentLink
from incidents.services.attribution import ATTRIBUTED_AWAY, LINKED

pytestmark = pytest.mark.django_db
K = IncidentEvent.Kind
Role = Membership.Role

# What only the first vendor (Acme) wrote or is: none of it may reach Globex.
ACME_SECRETS = (
    "ACME-INTERNAL failover notes",
    "ACME-CLAIM maintenance window",
    "acme-trace.log",
    "acme-jane",
    "ACME-MSA-7",
    "Acme Cloud",
)
# What names Globex or is the buyer's private finding: none of it may reach Acme.
GLOBEX_SECRETS = ("GLOBEX-SSO-3", "Globex", "globex-omar", "Fault isolated to the SSO provider")
FINDING = "Fault isolated to the SSO provider: token signing keys rotated without notice"


def api(incident: Incident | int, rest: str = "") -> str:
    pk = incident if isinstance(incident, int) else incident.pk
    return f"/api/incidents/{pk}/{rest}"


def post(client: Any, path: str, data: Any) -> Any:
    return client.post(path, json.dumps(data), content_type="application/json")


def text_of(client: Any, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def assert_none_in(text: str, secrets: tuple[str, ...]) -> None:
    leaked = [s for s in secrets if s.lower() in text.lower()]
    assert not leaked, leaked


@pytest.fixture
def acme_contract(buyer_org, vendor_org) -> Contract:
    from contracts.tests.factories import make_contract

    return make_contract(buyer=buyer_org, vendor=vendor_org, reference="ACME-MSA-7")


@pytest.fixture
def globex_contract(buyer_org, other_vendor_org) -> Contract:
    from contracts.tests.factories import make_contract

    return make_contract(buyer=buyer_org, vendor=other_vendor_org, reference="GLOBEX-SSO-3")


@pytest.fixture
def acme_jane(vendor_org):
    return member("acme-jane", vendor_org, Role.SUPPORT_ENGINEER)


@pytest.fixture
def globex_omar(other_vendor_org):
    return member("globex-omar", other_vendor_org, Role.SUPPORT_ENGINEER)


@pytest.fixture
def worked(buyer, acme_jane, acme_contract, clock) -> Incident:
    """Opened by the buyer on Acme's contract and worked by Acme: acknowledged,
    a comment, an exclusion claim and an attachment."""
    incident = services.open_incident(
        actor=buyer,
        contract=acme_contract,
        title="Card payments failing",
        description="Checkout returns 502 since 08:50",
        severity="high",
        environment="production",
        component="api",
    )
    clock.advance(minutes=5)
    services.acknowledge_incident(actor=acme_jane, incident=incident)
    services.comment_incident(actor=acme_jane, incident=incident, text="ACME-INTERNAL failover notes: DB was fine")
    services.claim_exclusion(
        actor=acme_jane, incident=incident, kind="maintenance", reason="ACME-CLAIM maintenance window"
    )
    services.attach_file(
        actor=acme_jane, incident=incident, file=SimpleUploadedFile("acme-trace.log", b"trace", "text/plain")
    )
    clock.advance(hours=2)
    incident.refresh_from_db()
    return incident


def attribute(buyer, worked: Incident, globex_contract: Contract, *, move: bool = True) -> Incident:
    return services.attribute_incident(
        actor=buyer, incident=worked, to_contract=globex_contract, reason=FINDING, move=move
    )


# -- the service ---------------------------------------------------------------------------------


def test_the_new_vendor_gets_the_buyers_facts_and_none_of_the_first_vendors_acts(buyer, worked, globex_contract, clock):
    new = attribute(buyer, worked, globex_contract)

    assert new.pk != worked.pk and new.contract == globex_contract
    assert new.sla_version.contract == globex_contract
    facts = ("title", "description", "severity", "environment", "component")
    assert [getattr(new, f) for f in facts] == [getattr(worked, f) for f in facts]
    assert new.opened_by == buyer and new.original_contract is None
    # No act of Acme's crosses over: no acknowledgement, comment, claim, attachment or event.
    assert new.status == Incident.Status.OPEN and new.acknowledged_at is None and new.acknowledge_met_at is None
    assert new.workaround == Incident.Workaround.NONE
    assert not new.claims.exists() and not new.attachments.exists() and not new.pauses.exists()
    assert list(new.events.values_list("kind", flat=True)) == [K.OPENED]
    # Clocks start at the attribution, under Globex's SLA.
    assert new.opened_at == clock.now
    assert new.acknowledge_due_at - new.opened_at == worked.acknowledge_due_at - worked.opened_at
    assert not new.breached

    link = IncidentLink.objects.get(incident=worked)
    assert (link.contract, link.attributed_incident, link.reason) == (globex_contract, new, FINDING)


def test_clocks_start_at_the_first_opening_when_the_terms_say_so(buyer, worked, globex_contract, clock):
    version = globex_contract.sla_versions.get(number=1)
    terms = {**version.terms, "attribution": {"clocks_from": "opened"}}
    validate_terms(terms)  # the optional key is part of the terms document
    with pytest.raises(TermsError) as bad:
        validate_terms({**terms, "attribution": {"clocks_from": "whenever"}})
    assert "attribution.clocks_from" in bad.value.errors
    type(version).objects.filter(pk=version.pk).update(terms=terms)

    new = attribute(buyer, worked, globex_contract)

    assert new.opened_at == worked.opened_at
    assert new.acknowledge_due_at == worked.acknowledge_due_at
    # Two hours after the opening, the 30-minute high/production acknowledgement is already missed.
    assert new.acknowledge_breached and new.acknowledged_at is None


def test_the_first_vendor_keeps_its_record_and_stops_counting(buyer, acme_jane, worked, globex_contract, clock):
    new = attribute(buyer, worked, globex_contract)
    worked.refresh_from_db()

    assert worked.contract_id != globex_contract.pk and worked.status == Incident.Status.CANCELLED
    assert worked.acknowledged_at is not None and worked.claims.count() == 1 and worked.attachments.count() == 1
    assert worked.next_due_at is None and worked.next_escalation_at is None
    assert worked.cancel_reason == ATTRIBUTED_AWAY
    assert Incident.objects.visible_to(acme_jane).filter(pk=worked.pk).exists()
    assert not Incident.objects.visible_to(acme_jane).filter(pk=new.pk).exists()
    last = worked.events.last()
    assert last is not None and last.kind == K.ATTRIBUTED_AWAY and last.data == {}
    assert_none_in(last.message, GLOBEX_SECRETS)
    # The buyer's trail names the other side; the vendors' trails do not.
    named = AuditEntry.objects.filter(verb__in=["incident.attributed", "incident.attributed_from"])
    assert {e.visibility for e in named} == {AuditEntry.Visibility.BUYER} and named.count() == 2
    for entry in AuditEntry.objects.filter(contract_id=worked.contract_id).exclude(visibility="buyer"):
        assert_none_in(json.dumps(entry.changes) + entry.object_repr, GLOBEX_SECRETS)


def test_the_new_vendor_is_notified_and_the_first_is_told_without_names(
    buyer, acme_jane, globex_omar, worked, globex_contract
):
    Notification.objects.all().delete()
    new = attribute(buyer, worked, globex_contract)

    globex = Notification.objects.filter(user=globex_omar)
    assert set(globex.values_list("event", flat=True)) == {"incident.opened", "incident.attributed"}
    assert all(n.url == reverse("incidents:detail", args=[new.pk]) for n in globex)
    for n in globex:
        assert_none_in(n.title + n.body, ACME_SECRETS)
    acme = Notification.objects.get(user=acme_jane)
    assert acme.event == "incident.cancelled" and "another supplier" in acme.title
    assert_none_in(acme.title + acme.body, GLOBEX_SECRETS)


def test_the_original_no_longer_counts_in_the_first_contracts_report(
    buyer, acme_jane, acme_contract, globex_contract, clock
):
    from reports.services import close_period

    clock.set(datetime(2026, 10, 10, 9, 0, tzinfo=UTC))
    incident = services.open_incident(
        actor=buyer,
        contract=acme_contract,
        title="Down",
        severity="critical",
        environment="production",
        component="api",
    )
    clock.advance(minutes=16)
    services.run_watcher(now=clock.now)
    incident.refresh_from_db()
    assert incident.breached
    assert Incident.objects.filter(contract=acme_contract).breached(clock.now).count() == 1
    attribute(buyer, incident, globex_contract)
    assert Incident.objects.filter(contract=acme_contract).breached(clock.now).count() == 0

    clock.set(datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    report = close_period(contract=acme_contract, period="2026-10", now=clock.now)
    assert report.snapshot["breaches"] == [] and report.snapshot["incidents"]["opened"] == 0
    globex = close_period(contract=globex_contract, period="2026-10", now=clock.now)
    assert globex.snapshot["incidents"]["opened"] == 1


# -- what each vendor reads: HTML and API ------------------------------------------------------


def test_the_second_vendor_reads_none_of_the_first_vendors_record(
    client_for, buyer, acme_jane, globex_omar, worked, globex_contract
):
    new = attribute(buyer, worked, globex_contract)
    client = client_for(globex_omar)

    for path in (
        reverse("incidents:detail", args=[new.pk]),
        api(new),
        api(new, "timeline/"),
        api(new, "attachments/"),
        reverse("contracts:audit", args=[globex_contract.pk]),
        f"/api/contracts/{globex_contract.pk}/audit/",
    ):
        text = text_of(client, path)
        assert_none_in(text, (*ACME_SECRETS, acme_jane.get_full_name()))
        assert "Fault isolated" not in text
    body = client.get(api(new)).json()
    assert body["attribution"] == [] and body["original_contract"] is None
    assert body["acknowledged_at"] is None
    assert client.get(api(worked)).status_code == 404
    assert client.get(reverse("incidents:detail", args=[worked.pk])).status_code == 404


def test_the_first_vendor_still_reads_its_own_record_and_nothing_of_the_second(
    client_for, buyer, acme_jane, worked, acme_contract, globex_contract
):
    new = attribute(buyer, worked, globex_contract)
    client = client_for(acme_jane)

    page = text_of(client, reverse("incidents:detail", args=[worked.pk]))
    assert "ACME-INTERNAL failover notes" in page and "ACME-CLAIM maintenance window" in page
    assert "acme-trace.log" in page and "another supplier" in page
    assert_none_in(page, GLOBEX_SECRETS)
    body = client.get(api(worked)).json()
    assert body["status"] == "cancelled" and body["attribution"] == [] and body["original_contract"] is None
    timeline = text_of(client, api(worked, "timeline/"))
    assert "ACME-INTERNAL failover notes" in timeline and "attributed_away" in timeline
    for path in (
        api(worked),
        api(worked, "timeline/"),
        api(worked, "attachments/"),
        reverse("contracts:audit", args=[acme_contract.pk]),
        f"/api/contracts/{acme_contract.pk}/audit/",
    ):
        assert_none_in(text_of(client, path), GLOBEX_SECRETS)
    assert client.get(api(new)).status_code == 404


def test_the_buyer_sees_both_ends_of_the_attribution(client_for, buyer, worked, globex_contract):
    new = attribute(buyer, worked, globex_contract)
    client = client_for(buyer)

    first = client.get(api(worked)).json()["attribution"]
    assert [(a["direction"], a["incident"], a["contract_reference"], a["vendor"]) for a in first] == [
        ("to", new.pk, "GLOBEX-SSO-3", "Globex Software")
    ]
    second = client.get(api(new)).json()["attribution"]
    assert [(a["direction"], a["incident"], a["contract_reference"], a["reason"]) for a in second] == [
        ("from", worked.pk, "ACME-MSA-7", FINDING)
    ]
    page = text_of(client, reverse("incidents:detail", args=[new.pk]))
    assert "Attributed here from" in page and "ACME-MSA-7" in page and FINDING in page


def test_attribution_through_the_api_returns_the_new_incident(client_for, buyer, worked, globex_contract):
    body = {"to_contract": globex_contract.pk, "reason": FINDING, "move": True}
    response = post(client_for(buyer), api(worked, "attribute/"), body)
    assert response.status_code == 200, response.content
    new = response.json()
    assert new["id"] != worked.pk and new["contract"]["id"] == globex_contract.pk
    assert new["status"] == "open" and new["acknowledged_at"] is None
    # Once attributed, the first incident is finished: a second attribution is refused.
    again = post(client_for(buyer), api(worked, "attribute/"), body)
    assert again.status_code == 409


def test_attribution_through_the_page(client_for, buyer, worked, globex_contract):
    response = client_for(buyer).post(
        reverse("incidents:action", args=[worked.pk, "attribute"]),
        {"to_contract": globex_contract.pk, "move": "move", "reason": FINDING},
        follow=True,
    )
    assert response.status_code == 200
    new = Incident.objects.get(contract=globex_contract)
    assert f"attributed to GLOBEX-SSO-3 as {new.reference}" in response.content.decode()
    worked.refresh_from_db()
    assert worked.status == Incident.Status.CANCELLED


# -- link only -----------------------------------------------------------------------------------


def test_link_only_shows_neither_vendor_the_others_reference(
    client_for, buyer, acme_jane, globex_omar, worked, globex_contract
):
    response = post(
        client_for(buyer),
        api(worked, "attribute/"),
        {"to_contract": globex_contract.pk, "reason": FINDING, "move": False},
    )
    assert response.status_code == 200, response.content
    assert response.json()["id"] == worked.pk and response.json()["attribution"][0]["direction"] == "linked"
    worked.refresh_from_db()
    assert worked.status == Incident.Status.ACKNOWLEDGED and worked.contract_id != globex_contract.pk
    assert worked.events.last().message == LINKED

    acme = client_for(acme_jane)
    page = text_of(acme, reverse("incidents:detail", args=[worked.pk]))
    assert "Linked to another supplier" in page
    assert_none_in(page, GLOBEX_SECRETS)
    for path in (api(worked), api(worked, "timeline/"), f"/api/contracts/{worked.contract_id}/audit/"):
        assert_none_in(text_of(acme, path), GLOBEX_SECRETS)
    assert acme.get(api(worked)).json()["attribution"] == []

    globex = client_for(globex_omar)
    assert globex.get(api(worked)).status_code == 404
    assert_none_in(text_of(globex, f"/api/contracts/{globex_contract.pk}/audit/"), ACME_SECRETS)

    buyer_page = text_of(client_for(buyer), reverse("incidents:detail", args=[worked.pk]))
    assert "GLOBEX-SSO-3" in buyer_page and FINDING in buyer_page


def test_an_old_attribution_event_is_read_by_a_vendor_without_the_other_contract(
    client_for, buyer, acme_jane, worked, globex_contract
):
    """Written by the former move, which named both contracts on the timeline."""
    IncidentEvent.objects.create(
        incident=worked,
        at=worked.opened_at,
        actor_label="buyer",
        kind=K.ATTRIBUTED,
        message="Moved from ACME-MSA-7 to GLOBEX-SSO-3: Fault isolated to the SSO provider.",
        data={"from": worked.contract_id, "to": globex_contract.pk},
    )
    acme = client_for(acme_jane)
    timeline = acme.get(api(worked, "timeline/")).json()["results"]
    old = next(e for e in timeline if e["kind"] == "attributed")
    assert old["data"] == {} and "another supplier" in old["message"]
    assert_none_in(json.dumps(timeline), GLOBEX_SECRETS)
    assert_none_in(text_of(acme, reverse("incidents:detail", args=[worked.pk])), GLOBEX_SECRETS)
    assert "GLOBEX-SSO-3" in json.dumps(client_for(buyer).get(api(worked, "timeline/")).json())
