"""The catalogue of events people are told about.

One list, used by in-app notifications, email (with per-person preferences)
and outbound webhooks. An event's key is stable: it is stored on
notifications, preferences and webhook subscriptions, and sent to webhook
receivers as ``event``. Add events here; never rename a key.

``critical`` events cannot be turned off by people in an on-call role for the
contract (a vendor's support engineers and account managers); everyone else
may choose immediately, daily digest or off.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    key: str
    label: str
    group: str
    critical: bool = False


_EVENTS: tuple[Event, ...] = (
    # Incidents
    Event("incident.opened", "Incident opened", "Incidents", critical=True),
    Event("incident.acknowledged", "Incident acknowledged", "Incidents"),
    Event("incident.severity_proposed", "Severity change proposed", "Incidents"),
    Event("incident.severity_changed", "Severity changed", "Incidents"),
    Event("incident.severity_decided", "Severity change accepted or rejected", "Incidents"),
    Event("incident.workaround_proposed", "Workaround awaits acceptance", "Incidents"),
    Event("incident.workaround_accepted", "Workaround accepted", "Incidents"),
    Event("incident.workaround_expired", "Workaround expired", "Incidents"),
    Event("incident.restored", "Service restored", "Incidents"),
    Event("incident.resolved", "Incident resolved", "Incidents"),
    Event("incident.cancelled", "Incident cancelled", "Incidents"),
    Event("incident.assigned", "Incident assigned to you", "Incidents"),
    Event("incident.commented", "Comment by the other side", "Incidents"),
    Event("incident.escalated", "Target at risk or breached (escalation)", "Incidents", critical=True),
    Event("incident.attributed", "Incident attributed to your contract", "Incidents"),
    Event("claim.filed", "Exclusion claim filed", "Incidents"),
    Event("claim.decided", "Exclusion claim decided", "Incidents"),
    Event("corrective_action.due", "Corrective action due or overdue", "Incidents"),
    # Availability
    Event("maintenance.noticed", "Maintenance notice", "Availability"),
    Event("change.noticed", "Change notice", "Availability"),
    Event("change.questioned", "Change notice questioned or answered", "Availability"),
    Event("source.proposed", "Monitoring source awaits acceptance", "Availability"),
    Event("source.stale", "Monitoring source went silent", "Availability"),
    Event("source.accepted", "Monitoring source accepted or rejected by the other party", "Availability"),
    Event("discrepancy.opened", "Sources disagree: discrepancy to reconcile", "Availability"),
    Event("discrepancy.resolved", "Discrepancy proposed, resolved or disputed", "Availability"),
    # Reports and credits
    Event("report.issued", "Service report issued", "Reports and credits"),
    Event("credit.changed", "Credit status changed", "Reports and credits"),
    Event(
        "remedy.changed", "Remedy besides credits owed, offered, accepted, delivered or disputed", "Reports and credits"
    ),
    Event("report.close_failed", "Period close failed (staff)", "Reports and credits"),
    # Disputes
    Event("dispute.opened", "Dispute raised", "Disputes"),
    Event("dispute.stage_changed", "Dispute moved to a new stage", "Disputes"),
    Event("dispute.closed", "Dispute resolved or withdrawn", "Disputes"),
    Event("dispute.commented", "Dispute comment by the other side", "Disputes"),
    Event("dispute.deadline", "Dispute deadline approaching", "Disputes"),
    Event("legal_hold.changed", "Legal hold placed or released", "Disputes"),
    # Contracts and terms
    Event("terms.proposed", "Terms proposed for acceptance", "Contracts"),
    Event("terms.accepted", "Terms accepted", "Contracts"),
    Event("terms.rejected", "Terms rejected or withdrawn", "Contracts"),
    Event("contract.invitation", "Contract awaits your acceptance", "Contracts"),
    Event("onboarding.overdue", "Onboarding item overdue", "Contracts"),
    Event("contract.termination_right", "Termination right raised", "Contracts"),
    # Reviews and renewals
    Event("review.opened", "Annual review opened", "Reviews"),
    Event("review.circulated", "Review packet circulated or changed", "Reviews"),
    Event("review.amendment_proposed", "Amendment proposed", "Reviews"),
    Event("review.commented", "Review comment", "Reviews"),
    Event("review.signature_requested", "Your signature is requested", "Reviews"),
    Event("review.signature_voided", "Your signature was voided", "Reviews"),
    Event("review.signed", "Review signed", "Reviews"),
    Event("review.rejected", "Review rejected or closed without agreement", "Reviews"),
    Event("renewal.milestone", "Renewal milestone", "Reviews"),
    Event("feedback.logged", "Feedback awaits your response", "Reviews"),
    # Organization
    Event("organization.invitation", "Invitation to an organization", "Organization"),
)

EVENTS: dict[str, Event] = {e.key: e for e in _EVENTS}
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(e.group for e in _EVENTS))


def event(key: str) -> Event:
    """The catalogue entry for ``key``; a KeyError names an unknown event."""
    try:
        return EVENTS[key]
    except KeyError:
        raise KeyError(f"unknown event {key!r}: add it to accounts/events.py") from None


def choices() -> list[tuple[str, str]]:
    return [(e.key, e.label) for e in _EVENTS]


# -- contacts without a login -------------------------------------------------------------------
# A contract's contacts (contracts.ContractContact) are often people with no
# Covenant login: a vendor's incident desk, an executive sponsor. They get
# mail, never in-app rows, for the events of their own contract that their
# contact role is there for, and only on their own side of the contract (the
# side of an organization the event is addressed to). Each mail carries a
# link that stops that event on that contract for that address.
#
#   incident_manager    runs incidents day to day: every incident event, and
#                       the maintenance and change notices that cause them
#   escalation_contact  is called when a target is at risk: incidents opened
#                       and escalations
#   executive_sponsor   escalations only (and only at the levels the terms'
#                       escalation ladder names them for: the caller passes
#                       that role explicitly)
#   billing             reports and credits
#
# Escalations name their contact role per level in the terms; the escalation
# watcher passes ``contact_roles`` to notify() so only that level's role is
# mailed, whatever this table says.

_INCIDENT_DESK = frozenset(
    e.key for e in _EVENTS if e.group == "Incidents" and e.key not in {"incident.assigned", "corrective_action.due"}
) | {"maintenance.noticed", "change.noticed"}

CONTACT_ROLE_EVENTS: dict[str, frozenset[str]] = {
    "incident_manager": _INCIDENT_DESK,
    "escalation_contact": frozenset({"incident.opened", "incident.escalated"}),
    "executive_sponsor": frozenset({"incident.escalated"}),
    "billing": frozenset({"report.issued", "credit.changed"}),
}


def contact_roles_for(key: str) -> frozenset[str]:
    """The contact roles that are mailed ``key`` on their contract."""
    return frozenset(role for role, keys in CONTACT_ROLE_EVENTS.items() if key in keys)
