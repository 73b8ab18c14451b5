"""The contract's incident-response playbook on one incident: the steps for its
severity (from its SLA version's terms), when each falls due, who fills each
role, and ticking a step off (a timeline event and an audit entry)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from contracts.onboarding.selectors import People, people_of, playbook_steps
from core.actor import Actor
from core.errors import Conflict, InvalidInput, NotPermitted
from incidents.clocks import Interval, due_time
from incidents.models import Incident, IncidentEvent, IncidentPause, IncidentPlaybookTick
from incidents.services.base import (
    audit_incident,
    event,
    is_buyer_actor,
    is_party_actor,
    is_vendor_actor,
    lock,
    now,
    require_role,
    standing_on,
)
from incidents.sla import clock_of, met_at, terms_of

# Once the vendor has resolved the incident nothing more falls due: steps not ticked by then are shown
# as missed (their trigger passed) or skipped (it never came), and the page counts none as due.
OVER = Incident.FINISHED


@dataclass
class Step:
    """One playbook step as the incident page and the API show it."""

    order: int
    party: str
    party_label: str
    role: str
    role_label: str
    people: list[Any]
    trigger: str
    when: str  # "at 50 % of the restore target"
    action: str
    target: str | None = None
    value: int | None = None
    at: datetime | None = None  # when the trigger falls (None: not yet known, or never)
    at_text: str = ""
    state: str = "upcoming"  # ticked | due | upcoming | waiting | skipped | missed
    note: str = ""
    tick: IncidentPlaybookTick | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ticked(self) -> bool:
        return self.tick is not None


def _fmt(at: datetime, zone: str, now: datetime) -> str:
    local = at.astimezone(ZoneInfo(zone))
    same_day = local.date() == now.astimezone(ZoneInfo(zone)).date()
    text = f"{local:%H:%M} {local.tzname()}" if same_day else f"{local:%a %-d %b %H:%M} {local.tzname()}"
    if zone != "UTC" and local.utcoffset():
        text += f" ({at.astimezone(UTC):%H:%M} UTC)"
    return text


def _zone(incident: Incident) -> str:
    try:
        name = incident.sla_version.terms["calendar"]["timezone"]
        ZoneInfo(name)
    except Exception:
        return "UTC"
    return name


def _trigger_at(incident: Incident, step: dict[str, Any], pauses: list[Interval], at_now: datetime) -> datetime | None:
    trigger = step["trigger"]
    if trigger == "on_open":
        return incident.opened_at
    if trigger == "on_acknowledge":
        return incident.acknowledged_at
    terms = terms_of(incident)
    kind = step.get("target") or "restore"
    target = terms.target(incident.severity, incident.environment, kind)
    if target is None:
        return None
    clock = clock_of(terms, target)
    kind_pauses = pauses if terms.pause_stops(kind) else ()
    share = (step.get("value") or 100) / 100 if trigger == "share_elapsed" else 1
    return due_time(clock=clock, start=incident.opened_at, target=target.duration * share, pauses=kind_pauses)


def playbook_checklist(
    incident: Incident,
    *,
    at: datetime | None = None,
    people: People | None = None,
    ticks: Iterable[IncidentPlaybookTick] | None = None,
    pauses: Iterable[IncidentPause] | None = None,
) -> list[Step]:
    """The steps for the incident's severity, each with its trigger time, the
    people who fill its role and whether (and by whom) it was ticked."""
    at = at or now()
    zone = _zone(incident)
    people = people if people is not None else people_of(incident.contract)
    ticks_by_order = {
        t.step_order: t
        for t in (ticks if ticks is not None else incident.playbook_ticks.select_related("ticked_by"))
        if t.severity == incident.severity
    }
    intervals = [
        Interval(start=p.started_at, end=p.ended_at) for p in (pauses if pauses is not None else incident.pauses.all())
    ]
    raw = {s["order"]: s for s in terms_of(incident).playbook(incident.severity)}
    out = []
    for row in playbook_steps(incident.sla_version.terms, people, incident.severity):
        step = Step(
            order=row["order"],
            party=row["party"],
            party_label=row["party_label"],
            role=row["role"],
            role_label=row["role_label"],
            people=row["people"],
            trigger=row["trigger"],
            when=row["when"],
            action=row["action"],
            target=row["target"],
            value=row["value"],
            tick=ticks_by_order.get(row["order"]),
        )
        step.at = _trigger_at(incident, raw[row["order"]], intervals, at)
        if step.at is not None:
            step.at_text = _fmt(step.at, zone, at)
        target_met = met_at(incident, step.target, at) if step.target else None
        if step.tick is not None:
            step.state = "ticked"
        elif step.at is None:
            step.state = "waiting"
            if step.trigger == "on_acknowledge":
                step.note = "once the vendor acknowledges"
            elif target_met is not None:
                step.state, step.note = "skipped", f"not reached: the {step.target} target was met"
            else:
                step.note = "the clock is paused" if incident.is_paused else "no such target for this incident"
        elif target_met is not None and step.trigger in ("share_elapsed", "on_breach") and target_met <= step.at:
            step.state, step.note = "skipped", f"not reached: the {step.target} target was met"
        elif step.at <= at:
            step.state = "due"
        if incident.status in OVER and step.state in ("due", "upcoming", "waiting"):
            if step.state == "due":
                step.state, step.note = "missed", "not ticked before the incident was resolved"
            else:
                step.state, step.note = "skipped", "not reached: the incident was resolved first"
        out.append(step)
    return out


def tick_playbook_step(*, actor: Actor, incident: Incident, order: int) -> IncidentPlaybookTick:
    """A step is ticked off by the people (not viewers) of the party it belongs to
    (its ``party`` in the terms' playbook; staff may tick any). Each step is
    ticked once; the tick is a timeline event and an audit entry."""
    with transaction.atomic():
        incident = lock(incident)
        s = standing_on(actor, incident)
        require_role(is_party_actor(s), "tick playbook steps on", "the parties' people (not viewers)")
        terms = terms_of(incident)
        step = next((st for st in terms.playbook(incident.severity) if st["order"] == order), None)
        if step is None:
            raise InvalidInput(
                "No such playbook step.",
                errors={
                    "order": [
                        f"The {incident.severity} playbook of SLA v{incident.sla_version.number} has no step {order}."
                    ]
                },
            )
        side_actor = is_buyer_actor(s) if step["party"] == "buyer" else is_vendor_actor(s)
        if not side_actor:
            party = incident.contract.buyer if step["party"] == "buyer" else incident.contract.vendor
            raise NotPermitted(
                f"Step {order} is for {party.name} (the {step['party']}'s "
                f"{step['role'].replace('_', ' ')}): only {party.name}'s people may tick it."
            )
        if incident.status in (Incident.Status.CLOSED, Incident.Status.CANCELLED):
            raise Conflict(
                f"The incident is {incident.get_status_display().lower()}: its playbook can no longer be ticked.",
                state=incident.status,
            )
        done = IncidentPlaybookTick.objects.filter(incident=incident, severity=incident.severity, step_order=order)
        previous = done.select_related("ticked_by").first()
        if previous is not None:
            raise Conflict(
                f"Step {order} was already ticked by {previous.ticked_by or 'someone'} at "
                f"{previous.at:%Y-%m-%d %H:%M} UTC.",
                state=incident.status,
            )
        at = now()
        try:
            with transaction.atomic():
                tick = IncidentPlaybookTick.objects.create(
                    incident=incident,
                    severity=incident.severity,
                    step_order=order,
                    party=step["party"],
                    role=step["role"],
                    action=step["action"],
                    ticked_by=actor if getattr(actor, "is_authenticated", False) else None,
                    at=at,
                )
        except IntegrityError:  # a concurrent tick of the same step won
            raise Conflict(f"Step {order} was already ticked.", state=incident.status) from None
        role = step["role"].replace("_", " ")
        event(
            incident,
            kind=IncidentEvent.Kind.PLAYBOOK_STEP,
            actor=actor,
            at=at,
            message=f"Step {order} ({step['party']} {role}): {step['action']}",
            data={"severity": incident.severity, "order": order, "party": step["party"], "role": step["role"]},
        )
        audit_incident(
            actor,
            incident,
            "incident.playbook_step",
            {"step": [None, order], "severity": [None, incident.severity], "party": [None, step["party"]]},
        )
    return tick
