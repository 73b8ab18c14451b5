"""SLA amendments proposed in an annual review.

An amendment holds a draft SLA version (``contracts.services.sla_version_hold``):
from the proposal until it is withdrawn, the review closes or its signature
puts it in force, the draft's terms are edited only here, never in the
contract's terms editor. So every change reaches the board: while
signatures are being collected it voids them and freezes a new packet
(``packets.refreeze``, after the change commits).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from audit import services as audit
from contracts import services as contract_services
from contracts.access import can_amend, can_manage
from contracts.models import Contract, SLAVersion
from core.actor import Actor
from core.errors import Conflict, InvalidInput, NotPermitted
from reviews import packet as document
from reviews.models import Amendment, AnnualReview
from reviews.services import packets
from reviews.services._common import (
    S,
    hold_draft,
    is_chair,
    lock,
    others_on_board,
    person,
    release_draft,
    require,
    require_state,
    review_url,
    standing,
    tell,
)

AMENDMENT_FIELDS = ("title", "rationale", "evidence", "effective_from")
AMENDABLE_STATES = (S.PREPARING, S.IN_REVIEW, S.AWAITING_SIGNATURES)


def _aware(value: Any, name: str) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise InvalidInput("Please correct the errors below.", errors={name: ["A date and time with a time zone."]})
    return value


def effective_from_date(contract: Contract, day: date) -> datetime:
    """Local midnight of ``day`` in the SLA's calendar zone."""
    version = document.reference_version(contract, timezone.now())
    zone = version.terms["calendar"]["timezone"] if version else "UTC"
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))


def _evidence(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidInput("Please correct the errors below.", errors={"evidence": ["A list of references."]})
    return [v.strip() for v in value if v.strip()][:50]


def _check_fields(title: str, rationale: str, effective_from: datetime, now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = ["Name the change."]
    if not (rationale or "").strip():
        errors["rationale"] = ["Explain why, with the year's evidence: a rationale is required."]
    if effective_from <= now:
        errors["effective_from"] = ["Must be in the future: signed amendments never change past periods."]
    if errors:
        raise InvalidInput("Please correct the errors below.", errors=errors)


def _open_proposal(review: AnnualReview) -> None:
    taken = Amendment.objects.filter(review=review, status=Amendment.Status.PROPOSED).first()
    if taken is not None:
        raise Conflict(
            f"“{taken.title}” is already proposed on draft SLA v{taken.sla_version.number}; "
            "edit it (one draft SLA version per contract) or withdraw it first.",
            state=review.status,
            allowed=["edit_amendment", "withdraw_amendment"],
        )


def _draft_for(review: AnnualReview, *, actor: Actor, title: str) -> SLAVersion:
    """The contract's open draft (unless another review's amendment holds
    it), else a new one amending the terms in force."""
    contract = review.contract
    draft = SLAVersion.objects.filter(contract=contract, status=SLAVersion.Status.DRAFT).first()
    if draft is not None and Amendment.objects.filter(sla_version=draft, status=Amendment.Status.PROPOSED).exists():
        raise Conflict(
            f"Draft SLA v{draft.number} belongs to another review's amendment.", state=review.status, allowed=[]
        )
    if draft is None:
        return contract_services.sla_version_amend(actor=actor, contract=contract, change_summary=title)
    if draft.side != contract_services.drafting_side(standing(actor, contract)):
        # A draft this review's withdrawn amendment left passes to the proposer's side; the other
        # party's working draft does not (its board members comment on it).
        leftover = (
            draft.held_by_url == review_url(review)
            or Amendment.objects.filter(sla_version=draft, review=review).exists()
        )
        if not leftover:
            raise NotPermitted(
                f"Draft SLA v{draft.number} is the {draft.side}'s working draft: comment on it in the review instead."
            )
        draft = contract_services.sla_version_redraft(actor=actor, version=draft, holder_url=review_url(review))
    return draft


def amendment_propose(
    *,
    actor: Actor,
    review: AnnualReview,
    title: str,
    rationale: str,
    effective_from: datetime,
    evidence: Sequence[str] | str | None = None,
    terms: dict[str, Any] | None = None,
) -> Amendment:
    """Propose an SLA change: a draft version (``sla_version_amend``, or the
    contract's open draft if nobody's amendment holds it), held by the review
    from now on and edited to ``terms`` when given, with its rationale.
    Board members and the buyer's contract managers."""
    require(can_amend(standing(actor, review.contract)), "Only board members may propose amendments.")
    effective_from = _aware(effective_from, "effective_from")
    now = timezone.now()
    _check_fields(title, rationale, effective_from, now)
    refs = _evidence(evidence)
    with transaction.atomic():
        review = lock(review)
        require_state(review, AMENDABLE_STATES, "propose an amendment")
        _open_proposal(review)
        draft = hold_draft(review, _draft_for(review, actor=actor, title=title.strip()), actor=actor)
        if terms is not None:
            draft = contract_services.sla_version_update(
                actor=actor, version=draft, terms=terms, holder_url=review_url(review)
            )
        amendment = Amendment.objects.create(
            review=review,
            sla_version=draft,
            title=title.strip(),
            rationale=rationale.strip(),
            evidence=refs,
            effective_from=effective_from,
            proposed_by=person(actor),
            proposed_at=now,
        )
        audit.record(
            actor=actor,
            verb="annual_review.amendment_proposed",
            obj=amendment,
            contract_id=review.contract_id,
            changes={**audit.created(amendment, list(AMENDMENT_FIELDS)), "sla_version": [None, draft.number]},
        )
        tell(
            others_on_board(review, actor),
            review,
            event="review.amendment_proposed",
            title=f"Amendment proposed for {review.contract.reference}: {amendment.title}",
            body=amendment.rationale,
        )
    packets.refreeze(review, actor=actor, what=f"amendment “{amendment.title}” was proposed", now=now)
    return amendment


def amendment_update(
    *,
    actor: Actor,
    amendment: Amendment,
    title: str | None = None,
    rationale: str | None = None,
    effective_from: datetime | None = None,
    evidence: Sequence[str] | str | None = None,
    terms: dict[str, Any] | None = None,
    change_summary: str | None = None,
) -> Amendment:
    """Edit a proposed amendment's wording, date or draft terms (the only way
    to edit the terms of a draft the review holds). After a signature this
    voids every signature, audited, and puts a new packet to signature."""
    review = amendment.review
    require(can_amend(standing(actor, review.contract)), "Only board members may edit amendments.")
    now = timezone.now()
    with transaction.atomic():
        review = lock(review)
        amendment = Amendment.objects.select_related("sla_version").get(pk=amendment.pk)
        require_state(review, AMENDABLE_STATES, "edit an amendment")
        if amendment.status != Amendment.Status.PROPOSED:
            raise Conflict(f"The amendment is {amendment.get_status_display().lower()}.", state=amendment.status)
        before = audit.snapshot(amendment, AMENDMENT_FIELDS)
        if title is not None:
            amendment.title = title.strip()
        if rationale is not None:
            amendment.rationale = rationale.strip()
        if effective_from is not None:
            amendment.effective_from = _aware(effective_from, "effective_from")
        if evidence is not None:
            amendment.evidence = _evidence(evidence)
        _check_fields(amendment.title, amendment.rationale, amendment.effective_from, now)
        old_terms = amendment.sla_version.terms
        if terms is not None or change_summary is not None:
            draft = hold_draft(review, amendment.sla_version, actor=actor)  # proposed before drafts were held
            amendment.sla_version = contract_services.sla_version_update(
                actor=actor, version=draft, terms=terms, change_summary=change_summary, holder_url=review_url(review)
            )
        amendment.save()
        delta = audit.diff(before, audit.snapshot(amendment, AMENDMENT_FIELDS))
        if delta:
            audit.record(
                actor=actor,
                verb="annual_review.amendment_updated",
                obj=amendment,
                contract_id=review.contract_id,
                changes=delta,
            )
    if delta or (terms is not None and terms != old_terms):
        packets.refreeze(review, actor=actor, what=f"amendment “{amendment.title}” changed", now=now)
    return amendment


def amendment_withdraw(*, actor: Actor, amendment: Amendment, reason: str = "") -> Amendment:
    """Take a proposal off the table: its draft SLA version stays a draft,
    back in the contract's terms editor."""
    review = amendment.review
    s = standing(actor, review.contract)
    require(
        can_manage(s) or is_chair(actor, review.contract) or getattr(actor, "pk", None) == amendment.proposed_by_id,
        "Only the proposer, the chair and the buyer's contract managers withdraw an amendment.",
    )
    now = timezone.now()
    with transaction.atomic():
        review = lock(review)
        amendment = Amendment.objects.select_related("sla_version").get(pk=amendment.pk)
        require_state(review, AMENDABLE_STATES, "withdraw an amendment")
        if amendment.status != Amendment.Status.PROPOSED:
            raise Conflict(f"The amendment is {amendment.get_status_display().lower()}.", state=amendment.status)
        amendment.status = Amendment.Status.WITHDRAWN
        amendment.note = reason.strip()
        amendment.save(update_fields=["status", "note", "updated_at"])
        audit.record(
            actor=actor,
            verb="annual_review.amendment_withdrawn",
            obj=amendment,
            contract_id=review.contract_id,
            changes={"status": ["proposed", "withdrawn"], "note": [None, amendment.note]},
        )
        release_draft(review, amendment.sla_version, actor=actor)
    packets.refreeze(review, actor=actor, what=f"amendment “{amendment.title}” was withdrawn", now=now)
    return amendment
