"""Steps every dispute use case shares: who speaks for a side, the ladder and windows from the
terms, the dispute's lock, its steps, audit entries and notifications."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.access import Standing
from accounts.models import Membership, User
from accounts.services import notify
from audit import services as audit
from contracts import lock_objects
from contracts.access import contract_managers, is_manager, manager_side
from contracts.models import Contract, SLAVersion
from contracts.terms import Terms
from contracts.versions import InForceFallback
from core.actor import Actor
from core.datetimes import when
from core.errors import Conflict, InvalidInput
from core.periods import Period, period_of
from disputes.models import Dispute, DisputeStep
from reports.models import Credit
from reports.services import ledger

Role = Membership.Role
S = Dispute.Status


def now() -> datetime:
    return timezone.now()


def reference(dispute: Dispute) -> str:
    return f"D-{dispute.pk}"


def dispute_url(dispute: Dispute) -> str:
    return f"/ledger/disputes/{dispute.pk}/"


# -- who ------------------------------------------------------------------------------------


def may_comment(s: Standing) -> bool:
    return (
        s.is_staff
        or s.on_board
        or (s.is_buyer and s.has_role(Role.CONTRACT_MANAGER, Role.OPERATIONS))
        or (s.is_vendor and s.has_role(Role.ACCOUNT_MANAGER, Role.SUPPORT_ENGINEER))
    )


def managers_of(side: str, contract: Contract) -> str:
    """ "Northwind Bank's contract managers" """
    if side == "buyer":
        return f"{contract.buyer.name}'s contract managers"
    return f"{contract.vendor.name}'s account managers"


# -- terms, periods, windows ------------------------------------------------------------------


def terms_at(contract: Contract, at: datetime) -> Terms:
    """The terms in force at ``at`` (or, before the first version, the latest frozen one)."""
    version = SLAVersion.objects.for_contract(contract).in_force_at(at, fallback=InForceFallback.LATEST_FROZEN)
    if version is None:
        raise Conflict(
            f"Contract {contract.reference} has no SLA in force, so it has no dispute ladder or claim window yet.",
            state=contract.status,
            allowed=[],
        )
    return Terms(version.terms)


def ladder_of(terms: Terms) -> list[tuple[str, int | None]]:
    return [(row["stage"], row["days"]) for row in terms.data["disputes"]]


def ladder_for(dispute: Dispute) -> list[tuple[str, int | None]]:
    """The ladder the dispute walks: the terms in force when it was raised."""
    return ladder_of(terms_at(dispute.contract, dispute.raised_at))


def period_for(terms: Terms, at: datetime) -> Period:
    uptime = terms.data["uptime"]
    return period_of(at, kind=uptime["period"], zone=uptime["timezone"])


def claim_window_days(terms: Terms) -> int:
    return int(terms.data["claim_window_days"])


# -- steps, locks, state ------------------------------------------------------------------------


def person(actor: Actor) -> User | None:
    """The person to name on a row (a system actor is named by its label)."""
    return actor if isinstance(actor, User) else None


def actor_label(actor: Actor) -> str:
    user = person(actor)
    return user.get_username() if user is not None else str(actor or "system")


def record_step(dispute: Dispute, *, actor: Actor, at: datetime, action: str, note: str = "") -> DisputeStep:
    return DisputeStep.objects.create(
        dispute=dispute,
        at=at,
        actor=person(actor),
        actor_label=actor_label(actor)[:200],
        stage_name=dispute.stage_name,
        action=action,
        note=note,
    )


def lock(dispute: Dispute) -> Dispute:
    """The contract, then the dispute (``core.locks``): a resolution goes on to
    lock the subject and call the owning apps' services, which lock the
    contract first too."""
    lock_objects.contract(dispute.contract_id)
    return (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("contract", "contract__buyer", "contract__vendor")
        .get(pk=dispute.pk)
    )


def allowed_actions(dispute: Dispute, s: Standing, *, stages: int | None = None) -> list[str]:
    """What this person may do to the dispute now (drives buttons and 409s).
    ``stages``: the length of its ladder, when known (escalation needs a next stage)."""
    if dispute.status != S.OPEN:
        return []
    manages = s.is_staff or is_manager(s)
    can = {
        "escalate": manages and (stages is None or dispute.stage_index + 1 < stages),
        "comment": may_comment(s),
        "resolve": manages,
        "withdraw": manager_side(s) == dispute.raised_by_side,
    }
    return [name for name, ok in can.items() if ok]


def require_open(dispute: Dispute, action: str) -> None:
    if dispute.status != S.OPEN:
        raise Conflict(
            f"Cannot {action} {reference(dispute)}: it was {dispute.get_status_display().lower()} on "
            f"{when(dispute.resolved_at)}.",
            state=dispute.status,
            allowed=[],
        )


def audit_dispute(actor: Actor, dispute: Dispute, verb: str, changes: Mapping[str, Any]) -> None:
    audit.record(actor=actor, verb=verb, obj=dispute, contract_id=dispute.contract_id, changes=changes)


def tell(dispute: Dispute, *, actor: Actor, title: str, body: str = "", event: str) -> None:
    """Both parties' managers, but not the person acting."""
    notify(
        users=contract_managers(dispute.contract, exclude=actor),
        event=event,
        title=title[:200],
        body=body,
        url=dispute_url(dispute),
        contract_id=dispute.contract_id,
        organization_ids=[dispute.contract.buyer_id, dispute.contract.vendor_id],
    )


def required_text(value: str, field_name: str, message: str, *, max_length: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message, errors={field_name: ["This field is required."]})
    if max_length and len(value) > max_length:
        raise InvalidInput(
            f"{field_name.capitalize()} is too long.", errors={field_name: [f"At most {max_length} characters."]}
        )
    return value


def release_credit(actor: Actor, dispute: Dispute) -> None:
    """A dispute on a credit ended: the ledger puts the credit back to claimed, unless the
    resolution adjusted (and so approved) it."""
    if dispute.subject_type != Dispute.Subject.CREDIT:
        return
    credit = Credit.objects.filter(pk=int(dispute.subject_id)).first()
    if credit is not None:
        ledger.credit_release_from_dispute(actor=actor, credit=credit, dispute_ref=reference(dispute))
