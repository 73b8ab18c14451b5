"""Glue between an Incident row and the pure clock engine: which terms, which
clock, which pauses; then store the results on the row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.calendars import ALWAYS, Clock, clock_for
from contracts.terms import Target, Terms
from incidents.clocks import Interval, due_time, effective_restore_at, target_state
from incidents.models import TARGET_KINDS, Incident, IncidentPause


def terms_of(incident: Incident) -> Terms:
    """Terms of the incident's SLA version, parsed once per loaded version
    object (bulk work shares one object across many incidents)."""
    version = incident.sla_version
    terms = getattr(version, "_parsed_terms", None)
    if terms is None or terms.data is not version.terms:
        terms = Terms(version.terms)
        version._parsed_terms = terms
    return terms


def clock_of(terms: Terms, target: Target) -> Clock:
    return ALWAYS if target.clock == "24x7" else clock_for(terms.calendar)


def met_at(incident: Incident, kind: str, now: datetime) -> datetime | None:
    if kind == "acknowledge":
        return incident.acknowledged_at
    if kind == "restore":
        accepted = incident.workaround_accepted_at if incident.workaround in ("accepted", "expired") else None
        return effective_restore_at(
            workaround_accepted_at=accepted,
            workaround_expires_at=incident.workaround_expires_at,
            resolved_at=incident.resolved_at,
            now=now,
        )
    return incident.resolved_at


@dataclass(frozen=True)
class Threshold:
    target: str
    level: int
    trigger: str
    at: datetime
    contact_role: str


def _pauses_for(terms: Terms, kind: str, pauses: Sequence[Interval]) -> Sequence[Interval]:
    return pauses if terms.pause_stops(kind) else ()


def recompute(incident: Incident, *, now: datetime, pauses: Iterable[IncidentPause] | None = None) -> list[str]:
    """Recompute the stored SLA state in place (the caller saves). Returns the
    targets that became breached with this computation."""
    terms = terms_of(incident)
    if pauses is None:
        pauses = incident.pauses.all()
    intervals = [Interval(start=p.started_at, end=p.ended_at) for p in pauses]
    newly: list[str] = []
    next_due: list[datetime] = []
    next_risk: list[datetime] = []
    for kind in TARGET_KINDS:
        target = terms.target(incident.severity, incident.environment, kind)
        if target is None:
            for suffix, value in (("due_at", None), ("met_at", None), ("elapsed", None), ("breached", False)):
                setattr(incident, f"{kind}_{suffix}", value)
            continue
        clock = clock_of(terms, target)
        kind_pauses = _pauses_for(terms, kind, intervals)
        met = met_at(incident, kind, now)
        state = target_state(
            clock=clock, opened_at=incident.opened_at, target=target.duration, pauses=kind_pauses, met_at=met, now=now
        )
        was = getattr(incident, f"{kind}_breached")
        incident.__dict__.update(
            {
                f"{kind}_due_at": state.due_at,
                f"{kind}_met_at": state.met_at,
                f"{kind}_elapsed": state.elapsed,
                f"{kind}_breached": state.breached,
            }
        )
        if state.breached and not was:
            newly.append(kind)
        if met is None and state.due_at is not None and not state.breached and not incident.is_finished:
            next_due.append(state.due_at)
            risk = due_time(
                clock=clock,
                start=incident.opened_at,
                target=target.duration * Incident.RISK_SHARE,
                pauses=kind_pauses,
            )
            if risk is not None:
                next_risk.append(risk)
    incident.breached = any(getattr(incident, f"{k}_breached") for k in TARGET_KINDS)
    incident.next_due_at = min(next_due, default=None)
    incident.next_risk_at = min(next_risk, default=None)
    incident.clocks_computed_at = now
    return newly


def thresholds(incident: Incident, *, now: datetime, pauses: Iterable[IncidentPause] | None = None) -> list[Threshold]:
    """Every escalation threshold of every unmet target, from the ladder in the terms."""
    terms = terms_of(incident)
    if pauses is None:
        pauses = incident.pauses.all()
    intervals = [Interval(start=p.started_at, end=p.ended_at) for p in pauses]
    out: list[Threshold] = []
    for kind in TARGET_KINDS:
        target = terms.target(incident.severity, incident.environment, kind)
        if target is None or met_at(incident, kind, now) is not None:
            continue
        clock = clock_of(terms, target)
        kind_pauses = _pauses_for(terms, kind, intervals)
        due = due_time(clock=clock, start=incident.opened_at, target=target.duration, pauses=kind_pauses)
        for level in terms.escalation_levels():
            if level["trigger"] == "share_elapsed":
                at = due_time(
                    clock=clock,
                    start=incident.opened_at,
                    target=target.duration * level["value"] / 100,
                    pauses=kind_pauses,
                )
            elif due is None:
                at = None
            elif level["trigger"] == "breach":
                at = due
            else:  # past_breach: minutes after the due time, on the wall clock
                at = due + timedelta(minutes=level["value"])
            if at is not None:
                out.append(Threshold(kind, level["level"], level["trigger"], at, level["contact_role"]))
    return out


def next_escalation(items: Iterable[Threshold], fired: set[tuple[str, int]]) -> datetime | None:
    return min((t.at for t in items if (t.target, t.level) not in fired), default=None)
