"""How term sets apply over time, and the replay context the simulator
judges them in: the loaded history plus memo tables shared by every term set
and sweep point (an incident target under one clock and one target length is
judged once per run; a slice's availability once per set of rules).

Pure Python over ``simulator_history.History``: no queries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from availability.data import availability_from_facts, uptime_rules
from availability.models import Outage
from contracts.calendars import ALWAYS, clock_for
from contracts.models import SLAVersion
from contracts.terms import TARGETS, Terms
from core import periods
from incidents.clocks import target_state
from incidents.models import Incident
from reports.snapshot import reporting_version, slices
from reports.snapshot_parts import binding
from simulator.history import History, IncidentFacts
from simulator.terms import CandidateTerms

__all__ = ["Candidate", "InForce", "Part", "Regime", "Replay"]


# -- how a term set applies over time ---------------------------------------------------


@dataclass(frozen=True)
class Part:
    terms: Terms
    start: datetime
    end: datetime


class InForce:
    """The terms actually in force, as a report applies them."""

    key, label, source, reread = "in_force", "Terms in force", "in_force", False

    def __init__(self, versions: Sequence[SLAVersion]) -> None:
        self.versions = list(versions)
        self.by_id = {v.pk: Terms(v.terms) for v in self.versions}
        self.ref = ", ".join(f"SLA v{v.number}" for v in self.versions)
        self.doc: dict[str, Any] | None = None

    def reporting(self, period: periods.Period) -> Terms | None:
        v = reporting_version(self.versions, period)
        return None if v is None else self.by_id[v.pk]

    def parts(self, start: datetime, end: datetime) -> list[Part]:
        return [Part(self.by_id[s.version.pk], s.start, s.end) for s in slices(self.versions, start, end)]

    def incident_terms(self, incident: IncidentFacts, reporting: Terms) -> Terms:
        return self.by_id.get(incident.version_id, reporting)


class Candidate:
    """One candidate term set over the whole window, over exactly the time the
    contract had an SLA (so both sides judge the same spans)."""

    reread = True  # an accepted exclusion stands only if the candidate grants that exclusion

    def __init__(self, candidate: CandidateTerms, in_force: InForce, key: str) -> None:
        self.key, self.label, self.source, self.ref = key, candidate.label, candidate.source, candidate.ref
        self.doc = dict(candidate.terms)
        self.terms = Terms(self.doc)
        self.in_force = in_force

    def reporting(self, period: periods.Period) -> Terms | None:
        return self.terms if self.in_force.reporting(period) is not None else None

    def parts(self, start: datetime, end: datetime) -> list[Part]:
        merged: list[Part] = []
        for p in self.in_force.parts(start, end):
            if merged and merged[-1].end == p.start:
                merged[-1] = Part(self.terms, merged[-1].start, p.end)
            else:
                merged.append(Part(self.terms, p.start, p.end))
        return merged

    def incident_terms(self, incident: IncidentFacts, reporting: Terms) -> Terms:
        return self.terms


Regime = InForce | Candidate


# -- the replay: history plus caches shared by every term set and sweep point ------------------


@dataclass(frozen=True)
class _Compiled:
    terms: Terms
    # (severity, environment) -> (cell id, per kind: (minutes, clock, clock id, pauses stop it))
    cells: dict[tuple[str, str], tuple[int, tuple[tuple[int, Any, int, bool], ...]]]
    binding: dict[str, bool]
    breach_rows: dict[str, list[tuple[str, Decimal]]]  # severity -> [(target, percent)]
    availability_key: str


_NONE = (None, None, None)


class Replay:
    """History plus memo tables. Judging one incident target under one clock
    and one target length is done once per run, however many candidates or
    sweep points share it."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.now = history.now
        self._compiled: dict[int, _Compiled] = {}
        self._ids: dict[Any, int] = {}  # calendars and target rows -> small ids, cheap to hash in memo keys
        self._judged: dict[tuple[Any, ...], str | None] = {}  # (incident, kind, minutes, clock, pauses)
        self._rows: dict[tuple[int, int], tuple[str | None, ...]] = {}  # (incident, cell id)
        self._availability: dict[tuple[Any, ...], tuple[int, int, int, int, int]] = {}

    def _id(self, value: Any) -> int:
        return self._ids.setdefault(value, len(self._ids) + 1)

    def compiled(self, terms: Terms) -> _Compiled:
        hit = self._compiled.get(id(terms))
        if hit is not None and hit.terms is terms:
            return hit
        cells = {}
        for row in terms.data["targets"]:
            per_kind = []
            for kind in TARGETS:
                target = terms.target(row["severity"], row["environment"], kind)
                always = target.clock == "24x7"
                clock = ALWAYS if always else clock_for(terms.calendar)
                clock_id = 0 if always else self._id(("calendar", terms.calendar))
                per_kind.append((target.minutes, clock, clock_id, terms.pause_stops(kind)))
            cell_id = self._id(tuple((m, c, p) for m, _clock, c, p in per_kind))
            cells[(row["severity"], row["environment"])] = (cell_id, tuple(per_kind))
        rows: dict[str, list[tuple[str, Decimal]]] = {}
        for row in terms.data.get("breach_credits", []):
            rows.setdefault(row["severity"], []).append((row["target"], Decimal(row["percent"])))
        up = terms.data["uptime"]
        key = json.dumps(
            [
                up["service_rule"],
                bool(up.get("critical_incidents_count")),
                uptime_rules(terms).unmeasured,  # moves unmonitored time between up, down and left out
                terms.data["exclusions"],
            ]
        )
        compiled = _Compiled(terms, cells, {k: binding(terms, k) for k in (*TARGETS, "availability")}, rows, key)
        self._compiled[id(terms)] = compiled
        return compiled

    def judge(self, incident: IncidentFacts, compiled: _Compiled) -> tuple[str | None, ...]:
        """'met' / 'missed' / 'running' / None (no such target) per kind, read
        the way the report reads an incident's stored clocks."""
        entry = compiled.cells.get((incident.severity, incident.environment))
        if entry is None:
            return _NONE
        row_key = (incident.pk, entry[0])
        hit = self._rows.get(row_key)
        if hit is not None:
            return hit
        out = []
        for k, (minutes, clock, clock_id, pauses) in enumerate(entry[1]):
            key = (incident.pk, k, minutes, clock_id, pauses)
            if key not in self._judged:
                self._judged[key] = self._outcome(incident, k, minutes, clock, pauses)
            out.append(self._judged[key])
        self._rows[row_key] = result = tuple(out)
        return result

    def _outcome(self, incident: IncidentFacts, k: int, minutes: int, clock: Any, pauses: bool) -> str | None:
        state = target_state(
            clock=clock,
            opened_at=incident.opened_at,
            target=timedelta(minutes=minutes),
            pauses=incident.pauses if pauses else (),
            met_at=incident.met[k],
            now=self.now,
        )
        if state.breached:
            return "missed"
        if state.due_at is None:
            return None
        if state.met_at is not None:
            return "met"
        return "missed" if state.due_at <= self.now else "running"

    def _allowed(self, kind: str | None, terms: Terms) -> bool:
        return kind in (None, "", "maintenance") or bool(terms.data["exclusions"].get(kind, True))

    def still_excluded(self, incident: IncidentFacts, terms: Terms) -> bool:
        return incident.excluded and self._allowed(incident.excluded_kind, terms)

    def availability(self, regime: Regime, parts: Sequence[Part]) -> tuple[int, int, int, int, int]:
        """(period, downtime, excused, no-data, unmonitored) microseconds of the
        service, summed over the parts: exact, as the period close adds its slices."""
        sums = [0] * 5
        h = self.history
        for part in parts:
            key = (part.start, part.end, self.compiled(part.terms).availability_key, regime.reread)
            if key not in self._availability:
                hooks: dict[str, Any] = {}
                if regime.reread:
                    terms = part.terms

                    def outage_excluded(o: Outage, terms: Terms = terms) -> bool:
                        if o.exclusion != Outage.Exclusion.ACCEPTED:
                            return False
                        kind = (
                            h.claim_kinds.get(o.incident_id)
                            if o.exclusion_kind == "incident_claim"
                            else o.exclusion_kind
                        )
                        return self._allowed(kind, terms)

                    def incident_excluded(i: Incident, terms: Terms = terms) -> bool:
                        return i.excluded and self._allowed(h.claim_kinds.get(i.pk), terms)

                    hooks = {"outage_excluded": outage_excluded, "incident_excluded": incident_excluded}
                svc = availability_from_facts(
                    h.facts, part.terms, components=h.components, start=part.start, end=part.end, now=self.now, **hooks
                ).result.service
                self._availability[key] = (
                    svc.period_us,
                    svc.downtime_us,
                    svc.excused_us,
                    svc.no_data_us,
                    svc.unmonitored_us,
                )
            sums = [a + b for a, b in zip(sums, self._availability[key], strict=True)]
        return sums[0], sums[1], sums[2], sums[3], sums[4]
