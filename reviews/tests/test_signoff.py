"""Sign-off: each required signatory approves or rejects the frozen packet;
signatures record who, when, from where and which packet; a change after a
signature voids them all; the last approval puts the amended SLA in force on
its effective date. Concurrency: on PostgreSQL (and SQLite, whose IMMEDIATE
transactions serialize writers) two people signing at the same moment both
count exactly once, and the same person submitting twice counts once."""

from __future__ import annotations

import copy
import threading
from datetime import timedelta

import pytest
from django.db import connections

from accounts.models import Notification
from audit.models import AuditEntry
from audit.services import verify_chain
from contracts import services as contract_services
from contracts.models import SLAVersion
from core.errors import Conflict, InvalidInput, NotPermitted
from reviews import packet as document
from reviews.models import Amendment, AnnualReview, ReviewPacket, Signature
from reviews.services import amendments, lifecycle, packets, signatures
from reviews.tests.factories import EFFECTIVE, NOW, open_review, propose, seat_board, sign_all

S = AnnualReview.Status


@pytest.fixture
def chair(contract, staff, buyer, vendor):
    return seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)


@pytest.fixture
def frozen(contract, chair, buyer, clock):
    """A review with an amendment, frozen and awaiting the three signatures."""
    review = open_review(contract, generate_packet=False)
    propose(review, buyer)
    lifecycle.review_freeze(actor=chair, review=review)
    review.refresh_from_db()
    return review


def sign(review, person, decision="approve", *, reason="", checksum=None, ip="192.0.2.10"):
    review.refresh_from_db()
    return signatures.review_sign(
        actor=person,
        review=review,
        decision=decision,
        reason=reason,
        packet_checksum=checksum or packets.signing_packet(review).checksum,
        ip_address=ip,
    )


def valid(review):
    return list(Signature.objects.filter(review=review, voided_at__isnull=True).order_by("pk"))


# -- freeze and sign ------------------------------------------------------------------------------


def test_freezing_puts_the_packet_to_signature_and_asks_the_signatories(frozen, chair, buyer, vendor):
    assert frozen.status == S.AWAITING_SIGNATURES
    packet = packets.signing_packet(frozen)
    assert packet.frozen and packet.frozen_at == NOW
    assert len(packet.checksum) == 64
    with packet.pdf.open("rb") as handle:
        import hashlib

        assert hashlib.sha256(handle.read()).hexdigest() == packet.checksum
    for person in (chair, buyer, vendor):
        assert Notification.objects.filter(user=person, event="review.signature_requested").count() == 1


def test_a_signature_records_the_person_the_time_the_address_and_the_checksum(frozen, buyer, clock):
    clock.advance(hours=2)
    signature = sign(frozen, buyer, ip="203.0.113.7")
    packet = packets.signing_packet(frozen)
    assert (signature.user, signature.decision, signature.at) == (buyer, "approve", clock.now)
    assert signature.ip_address == "203.0.113.7"
    assert signature.packet == packet and signature.packet_checksum == packet.checksum
    assert signature.role == "Buyer representative"
    entry = AuditEntry.objects.get(verb="annual_review.approved")
    assert entry.changes["packet_checksum"] == [None, packet.checksum]
    assert entry.changes["ip_address"] == [None, "203.0.113.7"]
    frozen.refresh_from_db()
    assert frozen.status == S.AWAITING_SIGNATURES  # two to go


def test_bad_signatures_are_refused_with_a_reason(frozen, buyer, vendor_engineer, outsider, staff):
    with pytest.raises(NotPermitted) as exc:
        sign(frozen, vendor_engineer)
    assert "Only the review's signatories may sign" in exc.value.message
    with pytest.raises(NotPermitted):
        sign(frozen, staff)

    with pytest.raises(Conflict) as exc:
        sign(frozen, buyer, checksum="0" * 64)
    assert "is not the packet up for signature" in exc.value.message
    assert exc.value.state == S.AWAITING_SIGNATURES

    sign(frozen, buyer)
    with pytest.raises(Conflict) as exc:
        sign(frozen, buyer)
    assert "already approved packet v" in exc.value.message
    assert "cannot be changed or withdrawn" in exc.value.message
    with pytest.raises(Conflict):
        sign(frozen, buyer, "reject", reason="Changed my mind")
    assert len(valid(frozen)) == 1

    with pytest.raises(InvalidInput) as exc:
        signatures.review_sign(actor=buyer, review=frozen, decision="maybe", packet_checksum="x")
    assert "decision" in exc.value.errors


def test_a_rejection_needs_a_reason_and_returns_the_review_to_preparation(frozen, chair, buyer, vendor):
    sign(frozen, buyer)
    with pytest.raises(InvalidInput) as exc:
        sign(frozen, vendor, "reject")
    assert "reason" in exc.value.errors
    rejection = sign(frozen, vendor, "reject", reason="The 99.99 % target needs a second region first.")
    frozen.refresh_from_db()
    assert frozen.status == S.PREPARING
    approval = Signature.objects.get(user=buyer)
    assert approval.is_void and "rejected by" in approval.void_reason  # kept, marked void
    rejection.refresh_from_db()
    assert not rejection.is_void  # the rejection stays on the record
    assert Notification.objects.filter(user=chair, event="review.rejected").exists()
    assert SLAVersion.objects.get(pk=frozen.amendments.get().sla_version_id).is_draft  # nothing activated

    with pytest.raises(Conflict) as exc:
        sign(frozen, chair, checksum=rejection.packet_checksum)
    assert "not awaiting signatures" in exc.value.message
    assert "rejected packet v" in exc.value.message

    # Reworked and frozen again: a new packet, everybody signs it afresh.
    lifecycle.review_freeze(actor=chair, review=frozen)
    frozen.refresh_from_db()
    assert packets.signing_packet(frozen).pk != rejection.packet_id
    sign_all(frozen, [buyer, vendor, chair])
    frozen.refresh_from_db()
    assert frozen.status == S.SIGNED


def test_a_review_closed_without_agreement_cannot_be_signed(frozen, chair, buyer):
    checksum = packets.signing_packet(frozen).checksum
    lifecycle.review_close(actor=chair, review=frozen, reason="The parties will renegotiate from scratch.")
    with pytest.raises(Conflict) as exc:
        sign(frozen, buyer, checksum=checksum)
    assert "closed without agreement" in exc.value.message
    assert exc.value.state == S.REJECTED


# -- a change after a signature ------------------------------------------------------------------


def test_a_change_to_the_amendment_after_a_signature_voids_all_signatures_and_tells_the_signers(
    frozen, chair, buyer, vendor
):
    first_packet = packets.signing_packet(frozen)
    sign(frozen, buyer)
    sign(frozen, vendor)
    amendments.amendment_update(
        actor=chair,
        amendment=frozen.amendments.get(),
        rationale="Availability fell below target three months in a row; 99.99 % from January.",
    )
    frozen.refresh_from_db()
    assert frozen.status == S.AWAITING_SIGNATURES
    signatures = list(Signature.objects.filter(review=frozen))
    assert len(signatures) == 2 and all(s.is_void for s in signatures)  # rows kept, marked void
    assert all("changed after packet v" in s.void_reason for s in signatures)
    new_packet = packets.signing_packet(frozen)
    assert new_packet.version == first_packet.version + 1 and new_packet.frozen
    for person in (buyer, vendor):
        note = Notification.objects.get(user=person, event="review.signature_voided")
        assert f"packet v{new_packet.version}" in note.body
    assert not Notification.objects.filter(user=chair, event="review.signature_voided").exists()
    assert Notification.objects.filter(user=chair, event="review.circulated").exists()
    assert AuditEntry.objects.filter(verb="annual_review.signatures_voided").count() == 1

    with pytest.raises(Conflict):  # the old packet is no longer up for signature
        sign(frozen, buyer, checksum=first_packet.checksum)
    sign_all(frozen, [buyer, vendor, chair])
    frozen.refresh_from_db()
    assert frozen.status == S.SIGNED
    assert verify_chain().ok


def test_regenerating_or_editing_the_record_after_a_signature_voids_too(frozen, chair, buyer):
    sign(frozen, buyer)
    packets.packet_regenerate(actor=chair, review=frozen)
    assert not valid(frozen)
    sign(frozen, buyer)
    lifecycle.review_update(actor=chair, review=frozen, minutes="The board met on 15 December.")
    assert not valid(frozen)
    assert ReviewPacket.objects.filter(review=frozen, frozen=True).count() == 3


def test_the_contracts_terms_editor_refuses_the_held_draft_and_the_signatures_stand(frozen, chair, buyer):
    sign(frozen, buyer)
    draft = frozen.amendments.get().sla_version
    assert (draft.held_by, draft.held_by_url) == ("Annual review 2027", f"/reviews/{frozen.pk}/")
    terms = copy.deepcopy(draft.terms)
    terms["claim_window_days"] = terms["claim_window_days"] + 15
    with pytest.raises(Conflict) as exc:
        contract_services.sla_version_update(actor=chair, version=draft, terms=terms)  # the contract's editor
    assert exc.value.state == "held" and f"/reviews/{frozen.pk}/" in exc.value.message
    draft.refresh_from_db()
    assert draft.terms != terms
    assert not Signature.objects.get(user=buyer).is_void


def test_editing_the_draft_terms_through_the_review_voids_the_signatures_and_audits_it(frozen, chair, buyer):
    sign(frozen, buyer)
    first = packets.signing_packet(frozen)
    amendment = frozen.amendments.get()
    terms = copy.deepcopy(amendment.sla_version.terms)
    terms["claim_window_days"] = terms["claim_window_days"] + 15
    amendments.amendment_update(actor=chair, amendment=amendment, terms=terms)
    assert SLAVersion.objects.get(pk=amendment.sla_version_id).terms == terms
    assert Signature.objects.get(user=buyer).is_void
    voided = AuditEntry.objects.get(verb="annual_review.signatures_voided")
    assert voided.changes["signatures"] == [["buyer"], []]
    assert Notification.objects.filter(user=buyer, event="review.signature_voided").exists()
    packet = packets.signing_packet(frozen)
    assert packet.version == first.version + 1
    assert packet.amendments_fingerprint == document.amendments_fingerprint(frozen)
    assert verify_chain().ok


def test_signing_puts_the_held_draft_in_force_and_releases_it(frozen, chair, buyer, vendor):
    draft = frozen.amendments.get().sla_version
    sign_all(frozen, [buyer, vendor, chair])
    draft.refresh_from_db()
    assert draft.status == "active" and not draft.held_by  # in force, and no longer the review's
    assert AuditEntry.objects.filter(verb="sla_version.released", object_id=str(draft.pk)).count() == 1


def test_closing_without_agreement_gives_the_draft_back_to_the_terms_editor(frozen, chair):
    draft = frozen.amendments.get().sla_version
    lifecycle.review_close(actor=chair, review=frozen, reason="The parties will renegotiate from scratch.")
    draft.refresh_from_db()
    assert draft.is_draft and not draft.is_held
    assert AuditEntry.objects.filter(verb="sla_version.released", object_id=str(draft.pk)).count() == 1


def test_withdrawing_the_amendment_gives_the_draft_back_to_the_terms_editor(frozen, chair):
    amendment = frozen.amendments.get()
    amendments.amendment_withdraw(actor=chair, amendment=amendment, reason="Next year.")
    draft = SLAVersion.objects.get(pk=amendment.sla_version_id)
    assert draft.is_draft and not draft.is_held
    contract_services.sla_version_update(actor=chair, version=draft, change_summary="Back to the editor")


def test_a_signature_on_terms_changed_behind_the_packet_is_refused(frozen, chair, buyer, vendor):
    """Even when nothing noticed the edit (no commit hook ran), the signature
    checks the amendments against the frozen packet."""
    sign(frozen, buyer)
    draft = frozen.amendments.get().sla_version
    terms = copy.deepcopy(draft.terms)
    terms["claim_window_days"] = terms["claim_window_days"] + 15
    SLAVersion.objects.filter(pk=draft.pk).update(terms=terms)
    with pytest.raises(Conflict) as exc:
        sign(frozen, vendor)
    assert "amendments changed after packet v" in exc.value.message
    assert Signature.objects.get(user=buyer).is_void
    assert not Signature.objects.filter(user=vendor).exists()
    sign(frozen, vendor)  # on the new packet
    assert [s.user for s in valid(frozen)] == [vendor]


def test_a_signature_on_a_record_changed_behind_the_packet_is_refused(frozen, buyer, vendor):
    """Between a record change's commit and its new packet, a signature on
    the old packet is refused, and the new packet is frozen then."""
    sign(frozen, buyer)
    first = packets.signing_packet(frozen)
    AnnualReview.objects.filter(pk=frozen.pk).update(minutes="The board met on 15 December.")
    with pytest.raises(Conflict) as exc:
        sign(frozen, vendor, checksum=first.checksum)
    assert f"The board's record changed after packet v{first.version}" in exc.value.message
    assert Signature.objects.get(user=buyer).is_void and not Signature.objects.filter(user=vendor).exists()
    assert packets.signing_packet(frozen).data["review"]["minutes"] == "The board met on 15 December."


# -- the last signature ----------------------------------------------------------------------------


def test_the_last_signature_puts_the_amended_version_in_force_on_its_effective_date(
    frozen, contract, chair, buyer, vendor, clock
):
    sign(frozen, buyer)
    sign(frozen, chair)
    assert contract_services.version_in_force(contract, EFFECTIVE).number == 1  # not yet
    clock.advance(hours=1)
    sign(frozen, vendor)  # the vendor's representative completes it: no manager role needed
    frozen.refresh_from_db()
    assert frozen.status == S.SIGNED and frozen.signed_at == clock.now
    amendment = frozen.amendments.get()
    assert amendment.status == Amendment.Status.ACTIVATED
    v2 = amendment.sla_version
    v2.refresh_from_db()
    assert (v2.status, v2.effective_from, v2.activated_by) == ("active", EFFECTIVE, vendor)
    assert contract_services.version_in_force(contract, EFFECTIVE - timedelta(microseconds=1)).number == 1
    assert contract_services.version_in_force(contract, EFFECTIVE).number == 2
    assert contract_services.version_in_force(contract, clock.now).number == 1  # still v1 today
    entry = AuditEntry.objects.get(verb="sla_version.activated", object_id=str(v2.pk))
    assert entry.actor_id == vendor.pk
    assert entry.changes["authorized_by_review"] == [None, frozen.pk]
    assert Notification.objects.filter(user=buyer, event="review.signed").exists()
    with pytest.raises(Conflict) as exc:
        sign(frozen, buyer)
    assert "signed on" in exc.value.message
    assert verify_chain().ok


def test_an_effective_date_that_passed_before_the_last_signature_takes_effect_at_signing(
    frozen, contract, chair, buyer, vendor, clock
):
    sign(frozen, buyer)
    sign(frozen, chair)
    clock.set(EFFECTIVE + timedelta(days=3))
    sign(frozen, vendor)
    v2 = SLAVersion.objects.get(contract=contract, number=2)
    assert v2.effective_from == clock.now  # never backdated over reported periods
    assert "took effect at signing" in frozen.amendments.get().note


def test_the_review_does_not_authorize_other_versions(frozen, contract, vendor):
    other = SLAVersion.objects.get(contract=contract, number=1)
    with pytest.raises(NotPermitted):
        contract_services.sla_version_activate(
            actor=vendor, version=frozen.amendments.get().sla_version, authorized_by_review=frozen
        )  # not signed yet
    assert other.status == "active"


def test_without_amendments_signing_confirms_the_terms(contract, chair, buyer, vendor, clock):
    review = open_review(contract, generate_packet=False)
    lifecycle.review_freeze(actor=chair, review=review)
    sign_all(review, [buyer, vendor, chair])
    review.refresh_from_db()
    assert review.status == S.SIGNED
    assert SLAVersion.objects.filter(contract=contract).count() == 1


# -- concurrency -------------------------------------------------------------------------------------


def _race(calls):
    """Run each call on its own thread (own database connection), released
    together by a barrier; returns what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture
def raced(transactional_db, contract, staff, buyer, vendor, monkeypatch):
    from incidents.tests.conftest import FrozenClock

    frozen_clock = FrozenClock(NOW)
    monkeypatch.setattr("django.utils.timezone.now", lambda: frozen_clock.now)
    chair = seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)
    review = open_review(contract, generate_packet=False)
    propose(review, buyer)
    lifecycle.review_freeze(actor=chair, review=review)
    review.refresh_from_db()
    return review, chair


@pytest.mark.django_db(transaction=True)
def test_two_signatories_signing_at_the_same_moment_both_count_exactly_once(raced, contract, buyer, vendor):
    review, chair = raced
    sign(review, chair)
    checksum = packets.signing_packet(review).checksum
    results = _race(
        [
            lambda: signatures.review_sign(actor=buyer, review=review, decision="approve", packet_checksum=checksum),
            lambda: signatures.review_sign(actor=vendor, review=review, decision="approve", packet_checksum=checksum),
        ]
    )
    assert all(isinstance(r, Signature) for r in results), results
    review.refresh_from_db()
    assert review.status == S.SIGNED  # whoever came second saw the first and completed it
    assert sorted(s.user.username for s in valid(review)) == ["buyer", "chair", "vendor"]
    assert Signature.objects.filter(review=review).count() == 3
    assert SLAVersion.objects.get(contract=contract, number=2).status == "active"  # activated once
    assert AuditEntry.objects.filter(verb="sla_version.activated", contract_id=contract.pk).count() == 2  # v1, v2
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_the_same_person_submitting_twice_at_once_counts_once(raced, buyer):
    review, _ = raced
    checksum = packets.signing_packet(review).checksum
    results = _race(
        [lambda: signatures.review_sign(actor=buyer, review=review, decision="approve", packet_checksum=checksum)] * 2
    )
    signed = [r for r in results if isinstance(r, Signature)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(signed) == 1 and len(refused) == 1, results
    assert "already approved" in refused[0].message
    assert Signature.objects.filter(review=review, user=buyer).count() == 1
    assert AuditEntry.objects.filter(verb="annual_review.approved").count() == 1


# -- the signed packet ----------------------------------------------------------------------------


def test_the_signed_packet_carries_each_signature_and_verifies(frozen, chair, buyer, vendor, client_for, outsider):
    import io

    from pypdf import PdfReader

    from audit.documents import check

    url = f"/reviews/{frozen.pk}/packets/{packets.signing_packet(frozen).version}/signed.pdf"
    assert client_for(buyer).get(url).status_code == 404  # not signed off yet
    sign_all(frozen, [buyer, vendor, chair])
    frozen.refresh_from_db()
    assert frozen.status == S.SIGNED
    assert client_for(outsider).get(url).status_code == 404

    response = client_for(buyer).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(response.content)).pages)
    for person in (buyer, vendor, chair):
        assert person.get_full_name() in " ".join(text.split()), person
    assert check(response.content).valid
    tampered = bytearray(response.content)
    tampered[len(tampered) // 2] ^= 0x01
    assert not check(bytes(tampered)).valid
