"""Severity by agreement.

The severity sets an incident's targets and its breach credits, so the party
that owes the remedy must not lower it alone. The rule:

- the vendor's side lowering the severity files a proposal (PENDING) that
  takes effect only when the buyer's side accepts it;
- raising it (either side), or any change by the buyer's side or staff,
  applies at once, as before;
- terms with ``severity_changes: "either_party"`` let either side apply any
  change at once (absent: ``"by_agreement"``).

Every change, applied or proposed, is a ``SeverityChange`` row, a timeline
event and an audit entry, so the history shows proposal and decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.access import Standing
from contracts.terms import SEVERITIES
from core.actor import Actor
from core.errors import Conflict, InvalidInput
from incidents.models import Incident, IncidentEvent, SeverityChange
from incidents.services.base import (
    actor_label,
    allowed_actions,
    audit_incident,
    event,
    is_buyer_actor,
    is_party_actor,
    lock,
    now,
    require_role,
    require_state,
    save_with_clocks,
    standing_on,
)
from incidents.services.notices import tell_incident
from incidents.sla import terms_of

K = IncidentEvent.Kind
BY_AGREEMENT, EITHER_PARTY = "by_agreement", "either_party"


@dataclass(frozen=True)
class SeverityOutcome:
    """What a severity change did: ``change.status`` is APPLIED (``incident``
    carries the new targets) or PENDING (nothing changed yet)."""

    incident: Incident
    change: SeverityChange

    @property
    def pending(self) -> bool:
        return self.change.is_pending


def severity_rule(incident: Incident) -> str:
    return str(terms_of(incident).data.get("severity_changes") or BY_AGREEMENT)


def is_lowering(old: str, new: str) -> bool:
    return SEVERITIES.index(new) > SEVERITIES.index(old)


def needs_agreement(s: Standing, incident: Incident, severity: str) -> bool:
    """The vendor's side (not staff) lowering the severity under by-agreement terms."""
    return (
        s.is_vendor
        and not s.is_staff
        and is_lowering(incident.severity, severity)
        and severity_rule(incident) == BY_AGREEMENT
    )


def pending_change(incident: Incident) -> SeverityChange | None:
    return incident.severity_changes.filter(status=SeverityChange.Status.PENDING).first()


def change_severity(*, actor: Actor, incident: Incident, severity: str, reason: str) -> SeverityOutcome:
    if severity not in SEVERITIES:
        raise InvalidInput("Unknown severity.", errors={"severity": [f"Must be one of: {', '.join(SEVERITIES)}."]})
    if not reason.strip():
        raise InvalidInput("Say why the severity changes.", errors={"reason": ["This field is required."]})
    with transaction.atomic():
        incident = lock(incident)
        s = standing_on(actor, incident)
        require_role(is_party_actor(s), "change_severity", "the parties")
        require_state(incident, "change_severity", s)
        old = incident.severity
        if severity == old:
            raise InvalidInput("The severity is already that.", errors={"severity": [f"Already {old}."]})
        if pending_change(incident) is not None:
            raise Conflict(
                "A severity change is already pending the buyer's decision.",
                state=incident.status,
                allowed=[a for a in allowed_actions(incident, s) if a == "decide_severity"],
            )
        at = now()
        agree = needs_agreement(s, incident, severity)
        change = SeverityChange.objects.create(
            incident=incident,
            from_severity=old,
            to_severity=severity,
            reason=reason.strip(),
            status=SeverityChange.Status.PENDING if agree else SeverityChange.Status.APPLIED,
            proposed_by_id=actor.pk,  # None for a system actor
            proposed_at=at,
            decided_at=None if agree else at,
        )
        if agree:
            event(
                incident,
                kind=K.SEVERITY_PROPOSED,
                actor=actor,
                at=at,
                message=f"Proposed severity {old} → {severity}: {reason.strip()}. "
                "It takes effect when the buyer accepts it; the targets stay as they are until then.",
                data={"from": old, "to": severity, "change": change.pk},
            )
            audit_incident(actor, incident, "incident.severity_proposed", {"severity_proposal": [None, severity]})
            tell_incident(
                incident,
                to="buyer",
                event="incident.severity_proposed",
                actor=actor,
                title=f"severity {old} → {severity} proposed, awaits your decision",
                body=reason.strip(),
            )
            return SeverityOutcome(incident=incident, change=change)
        incident.severity = severity
        event(
            incident,
            kind=K.SEVERITY_CHANGED,
            actor=actor,
            at=at,
            message=f"Severity {old} → {severity}: {reason.strip()}. Targets recomputed from the original open time.",
            data={"from": old, "to": severity},
        )
        save_with_clocks(incident, at=at, actor=actor)
        audit_incident(actor, incident, "incident.change_severity", {"severity": [old, severity]})
    return SeverityOutcome(incident=incident, change=change)


def decide_severity(*, actor: Actor, change: SeverityChange, accept: bool, reason: str = "") -> SeverityOutcome:
    """The buyer's side accepts (the change applies, targets recomputed from
    the original open time) or rejects (with a reason; the severity stays)."""
    if not accept and not reason.strip():
        raise InvalidInput(
            "Say why the severity change is rejected.", errors={"reason": ["This field is required to reject."]}
        )
    with transaction.atomic():
        incident = lock(change.incident)
        change = SeverityChange.objects.select_for_update(of=("self",)).select_related("proposed_by").get(pk=change.pk)
        s = standing_on(actor, incident)
        require_role(is_buyer_actor(s), "decide_severity", "the buyer's contract managers and operations")
        if change.status != SeverityChange.Status.PENDING:
            raise Conflict(f"The severity change was already {change.status}.", state=change.status, allowed=[])
        require_state(incident, "decide_severity", s)
        at = now()
        change.status = SeverityChange.Status.ACCEPTED if accept else SeverityChange.Status.REJECTED
        change.decided_by_id, change.decided_at, change.decision_reason = actor.pk, at, reason.strip()
        change.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        proposer = actor_label(change.proposed_by) if change.proposed_by else "the vendor"
        old, new = change.from_severity, change.to_severity
        if accept:
            incident.severity = new
            event(
                incident,
                kind=K.SEVERITY_CHANGED,
                actor=actor,
                at=at,
                message=f"Severity {old} → {new} by agreement: proposed by {proposer} on "
                f"{change.proposed_at:%Y-%m-%d %H:%M} UTC, accepted by {actor_label(actor)}"
                + (f" ({reason.strip()})" if reason.strip() else "")
                + ". Targets recomputed from the original open time.",
                data={"from": old, "to": new, "change": change.pk},
            )
            save_with_clocks(incident, at=at, actor=actor)
            audit_incident(actor, incident, "incident.severity_accepted", {"severity": [old, new]})
        else:
            event(
                incident,
                kind=K.SEVERITY_REJECTED,
                actor=actor,
                at=at,
                message=f"Rejected the proposed severity {old} → {new} (by {proposer}): {reason.strip()}",
                data={"from": old, "to": new, "change": change.pk},
            )
            audit_incident(actor, incident, "incident.severity_rejected", {"severity_proposal": [new, None]})
        tell_incident(
            incident,
            to="both",
            event="incident.severity_decided",
            actor=actor,
            title=f"severity {old} → {new} {change.status}",
            body=reason.strip()
            or (f"Severity is now {new}; targets recomputed." if accept else f"Severity stays {old}."),
        )
    return SeverityOutcome(incident=incident, change=change)
