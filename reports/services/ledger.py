"""The service-credit ledger: each credit moves

    calculated -> claimed (buyer, only within the claim window)
               -> approved (vendor) -> applied (vendor or staff, on an invoice)

or, while calculated or claimed, to disputed (a dispute on the credit: the disputes app opens it
and calls ``credit_mark_disputed``; when the dispute ends it calls ``credit_release_from_dispute``
or, when the parties agree an amount, ``credit_adjust_on_dispute``). Every transition is
keyword-only, locks the credit, checks who (``NotPermitted``, 403) and the state (``Conflict``,
409, naming the state and what is allowed now), and writes one audit entry.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.access import Standing
from accounts.models import User
from accounts.services import notify
from audit import services as audit
from contracts import lock_objects
from contracts.access import contract_managers, contract_standing, is_buyer_manager, is_manager, is_vendor_manager
from core.actor import Actor
from core.datetimes import when
from core.errors import Conflict, InvalidInput, NotPermitted
from core.money import minor_units, money
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


def now() -> datetime:
    return timezone.now()


def _person(actor: Actor) -> User | None:
    """The person to name on the credit (a system actor is named only in the audit trail)."""
    return actor if isinstance(actor, User) else None


def ledger_url(credit: Credit) -> str:
    return f"/ledger/?contract={credit.contract_id}#credit-{credit.pk}"


def window_open(credit: Credit, at: datetime | None = None) -> bool:
    return (at or now()) <= credit.claim_deadline


EXPIRED = "expired"
EXPIRED_LABEL = "Claim window closed — not owed"


def credit_state(credit: Credit, at: datetime | None = None) -> str:
    """The credit's status as people read it: a calculated credit whose claim window has closed
    (after the END of its deadline day, the terms' claim rule) was never claimed, so nothing is owed:
    ``"expired"``. Every other credit reads as its stored status."""
    if credit.status == C.CALCULATED and not window_open(credit, at):
        return EXPIRED
    return str(credit.status)


def credit_status_label(credit: Credit, at: datetime | None = None) -> str:
    state = credit_state(credit, at)
    return EXPIRED_LABEL if state == EXPIRED else C(state).label


def ledger_rows(credits: list[Credit], at: datetime | None = None) -> list[Credit]:
    """The credits with what a page shows: ``amount_text`` (minor units), ``state``, ``state_label``."""
    at = at or now()
    for credit in credits:
        credit.amount_text = money(credit.amount, credit.currency)  # type: ignore[attr-defined]
        credit.state = credit_state(credit, at)  # type: ignore[attr-defined]
        credit.state_label = credit_status_label(credit, at)  # type: ignore[attr-defined]
    return credits


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
    """The contract, then the credit (``core.locks``)."""
    lock_objects.contract(credit.contract_id)
    return (
        Credit.objects.select_for_update(of=("self",))
        .select_related("contract", "contract__buyer", "contract__vendor", "report")
        .get(pk=credit.pk)
    )


def _require_state(credit: Credit, action: str, s: Standing, at: datetime) -> None:
    if credit.status in TRANSITIONS[action]:
        return
    allowed = allowed_actions(credit, s, at=at)
    why = WHY_NOT[C(credit.status)].format(invoice=credit.invoice_reference or "—")
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


def _record(actor: Actor, credit: Credit, verb: str, before: dict[str, Any], fields: list[str]) -> None:
    audit.record(
        actor=actor,
        verb=verb,
        obj=credit,
        contract_id=credit.contract_id,
        changes=audit.diff(before, audit.snapshot(credit, fields)),
    )


def credit_claim(*, actor: Actor, credit: Credit) -> Credit:
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
        credit.status, credit.claimed_at, credit.claimed_by = C.CLAIMED, at, _person(actor)
        credit.save(update_fields=fields)
        _record(actor, credit, "credit.claimed", before, fields)
        notify(
            users=contract_managers(contract, side="vendor"),
            event="credit.changed",
            title=f"Credit claimed on {contract.reference}: {money(credit.amount, credit.currency)}",
            body=f"{contract.buyer.name} claimed “{credit.description}” ({credit.report.period}). Approve it or "
            "dispute it.",
            url=ledger_url(credit),
            contract_id=contract.pk,
            organization_ids=[contract.vendor_id],
        )
    return credit


def credit_approve(*, actor: Actor, credit: Credit) -> Credit:
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
        credit.status, credit.approved_at, credit.approved_by = C.APPROVED, at, _person(actor)
        credit.save(update_fields=fields)
        _record(actor, credit, "credit.approved", before, fields)
        notify(
            users=contract_managers(contract, side="buyer"),
            event="credit.changed",
            title=f"Credit approved on {contract.reference}: {money(credit.amount, credit.currency)}",
            body=f"{contract.vendor.name} approved “{credit.description}” ({credit.report.period}).",
            url=ledger_url(credit),
            contract_id=contract.pk,
            organization_ids=[contract.buyer_id],
        )
    return credit


def credit_apply(*, actor: Actor, credit: Credit, invoice_reference: str) -> Credit:
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
            users=contract_managers(contract, side="buyer"),
            event="credit.changed",
            title=f"Credit applied on {contract.reference}: {money(credit.amount, credit.currency)}",
            body=f"“{credit.description}” was applied on invoice {invoice_reference}.",
            url=ledger_url(credit),
            contract_id=contract.pk,
            organization_ids=[contract.buyer_id],
        )
    return credit


# -- the ledger side of a dispute on a credit (called by the disputes app) --------------------


def _require_party_or_staff(s: Standing, credit: Credit, action: str) -> None:
    if not (s.is_staff or is_manager(s)):
        contract = credit.contract
        raise NotPermitted(
            f"Only {contract.buyer.name}'s contract managers, {contract.vendor.name}'s account managers or staff "
            f"may {action} a disputed credit."
        )


def credit_mark_disputed(*, actor: Actor, credit: Credit, dispute_ref: str) -> Credit:
    """A dispute was opened on the credit: it is disputed until the dispute ends. The buyer's
    dispute on a calculated credit counts as its claim; the vendor may dispute only a claimed one.
    Within the claim window only."""
    with transaction.atomic():
        credit = _lock(credit)
        contract = credit.contract
        s = contract_standing(actor, contract)
        if not is_manager(s):
            raise NotPermitted(
                f"Only {contract.buyer.name}'s contract managers or {contract.vendor.name}'s account managers may "
                "dispute a credit."
            )
        at = now()
        _require_state(credit, "dispute", s, at)
        if credit.status == C.CALCULATED and not is_buyer_manager(s):
            raise Conflict(
                "The buyer has not claimed this credit, so nothing is owed yet: dispute it once it is claimed.",
                state=credit.status,
                allowed=allowed_actions(credit, s, at=at),
            )
        _require_window(credit, "dispute", s, at)
        fields = ["status", "claimed_at", "claimed_by"]
        before = audit.snapshot(credit, fields)
        if credit.status == C.CALCULATED:
            credit.claimed_at, credit.claimed_by = at, _person(actor)
        credit.status = C.DISPUTED
        credit.save(update_fields=fields)
        changes = audit.diff(before, audit.snapshot(credit, fields))
        audit.record(
            actor=actor,
            verb="credit.disputed",
            obj=credit,
            contract_id=contract.pk,
            changes={**changes, "dispute": [None, dispute_ref]},
        )
    return credit


def credit_release_from_dispute(*, actor: Actor, credit: Credit, dispute_ref: str) -> Credit:
    """The dispute on the credit ended without changing it: back to claimed (a disputed credit has
    always been claimed). A credit no longer disputed (the resolution adjusted and so approved it)
    is left as it is."""
    with transaction.atomic():
        credit = _lock(credit)
        if credit.status != C.DISPUTED:
            return credit
        _require_party_or_staff(contract_standing(actor, credit.contract), credit, "release")
        credit.status = C.CLAIMED
        credit.save(update_fields=["status"])
        audit.record(
            actor=actor,
            verb="credit.dispute_closed",
            obj=credit,
            contract_id=credit.contract_id,
            changes={"status": [C.DISPUTED, C.CLAIMED], "dispute": [dispute_ref, None]},
        )
    return credit


def credit_adjust_on_dispute(*, actor: Actor, credit: Credit, amount: Decimal, dispute_ref: str) -> Credit:
    """The parties settled a dispute on an agreed amount: the credit takes it (rounded half up to
    the currency's minor unit) and is approved. Who may agree it is the dispute's rule (the side
    the change goes against); here, a party's manager or staff."""
    with transaction.atomic():
        credit = _lock(credit)
        _require_party_or_staff(contract_standing(actor, credit.contract), credit, "adjust")
        if credit.status in (C.APPLIED, C.VOID):
            raise Conflict(
                f"Closed matter: the credit is {credit.get_status_display().lower()} and can no longer be adjusted.",
                state=credit.status,
                allowed=[],
            )
        amount = amount.quantize(Decimal(1).scaleb(-minor_units(credit.currency)), rounding=ROUND_HALF_UP)
        if amount < 0 or amount == credit.amount:
            raise InvalidInput(
                "The adjusted amount must be a different amount of zero or more.",
                errors={"amount": ["Nothing changes." if amount == credit.amount else "Must be zero or more."]},
            )
        at = now()
        fields = ["amount", "status", "claimed_at", "approved_at", "approved_by"]
        before = audit.snapshot(credit, fields)
        credit.amount, credit.status = amount, C.APPROVED
        credit.claimed_at = credit.claimed_at or at
        credit.approved_at, credit.approved_by = at, _person(actor)
        credit.save(update_fields=fields)
        audit.record(
            actor=actor,
            verb="credit.adjusted",
            obj=credit,
            contract_id=credit.contract_id,
            changes={**audit.diff(before, audit.snapshot(credit, fields)), "dispute": [None, dispute_ref]},
        )
    return credit
