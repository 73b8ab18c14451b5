from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from audit.services import verify_chain
from contracts.tests.factories import make_contract
from core.errors import Conflict, InvalidInput, NotPermitted
from incidents import services
from incidents.models import ExclusionClaim, Incident, IncidentEvent


def _open(actor, contract, **kw):
    fields = {"title": "Checkout fails", "severity": "critical", "environment": "production", "component": "api"}
    return services.open_incident(actor=actor, contract=contract, **{**fields, **kw})


def test_opening_sets_due_times_from_the_terms_in_force(buyer, contract, clock):
    incident = _open(buyer, contract)
    t0 = clock.now
    assert incident.sla_version.number == 1
    assert incident.acknowledge_due_at == t0 + timedelta(minutes=15)
    assert incident.restore_due_at == t0 + timedelta(minutes=240)
    assert incident.resolve_due_at == t0 + timedelta(minutes=1440)
    assert incident.next_due_at == incident.acknowledge_due_at
    assert incident.next_risk_at == t0 + timedelta(minutes=15 * 0.75)
    assert not incident.breached
    assert incident.events.get().kind == IncidentEvent.Kind.OPENED
    assert AuditEntry.objects.filter(verb="incident.opened", contract_id=contract.pk).count() == 1


def test_a_component_outside_scope_is_flagged(buyer, contract, clock):
    incident = _open(buyer, contract, component="mainframe")
    assert incident.out_of_scope
    assert "not in the contract's scope" in incident.events.get().message


def test_only_the_right_roles_may_act(buyer, buyer_viewer, vendor_engineer, contract, clock):
    with pytest.raises(NotPermitted):
        _open(vendor_engineer, contract)
    with pytest.raises(NotPermitted):
        _open(buyer_viewer, contract)
    incident = _open(buyer, contract)
    with pytest.raises(NotPermitted):
        services.acknowledge_incident(actor=buyer, incident=incident)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.OPEN


def test_an_illegal_transition_names_the_state_and_the_allowed_actions(buyer, vendor_engineer, contract, clock):
    incident = _open(buyer, contract)
    with pytest.raises(Conflict) as exc:
        services.confirm_resolution(actor=buyer, incident=incident)
    assert exc.value.state == "open"
    assert "change_severity" in exc.value.allowed
    assert "open" in exc.value.message


def test_a_pause_stops_the_clocks_the_terms_name_and_pushes_due_times_out(buyer, vendor_engineer, contract, clock):
    incident = _open(buyer, contract)
    t0 = clock.now
    clock.advance(minutes=5)
    incident = services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    clock.advance(minutes=5)
    incident = services.pause_incident(actor=vendor_engineer, incident=incident, reason="Need logs")
    assert incident.restore_due_at is None  # clock stopped: no due instant while paused
    clock.advance(minutes=60)
    incident = services.resume_incident(actor=buyer, incident=incident)
    # Enterprise terms: a pause stops restore and resolve, not acknowledge.
    assert incident.restore_due_at == t0 + timedelta(minutes=240 + 60)
    assert incident.resolve_due_at == t0 + timedelta(minutes=1440 + 60)
    assert incident.acknowledge_met_at == t0 + timedelta(minutes=5)
    assert not incident.acknowledge_breached
    kinds = list(incident.events.values_list("kind", flat=True))
    assert kinds == ["opened", "acknowledged", "paused", "resumed"]


def test_a_severity_change_recomputes_from_the_original_open_time(buyer, vendor_engineer, contract, clock):
    incident = _open(buyer, contract, severity="high")
    t0 = clock.now
    assert incident.restore_due_at == t0 + timedelta(minutes=480)
    clock.advance(minutes=60)
    incident = services.change_severity(
        actor=vendor_engineer, incident=incident, severity="critical", reason="All merchants hit"
    ).incident
    assert incident.restore_due_at == t0 + timedelta(minutes=240)
    # Acknowledge was due 15 min after opening under critical terms and is still unmet: breached.
    assert incident.acknowledge_breached and incident.breached
    change = incident.events.get(kind=IncidentEvent.Kind.SEVERITY_CHANGED)
    assert "original open time" in change.message
    assert change.data == {"from": "high", "to": "critical"}
    assert incident.events.filter(kind=IncidentEvent.Kind.BREACHED).count() == 1


def test_an_accepted_workaround_stops_the_restore_clock_and_a_temporary_one_expires(
    buyer, vendor_engineer, contract, clock
):
    incident = _open(buyer, contract)
    t0 = clock.now
    clock.advance(minutes=10)
    incident = services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    clock.advance(minutes=50)
    incident = services.propose_workaround(
        actor=vendor_engineer, incident=incident, text="Route via DR", temporary=True
    )
    clock.advance(minutes=10)
    incident = services.accept_workaround(actor=buyer, incident=incident)
    assert incident.status == Incident.Status.RESTORED
    assert incident.restore_met_at == t0 + timedelta(minutes=70)
    assert not incident.restore_breached
    assert incident.workaround_expires_at == incident.workaround_accepted_at + timedelta(days=10)

    clock.set(incident.workaround_expires_at + timedelta(minutes=1))
    result = services.run_watcher(now=clock.now)
    incident.refresh_from_db()
    assert result.expired_workarounds == 1
    assert incident.workaround == Incident.Workaround.EXPIRED
    assert incident.status == Incident.Status.ACKNOWLEDGED
    assert incident.restore_met_at is None  # counts as no workaround
    assert incident.restore_breached
    assert incident.events.filter(kind=IncidentEvent.Kind.WORKAROUND_EXPIRED).count() == 1


def test_rejecting_a_workaround_needs_a_reason(buyer, vendor_engineer, contract, clock):
    incident = _open(buyer, contract)
    incident = services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    incident = services.propose_workaround(actor=vendor_engineer, incident=incident, text="Restart")
    with pytest.raises(InvalidInput) as exc:
        services.reject_workaround(actor=buyer, incident=incident, reason=" ")
    assert "reason" in exc.value.errors
    incident = services.reject_workaround(actor=buyer, incident=incident, reason="Loses data")
    assert incident.workaround == Incident.Workaround.REJECTED
    assert incident.restore_met_at is None


def test_resolve_confirm_with_rating_and_reopen(buyer, vendor_engineer, contract, clock):
    incident = _open(buyer, contract, severity="low")
    incident = services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    clock.advance(hours=2)
    incident = services.resolve_incident(actor=vendor_engineer, incident=incident)
    incident = services.reopen_incident(actor=buyer, incident=incident, reason="Still failing")
    assert incident.status == Incident.Status.ACKNOWLEDGED and incident.resolved_at is None
    assert incident.resolve_met_at is None
    clock.advance(hours=1)
    incident = services.resolve_incident(actor=vendor_engineer, incident=incident)
    with pytest.raises(InvalidInput):
        services.confirm_resolution(actor=buyer, incident=incident, rating=6)
    incident = services.confirm_resolution(actor=buyer, incident=incident, rating=4, comment="Good comms")
    assert (incident.status, incident.satisfaction, incident.reopened_count) == ("closed", 4, 1)
    assert incident.next_due_at is None and incident.next_escalation_at is None


def test_exclusion_claims_pending_rejected_accepted(buyer, vendor_engineer, contract, clock):
    incident = _open(buyer, contract)
    claim = services.claim_exclusion(
        actor=vendor_engineer, incident=incident, kind="third_party", reason="Cloud provider outage"
    )
    with pytest.raises(Conflict):
        services.claim_exclusion(actor=vendor_engineer, incident=incident, kind="force_majeure", reason="Storm")
    assert Incident.objects.counted().filter(pk=incident.pk).exists()  # pending still counts
    with pytest.raises(NotPermitted):
        services.decide_claim(actor=vendor_engineer, claim=claim, accept=True)
    services.decide_claim(actor=buyer, claim=claim, accept=False, reason="Our logs show your bug")
    assert Incident.objects.counted().filter(pk=incident.pk).exists()
    second = services.claim_exclusion(actor=vendor_engineer, incident=incident, kind="force_majeure", reason="Flood")
    services.decide_claim(actor=buyer, claim=second, accept=True)
    incident.refresh_from_db()
    assert incident.excluded
    assert not Incident.objects.counted().filter(pk=incident.pk).exists()
    with pytest.raises(Conflict):
        services.decide_claim(actor=buyer, claim=second, accept=False, reason="changed my mind")
    assert list(ExclusionClaim.objects.order_by("claimed_at").values_list("status", flat=True)) == [
        "rejected",
        "accepted",
    ]


def test_a_dispute_settles_an_exclusion_by_accepting_the_pending_claim(buyer, vendor_engineer, contract, clock):
    from incidents.services.disputes import incident_exclusion_settle

    incident = _open(buyer, contract)
    claim = services.claim_exclusion(actor=vendor_engineer, incident=incident, kind="third_party", reason="DNS")
    with pytest.raises(NotPermitted):  # the buyer's decision, as for a claim
        incident_exclusion_settle(
            actor=vendor_engineer, incident=incident, reason="Agreed", dispute_id=7, dispute_ref="D-7"
        )
    clock.advance(minutes=30)  # past the 15-minute acknowledge target
    accepted = incident_exclusion_settle(
        actor=buyer, incident=incident, reason="Registrar confirms", dispute_id=7, dispute_ref="D-7"
    )
    assert accepted.pk == claim.pk
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by) == (ExclusionClaim.Status.ACCEPTED, buyer)
    assert claim.decision_reason == "Accepted on resolving dispute D-7: Registrar confirms"
    incident.refresh_from_db()
    assert incident.excluded
    assert incident.clocks_computed_at == clock.now  # recomputed like every incident event
    assert incident.acknowledge_breached
    assert incident.events.filter(kind=IncidentEvent.Kind.BREACHED, data={"target": "acknowledge"}).exists()
    event = incident.events.get(kind=IncidentEvent.Kind.CLAIM_ACCEPTED)
    assert event.data == {"dispute": 7, "claim": claim.pk}
    entry = AuditEntry.objects.get(verb="incident.exclusion_accepted")
    assert entry.changes["dispute"] == [None, "D-7"] and entry.changes["excluded"] == [False, True]
    with pytest.raises(Conflict) as exc:  # the state is checked: once excluded, settled
        incident_exclusion_settle(actor=buyer, incident=incident, reason="Again", dispute_id=8, dispute_ref="D-8")
    assert "already excluded" in exc.value.message


def test_a_dispute_settles_an_exclusion_the_buyer_rejected_as_a_new_claim(buyer, vendor_engineer, contract, clock):
    from incidents.services.disputes import incident_exclusion_settle

    incident = _open(buyer, contract)
    claim = services.claim_exclusion(actor=vendor_engineer, incident=incident, kind="force_majeure", reason="Flood")
    services.decide_claim(actor=buyer, claim=claim, accept=False, reason="Not a flood")
    clock.advance(days=3)
    with pytest.raises(InvalidInput):
        incident_exclusion_settle(actor=buyer, incident=incident, reason=" ", dispute_id=3, dispute_ref="D-3")
    accepted = incident_exclusion_settle(
        actor=buyer, incident=incident, reason="The flood was real", dispute_id=3, dispute_ref="D-3"
    )
    assert (accepted.kind, accepted.status, accepted.claimed_by) == ("force_majeure", "accepted", vendor_engineer)
    assert list(incident.claims.order_by("claimed_at").values_list("status", flat=True)) == ["rejected", "accepted"]
    assert not Incident.objects.counted().filter(pk=incident.pk).exists()


def test_a_dispute_excludes_an_unclaimed_incident_without_inventing_a_claim(staff, buyer, contract, clock):
    from incidents.services.disputes import incident_exclusion_settle

    incident = _open(buyer, contract)
    assert (
        incident_exclusion_settle(
            actor=staff, incident=incident, reason="Board decision", dispute_id=1, dispute_ref="D-1"
        )
        is None
    )
    incident.refresh_from_db()
    assert incident.excluded and not incident.claims.exists()
    assert verify_chain().ok


def test_fault_attribution_opens_an_incident_on_the_other_vendors_contract(buyer, contract, foreign_contract, clock):
    incident = _open(buyer, contract, severity="high")
    new = services.attribute_incident(
        actor=buyer, incident=incident, to_contract=foreign_contract, reason="Root cause in Globex SSO"
    )
    assert new.contract == foreign_contract and new.pk != incident.pk and new.original_contract is None
    assert new.sla_version.contract == foreign_contract
    incident.refresh_from_db()
    assert incident.contract == contract and incident.status == Incident.Status.CANCELLED
    event = incident.events.get(kind=IncidentEvent.Kind.ATTRIBUTED_AWAY)
    assert "Root cause" not in event.message and "another supplier" in event.message
    assert AuditEntry.objects.filter(verb="incident.attributed_away", contract_id=contract.pk).exists()
    assert AuditEntry.objects.get(verb="incident.attributed").visibility == AuditEntry.Visibility.BUYER


def test_business_hours_clock_across_a_dst_change(buyer, buyer_org, other_vendor_org, clock):
    """Europe/Berlin Mon-Fri 09:00-18:00 coverage. Opened Friday 23 Oct 2026
    17:00 CEST; the 8 h critical restore target has 1 h left on Friday and
    resumes Monday 26 Oct after the clocks went back: 09:00 + 7 h = 16:00 CET,
    which is 15:00 UTC (it would be 14:00 UTC had DST not ended)."""
    contract = make_contract(buyer=buyer_org, vendor=other_vendor_org, reference="C-BH", preset="business-hours")
    clock.set(datetime(2026, 10, 23, 15, 0, tzinfo=UTC))
    incident = _open(buyer, contract)
    assert incident.acknowledge_due_at == datetime(2026, 10, 23, 15, 30, tzinfo=UTC)
    assert incident.restore_due_at == datetime(2026, 10, 26, 15, 0, tzinfo=UTC)


def test_business_hours_clock_skips_public_holidays(buyer, buyer_org, other_vendor_org, clock):
    contract = make_contract(buyer=buyer_org, vendor=other_vendor_org, reference="C-BH2", preset="business-hours")
    # Wednesday 30 Sep 2026 17:45 CEST; 3 Oct (German Unity Day) is a Saturday, so use Christmas:
    clock.set(datetime(2026, 12, 23, 16, 45, tzinfo=UTC))  # Wed 23 Dec 17:45 CET
    incident = _open(buyer, contract)
    # 15 min on Wednesday, then 24 Dec is a named closure, 25 and 26 Dec holidays (26th a Saturday anyway);
    # Monday 28 Dec 09:00 CET + 15 min.
    assert incident.acknowledge_due_at == datetime(2026, 12, 28, 8, 15, tzinfo=UTC)


def test_import_is_all_or_nothing_with_line_numbers(staff, buyer, contract, clock):
    clock.set(datetime(2026, 6, 1, tzinfo=UTC))
    good = "title,severity,environment,component,opened_at,acknowledged_at,resolved_at\n"
    good += "Old outage,critical,production,api,2026-02-01T10:00:00+00:00,2026-02-01T10:30:00+00:00,2026-02-01T12:00:00+00:00\n"
    bad = good + "Broken,urgent,production,api,2026-02-02T10:00:00+00:00,,\n"
    with pytest.raises(InvalidInput) as exc:
        services.import_incidents(
            actor=staff, contract=contract, rows=services.parse_rows(bad.encode(), "csv"), source="Old ITSM"
        )
    assert "line 3" in exc.value.errors
    assert "severity must be one of" in exc.value.errors["line 3"][0]
    assert not Incident.objects.exists()
    with pytest.raises(NotPermitted):
        services.import_incidents(
            actor=buyer, contract=contract, rows=services.parse_rows(good.encode(), "csv"), source="x"
        )
    created = services.import_incidents(
        actor=staff, contract=contract, rows=services.parse_rows(good.encode(), "csv"), source="Old ITSM"
    )
    incident = created[0]
    assert incident.imported and incident.import_source == "Old ITSM"
    assert incident.status == Incident.Status.CLOSED
    assert incident.acknowledge_breached  # 30 min against a 15 min target
    assert not incident.restore_breached  # resolved after 2 h, within 4 h


def test_attachments_are_hashed_and_on_the_timeline(buyer, contract, clock):
    incident = _open(buyer, contract)
    upload = SimpleUploadedFile("trace.txt", b"stack trace", content_type="text/plain")
    attachment = services.attach_file(actor=buyer, incident=incident, file=upload)
    assert attachment.size == 11 and len(attachment.sha256) == 64
    assert incident.events.filter(kind=IncidentEvent.Kind.ATTACHMENT).exists()
    assert BytesIO(attachment.file.read()).read() == b"stack trace"


def test_every_change_is_audited_and_the_chain_holds(buyer, vendor_engineer, contract, clock):
    incident = _open(buyer, contract)
    services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    services.comment_incident(actor=buyer, incident=incident, text="Thanks")
    verbs = set(AuditEntry.objects.filter(contract_id=contract.pk).values_list("verb", flat=True))
    assert {"incident.opened", "incident.acknowledge", "incident.commented"} <= verbs
    assert verify_chain().ok
