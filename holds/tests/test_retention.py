"""Retention honours holds: a purge never removes held evidence, and says what it did."""

from datetime import timedelta

from audit.models import AuditEntry
from audit.services import verify_chain
from availability.models import RawPayload
from disputes import services as disputes
from holds import retention, services
from holds.selectors import holds_for
from holds.tasks import purge_expired_payloads
from holds.tests.factories import dispute_outage, feb, outage, payload, source


def _left(*payloads):
    return set(RawPayload.objects.filter(pk__in=[p.pk for p in payloads]).values_list("pk", flat=True))


def test_payloads_behind_a_disputed_outage_stay_until_the_dispute_is_resolved(buyer, vendor, staff, contract, clock):
    src = source(contract, staff)
    down = outage(contract, feb(3, 10))  # 10:00-12:00
    opened, closed = payload(src, feb(3, 10, 1)), payload(src, feb(3, 12, 3))
    unrelated = payload(src, feb(20, 8))
    dispute = dispute_outage(vendor, contract, down)

    assert purge_expired_payloads() == {"deleted": 1, "kept": 2, "contracts": 1}
    assert _left(opened, closed, unrelated) == {opened.pk, closed.pk}

    disputes.dispute_resolve(actor=vendor, dispute=dispute, resolution="Withdrawn after reading the logs.")
    assert purge_expired_payloads() == {"deleted": 2, "kept": 0, "contracts": 1}
    assert not _left(opened, closed)


def test_a_manual_hold_keeps_everything_in_its_range_and_a_whole_contract_hold_everything(
    buyer, vendor, staff, contract, clock
):
    src = source(contract, staff)
    before, first, last, after = (payload(src, at) for at in (feb(1, 23, 59), feb(2), feb(9, 23, 59), feb(10)))
    hold = services.place_hold(
        actor=buyer, contract=contract, reason="Litigation notice", scope="period", starts_at=feb(2), ends_at=feb(10)
    )
    whole = services.place_hold(actor=vendor, contract=contract, reason="Regulator inquiry", scope="contract")

    assert purge_expired_payloads()["deleted"] == 0
    services.release_hold(actor=vendor, hold=whole, reason="Inquiry closed")
    assert purge_expired_payloads() == {"deleted": 2, "kept": 2, "contracts": 1}
    assert _left(before, first, last, after) == {first.pk, last.pk}

    services.release_hold(actor=buyer, hold=hold, reason="Settled")
    assert purge_expired_payloads()["deleted"] == 2
    assert not RawPayload.objects.exists()


def test_the_summary_entry_says_what_left_what_stayed_and_why_once_per_run(buyer, vendor, staff, contract, clock):
    src = source(contract, staff)
    down = outage(contract, feb(3, 10))
    held = payload(src, feb(3, 11))
    gone = [payload(src, feb(20, h)) for h in (8, 9, 10)]
    not_yet = payload(src, feb(21), expires_at=clock.now + timedelta(days=1))
    dispute = dispute_outage(buyer, contract, down)
    label = f"Dispute D-{dispute.pk} (stage 1: {dispute.stage_name}) on {dispute.subject_label}"
    assert [h.label for h in holds_for(contract)] == [label]

    assert purge_expired_payloads() == {"deleted": 3, "kept": 1, "contracts": 1}
    entry = AuditEntry.objects.get(verb="retention.purged")
    assert entry.contract_id == contract.pk and entry.actor_label == "retention"
    assert entry.changes["purged"] == [None, {"raw_payloads": 3, "raw_payload:alertmanager": 3}]
    assert entry.changes["received"] == ["2026-02-20T08:00:00Z", "2026-02-20T10:00:00Z"]
    assert entry.changes["kept_held"] == [None, 1]
    assert entry.changes["kept_by"] == [None, {label: 1}]
    assert _left(held, not_yet, *gone) == {held.pk, not_yet.pk}

    # Idempotent: the rerun (or tomorrow's run, the same holds keeping the same payloads) writes nothing.
    assert purge_expired_payloads() == {"deleted": 0, "kept": 1, "contracts": 1}
    assert AuditEntry.objects.filter(verb="retention.purged").count() == 1
    assert verify_chain().ok


def test_a_purge_with_nothing_expired_touches_nothing(staff, contract, clock):
    payload(source(contract, staff), feb(20), expires_at=clock.now + timedelta(days=30))
    assert retention.purge_expired_payloads(now=clock.now) == {"deleted": 0, "kept": 0, "contracts": 0}
    assert not AuditEntry.objects.filter(verb="retention.purged").exists()


def test_each_automatic_hold_names_what_holds_the_evidence(buyer, vendor, vendor_engineer, staff, contract, clock):
    from reports.models import Credit
    from reports.tests.ledger_factories import make_credit, make_report

    report = make_report(contract, "2026-01")
    credit = make_credit(report, window_days=60)  # open until 2 April
    make_credit(report, window_days=10, status=Credit.Status.CALCULATED)  # window closed on 10 Feb: not held
    src = source(contract, staff)
    january = payload(src, report.period_start + timedelta(days=3))
    (hold,) = holds_for(contract)
    assert hold.kind == "credit" and f"credit #{credit.pk} (2026-01) open until" in hold.label
    assert (hold.start, hold.end) == (report.period_start, report.period_end)
    assert purge_expired_payloads()["kept"] == 1 and _left(january)


def test_a_pending_exclusion_claim_and_an_open_review_hold_their_evidence(
    buyer, vendor_engineer, staff, contract, clock
):
    from datetime import UTC, datetime

    from incidents import services as incidents
    from reviews.tests.factories import ANNIVERSARY, open_review

    clock.set(feb(10, 10))
    incident = incidents.open_incident(
        actor=buyer,
        contract=contract,
        title="Checkout down",
        severity="critical",
        environment="production",
        component="api",
    )
    clock.advance(minutes=5)
    incidents.acknowledge_incident(actor=vendor_engineer, incident=incident)
    clock.set(feb(10, 13))
    incidents.resolve_incident(actor=vendor_engineer, incident=incident, message="Upstream DNS fixed")
    claim = incidents.claim_exclusion(
        actor=vendor_engineer, incident=incident, kind="third_party", reason="The DNS provider failed."
    )
    review = open_review(contract, generate_packet=False)
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    claim_hold, review_hold = holds_for(contract)
    assert claim_hold.label == f"Pending exclusion claim (third-party dependency) on {incident.reference}"
    assert (claim_hold.start, claim_hold.end) == (feb(10, 9), feb(10, 14))
    assert review_hold.label == f"Annual review {review.year} (preparing)"
    assert review_hold.covers(datetime(ANNIVERSARY.year - 1, ANNIVERSARY.month, ANNIVERSARY.day + 1, tzinfo=UTC))

    incidents.decide_claim(actor=buyer, claim=claim, accept=False, reason="Not in the exclusions.")
    assert [h.kind for h in holds_for(contract)] == ["review"]
