"""The escalation watcher: one pass finds incidents whose next threshold has
come, fires each threshold once, expires temporary workarounds and records
breaches that happened by the passage of time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.services import notify
from contracts.models import ContractContact
from core.actor import SYSTEM
from incidents import sla
from incidents.models import EscalationFired, Incident, IncidentEvent
from incidents.services.base import audit_incident, event, lock, save_with_clocks
from incidents.services.notices import tell_incident

K = IncidentEvent.Kind
BATCH = 500


@dataclass
class WatcherResult:
    examined: int = 0
    fired: int = 0
    expired_workarounds: int = 0
    breaches: int = 0


def _due(now: datetime) -> list[tuple[int, int]]:
    """(incident, contract) of the incidents due for a look, in pk order."""
    return list(
        Incident.objects.unfinished()
        .filter(
            Q(next_escalation_at__lte=now)
            | Q(next_due_at__lte=now)
            | Q(workaround=Incident.Workaround.ACCEPTED, workaround_expires_at__lte=now)
        )
        .order_by("pk")
        .values_list("pk", "contract_id")[:BATCH]
    )


def due_for_watch(now: datetime) -> list[int]:
    return [pk for pk, _ in _due(now)]


def watch_incident(incident_id: int, *, now: datetime, contract_id: int | None = None) -> WatcherResult:
    """One incident, in its own transaction. The unique constraint on
    EscalationFired means a second run (or a concurrent worker) inserts
    nothing and notifies no one. ``contract_id``: the contract the pass read
    the incident under (saves a query; the row lock is taken all the same)."""
    if contract_id is not None:
        with transaction.atomic():
            incident = lock(Incident(pk=incident_id, contract_id=contract_id))
            if incident.contract_id == contract_id:
                return _watch_locked(incident, now=now)
        # Moved to another contract since the pass read it: lock in the documented order again.
    with transaction.atomic():
        return _watch_locked(lock(Incident(pk=incident_id)), now=now)


def _watch_locked(incident: Incident, *, now: datetime) -> WatcherResult:
    result = WatcherResult(examined=1)
    # The caller's transaction, with the contract and the incident locked.
    if incident.is_finished:
        return result
    if (
        incident.workaround == Incident.Workaround.ACCEPTED
        and incident.workaround_expires_at is not None
        and incident.workaround_expires_at <= now
    ):
        incident.workaround = Incident.Workaround.EXPIRED
        incident.status = Incident.Status.ACKNOWLEDGED
        event(
            incident,
            kind=K.WORKAROUND_EXPIRED,
            actor=SYSTEM,
            at=now,
            message="The temporary workaround expired; it now counts as no workaround.",
        )
        audit_incident(
            "system:watcher", incident, "incident.workaround_expired", {"workaround": ["accepted", "expired"]}
        )
        tell_incident(
            incident,
            to="both",
            event="incident.workaround_expired",
            actor=None,
            title="temporary workaround expired",
            body="The temporary workaround expired; the restore clock runs again.",
        )
        result.expired_workarounds += 1
    pauses = list(incident.pauses.all())
    if incident.excluded:
        # An accepted exclusion settles the clocks: nothing more fires
        # (breaches are still recorded, as history).
        result.breaches += len(save_with_clocks(incident, at=now, actor=SYSTEM, pauses=pauses))
        return result
    already = set(EscalationFired.objects.filter(incident=incident).values_list("target", "level"))
    crossing = [
        t
        for t in sla.thresholds(incident, now=now, pauses=pauses)
        if t.at <= now and (t.target, t.level) not in already
    ]
    for threshold in crossing:
        try:
            with transaction.atomic():
                EscalationFired.objects.create(
                    incident=incident,
                    target=threshold.target,
                    level=threshold.level,
                    trigger=threshold.trigger,
                    threshold_at=threshold.at,
                    fired_at=now,
                )
        except IntegrityError:
            already.add((threshold.target, threshold.level))
            continue  # another worker fired it first
        _notify_level(incident, threshold)
        event(
            incident,
            kind=K.ESCALATED,
            actor=SYSTEM,
            at=now,
            message=_describe(threshold),
            data={"target": threshold.target, "level": threshold.level, "trigger": threshold.trigger},
        )
        audit_incident(
            "system:watcher",
            incident,
            "incident.escalated",
            {"escalation": [None, f"{threshold.target} L{threshold.level}"]},
        )
        already.add((threshold.target, threshold.level))
        result.fired += 1
    result.breaches += len(save_with_clocks(incident, at=now, actor=SYSTEM, pauses=pauses, fired=already))
    return result


def _describe(t: sla.Threshold) -> str:
    trigger = {
        "share_elapsed": "share of target elapsed",
        "breach": "target breached",
        "past_breach": "time past breach",
    }[t.trigger]
    what = f"the {t.target} target"
    if t.target.startswith("update:"):  # one cadence gap (incidents.sla._running_targets)
        what = f"the update cadence (gap {t.target.partition(':')[2]}: no customer-visible update)"
    return f"Level {t.level} escalation on {what} ({trigger}); {t.contact_role.replace('_', ' ')} notified."


def _notify_level(incident: Incident, threshold: sla.Threshold) -> None:
    """The level's contacts: people by their login, the others by mail (only
    the level's role, whatever the catalogue's contact table says)."""
    contacts = ContractContact.objects.filter(
        contract=incident.contract, role=threshold.contact_role, user__isnull=False, user__is_active=True
    ).select_related("user")
    notify(
        users=[c.user for c in contacts],
        event="incident.escalated",
        title=f"Escalation L{threshold.level}: {incident.reference} {incident.title}"[:200],
        body=f"{_describe(threshold)}\nContract {incident.contract.reference}, severity {incident.severity}.",
        url=f"/incidents/{incident.pk}/",
        contract_id=incident.contract_id,
        organization_ids=[incident.contract.buyer_id, incident.contract.vendor_id],
        contact_roles=[threshold.contact_role],
    )


def run_watcher(*, now: datetime) -> WatcherResult:
    total = WatcherResult()
    for pk, contract_id in _due(now):
        r = watch_incident(pk, now=now, contract_id=contract_id)
        total.examined += r.examined
        total.fired += r.fired
        total.expired_workarounds += r.expired_workarounds
        total.breaches += r.breaches
    return total
