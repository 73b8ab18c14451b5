"""What a person can do to an incident from its page: each action's form, service call and flash."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.shortcuts import get_object_or_404

from core.errors import Conflict
from incidents import services
from incidents.forms import (
    AssignForm,
    AttachForm,
    AttributeForm,
    CancelForm,
    ChangeSeverityForm,
    ClaimExclusionForm,
    CommentForm,
    ConfirmForm,
    DecideClaimForm,
    DecideSeverityForm,
    NoInputForm,
    PauseForm,
    ProposeWorkaroundForm,
    RejectWorkaroundForm,
    ReopenForm,
    ResolveForm,
)
from incidents.models import (
    ExclusionClaim,
    Incident,
    SeverityChange,
)


@dataclass(frozen=True)
class Action:
    """One thing a person can do to an incident: the form that parses it, the
    service call, and the flash on success."""

    label: str
    form: type[forms.Form]
    run: Callable[[Any, Incident, dict[str, Any]], Any]
    done: str | Callable[[Incident, dict[str, Any], Any], str]  # "{ref} ..." or (incident, data, result) -> text
    style: str = ""  # "" (primary), "secondary", "contrast"
    where: str = "panel"  # "panel": the actions panel; "inline": in its section of the page


def _decide(user: Any, incident: Incident, d: dict[str, Any]) -> ExclusionClaim:
    claim = get_object_or_404(ExclusionClaim, pk=d["claim"], incident=incident)
    return services.decide_claim(actor=user, claim=claim, accept=d["decision"] == "accept", reason=d["reason"])


def _decide_severity(user: Any, incident: Incident, d: dict[str, Any]) -> services.SeverityOutcome:
    change = get_object_or_404(SeverityChange, pk=d["change"], incident=incident)
    return services.decide_severity(actor=user, change=change, accept=d["decision"] == "accept", reason=d["reason"])


def _severity_done(incident: Incident, d: dict[str, Any], outcome: services.SeverityOutcome) -> str:
    if outcome.pending:
        return (
            f"Severity {outcome.change.from_severity} → {outcome.change.to_severity} proposed on "
            f"{incident.reference}; it takes effect when the buyer accepts it."
        )
    return f"Severity of {incident.reference} changed; targets recomputed from the original open time."


ACTIONS: dict[str, Action] = {
    "acknowledge": Action(
        "Acknowledge",
        NoInputForm,
        lambda u, i, d: services.acknowledge_incident(actor=u, incident=i),
        "{ref} acknowledged: the acknowledge clock stopped.",
    ),
    "propose_workaround": Action(
        "Propose workaround",
        ProposeWorkaroundForm,
        lambda u, i, d: services.propose_workaround(actor=u, incident=i, text=d["text"], temporary=d["temporary"]),
        "Workaround proposed on {ref}; it awaits the buyer's answer.",
        style="secondary",
    ),
    "accept_workaround": Action(
        "Accept workaround",
        NoInputForm,
        lambda u, i, d: services.accept_workaround(actor=u, incident=i),
        "Workaround accepted: {ref} is restored and the restore clock stopped.",
        where="inline",
    ),
    "reject_workaround": Action(
        "Reject workaround",
        RejectWorkaroundForm,
        lambda u, i, d: services.reject_workaround(actor=u, incident=i, reason=d["reason"]),
        "Workaround rejected; {ref} stays acknowledged.",
        style="secondary",
        where="inline",
    ),
    "resolve": Action(
        "Resolve",
        ResolveForm,
        lambda u, i, d: services.resolve_incident(actor=u, incident=i, message=d["message"]),
        "{ref} resolved; it awaits the buyer's confirmation.",
    ),
    "confirm": Action(
        "Confirm resolution",
        ConfirmForm,
        lambda u, i, d: services.confirm_resolution(actor=u, incident=i, rating=d["rating"], comment=d["comment"]),
        "Resolution confirmed: {ref} is closed.",
    ),
    "reopen": Action(
        "Reopen",
        ReopenForm,
        lambda u, i, d: services.reopen_incident(actor=u, incident=i, reason=d["reason"]),
        "{ref} reopened: the resolve clock runs again.",
        style="secondary",
    ),
    "pause": Action(
        "Pause clock",
        PauseForm,
        lambda u, i, d: services.pause_incident(actor=u, incident=i, reason=d["reason"]),
        "Clock paused on {ref} while waiting for the customer.",
        style="secondary",
    ),
    "resume": Action(
        "Resume clock",
        NoInputForm,
        lambda u, i, d: services.resume_incident(actor=u, incident=i),
        "Clock resumed on {ref}.",
    ),
    "change_severity": Action(
        "Change severity",
        ChangeSeverityForm,
        lambda u, i, d: services.change_severity(actor=u, incident=i, severity=d["severity"], reason=d["reason"]),
        _severity_done,
        style="secondary",
    ),
    "decide_severity": Action(
        "Decide severity change",
        DecideSeverityForm,
        _decide_severity,
        lambda i, d, outcome: (
            f"Severity change accepted: {i.reference} is now {outcome.change.to_severity}; targets recomputed."
            if outcome.change.status == SeverityChange.Status.ACCEPTED
            else f"Severity change rejected: {i.reference} stays {outcome.change.from_severity}."
        ),
        where="inline",
    ),
    "claim_exclusion": Action(
        "Claim exclusion",
        ClaimExclusionForm,
        lambda u, i, d: services.claim_exclusion(actor=u, incident=i, kind=d["kind"], reason=d["reason"]),
        "Exclusion claimed on {ref}; it awaits the buyer's decision.",
        style="secondary",
    ),
    "decide_claim": Action(
        "Decide claim",
        DecideClaimForm,
        _decide,
        lambda i, d, claim: (
            f"Exclusion accepted: {i.reference} no longer counts against the SLA."
            if claim.status == ExclusionClaim.Status.ACCEPTED
            else f"Exclusion claim rejected: {i.reference} still counts against the SLA."
        ),
        where="inline",
    ),
    "attribute": Action(
        "Attribute to contract",
        AttributeForm,
        lambda u, i, d: services.attribute_incident(
            actor=u, incident=i, to_contract=d["to_contract"], reason=d["reason"], move=d["move"]
        ),
        lambda i, d, result: (
            f"{i.reference} attributed to {d['to_contract'].reference} as {result.reference}: its vendor was "
            f"notified and its clocks run under that contract's SLA; {i.reference} stays on this contract "
            "and no longer counts against it."
            if d["move"]
            else f"{i.reference} linked to {d['to_contract'].reference}."
        ),
        style="secondary",
    ),
    "assign": Action(
        "Assign",
        AssignForm,
        lambda u, i, d: services.assign_incident(actor=u, incident=i, assignee=d["assignee"]),
        lambda i, d, result: (
            f"{i.reference} assigned to {d['assignee']}." if d["assignee"] else f"{i.reference} is unassigned."
        ),
        style="secondary",
    ),
    "cancel": Action(
        "Cancel incident",
        CancelForm,
        lambda u, i, d: services.cancel_incident(actor=u, incident=i, reason=d["reason"]),
        "{ref} cancelled: its clocks stopped and no report counts it.",
        style="contrast",
    ),
    "comment": Action(
        "Comment",
        CommentForm,
        lambda u, i, d: services.comment_incident(actor=u, incident=i, text=d["text"]),
        "Comment added to {ref}.",
        style="secondary",
        where="inline",
    ),
    "attach": Action(
        "Attach file",
        AttachForm,
        lambda u, i, d: services.attach_file(actor=u, incident=i, file=d["file"]),
        "File attached to {ref}.",
        style="secondary",
        where="inline",
    ),
}


def _label(action: str) -> str:
    return ACTIONS[action].label if action in ACTIONS else action.replace("_", " ")


def conflict_message(exc: Conflict, incident: Incident, allowed: list[str]) -> str:
    """The service's reason, the incident's state, and what this person may do now."""
    message = exc.message.split(" Allowed now:")[0].rstrip()
    state = incident.get_status_display().lower()
    if state not in message.lower():
        message += f" The incident is {state}."
    if allowed:
        message += f" Allowed now: {', '.join(_label(a).lower() for a in allowed)}."
    else:
        message += " Nothing is open to you on it now."
    return message
