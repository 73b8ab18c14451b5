"""Glue between an Incident row and the pure clock engine: which terms, which
clock, which pauses; then store the results on the row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from contracts.calendars import ALWAYS, Clock, clock_for
from contracts.terms import Target, Terms
from incidents.cadence import cadence_state, first_update
from incidents.clocks import Interval, due_time, effective_restore_at, target_state
from incidents.models import TARGET_KINDS, Incident, IncidentEvent, IncidentPause

# The optional targets (incidents.cadence): "investigate" is stored like the
# others (investigate_due_at...), "update" is the cadence (next_update_due_at,
# update_misses).
OPTIONAL_KINDS = ("investigate", "update")

K = IncidentEvent.Kind
# Customer-visible updates: what the vendor tells the buyer on the timeline.
# A comment counts only when a member of the vendor's organization wrote it
# (marked ``data.update`` when recorded); the acknowledgement counts for the
# cadence but not as the first investigation update; a reopening restarts the
# cadence, and the time between a resolution and a reopening is no gap.
UPDATE_KINDS = (K.ACKNOWLEDGED, K.WORKAROUND_PROPOSED, K.RESOLVED, K.REOPENED)


@dataclass(frozen=True)
class Updates:
    """The timeline entries the optional targets read, oldest first."""

    entries: tuple[tuple[str, datetime], ...] = ()

    def investigation(self) -> list[datetime]:
        return [at for kind, at in self.entries if kind in (K.COMMENT, K.WORKAROUND_PROPOSED, K.RESOLVED)]

    def cadence(self) -> list[datetime]:
        return [at for _kind, at in self.entries]

    def closed_spans(self) -> list[Interval]:
        """Resolved until reopened: no update is owed then (a still-resolved incident has ended the cadence)."""
        spans: list[Interval] = []
        resolved: datetime | None = None
        for kind, at in self.entries:
            if kind == K.RESOLVED and resolved is None:
                resolved = at
            elif kind == K.REOPENED and resolved is not None:
                spans.append(Interval(start=resolved, end=at))
                resolved = None
        return spans


def has_optional_targets(incident: Incident) -> bool:
    terms = terms_of(incident)
    return any(terms.target(incident.severity, incident.environment, k) is not None for k in OPTIONAL_KINDS)


def updates_of(incident: Incident) -> Updates:
    """One query; only needed when the terms set an optional target."""
    if incident.pk is None:  # not saved yet: no timeline
        return Updates()
    rows = (
        IncidentEvent.objects.filter(incident=incident)
        .filter(Q(kind__in=UPDATE_KINDS) | Q(kind=K.COMMENT, data__update=True))
        .order_by("at", "id")
        .values_list("kind", "at")
    )
    return Updates(entries=tuple(rows))


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


def recompute(
    incident: Incident,
    *,
    now: datetime,
    pauses: Iterable[IncidentPause] | None = None,
    updates: Updates | None = None,
) -> list[str]:
    """Recompute the stored SLA state in place (the caller saves). Returns the
    targets that became breached with this computation ("update" when a new
    cadence gap was missed). ``updates``: read from the timeline when the
    terms set an optional target and none are given."""
    terms = terms_of(incident)
    if pauses is None:
        pauses = incident.pauses.all()
    intervals = [Interval(start=p.started_at, end=p.ended_at) for p in pauses]
    newly: list[str] = []
    next_due: list[datetime] = []
    next_risk: list[datetime] = []
    if updates is None and has_optional_targets(incident):
        updates = updates_of(incident)
    # thresholds() right after (save_with_clocks) reads the same entries.
    incident.__dict__["_sla_updates"] = updates
    _recompute_optional(incident, terms, intervals, updates or Updates(), now, newly, next_due, next_risk)
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
    incident.breached = (
        any(getattr(incident, f"{k}_breached") for k in (*TARGET_KINDS, "investigate")) or incident.update_misses > 0
    )
    incident.next_due_at = min(next_due, default=None)
    incident.next_risk_at = min(next_risk, default=None)
    incident.clocks_computed_at = now
    return newly


def _recompute_optional(
    incident: Incident,
    terms: Terms,
    intervals: list[Interval],
    updates: Updates,
    now: datetime,
    newly: list[str],
    next_due: list[datetime],
    next_risk: list[datetime],
) -> None:
    """The investigate target and the update cadence. Every pause stops both
    (waiting for the customer, no update is owed), whatever pause.stops says;
    each runs on its own clock (investigate_clock / update_interval_clock,
    by default the acknowledge clock)."""
    running = not incident.is_finished
    target = terms.target(incident.severity, incident.environment, "investigate")
    if target is None:
        incident.investigate_due_at = incident.investigate_met_at = incident.investigate_elapsed = None
        incident.investigate_breached = False
    else:
        clock = clock_of(terms, target)
        met = first_update(updates=updates.investigation(), after=incident.acknowledged_at)
        state = target_state(
            clock=clock, opened_at=incident.opened_at, target=target.duration, pauses=intervals, met_at=met, now=now
        )
        if state.breached and not incident.investigate_breached:
            newly.append("investigate")
        incident.investigate_due_at, incident.investigate_met_at = state.due_at, state.met_at
        incident.investigate_elapsed, incident.investigate_breached = state.elapsed, state.breached
        if met is None and state.due_at is not None and not state.breached and running:
            next_due.append(state.due_at)
            risk = due_time(
                clock=clock, start=incident.opened_at, target=target.duration * Incident.RISK_SHARE, pauses=intervals
            )
            if risk is not None:
                next_risk.append(risk)
    gap = _cadence(incident, terms, intervals, updates, now)
    if gap is None:
        incident.next_update_due_at, incident.update_misses = None, 0
        return
    misses, due, risk = gap
    if misses > incident.update_misses:
        newly.append("update")
    incident.next_update_due_at, incident.update_misses = due, misses
    if due is not None and due >= now and running:
        next_due.append(due)
        if risk is not None:
            next_risk.append(risk)


def _cadence(
    incident: Incident, terms: Terms, intervals: list[Interval], updates: Updates, now: datetime
) -> tuple[int, datetime | None, datetime | None] | None:
    """(misses, when the next update is due, when it is at risk), or None
    when the terms set no cadence for this incident."""
    target = terms.target(incident.severity, incident.environment, "update")
    if target is None:
        return None
    clock = clock_of(terms, target)
    pauses = [*intervals, *updates.closed_spans()]
    ended = incident.cancelled_at or incident.resolved_at
    state = cadence_state(
        clock=clock,
        opened_at=incident.opened_at,
        interval=target.duration,
        updates=updates.cadence(),
        pauses=pauses,
        ended_at=ended,
        now=now,
    )
    current = state.current
    risk = None
    if current is not None and current.due_at is not None:
        risk = due_time(clock=clock, start=current.start, target=target.duration * Incident.RISK_SHARE, pauses=pauses)
    return state.misses, state.next_due_at, risk


def thresholds(incident: Incident, *, now: datetime, pauses: Iterable[IncidentPause] | None = None) -> list[Threshold]:
    """Every escalation threshold of every unmet target, from the ladder in the terms."""
    terms = terms_of(incident)
    if pauses is None:
        pauses = incident.pauses.all()
    intervals = [Interval(start=p.started_at, end=p.ended_at) for p in pauses]
    out: list[Threshold] = []
    updates: Updates | None = None
    if has_optional_targets(incident):
        updates = getattr(incident, "_sla_updates", None) or updates_of(incident)
    for _kind, start, target, kind_pauses, name in _running_targets(incident, terms, intervals, updates, now):
        clock = clock_of(terms, target)
        due = due_time(clock=clock, start=start, target=target.duration, pauses=kind_pauses)
        for level in terms.escalation_levels():
            if level["trigger"] == "share_elapsed":
                at = due_time(
                    clock=clock,
                    start=start,
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
                out.append(Threshold(name, level["level"], level["trigger"], at, level["contact_role"]))
    return out


def _running_targets(
    incident: Incident, terms: Terms, intervals: list[Interval], updates: Updates | None, now: datetime
) -> Iterable[tuple[str, datetime, Target, Sequence[Interval], str]]:
    """(kind, clock start, target, pauses, threshold name) of every unmet
    target. The cadence's running gap is a target of its own, named
    ``update:<gap number>`` so that each gap escalates once."""
    for kind in TARGET_KINDS:
        target = terms.target(incident.severity, incident.environment, kind)
        if target is not None and met_at(incident, kind, now) is None:
            yield kind, incident.opened_at, target, _pauses_for(terms, kind, intervals), kind
    if updates is None:
        return
    target = terms.target(incident.severity, incident.environment, "investigate")
    if target is not None and first_update(updates=updates.investigation(), after=incident.acknowledged_at) is None:
        yield "investigate", incident.opened_at, target, intervals, "investigate"
    target = terms.target(incident.severity, incident.environment, "update")
    if target is None or incident.is_finished:
        return
    pauses = [*intervals, *updates.closed_spans()]
    state = cadence_state(
        clock=clock_of(terms, target),
        opened_at=incident.opened_at,
        interval=target.duration,
        updates=updates.cadence(),
        pauses=pauses,
        ended_at=None,
        now=now,
    )
    current = state.current
    if current is not None:
        yield "update", current.start, target, pauses, f"update:{len(state.gaps) - 1}"


def next_escalation(items: Iterable[Threshold], fired: set[tuple[str, int]]) -> datetime | None:
    return min((t.at for t in items if (t.target, t.level) not in fired), default=None)
