"""Fault attribution across competing vendors of one buyer.

Each vendor's record stays with its own contract. Attributing an incident
to another vendor's contract opens a new incident there from the buyer's
own facts (title, description, severity, environment, component) and none
of the first vendor's acts: no acknowledgement, workaround, pause, comment,
claim, attachment or event crosses over. The first incident stays where it
is, readable by its vendor, and stops counting against that vendor's SLA
the way a cancelled incident does. The link between the two (and the link
of a link-only attribution) is the buyer's: neither vendor ever reads the
other's contract reference or name in a timeline, notification, audit
entry or API field."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from accounts.models import User
from audit import services as audit
from audit.models import AuditEntry
from contracts import services as contract_services
from contracts.access import contract_standing
from contracts.models import Contract
from contracts.terms import Terms
from core.actor import Actor
from core.errors import Conflict, InvalidInput
from incidents.models import Incident, IncidentEvent, IncidentLink, IncidentPause
from incidents.services.base import (
    audit_incident,
    event,
    lock,
    now,
    require_role,
    require_state,
    save_with_clocks,
    standing_on,
)
from incidents.services.lifecycle import _governing_version
from incidents.services.notices import tell_incident

K = IncidentEvent.Kind
BUYER_ONLY = AuditEntry.Visibility.BUYER

# What the first vendor reads: no contract, no vendor, no finding text.
ATTRIBUTED_AWAY = "Attributed to another supplier after fault isolation."
LINKED = "Linked to another supplier's contract by the buyer."
CLOCKS_FROM_OPENED = "opened"


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def attribute_incident(
    *, actor: Actor, incident: Incident, to_contract: Contract, reason: str, move: bool = True
) -> Incident:
    """Fault isolation shows another vendor's component caused it. ``move``:
    open the new vendor's incident on ``to_contract`` and stop this one
    counting (returns the new incident); otherwise only link it there
    (returns this incident)."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Give the fault isolation finding.", errors={"reason": ["This field is required."]})
    with transaction.atomic():
        # Both contracts in pk order, then the incident; the audit head last (core.locks).
        incident = lock(incident, also_contract=to_contract.pk)
        s = standing_on(actor, incident)
        require_role(
            s.is_staff or (s.is_buyer and s.has_role("contract_manager")), "attribute", "the buyer's contract managers"
        )
        require_state(incident, "attribute", s)
        to_contract = Contract.objects.select_related("buyer", "vendor").get(pk=to_contract.pk)
        target_standing = contract_standing(actor, to_contract)
        if not target_standing.sees or to_contract.buyer_id != incident.contract.buyer_id:
            raise InvalidInput(
                "Pick another contract of the same buyer.", errors={"to_contract": ["Not a contract of this buyer."]}
            )
        if to_contract.pk == incident.contract_id:
            raise InvalidInput(
                "That is the incident's own contract.", errors={"to_contract": ["Choose a different contract."]}
            )
        if incident.links.filter(attributed_incident__isnull=False).exists():
            raise Conflict(
                "The incident was already attributed to another contract.", state=incident.status, allowed=[]
            )
        at = now()
        if not move:
            return _link(actor=actor, incident=incident, to_contract=to_contract, reason=reason, at=at)
        return _move(actor=actor, incident=incident, to_contract=to_contract, reason=reason, at=at)


def _link(*, actor: Actor, incident: Incident, to_contract: Contract, reason: str, at: datetime) -> Incident:
    link, created = IncidentLink.objects.get_or_create(
        incident=incident,
        contract=to_contract,
        defaults={"reason": reason, "created_by": _user(actor)},
    )
    if not created:
        return incident
    event(incident, kind=K.LINKED, actor=actor, at=at, message=LINKED)
    audit_incident(actor, incident, "incident.linked", {"linked": [None, "another supplier's contract"]})
    audit.record(
        actor=actor,
        verb="incident.linked_to",
        obj=incident,
        contract_id=incident.contract_id,
        changes={"linked_contract": [None, to_contract.reference], "reason": [None, reason]},
        visibility=BUYER_ONLY,
    )
    return incident


def _move(*, actor: Actor, incident: Incident, to_contract: Contract, reason: str, at: datetime) -> Incident:
    contract_services.contract_require_accepted(to_contract, what="Incidents")
    if to_contract.status != Contract.Status.ACTIVE:
        raise Conflict(
            f"Incidents can only be attributed to an active contract; {to_contract.reference} is {to_contract.status}.",
            state=to_contract.status,
        )
    new = _open_from_buyer_facts(actor=actor, incident=incident, to_contract=to_contract, at=at)
    IncidentLink.objects.create(
        incident=incident,
        contract=to_contract,
        reason=reason,
        attributed_incident=new,
        created_by=_user(actor),
    )
    _stop_counting(actor=actor, incident=incident, at=at)
    # The buyer's own trail on each contract names the other side; the vendors' does not.
    audit.record(
        actor=actor,
        verb="incident.attributed",
        obj=incident,
        contract_id=incident.contract_id,
        changes={"attributed_to": [None, f"{to_contract.reference} {new.reference}"], "reason": [None, reason]},
        visibility=BUYER_ONLY,
    )
    audit.record(
        actor=actor,
        verb="incident.attributed_from",
        obj=new,
        contract_id=to_contract.pk,
        changes={"attributed_from": [None, f"{incident.contract.reference} {incident.reference}"]},
        visibility=BUYER_ONLY,
    )
    tell_incident(
        new,
        to="vendor",
        event="incident.attributed",
        actor=actor,
        title="attributed to your contract",
        body=f"The buyer's fault isolation attributed this incident to {to_contract.reference}; "
        f"its clocks run from {new.opened_at:%Y-%m-%d %H:%M} UTC.",
    )
    return new


def _open_from_buyer_facts(*, actor: Actor, incident: Incident, to_contract: Contract, at: datetime) -> Incident:
    """The new vendor's incident, as if the buyer opened it now (or at the
    first opening when the target's terms say ``attribution.clocks_from:
    "opened"``): the same steps and notice as ``open_incident``."""
    terms_now = Terms(_governing_version(to_contract, at).terms)
    clocks_from = (terms_now.data.get("attribution") or {}).get("clocks_from", "attribution")
    opened_at = incident.opened_at if clocks_from == CLOCKS_FROM_OPENED else at
    version = _governing_version(to_contract, opened_at)
    new = Incident(
        contract=to_contract,
        sla_version=version,
        title=incident.title,
        description=incident.description,
        severity=incident.severity,
        environment=incident.environment,
        component=incident.component,
        out_of_scope=not to_contract.in_scope(incident.component),
        opened_by=_user(actor),
        opened_at=opened_at,
    )
    new.save()
    message = f"{new.get_severity_display()} / {new.get_environment_display()} on {new.component}."
    message += " Attributed to this contract by the buyer after fault isolation"
    message += "; the clocks run from the first opening." if opened_at != at else "; the clocks run from now."
    if new.out_of_scope:
        message += " The component is not in the contract's scope: flagged out of scope."
    event(
        new,
        kind=K.OPENED,
        actor=actor,
        at=at,
        message=message,
        data={"sla_version": version.number, "attributed": True, "clocks_from": clocks_from},
    )
    save_with_clocks(new, at=at, actor=actor)
    audit_incident(
        actor,
        new,
        "incident.opened",
        {
            "title": [None, new.title],
            "severity": [None, new.severity],
            "environment": [None, new.environment],
            "component": [None, new.component],
            "out_of_scope": [None, new.out_of_scope],
            "opened_at": [None, new.opened_at.isoformat()],
            "attributed": [None, True],
        },
    )
    tell_incident(new, to="vendor", event="incident.opened", actor=actor, title="opened")
    return new


def _stop_counting(*, actor: Actor, incident: Incident, at: datetime) -> None:
    """The first incident ends the way a cancelled one does (clocks stop
    where they stood, no report counts it), with its whole record kept."""
    before = incident.status
    open_pause = IncidentPause.objects.filter(incident=incident, ended_at__isnull=True).first()
    if open_pause is not None:
        open_pause.ended_at = at
        open_pause.save(update_fields=["ended_at"])
        incident.paused_since = None
    incident.status, incident.cancelled_at, incident.cancel_reason = Incident.Status.CANCELLED, at, ATTRIBUTED_AWAY
    event(
        incident,
        kind=K.ATTRIBUTED_AWAY,
        actor=actor,
        at=at,
        message=f"{ATTRIBUTED_AWAY} The clocks stopped; this incident no longer counts against this contract's SLA.",
    )
    save_with_clocks(incident, at=at, actor=actor)
    incident.next_due_at = incident.next_risk_at = incident.next_escalation_at = None
    incident.save(update_fields=["next_due_at", "next_risk_at", "next_escalation_at", "updated_at"])
    audit_incident(
        actor,
        incident,
        "incident.attributed_away",
        {"status": [before, Incident.Status.CANCELLED], "cancel_reason": [None, ATTRIBUTED_AWAY]},
    )
    tell_incident(
        incident,
        to="vendor",
        event="incident.cancelled",
        actor=actor,
        title="attributed to another supplier",
        body=f"{ATTRIBUTED_AWAY} It no longer counts against this contract's SLA; its record stays here.",
    )
