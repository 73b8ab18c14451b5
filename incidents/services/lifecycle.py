"""The incident lifecycle: open, acknowledge, workaround, resolve, confirm,
reopen, pause and resume, severity change, comments and attachments."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from contracts import lock_objects
from contracts import services as contract_services
from contracts.access import contract_standing
from contracts.models import Contract, SLAVersion
from contracts.terms import Terms
from core.actor import Actor
from core.errors import Conflict, InvalidInput
from incidents import sla
from incidents.models import Environment, Incident, IncidentAttachment, IncidentEvent, IncidentPause, Severity
from incidents.services.base import (
    actor_label,
    audit_incident,
    event,
    is_buyer_actor,
    is_party_actor,
    is_vendor_actor,
    lock,
    now,
    require_role,
    require_state,
    save_with_clocks,
    standing_on,
)
from incidents.services.notices import other_side, tell_incident

K = IncidentEvent.Kind
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


def _governing_version(contract: Contract, at: datetime) -> SLAVersion:
    version = SLAVersion.objects.for_contract(contract).in_force_at(at)
    if version is None:
        raise Conflict(
            f"Contract {contract.reference} has no SLA in force at {at:%Y-%m-%d %H:%M} UTC; activate its SLA first.",
            state=contract.status,
            allowed=[],
        )
    return version


def open_incident(
    *,
    actor: Actor,
    contract: Contract,
    title: str,
    severity: str,
    environment: str,
    component: str,
    description: str = "",
) -> Incident:
    s = contract_standing(actor, contract)
    require_role(is_buyer_actor(s), "open", "the buyer's contract managers and operations")
    errors: dict[str, list[str]] = {}
    if severity not in Severity.values:
        errors["severity"] = [f"Must be one of: {', '.join(Severity.values)}."]
    if environment not in Environment.values:
        errors["environment"] = [f"Must be one of: {', '.join(Environment.values)}."]
    if not title.strip():
        errors["title"] = ["This field is required."]
    if not component.strip():
        errors["component"] = ["This field is required."]
    if errors:
        raise InvalidInput("Please correct the errors below.", errors=errors)
    contract_services.contract_require_accepted(contract, what="Incidents")
    if contract.status != Contract.Status.ACTIVE:
        raise Conflict(
            f"Incidents can only be opened on an active contract; {contract.reference} is {contract.status}.",
            state=contract.status,
        )
    at = now()
    with transaction.atomic():
        lock_objects.contract(contract.pk)  # before the insert and the audit head (core.locks)
        version = _governing_version(contract, at)
        incident = Incident(
            contract=contract,
            sla_version=version,
            title=title.strip()[:200],
            description=description,
            severity=severity,
            environment=environment,
            component=component.strip(),
            out_of_scope=not contract.in_scope(component.strip()),
            opened_by=actor if getattr(actor, "is_authenticated", False) else None,
            opened_at=at,
        )
        incident.save()
        message = f"{incident.get_severity_display()} / {incident.get_environment_display()} on {incident.component}."
        if incident.out_of_scope:
            message += " The component is not in the contract's scope: flagged out of scope."
        event(incident, kind=K.OPENED, actor=actor, at=at, message=message, data={"sla_version": version.number})
        save_with_clocks(incident, at=at, actor=actor)
        audit_incident(
            actor,
            incident,
            "incident.opened",
            {
                "title": [None, incident.title],
                "severity": [None, severity],
                "environment": [None, environment],
                "component": [None, incident.component],
                "out_of_scope": [None, incident.out_of_scope],
            },
        )
        tell_incident(incident, to="vendor", event="incident.opened", actor=actor, title="opened")
    return incident


def _transition(
    *,
    actor: Actor,
    incident: Incident,
    action: str,
    role_ok: str,
    kind: str,
    message: str = "",
    mutate: Any = None,
    data: dict | None = None,
    notice: tuple[str, str, str] | None = None,
) -> Incident:
    """``notice``: (to which side, catalogue event, title) told in the same transaction."""
    with transaction.atomic():
        incident = lock(incident)
        s = standing_on(actor, incident)
        checks = {"vendor": is_vendor_actor, "buyer": is_buyer_actor, "party": is_party_actor}
        who = {
            "vendor": "the vendor's support staff",
            "buyer": "the buyer's contract managers and operations",
            "party": "the parties",
        }
        require_role(checks[role_ok](s), action, who[role_ok])
        require_state(incident, action, s)
        at = now()
        before = {"status": incident.status, "workaround": incident.workaround, "severity": incident.severity}
        if mutate is not None:
            mutate(incident, at)
        event(incident, kind=kind, actor=actor, at=at, message=message, data=data)
        save_with_clocks(incident, at=at, actor=actor)
        after = {"status": incident.status, "workaround": incident.workaround, "severity": incident.severity}
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        audit_incident(actor, incident, f"incident.{action}", changes or {"event": [None, kind]})
        if notice is not None:
            to, key, title = notice
            tell_incident(incident, to=to, event=key, actor=actor, title=title, body=message)
    return incident


def acknowledge_incident(*, actor: Actor, incident: Incident, message: str = "") -> Incident:
    def mutate(i: Incident, at: datetime) -> None:
        i.status, i.acknowledged_at = Incident.Status.ACKNOWLEDGED, at

    return _transition(
        actor=actor,
        incident=incident,
        action="acknowledge",
        notice=("buyer", "incident.acknowledged", "acknowledged"),
        role_ok="vendor",
        kind=K.ACKNOWLEDGED,
        message=message,
        mutate=mutate,
    )


def propose_workaround(*, actor: Actor, incident: Incident, text: str, temporary: bool = False) -> Incident:
    if not text.strip():
        raise InvalidInput("Describe the workaround.", errors={"text": ["This field is required."]})

    def mutate(i: Incident, at: datetime) -> None:
        if i.workaround == Incident.Workaround.PROPOSED:
            raise Conflict("A workaround is already awaiting the buyer's answer.", state=i.status, allowed=[])
        i.workaround, i.workaround_text, i.workaround_temporary, i.workaround_proposed_at = (
            Incident.Workaround.PROPOSED,
            text.strip(),
            temporary,
            at,
        )

    return _transition(
        actor=actor,
        incident=incident,
        action="propose_workaround",
        notice=("buyer", "incident.workaround_proposed", "workaround awaits your answer"),
        role_ok="vendor",
        kind=K.WORKAROUND_PROPOSED,
        message=text.strip() + (" (temporary)" if temporary else ""),
        mutate=mutate,
        data={"temporary": temporary},
    )


def accept_workaround(*, actor: Actor, incident: Incident) -> Incident:
    def mutate(i: Incident, at: datetime) -> None:
        if i.workaround != Incident.Workaround.PROPOSED:
            raise Conflict("There is no proposed workaround to accept.", state=i.status, allowed=[])
        i.workaround, i.workaround_accepted_at, i.status = Incident.Workaround.ACCEPTED, at, Incident.Status.RESTORED
        days = Terms(i.sla_version.terms).temporary_workaround_days
        i.workaround_expires_at = at + timedelta(days=days) if i.workaround_temporary and days else None

    return _transition(
        actor=actor,
        incident=incident,
        action="accept_workaround",
        notice=("vendor", "incident.workaround_accepted", "workaround accepted: service restored"),
        role_ok="buyer",
        kind=K.WORKAROUND_ACCEPTED,
        mutate=mutate,
        message="The workaround stops the restore clock.",
    )


def reject_workaround(*, actor: Actor, incident: Incident, reason: str) -> Incident:
    if not reason.strip():
        raise InvalidInput("Say why the workaround is rejected.", errors={"reason": ["This field is required."]})

    def mutate(i: Incident, at: datetime) -> None:
        if i.workaround != Incident.Workaround.PROPOSED:
            raise Conflict("There is no proposed workaround to reject.", state=i.status, allowed=[])
        i.workaround = Incident.Workaround.REJECTED

    return _transition(
        actor=actor,
        incident=incident,
        action="reject_workaround",
        role_ok="buyer",
        kind=K.WORKAROUND_REJECTED,
        message=reason.strip(),
        mutate=mutate,
    )


def resolve_incident(*, actor: Actor, incident: Incident, message: str = "") -> Incident:
    def mutate(i: Incident, at: datetime) -> None:
        i.status, i.resolved_at = Incident.Status.RESOLVED, at
        if i.paused_since is not None:
            _end_pause(i, at)

    return _transition(
        actor=actor,
        incident=incident,
        action="resolve",
        notice=("buyer", "incident.resolved", "resolved"),
        role_ok="vendor",
        kind=K.RESOLVED,
        message=message,
        mutate=mutate,
    )


def confirm_resolution(*, actor: Actor, incident: Incident, rating: int | None = None, comment: str = "") -> Incident:
    if rating is not None and not (isinstance(rating, int) and 1 <= rating <= 5):
        raise InvalidInput("Ratings run from 1 to 5.", errors={"rating": ["Must be a whole number from 1 to 5."]})

    def mutate(i: Incident, at: datetime) -> None:
        i.status, i.closed_at = Incident.Status.CLOSED, at
        i.satisfaction, i.satisfaction_comment = rating, comment

    msg = f"Satisfaction {rating}/5. {comment}".strip() if rating else comment
    return _transition(
        actor=actor,
        incident=incident,
        action="confirm",
        role_ok="buyer",
        kind=K.CONFIRMED,
        message=msg,
        mutate=mutate,
        data={"rating": rating},
    )


def reopen_incident(*, actor: Actor, incident: Incident, reason: str) -> Incident:
    if not reason.strip():
        raise InvalidInput("Say why the incident is reopened.", errors={"reason": ["This field is required."]})

    def mutate(i: Incident, at: datetime) -> None:
        # The resolve clock runs again from the original open time; the
        # restore target stays met only if an accepted workaround still holds.
        i.status, i.resolved_at, i.reopened_count = Incident.Status.ACKNOWLEDGED, None, i.reopened_count + 1
        if i.workaround == Incident.Workaround.ACCEPTED:
            i.status = Incident.Status.RESTORED

    return _transition(
        actor=actor,
        incident=incident,
        action="reopen",
        role_ok="buyer",
        kind=K.REOPENED,
        message=reason.strip(),
        mutate=mutate,
    )


def _end_pause(incident: Incident, at: datetime) -> None:
    IncidentPause.objects.filter(incident=incident, ended_at__isnull=True).update(ended_at=at)
    incident.paused_since = None


def pause_incident(*, actor: Actor, incident: Incident, reason: str) -> Incident:
    if not reason.strip():
        raise InvalidInput("Say what you are waiting for.", errors={"reason": ["This field is required."]})

    def mutate(i: Incident, at: datetime) -> None:
        if i.paused_since is not None:
            raise Conflict("The clock is already paused.", state=i.status, allowed=["resume"])
        IncidentPause.objects.create(incident=i, started_at=at, reason=reason.strip()[:300])
        i.paused_since = at

    stops = ", ".join(Terms(incident.sla_version.terms).data["pause"]["stops"]) or "no"
    return _transition(
        actor=actor,
        incident=incident,
        action="pause",
        role_ok="vendor",
        kind=K.PAUSED,
        message=f"Waiting for the customer: {reason.strip()} (stops the {stops} clocks).",
        mutate=mutate,
    )


def resume_incident(*, actor: Actor, incident: Incident, message: str = "") -> Incident:
    def mutate(i: Incident, at: datetime) -> None:
        if i.paused_since is None:
            raise Conflict("The clock is not paused.", state=i.status, allowed=["pause"])
        _end_pause(i, at)

    return _transition(
        actor=actor, incident=incident, action="resume", role_ok="party", kind=K.RESUMED, message=message, mutate=mutate
    )


def comment_incident(*, actor: Actor, incident: Incident, text: str) -> IncidentEvent:
    if not text.strip():
        raise InvalidInput("Write something.", errors={"text": ["This field is required."]})
    with transaction.atomic():
        incident = lock(incident)
        s = standing_on(actor, incident)
        require_role(is_party_actor(s) or s.on_board, "comment on", "the parties and the board")
        at = now()
        # A comment by the vendor's side is a customer-visible update (incidents.sla.UPDATE_KINDS).
        update = s.is_vendor
        entry = event(
            incident,
            kind=K.COMMENT,
            actor=actor,
            at=at,
            message=text.strip(),
            data={"update": True} if update else None,
        )
        if update and sla.has_optional_targets(incident):
            save_with_clocks(incident, at=at, actor=actor)
        audit_incident(actor, incident, "incident.commented", {"comment": [None, text.strip()[:500]]})
        tell_incident(
            incident,
            to=other_side(actor, incident),
            event="incident.commented",
            actor=actor,
            title=f"comment by {actor_label(actor)}",
            body=text.strip()[:1000],
        )
    return entry


def attach_file(*, actor: Actor, incident: Incident, file: UploadedFile) -> IncidentAttachment:
    if file.size > MAX_ATTACHMENT_BYTES:
        raise InvalidInput("File too large.", errors={"file": [f"At most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB."]})
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    with transaction.atomic():
        incident = lock(incident)
        s = standing_on(actor, incident)
        require_role(is_party_actor(s), "attach files to", "the parties")
        at = now()
        attachment = IncidentAttachment(
            incident=incident,
            name=(file.name or "file")[:200],
            size=file.size,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
        )
        attachment.file.save(file.name or "file", file, save=False)
        attachment.save()
        event(
            incident,
            kind=K.ATTACHMENT,
            actor=actor,
            at=at,
            message=attachment.name,
            data={"attachment": attachment.pk, "sha256": attachment.sha256},
        )
        audit_incident(actor, incident, "incident.attachment_added", {"attachment": [None, attachment.name]})
    return attachment
