"""The service-credit ledger: each credit moves

    calculated -> claimed (buyer, only within the claim window)
               -> approved (vendor) -> applied (vendor or staff, on an invoice)

or, while calculated or claimed, to disputed (a dispute on the credit; see
``disputes.services``). Every transition is keyword-only, locks the
credit, checks who (``NotPermitted``, 403) and the state (``Conflict``, 409,
naming the state and what is allowed now), and writes one audit entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from accounts.access import Standing
from accounts.services import notify
from audit import services as audit
from contracts.access import contract_standing
from core.errors import Conflict, InvalidInput, NotPermitted
from disputes import services as disputes
from disputes.models import Dispute
from disputes.services import is_buyer_manager, is_manager, is_vendor_manager, managers, now, when
from reports.models import Credit

C = Credit.Status
# Which action is allowed from which status (the ledger's lifecycle in one table).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "claim": (C.CALCULATED,),
    "approve": (C.CLAIMED,),
    "apply": (C.APPROVED,),
    "dispute": (C.CALCULATED, C.CLAIMED),
}
VERBS = {"claim": "claim", "approve": "approve", "apply": "apply", "dispute": "dispute"}
WHY_NOT = {
    C.CALCULATED: "the buyer has not claimed it yet",
    C.CLAIMED: "it has not been approved yet",
    C.APPROVED: "both parties have agreed it; it awaits application",
    C.APPLIED: "it was applied on invoice {invoice}",
    C.DISPUTED: "it is under dispute",
    C.VOID: "it was voided when its report was reissued",
}


def ledger_url(credit: Credit) -> str:
    return f"/ledger/?contract={credit.contract_id}#credit-{credit.pk}"


def window_open(credit: Credit, at: datetime | None = None) -> bool:
    return (at or now()) <= credit.claim_deadline


def allowed_actions(credit: Credit, s: Standing, *, at: datetime | None = None) -> list[str]:
    """What this person may do to the credit now: drives the buttons and the 409 body."""
    at = at or now()
    in_window = window_open(credit, at)
    can = {
        "claim": is_buyer_manager(s) and in_window,
        "approve": is_vendor_manager(s),
        "apply": is_vendor_manager(s) or s.is_staff,
        "dispute": in_window and (is_buyer_manager(s) or (is_manager(s) and credit.status == C.CLAIMED)),
    }
    return [name for name, ok in can.items() if ok and credit.status in TRANSITIONS[name]]


def _lock(credit: Credit) -> Credit:
    return (
        Credit.objects.select_for_update(of=("self",))
        .select_related("contract", "contract__buyer", "contract__vendor", "report")
        .get(pk=credit.pk)
    )


def _require_state(credit: Credit, action: str, s: Standing, at: datetime) -> None:
    if credit.status in TRANSITIONS[action]:
        return
    allowed = allowed_actions(credit, s, at=at)
    why = WHY_NOT[credit.status].format(invoice=credit.invoice_reference or "—")
    raise Conflict(
        f"Cannot {VERBS[action]} a credit that is {credit.get_status_display().lower()}: {why}."
        + (f" Allowed now: {', '.join(allowed)}." if allowed else ""),
        state=credit.status,
        allowed=allowed,
    )


def _require_window(credit: Credit, action: str, s: Standing, at: datetime) -> None:
    if at <= credit.claim_deadline:
        return
    raise Conflict(
        f"Too late to {VERBS[action]}: the claim window for this credit closed on {when(credit.claim_deadline)}. "
        "A claim after the window is refused.",
        state=credit.status,
        allowed=allowed_actions(credit, s, at=at),
    )


def _record(actor: Any, credit: Credit, verb: str, before: dict[str, Any], fields: list[str]) -> None:
    audit.record(
        actor=actor,
        verb=verb,
        obj=credit,
        contract_id=credit.contract_id,
        changes=audit.diff(before, audit.snapshot(credit, fields)),
    )


def credit_claim(*, actor: Any, credit: Credit) -> Credit:
    """The buyer's contract managers claim a calculated credit, while its claim window is open."""
    with transaction.atomic():
        credit = _lock(credit)
        contract = credit.contract
        s = contract_standing(actor, contract)
        if not is_buyer_manager(s):
            raise NotPermitted(f"Only {contract.buyer.name}'s contract managers may claim a credit.")
        at = now()
        _require_state(credit, "claim", s, at)
        _require_window(credit, "claim", s, at)
        fields = ["status", "claimed_at", "claimed_by"]
        before = audit.snapshot(credit, fields)
        credit.status, credit.claimed_at, credit.claimed_by = C.CLAIMED, at, actor
        credit.save(update_fields=fields)
        _record(actor, credit, "credit.claimed", before, fields)
        notify(
            users=managers(contract, side="vendor"),
            verb="credit.claimed",
            title=f"Credit claimed on {contract.reference}: {credit.amount} {credit.currency}",
            body=f"{contract.buyer.name} claimed “{credit.description}” ({credit.report.period}). Approve it or "
            "dispute it.",
            url=ledger_url(credit),
        )
    return credit


def credit_approve(*, actor: Any, credit: Credit) -> Credit:
    """The vendor's account managers approve a claimed credit. The buyer cannot approve its own claim."""
    with transaction.atomic():
        credit = _lock(credit)
        contract = credit.contract
        s = contract_standing(actor, contract)
        if not is_vendor_manager(s):
            if s.is_buyer:
                raise NotPermitted(
                    f"{contract.buyer.name} cannot approve its own claim: only {contract.vendor.name}'s account "
                    "managers may approve a credit."
                )
            raise NotPermitted(f"Only {contract.vendor.name}'s account managers may approve a credit.")
        at = now()
        _require_state(credit, "approve", s, at)
        fields = ["status", "approved_at", "approved_by"]
        before = audit.snapshot(credit, fields)
        credit.status, credit.approved_at, credit.approved_by = C.APPROVED, at, actor
        credit.save(update_fields=fields)
        _record(actor, credit, "credit.approved", before, fields)
        notify(
            users=managers(contract, side="buyer"),
            verb="credit.approved",
            title=f"Credit approved on {contract.reference}: {credit.amount} {credit.currency}",
            body=f"{contract.vendor.name} approved “{credit.description}” ({credit.report.period}).",
            url=ledger_url(credit),
        )
    return credit


def credit_apply(*, actor: Any, credit: Credit, invoice_reference: str) -> Credit:
    """The vendor's account managers (or staff) record the invoice an approved credit was applied on."""
    invoice_reference = (invoice_reference or "").strip()
    if not invoice_reference:
        raise InvalidInput(
            "Give the invoice the credit was applied on.",
            errors={"invoice_reference": ["This field is required."]},
        )
    if len(invoice_reference) > 100:
        raise InvalidInput(
            "The invoice reference is too long.", errors={"invoice_reference": ["At most 100 characters."]}
        )
    with transaction.atomic():
        credit = _lock(credit)
        contract = credit.contract
        s = contract_standing(actor, contract)
        if not (is_vendor_manager(s) or s.is_staff):
            raise NotPermitted(
                f"Only {contract.vendor.name}'s account managers or staff may apply a credit to an invoice."
            )
        at = now()
        _require_state(credit, "apply", s, at)
        fields = ["status", "applied_at", "invoice_reference"]
        before = audit.snapshot(credit, fields)
        credit.status, credit.applied_at, credit.invoice_reference = C.APPLIED, at, invoice_reference
        credit.save(update_fields=fields)
        _record(actor, credit, "credit.applied", before, fields)
        notify(
            users=managers(contract, side="buyer"),
            verb="credit.applied",
            title=f"Credit applied on {contract.reference}: {credit.amount} {credit.currency}",
            body=f"“{credit.description}” was applied on invoice {invoice_reference}.",
            url=ledger_url(credit),
        )
    return credit


def credit_dispute(*, actor: Any, credit: Credit, statement: str, title: str = "") -> Dispute:
    """Open a dispute on the credit (either party's managers, within the claim
    window); the credit is then disputed until the dispute ends."""
    return disputes.dispute_open(
        actor=actor,
        contract=credit.contract,
        subject_type=Dispute.Subject.CREDIT,
        subject_id=str(credit.pk),
        title=(title or "").strip() or f"Credit disputed: {credit.description}"[:200],
        statement=statement,
    )
