"""Annual reviews: opened by beat ahead of the anniversary (once), the board's
signatories, amendments with their rationale, and the packet PDF."""

from __future__ import annotations

import copy
import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from accounts.models import Membership, Notification
from accounts.tests.factories import member
from audit.models import AuditEntry
from audit.services import verify_chain
from contracts import services as contract_services
from contracts.models import FeedbackItem, SLAVersion
from core.errors import Conflict, InvalidInput, NotPermitted
from reviews.models import Amendment, AnnualReview, ReviewComment, ReviewPacket
from reviews.services import amendments, board, comments, lifecycle, opening, packets
from reviews.tasks import open_due_reviews
from reviews.tests.factories import ANNIVERSARY, EFFECTIVE, open_review, propose, seat_board, year_of_reports


def pdf_text(packet: ReviewPacket) -> str:
    with packet.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def chair(contract, staff, buyer, vendor):
    return seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)


# -- opened by beat ------------------------------------------------------------------------------


def test_beat_opens_the_review_lead_days_before_the_anniversary_once(contract, chair, buyer, vendor, clock, settings):
    settings.COVENANT_REVIEW_LEAD_DAYS = 30
    clock.set(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))  # 31 days ahead: not yet
    assert open_due_reviews() == []
    assert not AnnualReview.objects.exists()

    clock.set(datetime(2026, 12, 2, 6, 0, tzinfo=UTC))  # 30 days ahead
    opened = open_due_reviews()
    review = AnnualReview.objects.get()
    assert opened == [review.pk]
    assert (review.anniversary, review.year, review.scheduled_for) == (ANNIVERSARY, 2027, ANNIVERSARY)
    assert review.status == AnnualReview.Status.PREPARING
    assert review.opened_by is None
    assert review.packets.get().version == 1  # generated when the review opens
    for person in (chair, buyer, vendor):
        assert Notification.objects.filter(user=person, event="review.opened").count() == 1
    assert AuditEntry.objects.filter(verb="annual_review.opened", contract_id=contract.pk).count() == 1

    assert open_due_reviews() == []  # again the same day
    clock.set(datetime(2026, 12, 3, 6, 0, tzinfo=UTC))
    assert open_due_reviews() == []  # and the next day
    assert AnnualReview.objects.count() == 1
    assert Notification.objects.filter(user=chair, event="review.opened").count() == 1
    assert verify_chain().ok


def test_the_lead_is_a_setting(contract, chair, clock, settings):
    settings.COVENANT_REVIEW_LEAD_DAYS = 45
    clock.set(datetime(2026, 11, 17, 6, 0, tzinfo=UTC))  # 45 days before 1 Jan 2027
    assert len(open_due_reviews()) == 1


def test_a_missed_run_is_caught_up(contract, chair, clock, settings):
    settings.COVENANT_REVIEW_LEAD_DAYS = 30
    clock.set(datetime(2027, 1, 10, 6, 0, tzinfo=UTC))  # the portal was down from 2 Dec to 9 Jan
    assert len(open_due_reviews()) == 1
    assert AnnualReview.objects.get().anniversary == ANNIVERSARY


def test_draft_contracts_and_contracts_without_an_anniversary_left_get_none(
    buyer_org, vendor_org, chair, contract, clock
):
    from contracts.tests.factories import make_contract

    make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-DRAFT", activate=False)
    make_contract(
        buyer=buyer_org,
        vendor=vendor_org,
        reference="C-SHORT",
        start_date=date(2026, 6, 1),
        term_end=date(2026, 12, 31),
    )
    clock.set(datetime(2026, 12, 5, 6, 0, tzinfo=UTC))
    assert [r.contract.reference for r in AnnualReview.objects.filter(pk__in=open_due_reviews())] == ["C-1"]


def test_anniversaries():
    class C:
        start_date = date(2024, 2, 29)
        term_end = date(2030, 1, 1)

    assert opening.anniversary_in(date(2024, 2, 29), 2025) == date(2025, 2, 28)
    assert opening.due_anniversary(C, date(2025, 1, 30), lead=30) == date(2025, 2, 28)
    assert opening.due_anniversary(C, date(2025, 1, 28), lead=30) is None  # not yet, and none before
    assert opening.due_anniversary(C, date(2025, 3, 20), lead=30) == date(2025, 2, 28)  # caught up
    assert opening.due_anniversary(C, date(2025, 6, 1), lead=30) is None  # too long ago


def test_opening_by_hand_is_for_the_chair_and_the_buyers_managers(contract, chair, vendor, buyer, clock):
    with pytest.raises(NotPermitted):
        opening.review_open(actor=vendor, contract=contract)
    review = opening.review_open(actor=chair, contract=contract, generate_packet=False)
    assert review.anniversary == ANNIVERSARY  # the next one
    with pytest.raises(Conflict) as exc:
        opening.review_open(actor=buyer, contract=contract)
    assert "already open" in exc.value.message


# -- the board ----------------------------------------------------------------------------------


def test_signatories_are_the_buyers_and_vendors_representatives_and_the_chair(
    contract, staff, chair, buyer, vendor, buyer_ops, clock
):
    contract_services.board_seat_add(actor=staff, contract=contract, user=buyer_ops)
    review = open_review(contract, generate_packet=False)
    rows = {s.user.username: (s.role, s.required) for s in review.signatories.select_related("user")}
    assert rows == {
        "chair": ("Chair", True),
        "buyer": ("Buyer representative", True),  # the contract manager, ahead of operations
        "vendor": ("Vendor representative", True),
        "buyer-ops": ("Board member", False),
    }


def test_a_board_without_a_vendor_representative_cannot_sign(contract, staff, buyer, clock):
    from accounts.tests.factories import UserFactory

    chair = UserFactory(username="chair")
    contract_services.board_seat_add(actor=staff, contract=contract, user=chair, is_chair=True)
    contract_services.board_seat_add(actor=staff, contract=contract, user=buyer)
    review = open_review(contract, generate_packet=False)
    with pytest.raises(Conflict) as exc:
        lifecycle.review_freeze(actor=chair, review=review)
    assert "no a representative of Acme Cloud (the vendor)" in exc.value.message
    review.refresh_from_db()
    assert review.status == AnnualReview.Status.PREPARING


def test_a_chair_from_a_party_also_represents_it_when_nobody_else_does(buyer_org, vendor_org, staff, contract, clock):
    chair = member("buyer-chair", buyer_org, Membership.Role.CONTRACT_MANAGER)
    vendor = member("vendor-rep", vendor_org, Membership.Role.SUPPORT_ENGINEER)
    contract_services.board_seat_add(actor=staff, contract=contract, user=chair, is_chair=True)
    contract_services.board_seat_add(actor=staff, contract=contract, user=vendor)
    plan, missing = board.signatory_plan(contract)
    assert missing == []
    assert [(u.username, role, req) for u, role, req in plan] == [
        ("buyer-chair", "Chair, Buyer representative", True),
        ("vendor-rep", "Vendor representative", True),
    ]


# -- amendments and the packet -------------------------------------------------------------------


def test_an_amendment_is_a_draft_version_with_a_rationale_and_the_packet_shows_before_and_after(
    contract, chair, buyer, vendor, clock
):
    year_of_reports(contract)
    review = open_review(contract)
    amendment = propose(review, vendor)
    draft = amendment.sla_version
    assert draft.is_draft and draft.number == 2 and draft.based_on.number == 1
    assert draft.terms["uptime"]["target_percent"] == "99.99"
    assert amendment.proposed_by == vendor and amendment.effective_from == EFFECTIVE
    assert Notification.objects.filter(user=buyer, event="review.amendment_proposed").exists()
    assert AuditEntry.objects.filter(verb="annual_review.amendment_proposed").exists()
    assert AuditEntry.objects.filter(verb="sla_version.amended", contract_id=contract.pk).exists()

    FeedbackItem.objects.create(
        contract=contract,
        raised_by=buyer,
        side="buyer",
        category=FeedbackItem.Category.TARGET,
        text="The restore target for critical incidents is unrealistic at night.",
        proposed_action="Split the restore target by business hours.",
        created_at=clock.now,
    )
    packet = packets.packet_regenerate(actor=chair, review=review)
    assert packet.version == 2 and not packet.frozen
    text = pdf_text(packet)
    assert "Annual review 2027" in text
    assert "Proposed amendments" in text
    assert "Raise the availability target" in text
    assert "Availability fell below 99.95 % in October" in text  # the rationale
    assert "BEFORE (V1) AFTER (V2)" in text  # the table's head (set in capitals)
    assert "Uptime › Target %\nuptime.target_percent\n99.95 99.99" in text  # the term, before, after
    # The year's evidence: per metric with its trend, breaches, credits, compliance.
    for heading in (
        "Performance by business outcome",
        "Availability",
        "Time to acknowledge",
        "Customer satisfaction",
        "Breaches and credits",
        "Disputes and their outcomes",
        "Change-notice and maintenance compliance",
        "Incidents by component",
        "Open feedback items",
    ):
        assert heading in text, heading
    assert "Release 7.0" in text  # the late change notice
    flat = " ".join(text.split())
    assert "Split the restore target by business hours." in flat  # an open feedback item's proposed action
    assert "The restore target for critical incidents is unrealistic at night." in flat
    assert "January 2026 – December 2026" in text
    assert "DRAFT" in text  # not frozen: watermarked


def test_a_rationale_is_required(contract, chair, buyer, clock):
    review = open_review(contract, generate_packet=False)
    with pytest.raises(InvalidInput) as exc:
        propose(review, buyer, rationale="  ")
    assert "rationale" in exc.value.errors
    assert not SLAVersion.objects.filter(contract=contract, status="draft").exists()
    assert not Amendment.objects.exists()


def test_only_board_members_propose_and_one_draft_at_a_time(contract, chair, buyer, vendor_engineer, clock):
    review = open_review(contract, generate_packet=False)
    with pytest.raises(NotPermitted):
        propose(review, vendor_engineer)
    propose(review, buyer)
    with pytest.raises(Conflict) as exc:
        propose(review, chair, title="Something else")
    assert "already proposed" in exc.value.message


def test_an_amendment_that_fails_the_contract_rules_cannot_be_put_to_signature(contract, chair, buyer, clock):
    review = open_review(contract, generate_packet=False)
    amendment = propose(review, buyer)
    broken = copy.deepcopy(amendment.sla_version.terms)
    broken["uptime"]["target_percent"] = "150"
    SLAVersion.objects.filter(pk=amendment.sla_version_id).update(terms=broken)  # past the editor's check
    with pytest.raises(InvalidInput) as exc:
        lifecycle.review_freeze(actor=chair, review=review)
    assert "cannot be put to signature" in exc.value.message
    assert any(key.startswith(f"amendments[{amendment.pk}].terms.") for key in exc.value.errors)
    review.refresh_from_db()
    assert review.status == AnnualReview.Status.PREPARING


def test_an_amendment_that_changes_nothing_or_takes_effect_in_the_past_cannot_be_signed(contract, chair, buyer, clock):
    review = open_review(contract, generate_packet=False)
    amendment = propose(review, buyer, terms=None)  # the draft copies v1
    with pytest.raises(InvalidInput) as exc:
        lifecycle.review_freeze(actor=chair, review=review)
    assert "changes nothing" in exc.value.errors[f"amendments[{amendment.pk}].terms"][0]
    with pytest.raises(InvalidInput) as exc:
        amendments.amendment_update(actor=buyer, amendment=amendment, effective_from=datetime(2026, 1, 1, tzinfo=UTC))
    assert "effective_from" in exc.value.errors


def test_withdrawing_leaves_the_draft_for_the_next_proposal(contract, chair, buyer, vendor, vendor_engineer, clock):
    review = open_review(contract, generate_packet=False)
    first = propose(review, vendor)
    with pytest.raises(NotPermitted):
        amendments.amendment_withdraw(actor=vendor_engineer, amendment=first)
    amendments.amendment_withdraw(actor=vendor, amendment=first, reason="Folded into the buyer's proposal")
    second = propose(review, buyer, title="Raise the target further", percent="99.995")
    assert second.sla_version_id == first.sla_version_id  # the contract's one open draft
    assert second.sla_version.terms["uptime"]["target_percent"] == "99.995"


def test_any_board_member_comments(contract, chair, buyer, vendor, outsider, clock):
    review = open_review(contract, generate_packet=False)
    comment = comments.comment_add(actor=vendor, review=review, body="We can commit to 99.99 % from April.")
    assert comment.author == vendor
    assert Notification.objects.filter(user=chair, event="review.commented").exists()
    with pytest.raises(NotPermitted):
        comments.comment_add(actor=outsider, review=review, body="Hello")
    with pytest.raises(InvalidInput):
        comments.comment_add(actor=buyer, review=review, body=" ")
    assert ReviewComment.objects.count() == 1


def test_the_record_and_the_renewal_recommendation(contract, chair, buyer, vendor, clock):
    review = open_review(contract, generate_packet=False)
    with pytest.raises(NotPermitted):
        lifecycle.review_update(actor=vendor, review=review, minutes="x")
    with pytest.raises(InvalidInput) as exc:
        lifecycle.review_update(actor=chair, review=review, recommendation="renegotiate")
    assert "recommendation_reasons" in exc.value.errors
    lifecycle.review_update(
        actor=chair,
        review=review,
        meeting_date=datetime(2026, 12, 15, 14, 0, tzinfo=UTC),
        decisions="Raise the availability target.",
        recommendation="renegotiate",
        recommendation_reasons="Availability missed the target three months in a row.",
    )
    review.refresh_from_db()
    assert review.recommendation == "renegotiate"
    entry = AuditEntry.objects.filter(verb="annual_review.updated").latest("seq")
    assert entry.changes["recommendation"] == ["", "renegotiate"]
    assert lifecycle.latest_recommendation(contract) == review
