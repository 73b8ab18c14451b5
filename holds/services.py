"""Placing and releasing a manual legal hold. Either party's managers or staff: each side must be
able to preserve what it may need to prove; releasing needs a reason, because it lets the
evidence the hold kept be purged."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import notify
from audit import services as audit
from contracts import lock_objects
from contracts.access import contract_managers, contract_standing, is_manager
from contracts.models import Contract
from core.actor import Actor
from core.datetimes import when
from core.errors import Conflict, InvalidInput, NotPermitted
from core.locks import lock_row
from holds.models import LegalHold

HOLD_FIELDS = ["scope", "starts_at", "ends_at", "reason"]
MAX_REASON = 2000


def _person(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _label(actor: Actor) -> str:
    user = _person(actor)
    return (user.get_username() if user is not None else str(actor or "system"))[:200]


def may_hold(actor: Actor, contract: Contract) -> bool:
    """Who places and releases legal holds: either party's managers, and staff."""
    s = contract_standing(actor, contract)
    return s.is_staff or is_manager(s)


def _require(actor: Actor, contract: Contract, action: str) -> None:
    if not may_hold(actor, contract):
        raise NotPermitted(
            f"Only {contract.buyer.name}'s contract managers, {contract.vendor.name}'s account managers "
            f"or staff may {action} a legal hold."
        )


def _reason(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message, errors={field: ["This field is required."]})
    if len(value) > MAX_REASON:
        raise InvalidInput(
            f"The {field.replace('_', ' ')} is too long.", errors={field: [f"At most {MAX_REASON} characters."]}
        )
    return value


def _scope(scope: str, starts_at: datetime | None, ends_at: datetime | None) -> tuple[datetime | None, datetime | None]:
    if scope == LegalHold.Scope.CONTRACT:
        if starts_at is not None or ends_at is not None:
            raise InvalidInput(
                "A hold on the whole contract has no period.",
                errors={"starts_at": ["Leave empty for the whole contract, or choose a period."]},
            )
        return None, None
    if scope != LegalHold.Scope.PERIOD:
        raise InvalidInput(
            "Choose what the hold covers.",
            errors={"scope": [f"Must be one of: {', '.join(LegalHold.Scope.values)}."]},
        )
    errors: dict[str, list[str]] = {}
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is None:
            errors[name] = ["This field is required for a period."]
        elif value.tzinfo is None:
            errors[name] = ["Give a time zone (Z or an offset)."]
    if not errors and starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = ["Must be after the start."]
    if errors:
        raise InvalidInput("The period of the hold is not valid.", errors=errors)
    return starts_at, ends_at


def _tell(hold: LegalHold, *, actor: Actor, title: str, body: str) -> None:
    contract = hold.contract
    notify(
        users=contract_managers(contract, exclude=actor),
        event="legal_hold.changed",
        title=title[:200],
        body=body,
        url=f"/contracts/{contract.pk}/#legal-holds",
        contract_id=contract.pk,
        organization_ids=[contract.buyer_id, contract.vendor_id],
    )


def place_hold(
    *,
    actor: Actor,
    contract: Contract,
    reason: str,
    scope: str,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> LegalHold:
    """Hold the contract's evidence (the whole contract, or a period [starts_at, ends_at)) until
    released: the retention job keeps it and the deleting services refuse it."""
    _require(actor, contract, "place")
    reason = _reason(reason, "reason", "Say why the evidence must be kept.")
    starts_at, ends_at = _scope(scope, starts_at, ends_at)
    with transaction.atomic():
        # The contract first (core.locks): the retention job takes it too, so a purge running now
        # either finishes before this hold exists or sees it.
        locked = lock_objects.contract(contract.pk)
        hold = LegalHold.objects.create(
            contract=locked,
            reason=reason,
            scope=scope,
            starts_at=starts_at,
            ends_at=ends_at,
            placed_by=_person(actor),
            placed_by_label=_label(actor),
            placed_at=timezone.now(),
        )
        audit.record(
            actor=actor,
            verb="legal_hold.placed",
            obj=hold,
            contract_id=contract.pk,
            changes=audit.created(hold, HOLD_FIELDS),
        )
        hold.contract = contract
        what = "the whole contract" if starts_at is None else f"{when(starts_at)} – {when(ends_at)}"
        _tell(
            hold,
            actor=actor,
            title=f"Legal hold {hold.reference} placed on {contract.reference}",
            body=f"{_label(actor)} placed a legal hold on {what}: {reason}",
        )
    return hold


def release_hold(*, actor: Actor, hold: LegalHold, reason: str) -> LegalHold:
    """Release a manual hold, with a reason; the evidence it alone kept may then be purged."""
    contract = hold.contract
    _require(actor, contract, "release")
    reason = _reason(reason, "release_reason", "Say why the evidence no longer needs to be kept.")
    with transaction.atomic():
        lock_objects.contract(contract.pk)
        current = lock_row(LegalHold.objects.all(), hold.pk)
        if current.released_at is not None:
            raise Conflict(
                f"Legal hold {current.reference} was already released on {when(current.released_at)} "
                f"by {current.released_by_label}.",
                state="released",
                allowed=[],
            )
        before = audit.snapshot(current, ["released_at", "release_reason"])
        current.released_at = timezone.now()
        current.released_by = _person(actor)
        current.released_by_label = _label(actor)
        current.release_reason = reason
        current.full_clean(exclude=["contract", "placed_by", "released_by"])
        current.save(update_fields=["released_at", "released_by", "released_by_label", "release_reason"])
        audit.record(
            actor=actor,
            verb="legal_hold.released",
            obj=current,
            contract_id=contract.pk,
            changes=audit.diff(before, audit.snapshot(current, ["released_at", "release_reason"])),
        )
        current.contract = contract
        _tell(
            current,
            actor=actor,
            title=f"Legal hold {current.reference} on {contract.reference} released",
            body=f"{_label(actor)} released the legal hold ({current.reason[:200]}): {reason}",
        )
    return current
