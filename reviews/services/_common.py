"""What the annual review use cases share: the states, who may do what, the
lock, status changes, notices and voiding signatures.

Life of a review::

    preparing ──circulate──> in_review ──freeze──> awaiting_signatures ──last approval──> signed
        ^  ^                    │                      │   │
        │  └──── return ────────┘<──── return ─────────┘   └── any rejection ──> preparing
        └─ (preparing / in_review / awaiting) ── close ──> rejected (final, without agreement)

Every use case is keyword-only, runs its writes in one short transaction,
checks the actor's right, and writes an audit entry per change. Errors:
``InvalidInput`` (400, field errors), ``NotPermitted`` (403), ``Conflict``
(409, naming the state and what it allows).

Lock order (``core.locks``, the one order of every service): the contract
row, then the review row, then the review's draft SLA versions, then
(through ``audit.record``) the audit chain's head. No
packet is rendered and no mail is sent while any of them is held
(``reviews.services.packets``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.urls import reverse

from accounts.access import Standing
from accounts.models import User
from accounts.services import notify
from audit import services as audit
from contracts import lock_objects
from contracts import services as contract_services
from contracts.access import can_manage, can_manage_side, contract_standing
from contracts.models import BoardSeat, Contract, SLAVersion
from core.actor import Actor, SystemActor, is_person
from core.errors import Conflict, NotPermitted
from core.locks import lock_rows
from reviews.models import Amendment, AnnualReview, ReviewPacket, Signature

S = AnnualReview.Status
D = Signature.Decision
SYSTEM = SystemActor("system:annual-reviews")
OPEN_STATES = (S.PREPARING, S.IN_REVIEW, S.AWAITING_SIGNATURES)
EDITABLE_STATES = OPEN_STATES


def review_url(review: AnnualReview) -> str:
    return reverse("reviews:detail", args=[review.pk])


def hold_label(review: AnnualReview) -> str:
    """How a draft SLA version held by the review names its holder."""
    return review.label


# -- who -----------------------------------------------------------------------------------------


def standing(actor: Actor, contract: Contract, *, seats: Sequence[BoardSeat] | None = None) -> Standing:
    """``seats``: the contract's board as a page just read it (every seat), instead of reading it again."""
    if seats is not None:
        contract._board_user_ids = {seat.user_id for seat in seats}  # type: ignore[attr-defined]
    else:
        contract.__dict__.pop("_board_user_ids", None)  # board changes between calls: read it fresh
    return contract_standing(actor, contract)


def is_chair(actor: Actor, contract: Contract, *, seats: Sequence[BoardSeat] | None = None) -> bool:
    user_id = actor.pk if is_person(actor) else None
    if user_id is None:
        return False
    if seats is not None:
        return any(seat.is_chair and seat.user_id == user_id for seat in seats)
    return BoardSeat.objects.filter(contract=contract, user_id=user_id, is_chair=True).exists()


def may_lead(actor: Actor, contract: Contract, *, seats: Sequence[BoardSeat] | None = None) -> bool:
    """Open, circulate, freeze, return and close a review; edit its record:
    the chair, the buyer's contract managers, staff. (``seats``: as ``standing``.)"""
    return can_manage(standing(actor, contract, seats=seats)) or is_chair(actor, contract, seats=seats)


def may_comment(actor: Actor, contract: Contract) -> bool:
    s = standing(actor, contract)
    return s.on_board or can_manage_side(s)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotPermitted(message)


def person(actor: Actor) -> Any:
    """The user behind the actor, None for a system actor (for ``*_by`` columns)."""
    return actor if is_person(actor) else None


# -- locking and state ----------------------------------------------------------------------------------


def lock(review: AnnualReview) -> AnnualReview:
    """Lock in the fixed order (``core.locks``): contract, review, the review's draft versions."""
    contract = lock_objects.contract(review.contract_id)
    locked = AnnualReview.objects.select_for_update().get(pk=review.pk)
    locked.contract = Contract.objects.select_related("buyer", "vendor").get(pk=contract.pk)
    drafts = list(
        Amendment.objects.filter(review=locked, status=Amendment.Status.PROPOSED).values_list(
            "sla_version_id", flat=True
        )
    )
    if drafts:
        lock_rows(SLAVersion.objects.filter(pk__in=drafts))
    return locked


def allowed(review: AnnualReview) -> list[str]:
    return {
        S.PREPARING: ["edit", "regenerate_packet", "propose_amendment", "comment", "circulate", "freeze", "close"],
        S.IN_REVIEW: ["edit", "propose_amendment", "comment", "return", "freeze", "close"],
        S.AWAITING_SIGNATURES: ["sign", "reject", "comment", "edit", "return", "close"],
        S.SIGNED: ["comment"],
        S.REJECTED: [],
    }[S(review.status)]


def require_state(review: AnnualReview, states: Iterable[str], action: str) -> None:
    if review.status not in states:
        raise Conflict(
            f"Cannot {action}: the review is {review.get_status_display().lower()}.",
            state=review.status,
            allowed=allowed(review),
        )


def set_status(review: AnnualReview, to: str, *, actor: Actor, verb: str, extra: dict[str, Any] | None = None) -> None:
    before = review.status
    review.status = to
    review.save(update_fields=["status", "updated_at", *(extra or {}).keys()])
    audit.record(
        actor=actor,
        verb=verb,
        obj=review,
        contract_id=review.contract_id,
        changes={"status": [before, to], **{k: [None, v] for k, v in (extra or {}).items()}},
    )


# -- notices ----------------------------------------------------------------------------------------------


def board_users(review: AnnualReview) -> list[User]:
    return [s.user for s in BoardSeat.objects.filter(contract_id=review.contract_id).select_related("user")]


def tell(users: Iterable[User], review: AnnualReview, *, event: str, title: str, body: str = "") -> None:
    """In-app notices; their emails go out after commit through the outbox (``notify``)."""
    notify(
        users=[u for u in users if u.is_active],
        event=event,
        title=title,
        body=body,
        url=review_url(review),
        contract_id=review.contract_id,
        organization_ids=[review.contract.buyer_id, review.contract.vendor_id],
    )


def others_on_board(review: AnnualReview, actor: Actor) -> list[User]:
    return [u for u in board_users(review) if u.pk != getattr(actor, "pk", None)]


def signatories_except(review: AnnualReview, users: Iterable[User]) -> list[User]:
    skip = {u.pk for u in users}
    return [s.user for s in review.signatories.select_related("user") if s.user_id not in skip]


# -- signatures ---------------------------------------------------------------------------------------------


def valid_signatures(review: AnnualReview, packet: ReviewPacket | None) -> list[Signature]:
    if packet is None:
        return []
    return list(Signature.objects.filter(review=review, packet=packet, voided_at__isnull=True).select_related("user"))


def void_signatures(
    review: AnnualReview, *, actor: Actor, reason: str, now: datetime, keep: Signature | None = None
) -> list[User]:
    """Void every valid signature of the review (rows stay, marked void) and
    audit it; returns who had signed. The caller holds the review's lock."""
    valid = Signature.objects.filter(review=review, voided_at__isnull=True)
    if keep is not None:
        valid = valid.exclude(pk=keep.pk)
    rows = list(valid.select_related("user"))
    if not rows:
        return []
    Signature.objects.filter(pk__in=[r.pk for r in rows]).update(voided_at=now, void_reason=reason[:300])
    audit.record(
        actor=actor,
        verb="annual_review.signatures_voided",
        obj=review,
        contract_id=review.contract_id,
        changes={"signatures": [[r.user.username for r in rows], []], "reason": [None, reason]},
    )
    return [r.user for r in rows]


# -- the draft SLA versions the review holds ------------------------------------------------------------------


def hold_draft(review: AnnualReview, version: SLAVersion, *, actor: Actor) -> SLAVersion:
    """The amendment's draft is edited only through the review from now on:
    the contract's terms editor refuses it and links here."""
    return contract_services.sla_version_hold(
        actor=actor, version=version, label=hold_label(review), url=review_url(review)
    )


def release_draft(review: AnnualReview, version: SLAVersion, *, actor: Actor) -> None:
    """Back to the contract's terms editor (the amendment is withdrawn, the
    review closed or signed)."""
    contract_services.sla_version_release(actor=actor, version=version, url=review_url(review))


def release_drafts(review: AnnualReview, *, actor: Actor) -> None:
    for amendment in Amendment.objects.filter(review=review, status=Amendment.Status.PROPOSED).select_related(
        "sla_version"
    ):
        release_draft(review, amendment.sla_version, actor=actor)
