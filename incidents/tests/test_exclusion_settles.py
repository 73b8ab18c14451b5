"""Exclusions settle the clocks (issue 15, item 3): an accepted exclusion
stops escalation and takes the breach out of every SLA count (lists,
dashboard, report, annual packet) while the incident's record keeps it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from accounts.models import Notification
from accounts.tests.factories import UserFactory
from contracts import services as contract_services
from incidents import services
from incidents.models import EscalationFired, Incident, IncidentEvent
from incidents.tasks import escalation_watch

pytestmark = pytest.mark.django_db
K = IncidentEvent.Kind


@pytest.fixture
def sponsor(buyer_org):
    from accounts.tests.factories import MembershipFactory

    user = UserFactory(username="exec-sponsor")
    MembershipFactory(user=user, organization=buyer_org, role="viewer")
    return user


@pytest.fixture
def breached(buyer, vendor_engineer, sponsor, staff, contract, clock) -> Incident:
    """A critical incident whose acknowledge target was missed; the ladder
    (Enterprise preset) calls the executive sponsor 120 min past the breach."""
    contract_services.contact_add(
        actor=staff,
        contract=contract,
        side="buyer",
        role="executive_sponsor",
        name="Sponsor",
        email="sponsor@x.test",
        user=sponsor,
    )
    incident = services.open_incident(
        actor=buyer, contract=contract, title="Down", severity="critical", environment="production", component="api"
    )
    clock.advance(minutes=16)
    services.run_watcher(now=clock.now)
    incident.refresh_from_db()
    assert incident.acknowledge_breached and incident.breached
    return incident


def _exclude(incident: Incident, vendor_engineer, buyer, clock) -> None:
    claim = services.claim_exclusion(
        actor=vendor_engineer, incident=incident, kind="customer_caused", reason="Your firewall change"
    )
    clock.advance(minutes=5)
    services.decide_claim(actor=buyer, claim=claim, accept=True)


def test_an_accepted_exclusion_stops_escalation(breached, buyer, vendor_engineer, sponsor, clock):
    assert breached.next_escalation_at is not None  # L3 (executive sponsor) still to come
    _exclude(breached, vendor_engineer, buyer, clock)
    breached.refresh_from_db()
    assert breached.excluded and breached.next_escalation_at is None
    accepted = breached.events.get(kind=K.CLAIM_ACCEPTED)
    assert "Escalation stopped" in accepted.message and "acknowledge L3" in accepted.data["cancelled_escalations"]

    clock.advance(minutes=200)  # well past the executive sponsor's threshold
    escalation_watch.apply()
    assert not EscalationFired.objects.filter(incident=breached, level=3).exists()
    assert not Notification.objects.filter(user=sponsor, event="incident.escalated").exists()
    assert not breached.events.filter(kind=K.ESCALATED, at__gt=accepted.at).exists()
    # The breach itself stays on the record.
    breached.refresh_from_db()
    assert breached.breached and breached.acknowledge_breached
    assert breached.events.filter(kind=K.BREACHED).exists()


def test_without_the_exclusion_the_sponsor_is_called(breached, sponsor, clock):
    clock.advance(minutes=200)
    escalation_watch.apply()
    assert EscalationFired.objects.filter(incident=breached, level=3).exists()
    assert Notification.objects.filter(user=sponsor, event="incident.escalated").exists()


def test_breached_and_at_risk_counts_leave_it_out_but_the_history_keeps_it(
    breached, buyer, vendor_engineer, contract, clock
):
    assert Incident.objects.breached(now=clock.now).filter(pk=breached.pk).exists()
    _exclude(breached, vendor_engineer, buyer, clock)
    now = clock.now
    assert not Incident.objects.breached(now=now).filter(pk=breached.pk).exists()
    assert not Incident.objects.unfinished().breached(now=now).exists()
    assert not Incident.objects.at_risk(now=now + timedelta(hours=3)).filter(pk=breached.pk).exists()
    assert Incident.objects.breached_history().filter(pk=breached.pk).exists()


def test_the_page_and_the_list_show_the_breach_as_excluded(client_for, breached, buyer, vendor_engineer, clock):
    _exclude(breached, vendor_engineer, buyer, clock)
    client = client_for(buyer)
    response = client.get(reverse("incidents:detail", args=[breached.pk]))
    page = response.content.decode()
    assert "Breached at " in page and f"excluded (accepted claim by {buyer} on" in page
    assert "Breach excluded" in page and "SLA breached" not in page
    listed = client.get("/api/incidents/?breached=true").json()["results"]
    assert breached.pk not in [row["id"] for row in listed]
    assert breached.pk in [row["id"] for row in client.get("/api/incidents/?excluded=true").json()["results"]]


def test_the_report_and_the_annual_packet_count_it_excluded(breached, buyer, vendor_engineer, contract, clock):
    from reports.snapshot import gather
    from reviews.packet.evidence import _incidents

    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    before = _incidents(contract, start, end)["by_component"][0]
    assert (before["breached"], before["excluded"]) == (1, 0)
    _exclude(breached, vendor_engineer, buyer, clock)
    after = _incidents(contract, start, end)["by_component"][0]
    assert (after["total"], after["breached"], after["excluded"]) == (1, 0, 1)
    snapshot = gather(contract, "2026-03", now=datetime(2026, 4, 2, tzinfo=UTC))
    assert snapshot["breaches"] == [] and [r["id"] for r in snapshot["excluded_incidents"]] == [breached.pk]
    assert snapshot["incidents"]["excluded"] == 1


def test_accepting_a_claim_about_a_closed_period_makes_a_new_revision(buyer, vendor_engineer, contract, clock):
    from reports.models import ServiceReport
    from reports.services import close_period
    from reports.tasks import reissue_changed_periods

    clock.set(datetime(2026, 10, 10, 9, 0, tzinfo=UTC))
    incident = services.open_incident(
        actor=buyer, contract=contract, title="Down", severity="critical", environment="production", component="api"
    )
    clock.advance(minutes=16)
    services.run_watcher(now=clock.now)
    services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    clock.advance(hours=1)
    services.resolve_incident(actor=vendor_engineer, incident=incident)
    clock.set(datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    first = close_period(contract=contract, period="2026-10", now=clock.now)
    assert [b["id"] for b in first.snapshot["breaches"]] == [incident.pk]
    assert reissue_changed_periods.apply().get() == {"reissued": 0}

    clock.advance(days=1)
    _exclude(incident, vendor_engineer, buyer, clock)
    clock.advance(minutes=5)
    assert reissue_changed_periods.apply().get() == {"reissued": 1}
    current = ServiceReport.objects.current().get(contract=contract, period="2026-10")
    assert current.revision == 2 and current.snapshot["breaches"] == []
    assert [r["id"] for r in current.snapshot["excluded_incidents"]] == [incident.pk]
    assert any("exclusion accepted" in line for line in current.what_changed)
