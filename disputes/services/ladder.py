"""Walking the dispute ladder: open a dispute, escalate it to the next stage, comment on it,
withdraw it. (Resolving it is ``disputes.services.resolution``.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction

from audit import services as audit
from contracts import lock_objects
from contracts.access import contract_standing, is_manager, manager_side
from contracts.models import Contract
from core.actor import Actor
from core.datetimes import when
from core.errors import Conflict, InvalidInput, NotPermitted
from disputes.models import Dispute, DisputeStep
from disputes.services.common import (
    S,
    allowed_actions,
    audit_dispute,
    ladder_for,
    ladder_of,
    lock,
    managers_of,
    may_comment,
    now,
    person,
    record_step,
    reference,
    release_credit,
    require_open,
    required_text,
    tell,
    terms_at,
)
from disputes.services.subjects import find_subject, refuse_closed_matter, refuse_outside_window
from reports.services import ledger

OPENED_FIELDS = ["subject_type", "subject_id", "title", "raised_by_side", "stage_name", "stage_deadline"]
STAGE_FIELDS = ["stage_index", "stage_name", "stage_deadline"]


def _require_title_and_statement(title: str, statement: str) -> None:
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = ["This field is required."]
    elif len(title.strip()) > 200:
        errors["title"] = ["At most 200 characters."]
    if not (statement or "").strip():
        errors["statement"] = ["Say what is contested and why."]
    if errors:
        raise InvalidInput("The dispute needs a title and a statement.", errors=errors)


def _require_manager_or_staff(actor: Actor, dispute: Dispute, action: str) -> None:
    s = contract_standing(actor, dispute.contract)
    if not (s.is_staff or is_manager(s)):
        raise NotPermitted(
            f"Only {managers_of('buyer', dispute.contract)}, {managers_of('vendor', dispute.contract)} "
            f"or staff may {action} a dispute."
        )


def dispute_open(
    *, actor: Actor, contract: Contract, subject_type: str, subject_id: Any, title: str, statement: str
) -> Dispute:
    """Either party's managers raise a dispute on something of ``contract``,
    within its window, unless it is a closed matter. It starts at the first
    stage of the ladder with that stage's deadline. A disputed credit is marked
    disputed on the ledger (the buyer's dispute counts as its claim)."""
    _require_title_and_statement(title, statement)
    with transaction.atomic():
        lock_objects.contract(contract.pk)  # before the subject's lock (core.locks)
        contract = Contract.objects.select_related("buyer", "vendor").get(pk=contract.pk)
        side = manager_side(contract_standing(actor, contract))
        if side is None:
            raise NotPermitted(
                f"Disputes are raised by a party: only {managers_of('buyer', contract)} or "
                f"{managers_of('vendor', contract)} may open one."
            )
        subject = find_subject(actor, contract, subject_type, subject_id, lock=True)
        refuse_closed_matter(subject, side, contract)
        at = now()
        refuse_outside_window(subject, at)
        stage, days = ladder_of(terms_at(contract, at))[0]
        dispute = Dispute.objects.create(
            contract=contract,
            report=subject.report,
            subject_type=subject.type,
            subject_id=subject.id,
            subject_label=subject.label[:300],
            title=title.strip(),
            statement=statement.strip(),
            raised_by=person(actor),
            raised_by_side=side,
            raised_at=at,
            stage_index=0,
            stage_name=stage,
            stage_deadline=at + timedelta(days=days) if days else None,
        )
        record_step(dispute, actor=actor, at=at, action="opened", note=dispute.statement)
        audit_dispute(actor, dispute, "dispute.opened", audit.created(dispute, OPENED_FIELDS))
        if subject.type == Dispute.Subject.CREDIT:
            ledger.credit_mark_disputed(actor=actor, credit=subject.obj, dispute_ref=reference(dispute))
        org = contract.buyer.name if side == "buyer" else contract.vendor.name
        tell(
            dispute,
            actor=actor,
            event="dispute.opened",
            title=f"{reference(dispute)} raised by {org} on {contract.reference}: {dispute.title}",
            body=f"Subject: {subject.label}\nStage: {stage}"
            + (f", deadline {when(dispute.stage_deadline)}" if dispute.stage_deadline else ""),
        )
    return dispute


def dispute_escalate(*, actor: Actor, dispute: Dispute, note: str) -> Dispute:
    """To the next stage of the ladder, with that stage's deadline (the last
    stage may have none)."""
    note = required_text(note, "note", "Say why the dispute goes to the next stage.")
    with transaction.atomic():
        dispute = lock(dispute)
        _require_manager_or_staff(actor, dispute, "escalate")
        ladder = ladder_for(dispute)
        require_open(dispute, "escalate")
        if dispute.stage_index + 1 >= len(ladder):
            s = contract_standing(actor, dispute.contract)
            raise Conflict(
                f"{reference(dispute)} is already at the last stage of the ladder ({dispute.stage_name}); "
                "it can only be resolved or withdrawn.",
                state=dispute.status,
                allowed=allowed_actions(dispute, s, stages=len(ladder)),
            )
        at = now()
        before = audit.snapshot(dispute, STAGE_FIELDS)
        stage, days = ladder[dispute.stage_index + 1]
        dispute.stage_index += 1
        dispute.stage_name = stage
        dispute.stage_deadline = at + timedelta(days=days) if days else None
        dispute.save(update_fields=STAGE_FIELDS)
        record_step(dispute, actor=actor, at=at, action="escalated", note=note)
        audit_dispute(actor, dispute, "dispute.escalated", audit.diff(before, audit.snapshot(dispute, STAGE_FIELDS)))
        deadline = f", deadline {when(dispute.stage_deadline)}" if dispute.stage_deadline else " (no deadline)"
        tell(
            dispute,
            actor=actor,
            event="dispute.stage_changed",
            title=f"{reference(dispute)} escalated to {stage} on {dispute.contract.reference}",
            body=f"{dispute.title}\nNow at {stage}{deadline}.\n{note}",
        )
    return dispute


def dispute_comment(*, actor: Actor, dispute: Dispute, note: str) -> DisputeStep:
    note = required_text(note, "note", "Write the comment.")
    with transaction.atomic():
        dispute = lock(dispute)
        if not may_comment(contract_standing(actor, dispute.contract)):
            raise NotPermitted(
                "Only the parties' managers, operations and support staff, the board or staff may comment."
            )
        require_open(dispute, "comment on")
        step = record_step(dispute, actor=actor, at=now(), action="commented", note=note)
        audit_dispute(actor, dispute, "dispute.commented", {"step": [None, step.pk]})
    return step


def dispute_withdraw(*, actor: Actor, dispute: Dispute, note: str = "") -> Dispute:
    """The side that raised the dispute drops it; a disputed credit goes back to claimed."""
    with transaction.atomic():
        dispute = lock(dispute)
        if manager_side(contract_standing(actor, dispute.contract)) != dispute.raised_by_side:
            raise NotPermitted(
                f"Only {managers_of(dispute.raised_by_side, dispute.contract)}, whose side raised "
                f"{reference(dispute)}, may withdraw it."
            )
        require_open(dispute, "withdraw")
        at = now()
        dispute.status, dispute.resolved_at = S.WITHDRAWN, at
        dispute.save(update_fields=["status", "resolved_at"])
        record_step(dispute, actor=actor, at=at, action="withdrawn", note=(note or "").strip())
        audit_dispute(actor, dispute, "dispute.withdrawn", {"status": [S.OPEN, S.WITHDRAWN]})
        release_credit(actor, dispute)
        tell(
            dispute,
            actor=actor,
            event="dispute.closed",
            title=f"{reference(dispute)} withdrawn on {dispute.contract.reference}: {dispute.title}",
            body=(note or "").strip(),
        )
    return dispute
