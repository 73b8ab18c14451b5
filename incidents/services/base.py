"""Shared steps of every incident use case: lock, authorize, check the state,
write the timeline event and the audit entry, recompute the clocks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.access import Standing
from accounts.models import Membership
from audit import services as audit
from contracts import lock_objects
from contracts.access import contract_standing
from core.actor import SYSTEM, Actor
from core.errors import Conflict, NotPermitted
from incidents import counters, sla
from incidents.models import EscalationFired, Incident, IncidentEvent, IncidentPause

BUYER_ACTORS = (Membership.Role.CONTRACT_MANAGER, Membership.Role.OPERATIONS)
VENDOR_ACTORS = (Membership.Role.ACCOUNT_MANAGER, Membership.Role.SUPPORT_ENGINEER)

S = Incident.Status
# Which action is allowed from which status (the lifecycle in one table).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "acknowledge": (S.OPEN,),
    "propose_workaround": (S.ACKNOWLEDGED,),
    "accept_workaround": (S.ACKNOWLEDGED,),
    "reject_workaround": (S.ACKNOWLEDGED,),
    "resolve": (S.ACKNOWLEDGED, S.RESTORED),
    "confirm": (S.RESOLVED,),
    "reopen": (S.RESOLVED,),
    "pause": (S.ACKNOWLEDGED, S.RESTORED),
    "resume": (S.ACKNOWLEDGED, S.RESTORED),
    "change_severity": (S.OPEN, S.ACKNOWLEDGED, S.RESTORED),
    "decide_severity": (S.OPEN, S.ACKNOWLEDGED, S.RESTORED, S.RESOLVED, S.CLOSED),
    "claim_exclusion": (S.OPEN, S.ACKNOWLEDGED, S.RESTORED, S.RESOLVED, S.CLOSED),
    "decide_claim": (S.OPEN, S.ACKNOWLEDGED, S.RESTORED, S.RESOLVED, S.CLOSED),
    "attribute": (S.OPEN, S.ACKNOWLEDGED, S.RESTORED, S.RESOLVED),
    "comment": (S.OPEN, S.ACKNOWLEDGED, S.RESTORED, S.RESOLVED, S.CLOSED),
    "assign": (S.OPEN, S.ACKNOWLEDGED, S.RESTORED, S.RESOLVED),
    "cancel": (S.OPEN, S.ACKNOWLEDGED, S.RESTORED, S.RESOLVED),
}


def now() -> datetime:
    return timezone.now()


def lock(incident: Incident, *, also_contract: int | None = None) -> Incident:
    """The contract (with ``also_contract``, both, in pk order), then the
    incident (``core.locks``); the joined rows are read, not locked."""
    contract_id = incident.contract_id
    if contract_id is None:  # only the id is known (a task)
        contract_id = Incident.objects.values_list("contract_id", flat=True).get(pk=incident.pk)
    if also_contract is None:
        lock_objects.contract(contract_id)
    else:
        lock_objects.contracts([contract_id, also_contract])
    locked = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("contract", "sla_version", "contract__buyer", "contract__vendor")
        .get(pk=incident.pk)
    )
    counters.remember(locked)  # what it counts for now: save_with_clocks applies the difference
    return locked


def standing_on(actor: Actor, incident: Incident) -> Standing:
    return contract_standing(actor, incident.contract)


def is_buyer_actor(s: Standing) -> bool:
    return s.is_staff or (s.is_buyer and s.has_role(*BUYER_ACTORS))


def is_vendor_actor(s: Standing) -> bool:
    return s.is_staff or (s.is_vendor and s.has_role(*VENDOR_ACTORS))


def is_party_actor(s: Standing) -> bool:
    return is_buyer_actor(s) or is_vendor_actor(s)


def require_role(allowed: bool, action: str, who: str) -> None:
    if not allowed:
        raise NotPermitted(f"Only {who} may {action.replace('_', ' ')} an incident.")


def allowed_actions(incident: Incident, s: Standing) -> list[str]:
    """What this person may do now: drives the buttons and the 409 message."""
    pending_claim = _has_pending(incident, "claims")
    pending_severity = _has_pending(incident, "severity_changes")
    by_role = {
        "acknowledge": is_vendor_actor(s),
        "propose_workaround": is_vendor_actor(s) and incident.workaround != Incident.Workaround.PROPOSED,
        "accept_workaround": is_buyer_actor(s) and incident.workaround == Incident.Workaround.PROPOSED,
        "reject_workaround": is_buyer_actor(s) and incident.workaround == Incident.Workaround.PROPOSED,
        "resolve": is_vendor_actor(s),
        "confirm": is_buyer_actor(s),
        "reopen": is_buyer_actor(s),
        "pause": is_vendor_actor(s) and not incident.is_paused,
        "resume": is_party_actor(s) and incident.is_paused,
        "change_severity": is_party_actor(s) and not pending_severity,
        "decide_severity": is_buyer_actor(s) and pending_severity,
        "claim_exclusion": is_vendor_actor(s) and not incident.excluded and not pending_claim,
        "decide_claim": is_buyer_actor(s) and pending_claim,
        "attribute": s.is_staff or (s.is_buyer and s.has_role(Membership.Role.CONTRACT_MANAGER)),
        "comment": is_party_actor(s) or s.on_board,
        "assign": is_party_actor(s),
        "cancel": is_buyer_actor(s),
    }
    return [a for a, ok in by_role.items() if ok and incident.status in TRANSITIONS[a]]


def _has_pending(incident: Incident, relation: str) -> bool:
    """From what the page or endpoint already read when it did (no extra query): a
    ``pending_<relation>`` flag set on the row (an annotation, or derived from the
    loaded rows), or the relation's prefetch."""
    known = getattr(incident, f"pending_{relation}", None)
    if known is not None:
        return bool(known)
    cache = getattr(incident, "_prefetched_objects_cache", {})
    if relation in cache:
        return any(c.status == "pending" for c in cache[relation])
    return bool(getattr(incident, relation).filter(status="pending").exists())


def require_state(incident: Incident, action: str, s: Standing | None = None) -> None:
    if incident.status not in TRANSITIONS[action]:
        allowed = allowed_actions(incident, s) if s is not None else []
        raise Conflict(
            f"Cannot {action.replace('_', ' ')} an incident that is {incident.get_status_display().lower()}."
            + (f" Allowed now: {', '.join(allowed)}." if allowed else ""),
            state=incident.status,
            allowed=allowed,
        )


def actor_label(actor: Actor) -> str:
    if getattr(actor, "is_authenticated", False):
        return actor.get_username()
    return str(actor or "system")


def event(
    incident: Incident, *, kind: str, actor: Actor, at: datetime, message: str = "", data: dict | None = None
) -> IncidentEvent:
    return IncidentEvent.objects.create(
        incident=incident,
        at=at,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label(actor),
        kind=kind,
        message=message,
        data=data or {},
    )


STATE_FIELDS = ["status", "severity", "workaround", "excluded", "contract_id", "paused_since"]


def save_with_clocks(
    incident: Incident,
    *,
    at: datetime,
    actor: Actor,
    extra_fields: Iterable[str] = (),
    pauses: list[IncidentPause] | None = None,
    fired: set[tuple[str, int]] | None = None,
) -> list[str]:
    """Recompute clocks and escalation horizon, save, keep the contract's
    incident counters, and put newly breached targets on the timeline.
    Caller holds the row lock (``lock``; a new incident: the contract's); a
    caller that has read the pauses and the fired escalations under that lock
    (the watcher) passes them instead of having them read again."""
    pauses = list(incident.pauses.all()) if pauses is None else pauses
    newly = sla.recompute(incident, now=at, pauses=pauses)
    if fired is None:
        fired = set(EscalationFired.objects.filter(incident=incident).values_list("target", "level"))
    # An incident excluded by an accepted claim escalates no further: the
    # breach no longer counts against the SLA, so no one is called for it.
    incident.next_escalation_at = (
        None
        if incident.is_finished or incident.excluded
        else sla.next_escalation(sla.thresholds(incident, now=at, pauses=pauses), fired)
    )
    incident.save()
    counters.record(incident)
    for kind in newly:
        event(
            incident,
            kind=IncidentEvent.Kind.BREACHED,
            actor=SYSTEM,
            at=at,
            message=f"The {kind} target was missed.",
            data={"target": kind},
        )
    return newly


def audit_incident(actor: Actor, incident: Incident, verb: str, changes: dict[str, Any]) -> None:
    audit.record(actor=actor, verb=verb, obj=incident, contract_id=incident.contract_id, changes=changes)
