"""Working the incident list: assign, cancel an incident opened by mistake,
bulk acknowledge and assign, saved filters."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse

from accounts.models import Membership, User
from accounts.notifications import notify
from audit import services as audit
from core.actor import Actor
from core.errors import Conflict, DomainError, InvalidInput, NotPermitted
from incidents.models import Incident, IncidentPause, SavedFilter
from incidents.services.base import (
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
from incidents.services.lifecycle import acknowledge_incident
from incidents.services.notices import tell_incident

K = Incident.Status
MAX_BULK = 200
MAX_SAVED_FILTERS = 50


def _side_members(incident: Incident, side: str) -> set[int]:
    org_id = incident.contract.buyer_id if side == "buyer" else incident.contract.vendor_id
    return set(
        Membership.objects.filter(organization_id=org_id, is_active=True, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )


def assign_incident(*, actor: Actor, incident: Incident, assignee: User | None) -> Incident:
    """Give the incident to a person of the actor's own side (or take it back
    with ``assignee=None``). Each side assigns only its own people, so a buyer
    never hands work to a vendor engineer by name; staff may assign either
    party's people."""
    with transaction.atomic():
        incident = lock(incident)
        s = standing_on(actor, incident)
        require_role(is_party_actor(s), "assign", "the parties' contract staff")
        require_state(incident, "assign", s)
        if assignee is not None:
            if s.is_staff:
                allowed = _side_members(incident, "buyer") | _side_members(incident, "vendor")
            else:
                allowed = _side_members(incident, "buyer" if s.is_buyer else "vendor")
            if assignee.pk not in allowed:
                raise InvalidInput(
                    "Please correct the errors below.",
                    errors={"assignee": ["Must be an active person of your own organization on this contract."]},
                )
        before = incident.assignee_id
        new = assignee.pk if assignee is not None else None
        if before == new:
            return incident
        at = now()
        incident.assignee = assignee
        incident.save(update_fields=["assignee", "updated_at"])
        name = (assignee.get_full_name() or assignee.get_username()) if assignee is not None else ""
        event(
            incident,
            kind="assigned",
            actor=actor,
            at=at,
            message=f"Assigned to {name}." if assignee is not None else "Unassigned.",
            data={"assignee": new},
        )
        audit_incident(actor, incident, "incident.assigned", {"assignee": [before, new]})
        if assignee is not None and assignee.pk != getattr(actor, "pk", None):
            notify(
                users=[assignee],
                event="incident.assigned",
                title=f"{incident.reference} assigned to you: {incident.title}"[:200],
                body=f"{incident.contract.reference}: {incident.get_severity_display()} / "
                f"{incident.get_environment_display()} on {incident.component}.",
                url=reverse("incidents:detail", args=[incident.pk]),
                contract_id=incident.contract_id,
            )
    return incident


def cancel_incident(*, actor: Actor, incident: Incident, reason: str) -> Incident:
    """The buyer withdraws an incident opened by mistake. Every clock stops
    where it stood, the watcher forgets it, and no report, packet or replay
    counts it; the timeline and the audit trail keep what happened."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(
            "Please correct the errors below.", errors={"reason": ["Say why the incident is cancelled."]}
        )
    with transaction.atomic():
        incident = lock(incident)
        s = standing_on(actor, incident)
        require_role(is_buyer_actor(s), "cancel", "the buyer's contract managers and operations")
        require_state(incident, "cancel", s)
        at = now()
        before = incident.status
        open_pause = IncidentPause.objects.filter(incident=incident, ended_at__isnull=True).first()
        if open_pause is not None:
            open_pause.ended_at = at
            open_pause.save(update_fields=["ended_at"])
            incident.paused_since = None
        # Clocks are computed once more at the cancellation, then never again.
        incident.status, incident.cancelled_at, incident.cancel_reason = K.CANCELLED, at, reason
        event(incident, kind="cancelled", actor=actor, at=at, message=reason)
        save_with_clocks(incident, at=at, actor=actor)
        incident.next_due_at = incident.next_risk_at = incident.next_escalation_at = None
        incident.save(update_fields=["next_due_at", "next_risk_at", "next_escalation_at", "updated_at"])
        audit_incident(
            actor, incident, "incident.cancelled", {"status": [before, K.CANCELLED], "cancel_reason": [None, reason]}
        )
        tell_incident(incident, to="vendor", event="incident.cancelled", actor=actor, title="cancelled", body=reason)
    return incident


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def _bulk(actor: Actor, incidents: Iterable[Incident], run: Callable[[Incident], object]) -> BulkResult:
    """Each incident in its own short transaction: one refusal (a state that
    moved on, a missing right) never undoes the others, and no lock is held
    across the batch."""
    result = BulkResult()
    items = list(incidents)
    if len(items) > MAX_BULK:
        raise InvalidInput(
            "Please correct the errors below.", errors={"incidents": [f"At most {MAX_BULK} incidents at a time."]}
        )
    for incident in items:
        try:
            run(incident)
        except DomainError as exc:
            result.refused[incident.pk] = exc.message
        else:
            result.done.append(incident.pk)
    return result


def bulk_acknowledge(*, actor: Actor, incidents: Iterable[Incident]) -> BulkResult:
    return _bulk(actor, incidents, lambda i: acknowledge_incident(actor=actor, incident=i))


def bulk_assign(*, actor: Actor, incidents: Iterable[Incident], assignee: User | None) -> BulkResult:
    return _bulk(actor, incidents, lambda i: assign_incident(actor=actor, incident=i, assignee=assignee))


def saved_filter_save(*, actor: User, name: str, query: str) -> SavedFilter:
    """Save (or replace) a named filter of the incident list for this person."""
    name, query = name.strip()[:80], query.strip().lstrip("?")
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["This field is required."]
    if len(query) > 1000:
        errors["query"] = ["At most 1000 characters."]
    if errors:
        raise InvalidInput("Please correct the errors below.", errors=errors)
    with transaction.atomic():
        existing = SavedFilter.objects.filter(user=actor, name=name).first()
        if existing is None and SavedFilter.objects.filter(user=actor).count() >= MAX_SAVED_FILTERS:
            raise Conflict(f"At most {MAX_SAVED_FILTERS} saved filters; delete one first.")
        saved, _ = SavedFilter.objects.update_or_create(user=actor, name=name, defaults={"query": query})
        audit.record(actor=actor, verb="incident_filter.saved", obj=saved, changes={"query": [None, query]})
    return saved


def saved_filter_delete(*, actor: User, saved: SavedFilter) -> None:
    if saved.user_id != actor.pk:
        raise NotPermitted("Only its owner may delete a saved filter.")
    with transaction.atomic():
        audit.record(actor=actor, verb="incident_filter.deleted", obj=saved, changes={"name": [saved.name, None]})
        saved.delete()
