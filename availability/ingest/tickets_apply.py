"""The write side of ticketing webhooks: a parsed ticket becomes (or moves) a
Covenant incident through ``incidents.services``, in one transaction with its
raw payload (the evidence) and an audit entry.

Rules:

* A ticket from a source the other party has not accepted is kept as a raw
  payload and changes nothing (the response says so).
* Identity: ``TicketLink`` (source, ticket id). The ticket's own update time
  orders deliveries: one older than the last applied one changes nothing; a
  redelivery (same bytes, or the same ticket state) is a duplicate.
* Who acts: the incidents services let only the buyer's contract managers and
  operations open, cancel or reopen an incident, and only the vendor's support
  people acknowledge, propose a workaround or resolve it. A ticket acts in the
  name of the person of the needed side who vouched for the source: the one
  who registered it or the one who accepted it (staff count for either side).
  The timeline entry names the ticket, its status and its own timestamps,
  beside the server time at which Covenant applied it.
* The lifecycle only moves forward through the services' own transitions: a
  ticket first seen resolved is opened, acknowledged and resolved in one go;
  a refused step (a person's role changed, no SLA in force) is reported in
  the response and stops the ticket's later steps, the payload kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from availability.ingest.tickets import PARSERS, Decision, Ticket, clean_ticket_map, decide, effective_map
from availability.models import MonitoringSource, RawPayload, TicketLink
from availability.services import sources
from availability.services.monitoring import _begin, _store
from contracts import lock_objects
from core.actor import Actor, SystemActor
from core.errors import Conflict, InvalidInput, NotPermitted
from incidents import services as incidents
from incidents.models import Incident

MAX_EVIDENCE = 200  # deliveries kept on the link; every payload stays as RawPayload
Side = MonitoringSource.Side
S = Incident.Status


@dataclass
class TicketResult:
    payload_id: int
    duplicate: bool
    counted: bool
    ticket: str
    items: int = 1
    ignored: int = 0
    incident: int | None = None
    incident_opened: bool = False
    steps: list[str] = field(default_factory=list)
    note: str = ""


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _people(source: MonitoringSource) -> dict[str, User | None]:
    """The person acting for each side: who registered or accepted the source."""
    out: dict[str, User | None] = {Side.BUYER: None, Side.VENDOR: None}
    other = Side.VENDOR if source.registered_side == Side.BUYER else Side.BUYER
    for person, side in ((source.registered_by, source.registered_side), (source.accepted_by, other)):
        if person is None:
            continue
        if person.is_staff:
            out = {s: out[s] or person for s in out}
        elif side in out and out[side] is None:
            out[side] = person
    return out


def _evidence(ticket: Ticket, decision: Decision, payload_id: int, at: datetime, applied: bool) -> dict[str, Any]:
    return {
        "received_at": _ts(at),
        "payload": payload_id,
        "event": ticket.event,
        "status": ticket.status,
        "priority": ticket.priority,
        "action": decision.action,
        "ticket_created": _ts(ticket.created),
        "ticket_updated": _ts(ticket.updated),
        "ticket_resolved": _ts(ticket.resolved),
        "applied": applied,
    }


def _stamp(ticket: Ticket) -> str:
    """The ticket's own times for the timeline, beside the server time of the entry."""
    parts = [f"created {ticket.created:%Y-%m-%d %H:%M:%S} UTC", f"updated {ticket.updated:%Y-%m-%d %H:%M:%S} UTC"]
    if ticket.resolved is not None:
        parts.append(f"resolved {ticket.resolved:%Y-%m-%d %H:%M:%S} UTC")
    kind = MonitoringSource.Kind(ticket.kind).label.split(" ticket")[0].split(" incident")[0]
    return f"{kind} {ticket.label} '{ticket.status}' (ticket times: {', '.join(parts)})"


class _Steps:
    """Runs the incident services in order, each in a savepoint: the first
    refusal stops the rest and is reported, the payload and link are kept."""

    def __init__(self, result: TicketResult, people: dict[str, User | None]) -> None:
        self.result, self.people, self.stopped = result, people, False

    def run(self, name: str, side: str, call: Callable[[Actor], Any], *, soft: bool = False) -> Incident | None:
        """``soft``: a refusal is reported but does not stop the lifecycle steps after it."""
        if self.stopped:
            return None
        person = self.people.get(side)
        if person is None:
            self.stopped = not soft
            self.result.note = f"Not applied: {name} needs a {side} person who registered or accepted the source."
            return None
        try:
            with transaction.atomic():
                out = call(person)
        except (NotPermitted, Conflict, InvalidInput) as exc:
            self.stopped = not soft
            self.result.note = f"Not applied: {name}: {exc}"[:500]
            return None
        # A severity change may come back as an outcome (applied, or pending the other party's answer).
        incident = getattr(out, "incident", out)
        self.result.steps.append(f"{name} (pending)" if getattr(out, "pending", False) else name)
        return incident if isinstance(incident, Incident) else None


def _apply(
    source: MonitoringSource, link: TicketLink, ticket: Ticket, decision: Decision, result: TicketResult
) -> None:
    people = _people(source)
    steps = _Steps(result, people)
    stamp = _stamp(ticket)
    incident = link.incident
    if incident is None:
        if decision.action in ("cancel", "none"):
            result.note = "The ticket's status opens nothing."
            return
        incident = steps.run(
            "open",
            Side.BUYER,
            lambda actor: incidents.open_incident(
                actor=actor,
                contract=source.contract,
                title=ticket.title,
                severity=decision.severity,
                environment=decision.environment,
                component=decision.component or "service",
                description=f"Opened from {stamp}, by the source '{source.name}'.",
            ),
        )
        if incident is None:
            return
        link.incident = incident
        result.incident_opened = True
    current: Incident = Incident.objects.get(pk=incident.pk)
    if not current.is_finished and current.status != S.CANCELLED and decision.severity != current.severity:
        registering = Side.VENDOR if source.registered_side == Side.VENDOR else Side.BUYER
        current = (
            steps.run(
                "change_severity",
                registering,
                lambda actor: incidents.change_severity(
                    actor=actor,
                    incident=current,
                    severity=decision.severity,
                    reason=f"Priority '{ticket.priority}' in {stamp}",
                ),
                soft=True,
            )
            or current
        )
    action = decision.action
    if current.status == S.RESOLVED and action in ("open", "acknowledge", "workaround"):
        current = (
            steps.run(
                "reopen",
                Side.BUYER,
                lambda actor: incidents.reopen_incident(actor=actor, incident=current, reason=f"Reopened: {stamp}"),
            )
            or current
        )
    if action == "cancel" and current.status in (S.OPEN, S.ACKNOWLEDGED, S.RESTORED, S.RESOLVED):
        steps.run(
            "cancel",
            Side.BUYER,
            lambda actor: incidents.cancel_incident(actor=actor, incident=current, reason=f"Cancelled: {stamp}"),
        )
        return
    if action in ("acknowledge", "workaround", "resolve") and current.status == S.OPEN:
        current = (
            steps.run(
                "acknowledge",
                Side.VENDOR,
                lambda actor: incidents.acknowledge_incident(actor=actor, incident=current, message=stamp),
            )
            or current
        )
    if (
        action == "workaround"
        and current.status == S.ACKNOWLEDGED
        and current.workaround not in (Incident.Workaround.PROPOSED, Incident.Workaround.ACCEPTED)
    ):
        current = (
            steps.run(
                "propose_workaround",
                Side.VENDOR,
                lambda actor: incidents.propose_workaround(actor=actor, incident=current, text=f"Workaround: {stamp}"),
            )
            or current
        )
    if action == "resolve" and current.status in (S.ACKNOWLEDGED, S.RESTORED):
        steps.run(
            "resolve",
            Side.VENDOR,
            lambda actor: incidents.resolve_incident(actor=actor, incident=current, message=stamp),
        )


def ingest_ticket(source: MonitoringSource, body: bytes, kind: str) -> TicketResult:
    """One ticket webhook delivery. Validated whole (the mapping included)
    before anything is stored: a bad payload or an unmapped priority stores nothing."""
    ticket = PARSERS[kind](body)
    decision = decide(ticket, effective_map(kind, source.ticket_map), source.component_map)
    with transaction.atomic():
        source = _begin(source, kind)
        now = timezone.now()
        payload = _store(source, body, "application/json", 1, now, upstream_id=ticket.upstream_id)
        if payload is None:
            link = TicketLink.objects.filter(source=source, key=ticket.key).first()
            digest = hashlib.sha256(body).hexdigest()
            seen = RawPayload.objects.filter(Q(sha256=digest) | Q(upstream_id=ticket.upstream_id), source=source)
            return TicketResult(
                payload_id=seen.values_list("pk", flat=True).order_by("pk").first() or 0,
                duplicate=True,
                counted=source.counts,
                ticket=ticket.label,
                ignored=1,
                incident=link.incident_id if link else None,
                note="Received before: nothing changed.",
            )
        result = TicketResult(payload_id=payload.pk, duplicate=False, counted=source.counts, ticket=ticket.label)
        if not source.counts:
            result.ignored = 1
            result.note = (
                "Kept as evidence only: the other party has not accepted this source, so it opens "
                "and changes no incident."
            )
            return result
        link = TicketLink.objects.select_for_update(of=("self",)).filter(source=source, key=ticket.key).first()
        if link is not None and ticket.updated < link.ticket_updated_at:
            result.ignored = 1
            result.incident = link.incident_id
            result.note = (
                f"Older than the last applied update ({link.ticket_updated_at:%Y-%m-%d %H:%M:%S} UTC): "
                "kept as evidence, nothing changed."
            )
            _remember(link, ticket, decision, payload.pk, now, applied=False)
            link.save(update_fields=["evidence", "updated_at"])
            return result
        if link is None:
            link = TicketLink(
                source=source,
                key=ticket.key,
                label=ticket.label,
                ticket_created_at=ticket.created,
                ticket_updated_at=ticket.updated,
            )
        _apply(source, link, ticket, decision, result)
        link.label, link.status, link.priority = ticket.label, ticket.status[:60], ticket.priority[:60]
        link.ticket_updated_at, link.ticket_resolved_at = ticket.updated, ticket.resolved
        _remember(link, ticket, decision, payload.pk, now, applied=bool(result.steps))
        link.save()
        result.incident = link.incident_id
        audit.record(
            actor=SystemActor(f"monitoring:{source.name}"),
            verb=f"monitoring.{kind}_ingested",
            obj=source,
            contract_id=source.contract_id,
            changes={
                "payload": [None, payload.pk],
                "ticket": [None, ticket.label],
                "incident": [None, link.incident_id],
                "steps": [None, result.steps],
            },
        )
    return result


def _remember(link: TicketLink, ticket: Ticket, decision: Decision, payload: int, at: datetime, applied: bool) -> None:
    link.evidence = [*(link.evidence or []), _evidence(ticket, decision, payload, at, applied)][-MAX_EVIDENCE:]


def set_ticket_map(*, actor: Actor, source: MonitoringSource, ticket_map: Any) -> MonitoringSource:
    """Replace a ticketing source's map (either party's people who may register
    sources, or staff). The other party is told: the map decides severities."""
    cleaned = clean_ticket_map(source.kind, ticket_map)
    with transaction.atomic():
        lock_objects.contract_of(source)  # the contract, then the source (core.locks)
        source = (
            MonitoringSource.objects.select_for_update(of=("self",))
            .select_related("contract", "contract__buyer", "contract__vendor")
            .get(pk=source.pk)
        )
        side = sources.side_of(actor, source.contract)
        if side is None:
            raise NotPermitted(
                "Only staff and the parties' managers, operations or support engineers may change a ticket map."
            )
        if source.revoked_at is not None:
            raise Conflict("The source's token is revoked.", state="revoked", allowed=[])
        before = source.ticket_map
        source.ticket_map = cleaned
        source.save(update_fields=["ticket_map"])
        audit.record(
            actor=actor,
            verb="monitoring_source.ticket_map_changed",
            obj=source,
            contract_id=source.contract_id,
            changes={"ticket_map": [before, cleaned]},
        )
        others = [s for s in (Side.BUYER, Side.VENDOR) if s != side]
        for other in others:
            sources._notify(
                users=sources.party_people(source.contract, other),
                event="source.proposed",
                contract=source.contract,
                sides=(other,),
                title=f"{source.contract.reference}: the ticket map of '{source.name}' changed",
                body="It decides the severity and lifecycle of incidents the tickets open. Check it on the sources page.",
                url=sources._url(source),
            )
    return source


def ingest_jira(source: MonitoringSource, body: bytes) -> TicketResult:
    return ingest_ticket(source, body, MonitoringSource.Kind.JIRA)


def ingest_zendesk(source: MonitoringSource, body: bytes) -> TicketResult:
    return ingest_ticket(source, body, MonitoringSource.Kind.ZENDESK)


def ingest_servicenow(source: MonitoringSource, body: bytes) -> TicketResult:
    return ingest_ticket(source, body, MonitoringSource.Kind.SERVICENOW)


__all__ = ["TicketResult", "ingest_jira", "ingest_servicenow", "ingest_ticket", "ingest_zendesk", "set_ticket_map"]
