"""Incident, claim, comment, maintenance and change events reach the other
party's people on the contract: never the person acting, never another
tenant, with a link to the object."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from accounts.models import Notification
from accounts.tests.factories import member
from availability.services.change_notices import announce_change
from availability.services.changes import schedule_maintenance
from incidents import services as incidents
from incidents.models import ExclusionClaim
from outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


def told(event: str) -> set[str]:
    return set(Notification.objects.filter(event=event).values_list("user__username", flat=True))


@pytest.fixture
def people(buyer, buyer_ops, buyer_viewer, vendor, vendor_engineer, outsider):
    """Both parties' people plus a stranger (another vendor's account manager)."""
    return {"outsider": outsider}


@pytest.fixture
def incident(people, buyer, contract):
    return incidents.open_incident(
        actor=buyer, contract=contract, title="Down", severity="critical", environment="production", component="api"
    )


def test_an_opened_incident_goes_to_the_vendors_on_call_people_at_once(incident):
    assert told("incident.opened") == {"vendor", "vendor-eng"}  # not the buyer, its viewer, nor another vendor
    note = Notification.objects.filter(event="incident.opened").first()
    assert note.url == f"/incidents/{incident.pk}/"
    assert note.mail == Notification.Mail.NOW
    assert incident.reference in note.title


def test_the_lifecycle_tells_the_other_side_and_never_the_actor(incident, buyer, buyer_ops, vendor, vendor_engineer):
    incidents.acknowledge_incident(actor=vendor_engineer, incident=incident)
    assert told("incident.acknowledged") == {"buyer", "buyer-ops"}

    incidents.propose_workaround(actor=vendor_engineer, incident=incident, text="Fail over to region B")
    assert told("incident.workaround_proposed") == {"buyer", "buyer-ops"}
    assert "Fail over to region B" in Notification.objects.get(event="incident.workaround_proposed", user=buyer).body

    incidents.accept_workaround(actor=buyer_ops, incident=incident)
    assert told("incident.workaround_accepted") == {"vendor", "vendor-eng"}

    incidents.resolve_incident(actor=vendor, incident=incident, message="Root cause fixed")
    assert told("incident.resolved") == {"buyer", "buyer-ops"}


def test_a_temporary_workaround_expiring_tells_both_sides(incident, buyer, vendor_engineer):
    incidents.acknowledge_incident(actor=vendor_engineer, incident=incident)
    incidents.propose_workaround(actor=vendor_engineer, incident=incident, text="Restart nightly", temporary=True)
    incidents.accept_workaround(actor=buyer, incident=incident)

    incidents.run_watcher(now=timezone.now() + timedelta(days=11))  # the preset's temporary workarounds last 10 days

    assert told("incident.workaround_expired") == {"buyer", "buyer-ops", "vendor", "vendor-eng"}


def test_claims_go_to_the_buyer_and_decisions_back_to_the_vendor(incident, buyer, vendor_engineer):
    claim = incidents.claim_exclusion(
        actor=vendor_engineer, incident=incident, kind=ExclusionClaim.Kind.MAINTENANCE, reason="Announced window"
    )
    assert told("claim.filed") == {"buyer", "buyer-ops"}

    incidents.decide_claim(actor=buyer, claim=claim, accept=False, reason="No notice was given")
    assert told("claim.decided") == {"vendor", "vendor-eng"}
    assert Notification.objects.get(event="claim.decided", user__username="vendor").body == "No notice was given"


def test_a_comment_goes_to_the_other_side_only(incident, buyer_ops, vendor):
    incidents.comment_incident(actor=buyer_ops, incident=incident, text="Still failing for EU users")
    assert told("incident.commented") == {"vendor", "vendor-eng"}

    Notification.objects.filter(event="incident.commented").delete()
    incidents.comment_incident(actor=vendor, incident=incident, text="Looking into it")
    assert told("incident.commented") == {"buyer", "buyer-ops"}


def test_maintenance_and_change_notices_go_to_the_buyer(people, contract, vendor):
    start = timezone.now() + timedelta(days=20)
    schedule_maintenance(
        actor=vendor, contract=contract, title="DB upgrade", start=start, end=start + timedelta(hours=2)
    )
    assert told("maintenance.noticed") == {"buyer", "buyer-ops"}
    assert (
        Notification.objects.filter(event="maintenance.noticed").first().url
        == f"/availability/contracts/{contract.pk}/"
    )

    announce_change(
        actor=vendor,
        contract=contract,
        kind="minor_release",
        title="New TLS ciphers",
        planned_at=start,
        impact="None expected",
    )
    assert told("change.noticed") == {"buyer", "buyer-ops"}


def test_another_tenants_people_hear_nothing(people, other_vendor_org, buyer, foreign_contract, contract):
    # Globex (the outsider's vendor) is party to foreign_contract only: the same buyer, another vendor.
    globex_engineer = member("globex-eng", other_vendor_org, "support_engineer")
    incident = incidents.open_incident(
        actor=buyer, contract=contract, title="Down", severity="low", environment="production", component="api"
    )
    incidents.comment_incident(actor=buyer, incident=incident, text="Any news?")
    assert Notification.objects.filter(user__username="vendor-eng").count() == 2
    assert not Notification.objects.filter(user__in=[people["outsider"], globex_engineer]).exists()


def test_the_event_goes_to_the_parties_webhooks_when_the_webhooks_app_is_installed(
    monkeypatch, people, buyer, contract
):
    installed = apps.is_installed
    monkeypatch.setattr(apps, "is_installed", lambda name: name == "webhooks" or installed(name))
    incident = incidents.open_incident(
        actor=buyer, contract=contract, title="Down", severity="high", environment="production", component="api"
    )
    message = OutboxMessage.objects.get(task="webhooks.tasks.dispatch_event")
    assert message.args == []
    assert message.kwargs["event"] == "incident.opened"
    assert message.kwargs["organization_ids"] == [contract.vendor_id]
    assert message.kwargs["contract_id"] == contract.pk
    assert message.kwargs["url"] == f"/incidents/{incident.pk}/"
    assert message.kwargs["occurred_at"].startswith(str(timezone.now().year))
    assert set(message.kwargs) == {"event", "organization_ids", "contract_id", "title", "body", "url", "occurred_at"}


def test_without_the_webhooks_app_nothing_is_enqueued_for_it(monkeypatch, people, buyer, contract):
    installed = apps.is_installed
    monkeypatch.setattr(apps, "is_installed", lambda name: name != "webhooks" and installed(name))
    incidents.open_incident(
        actor=buyer, contract=contract, title="Down", severity="high", environment="production", component="api"
    )
    assert not OutboxMessage.objects.filter(task="webhooks.tasks.dispatch_event").exists()
    assert told("incident.opened") == {"vendor", "vendor-eng"}
