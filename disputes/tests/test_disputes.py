"""Disputes: the ladder from the terms, windows and closed matters, who may
resolve what, reminders once per stage, and reconciliation into a new report
revision."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.models import Notification
from audit.models import AuditEntry
from audit.services import verify_chain
from availability.models import Outage
from contracts.access import contract_standing
from core.errors import Conflict, InvalidInput, NotPermitted
from disputes import services as disputes
from disputes.models import Dispute, DisputeStep
from incidents import services as incident_services
from incidents.models import ExclusionClaim, Incident, IncidentEvent
from reports.models import Credit, ServiceReport
from reports.tests.ledger_factories import freeze, make_credit, make_report

D = Dispute.Subject


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch)


def _incident(buyer, vendor_engineer, contract, clock, *, at=datetime(2026, 2, 10, 10, 0, tzinfo=UTC), hours=6):
    """A critical production incident in February 2026 restored ``hours`` later
    (the restore target is 4 h, so 6 h breaches it)."""
    back = clock.now
    clock.set(at)
    incident = incident_services.open_incident(
        actor=buyer,
        contract=contract,
        title="Checkout API down",
        severity="critical",
        environment="production",
        component="api",
    )
    clock.advance(minutes=5)
    incident_services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    clock.set(at + timedelta(hours=hours))
    incident_services.resolve_incident(actor=vendor_engineer, incident=incident, message="Upstream DNS fixed")
    clock.set(back)
    return Incident.objects.get(pk=incident.pk)


def _open(actor, contract, subject_type, subject_id, **kw):
    fields = {"title": "Disputed", "statement": "We disagree, see the monitor logs."}
    return disputes.dispute_open(
        actor=actor, contract=contract, subject_type=subject_type, subject_id=subject_id, **{**fields, **kw}
    )


# -- the ladder -----------------------------------------------------------------------------------


def test_the_dispute_walks_the_ladder_of_the_contracts_terms(buyer, vendor, contract, clock):
    report = make_report(contract)
    dispute = _open(buyer, contract, D.REPORT_LINE, f"{report.pk}:availability", title="Availability is overstated")
    assert dispute.subject_label == "2026-02 report, revision 1 · availability"
    assert (dispute.stage_index, dispute.stage_name) == (0, "Negotiation")
    assert dispute.stage_deadline == clock.now + timedelta(days=10)

    walk = [("Executive escalation", 10), ("Mediation", 30), ("Arbitration", None)]
    for name, days in walk:
        clock.advance(days=3)
        dispute = disputes.dispute_escalate(actor=vendor, dispute=dispute, note=f"On to {name}")
        assert dispute.stage_name == name
        assert dispute.stage_deadline == (clock.now + timedelta(days=days) if days else None)
    assert dispute.stage_index == 3
    with pytest.raises(Conflict) as exc:
        disputes.dispute_escalate(actor=buyer, dispute=dispute, note="Further")
    assert "already at the last stage of the ladder (Arbitration)" in exc.value.message
    assert "escalate" not in exc.value.allowed and "resolve" in exc.value.allowed

    steps = list(DisputeStep.objects.filter(dispute=dispute).values_list("action", "stage_name"))
    assert steps == [
        ("opened", "Negotiation"),
        ("escalated", "Executive escalation"),
        ("escalated", "Mediation"),
        ("escalated", "Arbitration"),
    ]
    assert [e.changes["stage_name"] for e in AuditEntry.objects.filter(verb="dispute.escalated").order_by("seq")] == [
        ["Negotiation", "Executive escalation"],
        ["Executive escalation", "Mediation"],
        ["Mediation", "Arbitration"],
    ]
    assert verify_chain().ok


def test_escalating_needs_a_note_and_a_manager(buyer, buyer_ops, contract, clock):
    dispute = _open(buyer, contract, D.REPORT_LINE, make_report(contract).pk)
    with pytest.raises(InvalidInput) as exc:
        disputes.dispute_escalate(actor=buyer, dispute=dispute, note=" ")
    assert exc.value.errors == {"note": ["This field is required."]}
    with pytest.raises(NotPermitted):
        disputes.dispute_escalate(actor=buyer_ops, dispute=dispute, note="Go")
    disputes.dispute_comment(actor=buyer_ops, dispute=dispute, note="Monitor export attached to the ticket.")
    assert dispute.steps.filter(action="commented").count() == 1


# -- who may open, on what, until when -------------------------------------------------------------


def test_only_the_parties_managers_open_disputes(buyer_ops, vendor_engineer, staff, contract, clock):
    report = make_report(contract)
    for actor in (buyer_ops, vendor_engineer, staff):
        with pytest.raises(NotPermitted) as exc:
            _open(actor, contract, D.REPORT_LINE, report.pk)
        assert "Disputes are raised by a party" in exc.value.message


def test_the_subject_must_belong_to_the_contract(buyer, contract, foreign_contract, clock):
    foreign = make_report(foreign_contract)
    with pytest.raises(InvalidInput) as exc:
        _open(buyer, contract, D.REPORT_LINE, foreign.pk)
    assert exc.value.errors == {"subject_id": ["No report with this id on C-1 that you may see."]}
    with pytest.raises(InvalidInput) as exc:
        _open(buyer, contract, "invoice", 1)
    assert "subject_type" in exc.value.errors


def test_a_dispute_on_an_incident_is_open_until_the_claim_window_after_its_period(
    buyer, vendor, vendor_engineer, contract, clock
):
    incident = _incident(buyer, vendor_engineer, contract, clock)
    clock.set(datetime(2026, 3, 31, 0, 1, tzinfo=UTC))  # February ended 1 Mar; 30 days later plus a minute
    with pytest.raises(Conflict) as exc:
        _open(vendor, contract, D.INCIDENT, incident.reference)
    assert exc.value.message == (
        f"Too late: the window for disputing {incident.reference} Checkout API down closed on 31 Mar 2026 00:00 UTC "
        "(30 days after the 2026-02 period ended)."
    )
    clock.set(datetime(2026, 3, 30, 23, 0, tzinfo=UTC))
    dispute = _open(vendor, contract, D.INCIDENT, incident.reference)
    assert dispute.subject_id == str(incident.pk)
    assert dispute.report is None  # February was not closed yet


def test_a_settled_matter_is_not_reopened_but_a_withdrawn_one_may_be(buyer, vendor, contract, clock):
    report = make_report(contract)
    first = _open(buyer, contract, D.REPORT_LINE, f"{report.pk}:breaches")
    with pytest.raises(Conflict) as exc:
        _open(vendor, contract, D.REPORT_LINE, f"{report.pk}:breaches")
    assert f"already under dispute: D-{first.pk} (Negotiation)" in exc.value.message
    disputes.dispute_withdraw(actor=buyer, dispute=first)
    second = _open(buyer, contract, D.REPORT_LINE, f"{report.pk}:breaches")
    disputes.dispute_resolve(actor=buyer, dispute=second, resolution="The vendor's count is right.")
    with pytest.raises(Conflict) as exc:
        _open(vendor, contract, D.REPORT_LINE, f"{report.pk}:breaches")
    assert exc.value.message.startswith(
        f"Closed matter: 2026-02 report, revision 1 · breaches was settled by D-{second.pk}"
    )
    assert exc.value.state == "resolved"
    # another line of the same report is another matter
    assert _open(vendor, contract, D.REPORT_LINE, f"{report.pk}:availability").status == "open"


def test_a_superseded_revision_is_a_closed_matter(buyer, contract, clock):
    old = make_report(contract)
    make_report(contract, revision=2, supersedes=old)
    with pytest.raises(Conflict) as exc:
        _open(buyer, contract, D.REPORT_LINE, old.pk)
    assert "revision 1 of the 2026-02 report was superseded by revision 2" in exc.value.message


def test_a_closed_dispute_takes_no_more_steps(buyer, vendor, contract, clock):
    dispute = _open(buyer, contract, D.REPORT_LINE, make_report(contract).pk)
    disputes.dispute_withdraw(actor=buyer, dispute=dispute)
    for call in (
        lambda: disputes.dispute_escalate(actor=vendor, dispute=dispute, note="x"),
        lambda: disputes.dispute_comment(actor=vendor, dispute=dispute, note="x"),
        lambda: disputes.dispute_resolve(actor=buyer, dispute=dispute, resolution="x"),
    ):
        with pytest.raises(Conflict) as exc:
            call()
        assert exc.value.state == "withdrawn"


def test_allowed_actions_per_role(buyer, buyer_ops, vendor, staff, board_member, contract, clock):
    dispute = _open(buyer, contract, D.REPORT_LINE, make_report(contract).pk)

    def allowed(user):
        return disputes.allowed_actions(dispute, contract_standing(user, contract), stages=4)

    assert allowed(buyer) == ["escalate", "comment", "resolve", "withdraw"]
    assert allowed(vendor) == ["escalate", "comment", "resolve"]
    assert allowed(staff) == ["escalate", "comment", "resolve"]
    assert allowed(buyer_ops) == ["comment"]
    assert allowed(board_member) == ["comment"]


# -- reminders -------------------------------------------------------------------------------------


def test_a_reminder_fires_once_per_stage_even_when_the_task_runs_twice(buyer, vendor, contract, clock):
    from disputes.tasks import remind_dispute_deadlines

    dispute = _open(buyer, contract, D.REPORT_LINE, make_report(contract).pk)
    Notification.objects.all().delete()
    assert remind_dispute_deadlines() == 0  # 10 days left
    clock.advance(days=8, hours=1)  # under two days left
    assert remind_dispute_deadlines() == 1
    assert remind_dispute_deadlines() == 0
    assert disputes.remind_deadlines(at=clock.now) == 0
    for user in (buyer, vendor):
        reminders = Notification.objects.filter(user=user, event="dispute.deadline")
        assert reminders.count() == 1
        assert reminders.get().title.startswith(f"D-{dispute.pk} Negotiation deadline is near")
    assert Dispute.objects.get().reminded_for_stage == 0

    dispute = disputes.dispute_escalate(actor=vendor, dispute=dispute, note="No agreement")
    assert remind_dispute_deadlines() == 0
    clock.advance(days=9)
    assert remind_dispute_deadlines() == 1
    assert remind_dispute_deadlines() == 0
    assert Notification.objects.filter(user=buyer, event="dispute.deadline").count() == 2
    assert list(dispute.steps.filter(action="reminded").values_list("stage_name", flat=True)) == [
        "Negotiation",
        "Executive escalation",
    ]


def test_a_missed_deadline_is_still_reminded_once_and_a_stage_without_deadline_never(buyer, vendor, contract, clock):
    dispute = _open(buyer, contract, D.REPORT_LINE, make_report(contract).pk)
    clock.advance(days=12)  # the beat was down: the deadline passed unreminded
    assert disputes.remind_deadlines(at=clock.now) == 1
    assert "deadline passed" in Notification.objects.filter(event="dispute.deadline").first().title
    for _ in range(3):
        dispute = disputes.dispute_escalate(actor=buyer, dispute=dispute, note="up")
    clock.advance(days=400)
    assert dispute.stage_deadline is None
    assert disputes.remind_deadlines(at=clock.now) == 0


def test_a_lost_race_for_the_reminder_notifies_nobody(buyer, contract, clock):
    dispute = _open(buyer, contract, D.REPORT_LINE, make_report(contract).pk)
    clock.advance(days=9)
    # another worker claimed the stage between our read and our update
    Dispute.objects.filter(pk=dispute.pk).update(reminded_for_stage=0)
    Notification.objects.all().delete()
    assert disputes.remind_deadlines(at=clock.now) == 0
    assert not Notification.objects.exists()


# -- resolution: who records what ----------------------------------------------------------------


def test_nobody_records_a_change_in_their_own_favour(buyer, vendor, vendor_engineer, staff, contract, clock):
    incident = _incident(buyer, vendor_engineer, contract, clock)
    dispute = _open(vendor, contract, D.INCIDENT, incident.pk, title="Third-party DNS outage")
    with pytest.raises(NotPermitted) as exc:
        disputes.dispute_resolve(
            actor=vendor, dispute=dispute, resolution="Excluded", outcome={"accept_exclusion": True}
        )
    assert exc.value.message.startswith("This resolution accepts an exclusion, which goes against the buyer")
    with pytest.raises(NotPermitted) as exc:  # and the buyer may not close the vendor's dispute as "no change"
        disputes.dispute_resolve(actor=buyer, dispute=dispute, resolution="Rejected")
    assert "only Acme Cloud's account managers may record that" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        disputes.dispute_resolve(actor=buyer, dispute=dispute, resolution="x", outcome={"refund": 1})
    assert "outcome.refund" in exc.value.errors
    assert Incident.objects.get(pk=incident.pk).excluded is False
    disputes.dispute_resolve(
        actor=staff, dispute=dispute, resolution="Board decision", outcome={"accept_exclusion": True}
    )
    assert Incident.objects.get(pk=incident.pk).excluded is True


def test_accepting_an_exclusion_before_the_close_accepts_the_pending_claim(
    buyer, vendor, vendor_engineer, contract, clock
):
    incident = _incident(buyer, vendor_engineer, contract, clock)
    claim = incident_services.claim_exclusion(
        actor=vendor_engineer, incident=incident, kind="third_party", reason="Registrar outage"
    )
    dispute = _open(vendor, contract, D.INCIDENT, incident.pk)
    resolved = disputes.dispute_resolve(
        actor=buyer,
        dispute=dispute,
        resolution="Registrar status page confirms it.",
        outcome={"accept_exclusion": True},
    )
    claim.refresh_from_db()
    assert claim.status == ExclusionClaim.Status.ACCEPTED
    assert claim.decided_by == buyer
    assert f"dispute D-{dispute.pk}" in claim.decision_reason
    assert Incident.objects.get(pk=incident.pk).excluded
    assert incident.events.filter(kind=IncidentEvent.Kind.CLAIM_ACCEPTED).exists()
    assert resolved.reissued_report is None  # no report yet for February: the close will read the fact
    assert not ServiceReport.objects.exists()


def test_correcting_an_outage_is_audited_and_needs_the_side_it_goes_against(buyer, vendor, contract, clock):
    outage = Outage.objects.create(
        contract=contract,
        component="api",
        start=datetime(2026, 2, 3, 10, 0, tzinfo=UTC),
        end=datetime(2026, 2, 3, 12, 0, tzinfo=UTC),
        source=Outage.Source.MONITORING,
    )
    dispute = _open(vendor, contract, D.OUTAGE, outage.pk, title="Probe flapped")
    shorter = {"outage_start": "2026-02-03T10:20:00Z", "outage_end": "2026-02-03T11:05:00Z"}
    with pytest.raises(NotPermitted) as exc:
        disputes.dispute_resolve(actor=vendor, dispute=dispute, resolution="Shorter", outcome=shorter)
    assert "shortens an outage, which goes against the buyer" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        disputes.dispute_resolve(
            actor=buyer, dispute=dispute, resolution="x", outcome={"outage_end": "2026-02-03T09:00:00Z"}
        )
    assert exc.value.errors == {"outcome.outage_end": ["Before the start."]}
    disputes.dispute_resolve(actor=buyer, dispute=dispute, resolution="Probe logs agree.", outcome=shorter)
    outage.refresh_from_db()
    assert (outage.start, outage.end) == (
        datetime(2026, 2, 3, 10, 20, tzinfo=UTC),
        datetime(2026, 2, 3, 11, 5, tzinfo=UTC),
    )
    assert f"dispute D-{dispute.pk}" in outage.reason
    entry = AuditEntry.objects.get(verb="outage.corrected")
    assert entry.changes["start"] == ["2026-02-03T10:00:00Z", "2026-02-03T10:20:00Z"]
    step = dispute.steps.get(action="resolved")
    assert "corrected from 03 Feb 2026 10:00 UTC – 03 Feb 2026 12:00 UTC to 03 Feb 2026 10:20 UTC" in step.note


# -- reconciliation: a new report revision -------------------------------------------------------


def test_accepting_an_exclusion_reissues_the_report_as_revision_2(buyer, vendor, vendor_engineer, contract, clock):
    from reports.services.reports import close_period

    incident = _incident(buyer, vendor_engineer, contract, clock)
    claim = incident_services.claim_exclusion(
        actor=vendor_engineer, incident=incident, kind="third_party", reason="Upstream DNS provider outage"
    )
    incident_services.decide_claim(actor=buyer, claim=claim, accept=False, reason="DNS is the vendor's choice")

    r1 = close_period(contract=contract, period="2026-02")
    assert r1.revision == 1
    assert r1.breaches == 1
    assert [b["ref"] for b in r1.snapshot["breaches"]] == [incident.reference]
    r1_checksum, r1_credits = r1.checksum, r1.credit_total
    assert r1_credits > 0

    dispute = _open(vendor, contract, D.INCIDENT, incident.reference, title="DNS outage was third-party")
    assert dispute.report == r1
    clock.advance(days=4)
    resolved = disputes.dispute_resolve(
        actor=buyer,
        dispute=dispute,
        resolution="The DNS provider's incident report confirms a third-party cause.",
        outcome={"accept_exclusion": True},
    )

    r2 = resolved.reissued_report
    assert r2 is not None
    assert (r2.period, r2.revision, r2.supersedes_id) == ("2026-02", 2, r1.pk)
    assert r2.what_changed[0] == (
        f"{incident.reference} excluded (third-party dependency): no longer counted against the SLA (D-{dispute.pk})."
    )
    assert "Breaches: 1 → 0" in r2.what_changed
    assert "Excluded incidents: 0 → 1" in r2.what_changed
    # the excluded incident is no longer counted
    assert r2.breaches == 0
    assert r2.snapshot["breaches"] == []
    assert [row["ref"] for row in r2.snapshot["excluded_incidents"]] == [incident.reference]
    assert r2.snapshot["excluded_incidents"][0]["kind"] == "third_party"
    assert r2.credit_total < r1_credits
    # the old revision stays readable and unchanged; the current one is r2
    r1.refresh_from_db()
    assert r1.checksum == r1_checksum and r1.breaches == 1
    assert r1.superseded_by == r2
    assert ServiceReport.objects.current().get(contract=contract, period="2026-02") == r2
    assert not Credit.objects.filter(report=r1).exclude(status=Credit.Status.VOID).exists()
    # the record
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.excluded
    assert list(incident.claims.order_by("pk").values_list("status", flat=True)) == ["rejected", "accepted"]
    assert incident.events.filter(kind=IncidentEvent.Kind.CLAIM_ACCEPTED, data__dispute=dispute.pk).exists()
    assert AuditEntry.objects.filter(verb="report.reissued", object_id=str(r2.pk)).exists()
    audit_resolved = AuditEntry.objects.get(verb="dispute.resolved")
    assert audit_resolved.changes["reissued"] == [None, ["2026-02 r2"]]
    assert Notification.objects.filter(user=vendor, event="dispute.closed").exists()
    assert verify_chain().ok


def test_resolving_a_credit_dispute_after_a_reissue_keeps_the_ledger_consistent(buyer, vendor, contract, clock):
    credit = make_credit(make_report(contract), amount="300.00")
    dispute = disputes.dispute_open(
        actor=buyer, contract=contract, subject_type=D.CREDIT, subject_id=credit.pk, title="Tier", statement="10 %"
    )
    resolved = disputes.dispute_resolve(
        actor=vendor, dispute=dispute, resolution="Agreed: the 10 % tier applies.", outcome={"credit_amount": "600"}
    )
    credit.refresh_from_db()
    assert (credit.amount, credit.status, credit.approved_by) == (Decimal("600.00"), "approved", vendor)
    assert resolved.steps.get(action="resolved").note.startswith("Agreed: the 10 % tier applies.\nCredit")


def test_accepting_a_pending_outage_claim_goes_through_the_outages_service(
    buyer, vendor, vendor_engineer, contract, clock
):
    from availability.services.outages import claim_outage_exclusion

    outage = Outage.objects.create(
        contract=contract,
        component="api",
        start=datetime(2026, 2, 3, 10, 0, tzinfo=UTC),
        end=datetime(2026, 2, 3, 12, 0, tzinfo=UTC),
        source=Outage.Source.MONITORING,
    )
    claim_outage_exclusion(actor=vendor_engineer, outage=outage, kind="third_party", reason="CDN provider outage")
    dispute = _open(vendor, contract, D.OUTAGE, outage.pk, title="The CDN outage is excluded")
    disputes.dispute_resolve(
        actor=buyer, dispute=dispute, resolution="CDN status page confirms.", outcome={"accept_exclusion": True}
    )
    outage.refresh_from_db()
    assert outage.exclusion == Outage.Exclusion.ACCEPTED
    entry = AuditEntry.objects.get(verb="outage.exclusion_accepted")
    assert entry.changes["exclusion"] == ["claimed", "accepted"]
    assert f"dispute D-{dispute.pk}" in entry.changes["decision_reason"][1]
