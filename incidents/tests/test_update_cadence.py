"""Investigate target and update cadence (issue 15, item 8): optional per
severity and environment, measured on every customer-visible update,
escalated by the watcher, reported and printed on the SLA schedule."""

from __future__ import annotations

import copy
import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from accounts.models import Notification
from contracts import services as contract_services
from contracts.pdf import render_schedule_pdf
from contracts.terms import TermsError, validate_terms
from contracts.tests.factories import make_contract
from incidents import services
from incidents.models import EscalationFired, Incident, IncidentEvent

pytestmark = pytest.mark.django_db
K = IncidentEvent.Kind
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the clock fixture's start


def _with_cadence(terms: dict, *, investigate: int = 60, interval: int = 30) -> dict:
    doc = copy.deepcopy(terms)
    for row in doc["targets"]:
        if (row["severity"], row["environment"]) == ("critical", "production"):
            row["investigate_minutes"] = investigate
            row["update_interval_minutes"] = interval
    return doc


@pytest.fixture
def cadence_contract(buyer_org, vendor_org, staff, buyer_ops):
    """Enterprise 24x7 preset; critical production: acknowledge 15 min,
    first investigation update 60 min, an update at least every 30 min.
    Ladder: L1 incident manager at 50 %, L2 escalation contact at 90 %,
    L3 executive sponsor 120 min past the breach."""
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, activate=False)
    version = contract.sla_versions.get(number=1)
    contract_services.sla_version_update(actor=staff, version=version, terms=_with_cadence(version.terms))
    contract_services.sla_version_activate(actor=staff, version=contract.sla_versions.get(number=1))
    contract_services.contact_add(
        actor=staff,
        contract=contract,
        side="buyer",
        role="incident_manager",
        name="Ops",
        email="ops@x.test",
        user=buyer_ops,
    )
    contract.refresh_from_db()
    return contract


@pytest.fixture
def incident(cadence_contract, buyer, clock) -> Incident:
    return services.open_incident(
        actor=buyer,
        contract=cadence_contract,
        title="Down",
        severity="critical",
        environment="production",
        component="api",
    )


def _reload(incident: Incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


# -- terms --------------------------------------------------------------------------


def test_the_keys_are_optional_and_validated(contract):
    terms = contract.sla_versions.get(number=1).terms
    validate_terms(terms)  # a document without them still validates
    validate_terms(_with_cadence(terms))
    bad = _with_cadence(terms, interval=0)
    with pytest.raises(TermsError):
        validate_terms(bad)
    doc = _with_cadence(terms)
    doc["targets"][0]["update_interval_clock"] = "weekdays"
    with pytest.raises(TermsError):
        validate_terms(doc)


def test_terms_without_the_keys_behave_as_before(contract, buyer, vendor, clock):
    incident = services.open_incident(
        actor=buyer, contract=contract, title="Down", severity="critical", environment="production", component="api"
    )
    services.acknowledge_incident(actor=vendor, incident=incident)
    clock.advance(hours=5)
    services.comment_incident(actor=vendor, incident=incident, text="Looking")
    services.run_watcher(now=clock.now)
    incident = _reload(incident)
    assert incident.investigate_due_at is None and incident.next_update_due_at is None
    assert (incident.investigate_breached, incident.update_misses) == (False, 0)
    assert not EscalationFired.objects.filter(target__in=["investigate", "update:0"]).exists()


# -- investigate ----------------------------------------------------------------------


def test_the_first_vendor_update_after_acknowledging_meets_investigate(incident, buyer, vendor, clock):
    assert incident.investigate_due_at == T0 + timedelta(minutes=60)
    clock.advance(minutes=5)
    services.acknowledge_incident(actor=vendor, incident=incident)
    clock.advance(minutes=5)
    services.comment_incident(actor=buyer, incident=incident, text="Any news?")  # the buyer's: not an update
    assert _reload(incident).investigate_met_at is None
    clock.advance(minutes=10)
    services.comment_incident(actor=vendor, incident=incident, text="Database failover in progress")
    incident = _reload(incident)
    assert incident.investigate_met_at == T0 + timedelta(minutes=20)
    assert not incident.investigate_breached


def test_a_missed_investigate_target_is_recorded_and_escalated_once(incident, vendor, buyer_ops, clock):
    clock.advance(minutes=5)
    services.acknowledge_incident(actor=vendor, incident=incident)  # acknowledging is not an investigation update
    clock.advance(minutes=26)  # 31 min: 50 % of 60
    services.run_watcher(now=clock.now)
    services.run_watcher(now=clock.now)
    assert EscalationFired.objects.filter(target="investigate", level=1).count() == 1
    assert Notification.objects.filter(user=buyer_ops, event="incident.escalated", title__contains="L1").exists()
    clock.set(T0 + timedelta(minutes=61))
    result = services.run_watcher(now=clock.now)
    incident = _reload(incident)
    assert incident.investigate_breached and incident.breached
    assert result.breaches >= 1
    assert incident.events.filter(kind=K.BREACHED, data__target="investigate").count() == 1


# -- cadence ------------------------------------------------------------------------------


def test_each_gap_longer_than_the_interval_is_one_miss(incident, buyer, vendor, clock):
    assert incident.next_update_due_at == T0 + timedelta(minutes=30)
    clock.advance(minutes=5)
    services.acknowledge_incident(actor=vendor, incident=incident)  # an update: next due at 35
    assert _reload(incident).next_update_due_at == T0 + timedelta(minutes=35)
    clock.advance(minutes=30)  # 35: on the dot is in time
    services.comment_incident(actor=vendor, incident=incident, text="Still on it")
    clock.advance(minutes=40)  # 75: 40 minutes of silence
    services.run_watcher(now=clock.now)
    incident = _reload(incident)
    assert (incident.update_misses, incident.breached) == (1, True)
    assert incident.events.filter(kind=K.BREACHED, data__target="update").count() == 1
    services.propose_workaround(actor=vendor, incident=incident, text="Use the standby region")  # 75
    assert _reload(incident).update_misses == 1  # the same gap, not a second miss
    assert _reload(incident).next_update_due_at == T0 + timedelta(minutes=105)
    clock.advance(minutes=31)
    services.comment_incident(actor=vendor, incident=incident, text="Next")  # 106: one minute late
    assert _reload(incident).update_misses == 2


def test_a_pause_stops_the_cadence_and_the_resolution_ends_it(incident, buyer, vendor, clock):
    clock.advance(minutes=5)
    services.acknowledge_incident(actor=vendor, incident=incident)
    clock.advance(minutes=10)
    services.pause_incident(actor=vendor, incident=incident, reason="Waiting for the customer's logs")
    assert _reload(incident).next_update_due_at is None
    clock.advance(hours=5)
    services.run_watcher(now=clock.now)
    assert _reload(incident).update_misses == 0
    services.resume_incident(actor=buyer, incident=incident)
    # 10 of the 30 minutes were used before the pause (a pause is no update).
    assert _reload(incident).next_update_due_at == clock.now + timedelta(minutes=20)
    clock.advance(minutes=10)
    services.resolve_incident(actor=vendor, incident=incident)
    incident = _reload(incident)
    assert incident.next_update_due_at is None and incident.update_misses == 0
    clock.advance(days=2)
    services.run_watcher(now=clock.now)
    assert _reload(incident).update_misses == 0


def test_a_reopening_restarts_the_cadence_without_counting_the_resolved_time(incident, buyer, vendor, clock):
    clock.advance(minutes=5)
    services.acknowledge_incident(actor=vendor, incident=incident)
    clock.advance(minutes=10)
    services.resolve_incident(actor=vendor, incident=incident)
    clock.advance(days=1)
    services.reopen_incident(actor=buyer, incident=incident, reason="It is back")
    incident = _reload(incident)
    assert incident.update_misses == 0
    assert incident.next_update_due_at == clock.now + timedelta(minutes=30)


def test_each_gap_escalates_once_and_an_exclusion_stops_everything(incident, buyer, vendor, buyer_ops, clock):
    clock.advance(minutes=5)
    services.acknowledge_incident(actor=vendor, incident=incident)  # gap 1 starts at 5
    clock.advance(minutes=16)  # 21: past 50 % of gap 1
    services.run_watcher(now=clock.now)
    services.run_watcher(now=clock.now)
    assert EscalationFired.objects.filter(target="update:1", level=1).count() == 1
    escalated = incident.events.filter(kind=K.ESCALATED, data__target="update:1").get()
    assert "update cadence" in escalated.message
    services.comment_incident(actor=vendor, incident=incident, text="Update")  # gap 2 starts at 21
    clock.advance(minutes=16)
    services.run_watcher(now=clock.now)
    assert EscalationFired.objects.filter(target="update:2", level=1).count() == 1

    claim = services.claim_exclusion(actor=vendor, incident=incident, kind="customer_caused", reason="Your change")
    services.decide_claim(actor=buyer, claim=claim, accept=True)
    incident = _reload(incident)
    assert incident.excluded and incident.next_escalation_at is None
    before = EscalationFired.objects.count()
    clock.advance(hours=6)
    services.run_watcher(now=clock.now)
    assert EscalationFired.objects.count() == before


def test_the_at_risk_and_due_filters_see_the_cadence(incident, vendor, clock):
    clock.advance(minutes=5)
    services.acknowledge_incident(actor=vendor, incident=incident)  # next update due at 35, risk at 27.5
    assert Incident.objects.at_risk(now=T0 + timedelta(minutes=28)).filter(pk=incident.pk).exists()
    assert Incident.objects.breached(now=T0 + timedelta(minutes=36)).filter(pk=incident.pk).exists()


# -- reporting -------------------------------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_schedule_pdf_prints_the_new_targets(cadence_contract):
    text = _pdf_text(render_schedule_pdf(cadence_contract.sla_versions.get(number=1)))
    assert "Investigate" in text and "1 h" in text
    assert "Update cadence" in text and "every 30 min" in text


def test_the_report_lists_investigate_and_cadence_misses(incident, vendor, clock):
    from reports.presenters import report_context
    from reports.services import close_period, render_report_pdf

    clock.advance(minutes=5)
    services.acknowledge_incident(actor=vendor, incident=incident)
    clock.advance(minutes=70)  # 75: investigate (60) missed, gap 5 -> 75 missed
    services.comment_incident(actor=vendor, incident=incident, text="Found it")
    clock.advance(minutes=10)
    services.resolve_incident(actor=vendor, incident=incident)
    report = close_period(contract=incident.contract, period="2026-03", now=datetime(2026, 4, 2, tzinfo=UTC))
    (breach,) = report.snapshot["breaches"]
    kinds = {t["kind"]: t for t in breach["targets"]}
    assert set(kinds) == {"investigate", "update"}  # acknowledged in time
    assert kinds["update"]["misses"] == 1
    (row,) = [r for r in report.snapshot["incidents"]["matrix"] if r["severity"] == "critical"]
    assert row["investigate"]["missed"] == 1 and row["update_misses"] == 1
    assert "investigated in time 0/1; 1 update gap missed" in str(report_context(report)["matrix"])
    text = " ".join(_pdf_text(render_report_pdf(report)).split())
    assert "Investigate: due 2 Mar 2026 10:00, met 2 Mar 2026 10:15 (15 min late)" in text
    assert "Update cadence: 1 gap between updates longer than the interval" in text
    assert "investigated in time 0/1; 1 update gap missed" in text
