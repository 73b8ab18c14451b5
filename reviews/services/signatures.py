"""The board's sign-off: each signatory approves or rejects the frozen packet.

The review row lock serializes signers (on SQLite the IMMEDIATE transaction
does), so two different people signing at the same moment both count, each
exactly once, and whoever comes second sees the first's signature and
completes the review if it was the last one. The unique constraint on
(review, user, packet) is what makes a double submission by the same person
count once even outside this lock.

Activation: the last required approval puts the amended SLA version in force
through ``contracts.services.sla_version_activate`` with the signing person as
actor and ``authorized_by_review=review``: the board's sign-off is the
authority (the last signatory may be the vendor's representative or the chair,
who may not activate terms on their own), and the audit entry names both the
person whose signature completed it and the review.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import services as audit
from contracts import services as contract_services
from contracts.access import can_amend, can_manage, can_manage_side
from contracts.models import BoardSeat
from core.actor import Actor, is_person
from core.errors import Conflict, InvalidInput, NotPermitted
from reviews import packet as document
from reviews.models import Amendment, AnnualReview, ReviewPacket, ReviewSignatory, Signature
from reviews.services import packets
from reviews.services._common import (
    SYSTEM,
    D,
    S,
    allowed,
    board_users,
    is_chair,
    lock,
    release_draft,
    set_status,
    standing,
    tell,
    valid_signatures,
    void_signatures,
)


def review_sign(
    *,
    actor: Actor,
    review: AnnualReview,
    decision: str,
    packet_checksum: str,
    reason: str = "",
    ip_address: str | None = None,
    auth_method: str = "password",
) -> Signature:
    """Approve or reject the frozen packet. Records the person, the time, the
    address and the packet's checksum; cannot be changed or withdrawn. A
    rejection returns the review to preparation; the last required approval
    puts the amended SLA version(s) in force and marks the review signed.

    A packet that no longer shows the amendments or the board's record is
    not signed: a new one is frozen (outside this transaction) and the
    signatory is asked to read it."""
    if decision not in D.values:
        raise InvalidInput("Approve or reject.", errors={"decision": [f"Must be one of: {', '.join(D.values)}."]})
    reason = (reason or "").strip()
    if decision == D.REJECT and not reason:
        raise InvalidInput("A rejection needs a reason.", errors={"reason": ["Say what must change."]})
    now = timezone.now()
    with transaction.atomic():
        review = lock(review)
        _refuse_unsignable(review)
        signatory = _signatory(review, actor)
        packet = _packet_signed(review, packet_checksum)
        if not packets.is_stale(review, packet):
            signature = _record(
                review,
                packet,
                signatory,
                actor=actor,
                decision=decision,
                reason=reason,
                ip_address=ip_address,
                auth_method=auth_method,
                now=now,
            )
            if decision == D.REJECT:
                _rejected(review, signature, actor=actor, now=now)
            elif _complete(review, packet):
                _signed(review, actor=actor, now=now)
            return signature
    raise _refrozen(review, packet, now=now)


def _signatory(review: AnnualReview, actor: Actor) -> ReviewSignatory:
    signatory = review.signatories.filter(user_id=actor.pk).first() if actor.pk is not None else None
    if signatory is None:
        raise NotPermitted(
            "Only the review's signatories may sign: "
            + ", ".join(f"{s.user} ({s.role})" for s in review.signatories.select_related("user"))
            + "."
        )
    return signatory


def _packet_signed(review: AnnualReview, packet_checksum: str) -> ReviewPacket:
    """The packet up for signature, if that is the one the signatory read."""
    packet = packets.signing_packet(review)
    assert packet is not None  # awaiting signatures: a packet was frozen
    if (packet_checksum or "").strip().lower() != packet.checksum:
        raise Conflict(
            f"The packet you are signing (checksum {(packet_checksum or '–')[:12]}…) is not the packet up for "
            f"signature: packet v{packet.version}, checksum {packet.checksum[:12]}…. Read packet v{packet.version} "
            "and sign it.",
            state=review.status,
            allowed=["sign", "reject"],
        )
    return packet


def _refrozen(review: AnnualReview, packet: ReviewPacket, *, now: datetime) -> Conflict:
    """The packet no longer shows what the board signs: freeze a new one (no
    transaction open) and tell the signatory to read it."""
    amendments = packet.amendments_fingerprint != document.amendments_fingerprint(review)
    what = "the amendments changed" if amendments else "the board's record changed"
    new = packets.refreeze(review, actor=SYSTEM, what=what, now=now) or packets.signing_packet(review)
    return Conflict(
        f"{what[0].upper()}{what[1:]} after packet v{packet.version} was frozen, so it can no longer be signed. "
        f"Every signature is void and packet v{new.version if new else '?'} is up for signature: read it and sign "
        "again.",
        state=S.AWAITING_SIGNATURES,
        allowed=["sign", "reject"],
    )


def _record(
    review: AnnualReview,
    packet: ReviewPacket,
    signatory: ReviewSignatory,
    *,
    actor: Actor,
    decision: str,
    reason: str,
    ip_address: str | None,
    auth_method: str,
    now: datetime,
) -> Signature:
    """The signature row (once per person and packet) and its audit entry."""
    earlier = Signature.objects.filter(review=review, user_id=signatory.user_id, packet=packet).first()
    if earlier is not None:
        raise _already(earlier, packet)
    try:
        with transaction.atomic():
            signature = Signature.objects.create(
                review=review,
                packet=packet,
                user_id=signatory.user_id,
                role=signatory.role,
                decision=decision,
                reason=reason,
                at=now,
                ip_address=ip_address or None,
                packet_checksum=packet.checksum,
                auth_method=auth_method[:40],
            )
    except IntegrityError:
        raise _already(Signature.objects.get(review=review, user_id=signatory.user_id, packet=packet), packet) from None
    audit.record(
        actor=actor,
        verb="annual_review.approved" if decision == D.APPROVE else "annual_review.rejected",
        obj=review,
        contract_id=review.contract_id,
        changes={
            "signature": [None, signature.pk],
            "decision": [None, decision],
            "packet": [None, packet.version],
            "packet_checksum": [None, packet.checksum],
            "ip_address": [None, signature.ip_address],
            **({"reason": [None, reason]} if reason else {}),
        },
    )
    return signature


def _already(earlier: Signature, packet: ReviewPacket) -> Conflict:
    return Conflict(
        f"You already {earlier.get_decision_display().lower()} packet v{packet.version} on "
        f"{earlier.at:%-d %b %Y %H:%M} UTC. A signature cannot be changed or withdrawn.",
        state=earlier.review.status,
        allowed=[],
    )


def _refuse_unsignable(review: AnnualReview) -> None:
    if review.status == S.AWAITING_SIGNATURES:
        return
    if review.status == S.REJECTED:
        raise Conflict(
            f"The review was closed without agreement ({review.rejected_reason}); it cannot be signed.",
            state=review.status,
            allowed=[],
        )
    if review.status == S.SIGNED:
        raise Conflict(
            f"The review was signed on {review.signed_at:%-d %b %Y %H:%M} UTC; nothing is left to sign.",
            state=review.status,
            allowed=["comment"],
        )
    last = Signature.objects.filter(review=review, decision=D.REJECT).select_related("user").order_by("-at").first()
    why = (
        f" {last.user} rejected packet v{last.packet.version} on {last.at:%-d %b %Y} and it returned to preparation."
        if last
        else ""
    )
    raise Conflict(
        f"The review is not awaiting signatures (it is {review.get_status_display().lower()}).{why} "
        "It can be signed once a new packet is frozen.",
        state=review.status,
        allowed=allowed(review),
    )


def _complete(review: AnnualReview, packet: ReviewPacket) -> bool:
    required = set(review.signatories.filter(required=True).values_list("user_id", flat=True))
    approved = {s.user_id for s in valid_signatures(review, packet) if s.decision == D.APPROVE}
    return bool(required) and required <= approved


def _rejected(review: AnnualReview, signature: Signature, *, actor: Actor, now: datetime) -> None:
    void_signatures(
        review,
        actor=actor,
        reason=f"packet v{signature.packet.version} was rejected by {actor}",
        now=now,
        keep=signature,
    )
    set_status(review, S.PREPARING, actor=actor, verb="annual_review.returned")
    tell(
        board_users(review),
        review,
        event="review.rejected",
        title=f"{actor} rejected {review.contract.reference} annual review {review.year}",
        body=f"Reason: {signature.reason}\nThe review is back in preparation; a new packet will be put to signature.",
    )


def _signed(review: AnnualReview, *, actor: Actor, now: datetime) -> None:
    review.signed_at = now
    set_status(review, S.SIGNED, actor=actor, verb="annual_review.signed", extra={"signed_at": now})
    lines = []
    for amendment in Amendment.objects.filter(review=review, status=Amendment.Status.PROPOSED).select_related(
        "sla_version"
    ):
        version = amendment.sla_version
        effective = amendment.effective_from
        if effective <= now:
            # Never backdated: the periods already reported on stay as they were.
            amendment.note = (
                f"The agreed date {effective:%-d %b %Y %H:%M} UTC had passed when the last signature arrived; "
                "the terms took effect at signing."
            )
            effective = now
        if version.is_draft:
            contract_services.sla_version_activate(
                actor=actor, version=version, effective_from=effective, authorized_by_review=review
            )
        else:
            amendment.note = f"SLA v{version.number} was already activated outside the review."
        release_draft(review, version, actor=actor)
        amendment.status = Amendment.Status.ACTIVATED
        amendment.activated_at = now
        amendment.save(update_fields=["status", "activated_at", "note", "updated_at"])
        lines.append(f"SLA v{version.number} ({amendment.title}) is in force from {effective:%-d %b %Y %H:%M} UTC.")
    tell(
        board_users(review),
        review,
        event="review.signed",
        title=f"{review.contract.reference} annual review {review.year} is signed",
        body="\n".join(lines) or "The board confirmed the current terms.",
    )


# -- what the pages show ---------------------------------------------------------------------------------------------------


def signature_panel(
    review: AnnualReview,
    *,
    loaded_packets: Iterable[ReviewPacket] | None = None,
    signatories: Iterable[ReviewSignatory] | None = None,
    signatures: Iterable[Signature] | None = None,
) -> list[dict[str, Any]]:
    """Each signatory with the state of their signature on the packet up for
    signature (or signed): approved, rejected, or waiting.

    A page that already read them passes every packet, every signatory (with
    its user) and every signature (with its user) of the review, instead of
    reading them again."""
    packet = packets.signing_packet(review, loaded=loaded_packets)
    if signatures is None:
        found_valid = valid_signatures(review, packet)
    else:
        found_valid = [s for s in signatures if packet is not None and s.packet_id == packet.pk and s.voided_at is None]
    valid = {s.user_id: s for s in found_valid}
    if signatories is None:
        listed = list(review.signatories.select_related("user").order_by("-required", "pk"))
    else:
        listed = sorted(signatories, key=lambda sig: (not sig.required, sig.pk))
    rows = []
    for sig in listed:
        found = valid.get(sig.user_id)
        rows.append(
            {
                "signatory": sig,
                "user": sig.user,
                "role": sig.role,
                "required": sig.required,
                "signature": found,
                "state": found.decision if found else "waiting" if packet else "not_yet",
            }
        )
    return rows


def allowed_actions(
    review: AnnualReview,
    actor: Actor,
    *,
    seats: Sequence[BoardSeat] | None = None,
    loaded_packets: Iterable[ReviewPacket] | None = None,
    signatories: Iterable[ReviewSignatory] | None = None,
    signatures: Iterable[Signature] | None = None,
) -> list[str]:
    """What the person may do to the review now (for pages and the API). A page
    that already read them passes the contract's board seats and every packet,
    signatory and signature of the review, instead of reading them again."""
    if not is_person(actor) or actor.pk is None:
        return []
    user_id: int = actor.pk
    s = standing(actor, review.contract, seats=seats)
    lead = can_manage(s) or is_chair(actor, review.contract, seats=seats)
    out = []
    for action in allowed(review):
        if action in ("edit", "circulate", "freeze", "return", "close") and not lead:
            continue
        if action == "regenerate_packet" and not (s.on_board or can_manage(s)):
            continue
        if action == "propose_amendment" and not can_amend(s):
            continue
        if action == "comment" and not (s.on_board or can_manage_side(s)):
            continue
        if action in ("sign", "reject"):
            packet = packets.signing_packet(review, loaded=loaded_packets)
            if signatories is not None:
                if not any(sig.user_id == user_id for sig in signatories):
                    continue
            elif not review.signatories.filter(user_id=user_id).exists():
                continue
            if packet and signatures is not None:
                if any(sig.user_id == user_id and sig.packet_id == packet.pk for sig in signatures):
                    continue
            elif packet and Signature.objects.filter(review=review, user_id=user_id, packet=packet).exists():
                continue
        out.append(action)
    return out
