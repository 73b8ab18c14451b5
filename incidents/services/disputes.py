"""An incident's exclusion settled by a dispute.

A dispute on an incident's breach or exclusion decision may end with the parties agreeing that
the incident is excluded (a third party's outage, force majeure...). The disputes app decides
who may record that (the side it goes against, the buyer, or staff) and reissues the period's
report; this module makes the change the way every incident use case does: lock, check the role
and the state, write the claim, the timeline event and the audit entry, recompute the clocks."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from core.actor import Actor
from core.errors import Conflict, InvalidInput
from incidents.models import ExclusionClaim, Incident, IncidentEvent
from incidents.services.base import (
    allowed_actions,
    audit_incident,
    event,
    is_buyer_actor,
    lock,
    now,
    require_role,
    require_state,
    save_with_clocks,
    standing_on,
)

Claim = ExclusionClaim.Status


def incident_exclusion_settle(
    *, actor: Actor, incident: Incident, reason: str, dispute_id: int, dispute_ref: str
) -> ExclusionClaim | None:
    """Exclude ``incident`` on resolving dispute ``dispute_ref`` (``reason``: the agreed
    resolution). A pending claim is accepted; a claim the buyer rejected earlier is accepted
    again as a new row (the rejected one stays as it was decided); an incident nobody claimed is
    excluded as it is. Returns the accepted claim, if there is one."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Give the agreed resolution.", errors={"reason": ["This field is required."]})
    with transaction.atomic():
        incident = lock(incident)
        s = standing_on(actor, incident)
        require_role(is_buyer_actor(s), "exclude", "the buyer's contract managers and operations, or staff,")
        require_state(incident, "decide_claim", s)
        if incident.excluded:
            raise Conflict(
                f"{incident.reference} is already excluded.",
                state=incident.status,
                allowed=allowed_actions(incident, s),
            )
        at = now()
        person = actor if isinstance(actor, User) else None  # a system actor is named in the audit trail
        decision = f"Accepted on resolving dispute {dispute_ref}: {reason}"
        claims = list(ExclusionClaim.objects.select_for_update().filter(incident=incident).order_by("-claimed_at"))
        accepted = next((c for c in claims if c.status == Claim.PENDING), None)
        if accepted is not None:
            accepted.status, accepted.decided_by, accepted.decided_at = Claim.ACCEPTED, person, at
            accepted.decision_reason = decision
            accepted.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        elif claims:
            accepted = ExclusionClaim.objects.create(
                incident=incident,
                kind=claims[0].kind,
                reason=claims[0].reason,
                status=Claim.ACCEPTED,
                claimed_by=claims[0].claimed_by,
                claimed_at=at,
                decided_by=person,
                decided_at=at,
                decision_reason=decision,
            )
        incident.excluded = True
        event(
            incident,
            kind=IncidentEvent.Kind.CLAIM_ACCEPTED,
            actor=actor,
            at=at,
            message=f"Exclusion accepted on resolving dispute {dispute_ref}: removed from breach counts and credits. "
            f"{reason}",
            data={"dispute": dispute_id, **({"claim": accepted.pk} if accepted else {})},
        )
        save_with_clocks(incident, at=at, actor=actor)
        audit_incident(
            actor,
            incident,
            "incident.exclusion_accepted",
            {
                "excluded": [False, True],
                "dispute": [None, dispute_ref],
                **({"claim": [None, accepted.kind]} if accepted else {}),
            },
        )
    return accepted
