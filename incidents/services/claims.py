"""Exclusion claims (fault attribution across vendors: ``incidents.services.attribution``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from contracts.terms import Terms
from core.actor import Actor
from core.errors import Conflict, InvalidInput
from incidents import sla
from incidents.models import EscalationFired, ExclusionClaim, Incident, IncidentEvent
from incidents.services.base import (
    allowed_actions,
    audit_incident,
    event,
    is_buyer_actor,
    is_vendor_actor,
    lock,
    now,
    require_role,
    require_state,
    save_with_clocks,
    standing_on,
)
from incidents.services.notices import tell_incident

K = IncidentEvent.Kind


def claim_exclusion(*, actor: Actor, incident: Incident, kind: str, reason: str) -> ExclusionClaim:
    if kind not in ExclusionClaim.Kind.values:
        raise InvalidInput(
            "Unknown exclusion.", errors={"kind": [f"Must be one of: {', '.join(ExclusionClaim.Kind.values)}."]}
        )
    if not reason.strip():
        raise InvalidInput("Give the grounds for the claim.", errors={"reason": ["This field is required."]})
    with transaction.atomic():
        incident = lock(incident)
        s = standing_on(actor, incident)
        require_role(is_vendor_actor(s), "claim an exclusion for", "the vendor's support staff")
        require_state(incident, "claim_exclusion", s)
        exclusions = Terms(incident.sla_version.terms).data["exclusions"]
        if kind != ExclusionClaim.Kind.MAINTENANCE and not exclusions.get(kind, False):
            raise InvalidInput(
                "The agreement has no such exclusion.",
                errors={"kind": [f"SLA v{incident.sla_version.number} does not exclude '{kind}'."]},
            )
        if incident.excluded:
            raise Conflict(
                "The incident is already excluded.", state=incident.status, allowed=allowed_actions(incident, s)
            )
        if incident.claims.filter(status=ExclusionClaim.Status.PENDING).exists():
            raise Conflict(
                "A claim is already pending the buyer's decision.", state=incident.status, allowed=["decide_claim"]
            )
        at = now()
        claim = ExclusionClaim.objects.create(
            incident=incident, kind=kind, reason=reason.strip(), claimed_by=actor, claimed_at=at
        )
        event(
            incident,
            kind=K.CLAIM_MADE,
            actor=actor,
            at=at,
            message=f"{claim.get_kind_display()}: {claim.reason}",
            data={"claim": claim.pk},
        )
        audit_incident(actor, incident, "incident.exclusion_claimed", {"claim": [None, kind]})
        tell_incident(
            incident,
            to="buyer",
            event="claim.filed",
            actor=actor,
            title=f"exclusion claimed ({claim.get_kind_display()}), awaits your decision",
            body=claim.reason,
        )
    return claim


def decide_claim(*, actor: Actor, claim: ExclusionClaim, accept: bool, reason: str = "") -> ExclusionClaim:
    if not accept and not reason.strip():
        raise InvalidInput("Say why the claim is rejected.", errors={"reason": ["This field is required to reject."]})
    with transaction.atomic():
        incident = lock(claim.incident)
        claim = ExclusionClaim.objects.select_for_update().get(pk=claim.pk)
        s = standing_on(actor, incident)
        require_role(is_buyer_actor(s), "decide exclusion claims on", "the buyer's contract managers and operations")
        if claim.status != ExclusionClaim.Status.PENDING:
            raise Conflict(f"The claim was already {claim.status}.", state=claim.status, allowed=[])
        at = now()
        claim.status = ExclusionClaim.Status.ACCEPTED if accept else ExclusionClaim.Status.REJECTED
        claim.decided_by, claim.decided_at, claim.decision_reason = actor, at, reason.strip()
        claim.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        data: dict[str, Any] = {"claim": claim.pk}
        message = f"Rejected: {reason.strip()}"
        if accept:
            cancelled = _pending_escalations(incident, at)
            incident.excluded = True
            # The clocks keep their history (breach flags and times stay); the
            # recompute drops the escalation horizon, so the watcher calls no one.
            save_with_clocks(incident, at=at, actor=actor)
            data["cancelled_escalations"] = cancelled
            message = f"{claim.get_kind_display()} accepted: removed from breach counts and credits."
            if incident.breached:
                message += " The breach stays on the record but no longer counts against the SLA."
            if cancelled:
                message += f" Escalation stopped: {len(cancelled)} pending level(s) cancelled ({', '.join(cancelled)})."
        event(
            incident,
            kind=K.CLAIM_ACCEPTED if accept else K.CLAIM_REJECTED,
            actor=actor,
            at=at,
            message=message,
            data=data,
        )
        audit_incident(
            actor, incident, f"incident.exclusion_{claim.status}", {"claim_status": ["pending", claim.status]}
        )
        tell_incident(
            incident,
            to="vendor",
            event="claim.decided",
            actor=actor,
            title=f"exclusion claim {claim.status}",
            body=reason.strip() or f"{claim.get_kind_display()} accepted: removed from breach counts and credits.",
        )
    return claim


def _pending_escalations(incident: Incident, at: datetime) -> list[str]:
    """The ladder levels not yet fired on an unfinished incident ("restore L3"): what an exclusion cancels."""
    if incident.is_finished:
        return []
    fired = set(EscalationFired.objects.filter(incident=incident).values_list("target", "level"))
    return [f"{t.target} L{t.level}" for t in sla.thresholds(incident, now=at) if (t.target, t.level) not in fired]
