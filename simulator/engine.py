"""The negotiation simulator: replay a contract's recorded history under
candidate SLA terms, side by side with the terms actually in force.

Nothing is written. The history is read once (``simulator_history``), then
every term set is judged in memory by the engines the frozen reports use:
incident clocks by ``incidents.clocks.target_state`` on the clock of the
terms' calendar, availability by ``availability.data`` over the
same facts, credits by ``reports.credits.compute_credits`` and the
termination right by ``reports.remedies.termination_part``. Availability is
decided as the close decides it: on the exact figure (microseconds summed over
the version slices), with no figure when the period's monitoring coverage is
under the terms' minimum, and shown by ``availability.engine.shown`` against
the bounds it is judged on (target, tier bounds, termination threshold). The terms in
force are applied the way a report applies them (each incident under the
version it was opened under, availability per version slice, target, tiers
and cap of the version in force at the period's end), so replaying them
reproduces the frozen reports; a candidate is applied to the whole window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from availability.data import judged_bounds, uptime_rules
from availability.engine import covered, shown
from availability.engine import percent as exact_percent
from contracts.models import Contract, SLAVersion
from contracts.terms import TARGETS
from core import periods
from reports.credits import CreditResult, availability_credit, compute_credits
from reports.remedies import termination_part
from reports.snapshot import HISTORY, tiers_of
from reports.snapshot_parts import dec
from simulator.history import History, IncidentFacts, load_history
from simulator.replay import Candidate, InForce, Regime, Replay
from simulator.terms import CandidateTerms, in_force_version

__all__ = [
    "EXCLUDED",
    "CandidateTerms",
    "PeriodFigures",
    "Replay",
    "SimulationResult",
    "TermSetResult",
    "default_window",
    "judge_term_set",
    "simulate",
]

EXCLUDED = "excluded"
MAX_PERIODS = 36
Outcome = str | tuple[str, ...]  # EXCLUDED, or the targets missed (empty: none)


# -- results --------------------------------------------------------------------------------


@dataclass
class PeriodFigures:
    period: periods.Period
    in_force: bool
    availability: Decimal | None = None  # the figure shown (None: not measured), never across a bound
    exact: Fraction | None = None  # the exact percent the target, tiers and threshold are judged on
    coverage: Fraction = Fraction(100)  # percent of the period with monitoring data
    minimum_coverage: Decimal = Decimal(0)  # under it, the period is not measured
    target: Decimal | None = None
    met: bool | None = None
    binding: bool = True
    downtime_minutes: Decimal = Decimal(0)
    excused_minutes: Decimal = Decimal(0)
    counted: int = 0
    excluded: int = 0
    breaches: int = 0  # incidents with at least one target missed
    missed: dict[tuple[str, str], int] = field(default_factory=dict)  # (severity, target) -> targets missed
    totals: dict[str, dict[str, int]] = field(
        default_factory=lambda: {k: {"met": 0, "missed": 0, "running": 0} for k in TARGETS}
    )
    tier_percent: Decimal = Decimal(0)
    credits: CreditResult | None = None
    termination: bool = False
    outcomes: dict[int, Outcome] = field(default_factory=dict)

    @property
    def below_target(self) -> bool:
        return self.met is False

    @property
    def measured(self) -> bool:
        return self.availability is not None


@dataclass
class TermSetResult:
    key: str
    label: str
    source: str
    ref: str
    terms: dict[str, Any] | None  # the candidate's document (None: the versions in force)
    periods: list[PeriodFigures]  # the window, oldest first
    changes: list[dict[str, Any]] | None = None  # incidents whose outcome differs from the terms in force

    @property
    def breaches(self) -> int:
        return sum(p.breaches for p in self.periods)

    @property
    def credits_total(self) -> Decimal:
        return sum((p.credits.total for p in self.periods if p.credits), Decimal(0))

    @property
    def credits_before_cap(self) -> Decimal:
        return sum((p.credits.total_before_cap for p in self.periods if p.credits), Decimal(0))

    @property
    def termination_periods(self) -> list[str]:
        return [p.period.label for p in self.periods if p.termination]

    def missed(self, kind: str | None = None, severity: str | None = None) -> int:
        return sum(
            n
            for p in self.periods
            for (sev, k), n in p.missed.items()
            if (kind is None or k == kind) and (severity is None or sev == severity)
        )


@dataclass
class SimulationResult:
    contract: Contract
    window: list[periods.Period]
    as_of: datetime
    term_sets: list[TermSetResult]  # the terms in force first
    notes: list[str]
    incidents: dict[int, IncidentFacts]
    replay: Replay | None = None  # the loaded history and its memo tables, for a sweep to reuse

    @property
    def baseline(self) -> TermSetResult:
        return self.term_sets[0]

    @property
    def candidates(self) -> list[TermSetResult]:
        return self.term_sets[1:]

    def as_json(self) -> dict[str, Any]:
        from simulator.serialization import result_json

        return result_json(self)


# -- the run ----------------------------------------------------------------------------------


def default_window(
    contract: Contract, *, now: datetime, count: int = 12, last: str | None = None, versions: Any = None
) -> list[periods.Period]:
    """``count`` periods ending with ``last`` (default: the last ended one),
    in the zone and kind of the terms in force."""
    version = in_force_version(contract, now, versions)
    if version is None:
        raise ValueError(f"{contract.reference} has no SLA in force, so it has no measurement periods.")
    if not 1 <= count <= MAX_PERIODS:
        raise ValueError(f"The window is 1 to {MAX_PERIODS} periods.")
    up = version.terms["uptime"]
    end = (
        periods.parse(last, zone=up["timezone"], kind=up["period"])
        if last
        else periods.last_ended(now, kind=up["period"], zone=up["timezone"])
    )
    return periods.last_n(end, count)


def _judge_period(replay: Replay, regime: Regime, period: periods.Period, *, incidents: bool = True) -> PeriodFigures:
    reporting = regime.reporting(period)
    if reporting is None:
        return PeriodFigures(period=period, in_force=False)
    contract = replay.history.contract
    period_us, down_us, excused_us, no_data_us, unmonitored_us = replay.availability(
        regime, regime.parts(period.start, period.end)
    )
    # The close's rule (reports.snapshot): exact percent from microseconds; a
    # figure only when some time is measured and coverage reaches the minimum.
    measured_us = period_us - no_data_us
    exact = exact_percent(part_us=measured_us - down_us, whole_us=measured_us) if measured_us > 0 else None
    coverage = exact_percent(part_us=period_us - unmonitored_us, whole_us=period_us) if period_us > 0 else Fraction(100)
    minimum = uptime_rules(reporting).minimum_coverage_percent
    if exact is not None and not covered(coverage, minimum):
        exact = None
    uptime_target = reporting.uptime_target
    rep = replay.compiled(reporting)
    fig = PeriodFigures(
        period=period,
        in_force=True,
        availability=None if exact is None else shown(exact, bounds=judged_bounds(reporting)),
        exact=exact,
        coverage=coverage,
        minimum_coverage=minimum,
        target=uptime_target,
        met=None if exact is None else exact >= uptime_target,
        binding=rep.binding["availability"],
        downtime_minutes=_minutes(down_us),
        excused_minutes=_minutes(excused_us),
    )
    if not incidents:  # a period the termination rule looks back on: only its availability counts
        return fig
    breach_credits: list[tuple[str, str, Decimal]] = []
    terms, compiled = reporting, rep
    for inc in replay.history.opened_between(period.start, period.end):
        if regime.incident_terms(inc, reporting) is not terms:
            terms = regime.incident_terms(inc, reporting)
            compiled = replay.compiled(terms)
        if replay.still_excluded(inc, terms) if regime.reread else inc.excluded:
            fig.excluded += 1
            fig.outcomes[inc.pk] = EXCLUDED
            continue
        fig.counted += 1
        judged = replay.judge(inc, compiled)
        missed = tuple(kind for kind, o in zip(TARGETS, judged, strict=True) if o == "missed")
        for kind, o in zip(TARGETS, judged, strict=True):
            if o is not None:
                fig.totals[kind][o] += 1
        fig.outcomes[inc.pk] = missed
        if not missed:
            continue
        fig.breaches += 1
        for kind in missed:
            fig.missed[(inc.severity, kind)] = fig.missed.get((inc.severity, kind), 0) + 1
        for target, percent in compiled.breach_rows.get(inc.severity, ()):
            if target in missed and compiled.binding[target]:
                breach_credits.append(
                    (f"{inc.ref}/{target}", f"{inc.ref} {inc.severity} incident: {target} target missed", percent)
                )
    tiers = tiers_of(reporting)
    # The shown figure sits on the same side of every tier bound as the exact one (``shown``).
    counted_value = fig.availability if fig.binding else None
    fig.credits = compute_credits(
        monthly_fee=contract.monthly_fee,
        period_months=period.months,
        currency=contract.currency,
        availability=counted_value,
        tiers=tiers,
        breach_credits=breach_credits,
        cap_percent=reporting.credit_cap,
    )
    if counted_value is not None:
        fig.tier_percent = availability_credit(tiers=tiers, availability=counted_value)
    return fig


def _minutes(micros: int) -> Decimal:
    """Minutes for reading, half-up to 0.001, as a report prints them."""
    return Decimal(dec(Decimal(micros) / Decimal(60_000_000), 3) or 0)


def _termination(regime: Regime, figures: list[PeriodFigures]) -> None:
    """The termination right per period, by the close's own rule
    (``reports.remedies.termination_part``): the last HISTORY periods, each
    counting when measured and strictly below the rule's threshold (the uptime
    target unless the terms set ``threshold_percent``)."""
    history = [
        {
            "period": f.period.label,
            "availability": None if f.availability is None else str(f.availability),
            "met": f.met,
        }
        for f in figures
    ]
    for i, fig in enumerate(figures):
        if not fig.in_force or not fig.binding:
            continue
        reporting = regime.reporting(fig.period)
        assert reporting is not None  # in force
        window = history[max(0, i - HISTORY + 1) : i + 1]
        fig.termination = termination_part(reporting, fig.period, window, binding=True)["triggered"]


def _changes(base: TermSetResult, other: TermSetResult, incidents: dict[int, IncidentFacts]) -> list[dict[str, Any]]:
    out = []
    for b, o in zip(base.periods, other.periods, strict=True):
        for pk, before in b.outcomes.items():
            after = o.outcomes.get(pk)
            if after is None or after == before:
                continue
            was, now = before not in (EXCLUDED, ()), after not in (EXCLUDED, ())
            direction = (
                "newly_breached"
                if now and not was
                else "no_longer_breached"
                if was and not now
                else "different_targets"
                if was and now
                else "exclusion_changed"
            )
            inc = incidents[pk]
            out.append({"incident": inc, "period": b.period, "before": before, "after": after, "direction": direction})
    out.sort(key=lambda c: (c["incident"].opened_at, c["incident"].pk))
    return out


def _lookback(regimes: Sequence[Regime], window: Sequence[periods.Period]) -> int:
    longest = 1
    for regime in regimes:
        for p in window:
            terms = regime.reporting(p)
            if terms is not None:
                longest = max(longest, min(terms.data["termination"]["of_last"], HISTORY))
    return longest - 1


def simulate(
    contract: Contract,
    candidates: Sequence[CandidateTerms],
    window: Sequence[periods.Period],
    *,
    now: datetime,
    history: History | None = None,
    replay: Replay | None = None,
) -> SimulationResult:
    """Replay ``contract``'s history over ``window`` under the terms in force
    and under each candidate. Reads the database once (or not at all when a
    loaded ``history`` / ``replay`` covering the window is given); writes nothing."""
    window = list(window)
    if not window or len(window) > MAX_PERIODS:
        raise ValueError(f"The window is 1 to {MAX_PERIODS} periods.")
    if any(b != a.next() for a, b in zip(window, window[1:], strict=False)):
        raise ValueError("The window's periods must follow each other.")
    loaded = replay.history if replay is not None else history
    versions = (
        loaded.versions
        if loaded is not None
        else list(SLAVersion.objects.filter(contract=contract).frozen().order_by("effective_from", "number"))
    )
    if not versions:
        raise ValueError(f"{contract.reference} has no SLA in force, so it has no history to replay.")
    in_force = InForce(versions)
    shown = in_force.reporting(window[-1]) or in_force.by_id[versions[-1].pk]
    in_force.doc = dict(shown.data)  # what the page shows as "in force": the terms at the window's end
    regimes: list[Regime] = [in_force, *(Candidate(c, in_force, f"c{i}") for i, c in enumerate(candidates, start=1))]
    lookback = _lookback(regimes, window)
    span = periods.last_n(window[-1], len(window) + lookback)
    if replay is None:
        if history is None or not history.covers(span[0].start, span[-1].end):
            history = load_history(contract, start=span[0].start, end=span[-1].end, now=now, versions=versions)
        replay = Replay(history)
    elif not replay.history.covers(span[0].start, span[-1].end):
        raise ValueError("The loaded history does not cover the window and its termination look-back.")
    notes = []
    if window[-1].end > now:
        notes.append(f"{window[-1].title} has not ended: it is judged as of {now:%Y-%m-%d %H:%M} UTC.")
    results = [judge_term_set(replay, regime, window, lookback=lookback) for regime in regimes]
    for regime in regimes:
        skipped = [k for k in ("commitments", "event_credits") if (regime.doc or {}).get(k)]
        if skipped:
            notes.append(
                f"{regime.label} has {' and '.join(k.replace('_', ' ') for k in skipped)}, which the simulator does "
                "not replay: its credits here leave them out (the period close computes them)."
            )
    for regime in regimes[1:]:
        up = regime.doc["uptime"]
        if (up["period"], up["timezone"]) != (window[0].kind, window[0].zone):
            notes.append(
                f"{regime.label} measures per {up['period']} in {up['timezone']}; it is judged over the "
                f"window's {window[0].kind}s in {window[0].zone} so that the figures compare."
            )
    by_pk = {i.pk: i for i in replay.history.incidents}
    for other in results[1:]:
        other.changes = _changes(results[0], other, by_pk)
    return SimulationResult(
        contract=contract, window=window, as_of=now, term_sets=results, notes=notes, incidents=by_pk, replay=replay
    )


def judge_term_set(
    replay: Replay, regime: Regime, window: Sequence[periods.Period], *, lookback: int | None = None
) -> TermSetResult:
    """One term set over ``window`` (plus the periods before it that its
    termination rule looks back on), from the loaded history."""
    if lookback is None:
        lookback = _lookback([regime], window)
    span = periods.last_n(window[-1], len(window) + lookback)
    figures = [_judge_period(replay, regime, p, incidents=i >= lookback) for i, p in enumerate(span)]
    _termination(regime, figures)
    return TermSetResult(
        key=regime.key,
        label=regime.label,
        source=regime.source,
        ref=regime.ref,
        terms=regime.doc,
        periods=figures[lookback:],
    )
