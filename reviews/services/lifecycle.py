"""A review's board record and its moves through the states (circulate,
freeze, return, close). Opening is ``opening``; the signatories and the
checks before signing ``board``; signing ``signatures``; amendments
``amendments``; the packet ``packets``. The states and the lock order are
described in ``_common``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit import services as audit
from contracts.models import Contract
from core.actor import Actor
from core.errors import Conflict, InvalidInput
from reviews import packet as document
from reviews.models import AnnualReview, ReviewPacket
from reviews.services import packets
from reviews.services._common import (
    EDITABLE_STATES,
    OPEN_STATES,
    S,
    board_users,
    lock,
    may_lead,
    release_drafts,
    require,
    require_state,
    set_status,
    tell,
    void_signatures,
)
from reviews.services.board import check_ready

RECORD_FIELDS = ("agenda", "meeting_date", "minutes", "decisions", "recommendation", "recommendation_reasons")


# -- the record ------------------------------------------------------------------------------------------


def review_update(*, actor: Actor, review: AnnualReview, **changes: Any) -> AnnualReview:
    """Agenda, meeting date, minutes, decisions and the renewal recommendation.
    While signatures are being collected a change freezes a new packet and
    voids them (``packets.refreeze``, after this commits)."""
    unknown = set(changes) - set(RECORD_FIELDS)
    if unknown:
        raise InvalidInput("Unknown fields.", errors={k: ["This field cannot be changed here."] for k in unknown})
    require(
        may_lead(actor, review.contract), "Only the board's chair and the buyer's contract managers edit the record."
    )
    errors: dict[str, list[str]] = {}
    if "recommendation" in changes and changes["recommendation"] not in ("", *AnnualReview.Recommendation.values):
        errors["recommendation"] = [f"Must be one of: {', '.join(AnnualReview.Recommendation.values)}."]
    meeting = changes.get("meeting_date")
    if meeting is not None and timezone.is_naive(meeting):
        errors["meeting_date"] = ["Must be timezone-aware."]
    now = timezone.now()
    with transaction.atomic():
        review = lock(review)
        require_state(review, EDITABLE_STATES, "edit the record")
        rec = changes.get("recommendation", review.recommendation)
        reasons = changes.get("recommendation_reasons", review.recommendation_reasons)
        if rec and not (reasons or "").strip():
            errors["recommendation_reasons"] = ["Give the reasons for the recommendation."]
        if errors:
            raise InvalidInput("Please correct the errors below.", errors=errors)
        before = audit.snapshot(review, RECORD_FIELDS)
        for key, value in changes.items():
            setattr(review, key, value.strip() if isinstance(value, str) else value)
        review.save()
        delta = audit.diff(before, audit.snapshot(review, RECORD_FIELDS))
        if delta:
            audit.record(
                actor=actor, verb="annual_review.updated", obj=review, contract_id=review.contract_id, changes=delta
            )
    if delta:
        packets.refreeze(review, actor=actor, what="the board record changed", now=now)
    return review


# -- moving through the states ------------------------------------------------------------------------------------------


def review_circulate(*, actor: Actor, review: AnnualReview) -> AnnualReview:
    """Put the packet in front of the board (preparing -> in review),
    rendering a new one first if the amendments changed since the last."""
    require(may_lead(actor, review.contract), "Only the chair and the buyer's contract managers circulate the packet.")
    now = timezone.now()

    def outdated(r: AnnualReview) -> bool:
        packet = packets.current_packet(r)
        return packet is None or packet.amendments_fingerprint != document.amendments_fingerprint(r)

    def admit(locked: AnnualReview) -> bool:
        require_state(locked, (S.PREPARING,), "circulate the packet")
        return True

    def circulate(locked: AnnualReview, packet: ReviewPacket) -> None:
        set_status(locked, S.IN_REVIEW, actor=actor, verb="annual_review.circulated")
        tell(
            board_users(locked),
            locked,
            event="review.circulated",
            title=f"Annual review {locked.year} of {locked.contract.reference}: packet v{packet.version} to review",
            body="Read the packet, comment and propose amendments before the board meets.",
        )

    for _ in range(packets.ATTEMPTS):
        fresh = AnnualReview.objects.get(pk=review.pk)
        require_state(fresh, (S.PREPARING,), "circulate the packet")
        if outdated(fresh):
            packet = packets.publish(review, actor=actor, frozen=False, now=now, admit=admit, then=circulate)
            assert packet is not None  # admit refuses by raising
            return packet.review
        with transaction.atomic():
            locked = lock(review)
            admit(locked)
            packet = packets.current_packet(locked)
            if packet is not None and not outdated(locked):  # else: changed meanwhile, render it
                circulate(locked, packet)
                return locked
    raise Conflict("The review kept changing; try again.", state=review.status, allowed=[])


def review_freeze_check(*, actor: Actor, review: AnnualReview) -> None:
    """What freezing checks before it renders anything: the role, the state,
    the board and the amendments (a short transaction). The page and API
    call it before queueing a freeze, so a refusal answers at once."""
    require(may_lead(actor, review.contract), "Only the chair and the buyer's contract managers freeze the packet.")
    with transaction.atomic():
        locked = lock(review)
        require_state(locked, (S.PREPARING, S.IN_REVIEW), "freeze the packet")
        check_ready(locked, now=timezone.now())


def review_freeze(*, actor: Actor, review: AnnualReview, progress: packets.Progress | None = None) -> ReviewPacket:
    """Freeze the packet and ask the signatories to sign. The board and the
    amendments are checked first (a short transaction), then the packet is
    rendered and, in a second short one, stored with the new status."""
    review_freeze_check(actor=actor, review=review)
    now = timezone.now()
    states = (S.PREPARING, S.IN_REVIEW)

    def admit(locked: AnnualReview) -> bool:
        require_state(locked, states, "freeze the packet")
        check_ready(locked, now=now)
        return True

    def put_to_signature(locked: AnnualReview, packet: ReviewPacket) -> None:
        set_status(locked, S.AWAITING_SIGNATURES, actor=actor, verb="annual_review.put_to_signature")
        tell(
            [s.user for s in locked.signatories.select_related("user")],
            locked,
            event="review.signature_requested",
            title=f"Please sign: {locked.contract.reference} annual review {locked.year} (packet v{packet.version})",
            body=(
                f"Packet v{packet.version} is frozen (SHA-256 {packet.checksum}). Read it, then approve or reject "
                "it in Covenant. A signature cannot be withdrawn."
            ),
        )

    packet = packets.publish(
        review, actor=actor, frozen=True, now=now, admit=admit, then=put_to_signature, progress=progress
    )
    assert packet is not None  # admit refuses by raising
    return packet


def review_return(*, actor: Actor, review: AnnualReview, reason: str = "") -> AnnualReview:
    """Back to preparation (from in review, or from signing, which voids the signatures)."""
    require(may_lead(actor, review.contract), "Only the chair and the buyer's contract managers may do this.")
    now = timezone.now()
    with transaction.atomic():
        review = lock(review)
        require_state(review, (S.IN_REVIEW, S.AWAITING_SIGNATURES), "return the review to preparation")
        signers = void_signatures(
            review,
            actor=actor,
            reason=f"returned to preparation by {actor}" + (f": {reason}" if reason else ""),
            now=now,
        )
        set_status(review, S.PREPARING, actor=actor, verb="annual_review.returned")
        if signers:
            tell(
                signers,
                review,
                event="review.signature_voided",
                title=f"Your signature on {review.contract.reference} annual review {review.year} is void",
                body=f"{actor} returned the review to preparation{': ' + reason if reason else ''}.",
            )
    return review


def review_close(*, actor: Actor, review: AnnualReview, reason: str) -> AnnualReview:
    """Close the review without agreement (final). Its draft SLA versions go
    back to the contract's terms editor."""
    require(may_lead(actor, review.contract), "Only the chair and the buyer's contract managers close a review.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the review closes without agreement.", errors={"reason": ["Required."]})
    now = timezone.now()
    with transaction.atomic():
        review = lock(review)
        require_state(review, OPEN_STATES, "close the review")
        void_signatures(review, actor=actor, reason=f"the review was closed without agreement: {reason}", now=now)
        review.rejected_reason = reason
        set_status(review, S.REJECTED, actor=actor, verb="annual_review.closed", extra={"rejected_reason": reason})
        release_drafts(review, actor=actor)
        tell(
            board_users(review),
            review,
            event="review.rejected",
            title=f"{review.contract.reference} annual review {review.year} closed without agreement",
            body=reason,
        )
    return review


def latest_recommendation(contract: Contract) -> AnnualReview | None:
    """The most recent review that records a renewal recommendation (signed first)."""
    qs = AnnualReview.objects.filter(contract=contract).exclude(recommendation="")
    return qs.filter(status=S.SIGNED).order_by("-anniversary").first() or qs.order_by("-anniversary").first()


__all__ = [
    "OPEN_STATES",
    "latest_recommendation",
    "review_circulate",
    "review_close",
    "review_freeze",
    "review_freeze_check",
    "review_return",
    "review_update",
]
