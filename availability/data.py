"""Gather a contract's recorded facts for a period and run the availability
engine over them: the one place reports, pages and the simulator get
availability from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import QuerySet

from availability.engine import (
    ALL_COMPONENTS,
    AvailabilityResult,
    Pair,
    Span,
    clip,
    compute_availability,
    merge,
    subtract,
)
from availability.maintenance import Verdict, Window, assess
from availability.models import (
    Discrepancy,
    MaintenanceWindow,
    MonitoringSource,
    NoDataSpan,
    Outage,
    ProbeState,
    counts_q,
)
from availability.reconcile import first_half
from contracts.models import Contract
from contracts.terms import Terms
from incidents.models import Incident

# Defaults for terms written before these keys existed: no-data time leaves
# the measured time (as it always did), but a period needs this much of its
# time monitored to have a figure at all.
DEFAULT_UNMEASURED = "excluded"
DEFAULT_MINIMUM_COVERAGE = "90"

HELD_UNKNOWN = "held: unknown component"
DECIDED = (Discrepancy.Status.RESOLVED, Discrepancy.Status.DISPUTED)
# Shown on the page, the API and the report, next to the figures.
DISPLAY_RULE = (
    "Met, breached and credit tiers are decided on the exact availability (from microseconds). "
    "The figure shown is truncated to 3 decimals, with more decimals where 3 would put it on "
    "the other side of (or onto) the target or a tier bound it was judged against."
)
WHOLE_SERVICE = "service"  # the one component of a contract that lists none
_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class UptimeRules:
    """How a terms document measures time without monitoring data."""

    unmeasured: str  # one of availability.engine.UNMEASURED_RULES
    minimum_coverage_percent: Decimal


def uptime_rules(terms: Terms) -> UptimeRules:
    uptime = terms.data["uptime"]
    return UptimeRules(
        unmeasured=uptime.get("unmeasured", DEFAULT_UNMEASURED),  # the schema admits only UNMEASURED_RULES
        minimum_coverage_percent=Decimal(uptime.get("minimum_coverage_percent", DEFAULT_MINIMUM_COVERAGE)),
    )


def judged_bounds(terms: Terms) -> list[Decimal]:
    """Every figure a period's availability is judged against: the target, the
    credit tier bounds and the termination threshold (for ``engine.shown``)."""
    out = [terms.uptime_target]
    for tier in terms.data["credit_tiers"]:
        out.extend(Decimal(tier[k]) for k in ("lower", "upper") if tier[k] is not None)
    threshold = terms.data["termination"].get("threshold_percent")
    if threshold:
        out.append(Decimal(threshold))
    return out


@dataclass(frozen=True)
class PeriodAvailability:
    result: AvailabilityResult
    maintenance: list[Verdict]
    outages: list[Outage]
    pending_exclusions: int
    # Outages and incidents on a component the contract does not cover: not
    # charged, held until someone decides what they were (clipped to the period).
    held: list[Span] = field(default_factory=list)


def _span(start: datetime, end: datetime | None, component: str, ref: str, now: datetime) -> Span:
    return Span(start=start, end=end or now, component=component, ref=ref)


@dataclass(frozen=True)
class Facts:
    """The recorded facts availability is computed from, over a span of time.

    Loaded once (``load_facts``) and filtered per period in memory, so a
    caller judging many periods or many term sets (the negotiation simulator)
    reads the database once."""

    outages: list[Outage]
    critical_incidents: list[Incident]  # critical production incidents with no outage recorded for them
    windows: list[MaintenanceWindow]
    no_data: list[NoDataSpan]
    # (component, since, source pk): an active probe source silent since its
    # last probe plus its interval. The gap becomes a NoDataSpan when the
    # source reports again; until then it is no data up to now.
    silent: list[tuple[str, datetime, int]] = field(default_factory=list)
    # Discrepancies between sources the parties decided (resolved or disputed), and the
    # side each of the contract's sources was registered by (only loaded when there are some).
    decisions: list[Discrepancy] = field(default_factory=list)
    source_sides: dict[int, str] = field(default_factory=dict)


# What each kind of fact is, for a contract and a span: the one statement of each filter.
# ``load_facts`` reads them for the API, the reports and the simulator; the availability page
# reads the same rows with its lists (``availability.selectors``). Each is a queryset without
# an explicit order or joins: the reader adds what it needs.


def outages_in(contract: Contract, *, start: datetime, end: datetime) -> QuerySet[Outage]:
    """The outages that count and touch [start, end): only sources the other party accepted
    count (``MonitoringSource.counts``); the rest are evidence."""
    return Outage.objects.filter(contract=contract).counting().overlapping(start, end)


def critical_incidents_in(contract: Contract, *, start: datetime, end: datetime) -> QuerySet[Incident]:
    """Critical production incidents open in [start, end) with no outage recorded for them."""
    return (
        Incident.objects.reportable()
        .filter(contract=contract, severity="critical", environment="production", opened_at__lt=end)
        .exclude(restore_met_at__lte=start)
        .exclude(outages__isnull=False)
    )


def windows_in(contract: Contract, *, start: datetime, end: datetime) -> QuerySet[MaintenanceWindow]:
    """The maintenance windows that can touch [start, end), from a day before it (as
    ``availability_from_facts`` judges them)."""
    return MaintenanceWindow.objects.filter(contract=contract, start__lt=end, end__gt=start - timedelta(days=1))


def no_data_in(contract: Contract, *, start: datetime, end: datetime) -> QuerySet[NoDataSpan]:
    """The gaps in data that counts, touching [start, end)."""
    return NoDataSpan.objects.filter(contract=contract, start__lt=end, end__gt=start).counting()


def silent_probes(contract: Contract) -> QuerySet[ProbeState]:
    """The last post of each active probe source whose data counts, per component."""
    return ProbeState.objects.filter(
        counts_q("source__"),
        source__contract=contract,
        source__kind=MonitoringSource.Kind.PROBE,
        source__revoked_at__isnull=True,
    )


def decisions_in(contract: Contract, *, start: datetime, end: datetime) -> QuerySet[Discrepancy]:
    """The discrepancies between sources the parties decided (resolved or disputed), touching [start, end)."""
    return Discrepancy.objects.filter(contract=contract, start__lt=end, end__gt=start, status__in=DECIDED)


def load_facts(contract: Contract, *, start: datetime, end: datetime, critical_incidents: bool = True) -> Facts:
    """The facts of ``contract`` that can touch [start, end)."""
    outages = list(
        outages_in(contract, start=start, end=end)
        .select_related("monitoring_source", "created_by")  # shown with each outage: no query per row
        .order_by("start", "pk")
    )
    incidents = list(critical_incidents_in(contract, start=start, end=end)) if critical_incidents else []
    windows = list(windows_in(contract, start=start, end=end).select_related("created_by", "late_accepted_by"))
    no_data = list(no_data_in(contract, start=start, end=end))
    silent = [
        (state.component, state.last_at + timedelta(seconds=state.source.interval_seconds), state.source_id)
        for state in silent_probes(contract).select_related("source")
    ]
    decisions = list(decisions_in(contract, start=start, end=end).order_by("start", "pk"))
    sides = (
        dict(MonitoringSource.objects.filter(contract=contract).values_list("pk", "registered_side"))
        if decisions
        else {}
    )
    return Facts(
        outages=outages,
        critical_incidents=incidents,
        windows=windows,
        no_data=no_data,
        silent=silent,
        decisions=decisions,
        source_sides=sides,
    )


def _reconciled(
    counted: list[Span], facts: Facts, *, components: list[str], listed: bool, start: datetime, horizon: datetime
) -> list[Span]:
    """``counted`` with the sources' records replaced, in each decided
    discrepancy's interval and component, by the decided view
    (``availability.services.reconciliation``): a picked source's outages, the
    first half of the interval for a split, the buyer's sources' outages for a
    disputed item. An item whose view cannot be had (its picked source deleted,
    no buyer source among a disputed item's) leaves the records as they are."""
    names = set(components)
    by_source: dict[int, list[Outage]] = {}
    for o in facts.outages:
        if o.monitoring_source_id is not None:
            by_source.setdefault(o.monitoring_source_id, []).append(o)

    def speaks_for(o: Outage, component: str) -> bool:
        return not listed or not o.component or o.component == ALL_COMPONENTS or o.component == component

    def view(ids: list[int], d: Discrepancy) -> list[Pair]:
        pairs = [(o.start, o.end or horizon) for i in ids for o in by_source.get(i, []) if speaks_for(o, d.component)]
        return clip(intervals=pairs, start=d.start, end=d.end)

    cuts: dict[str, list[Pair]] = {}
    added: list[Span] = []
    for d in facts.decisions:
        if d.start >= horizon or d.end <= start or d.component not in names:
            continue
        if d.resolution == Discrepancy.Resolution.SPLIT:
            a, b = first_half(0, (d.end - d.start) // _US)
            down = [(d.start, d.start + b * _US)] if b > a else []
        elif d.resolution == Discrepancy.Resolution.SOURCE and d.picked_source_id is not None:
            down = view([d.picked_source_id], d)
        elif d.resolution == Discrepancy.Resolution.DISPUTED:
            buyer = [
                i for i in {*d.down_sources, *d.up_sources} if facts.source_sides.get(i) == MonitoringSource.Side.BUYER
            ]
            if not buyer:
                continue
            down = view(sorted(buyer), d)
        else:
            continue
        cuts.setdefault(d.component, []).append((d.start, d.end))
        added.extend(Span(start=a, end=b, component=d.component, ref=f"discrepancy:{d.pk}") for a, b in down)
    if not cuts:
        return counted
    from_sources = {f"outage:{o.pk}" for outs in by_source.values() for o in outs}
    out: list[Span] = []
    for span in counted:
        if span.ref not in from_sources:
            out.append(span)
            continue
        targets = components if span.component == ALL_COMPONENTS else [span.component]
        if not any(t in cuts for t in targets):
            out.append(span)
            continue
        for t in targets:
            out.extend(
                Span(start=a, end=b, component=t, ref=span.ref)
                for a, b in subtract(base=[(span.start, span.end)], remove=merge(cuts.get(t, [])))
            )
    return out + added


def period_availability(
    contract: Contract, terms: Terms, *, start: datetime, end: datetime, now: datetime
) -> PeriodAvailability:
    """Availability of ``contract`` over [start, end) under ``terms``.

    Counted: monitoring and staff outages not excluded by an accepted claim,
    and (if the terms say so) critical production incidents from open to
    restore. Excused: accepted exclusions and compliant maintenance. Pending
    claims still count (the vendor has not won them). Only covered components
    count: an outage on a component the contract does not list is held, not
    charged; maintenance on one excuses nothing."""
    horizon = min(end, now)
    counts_incidents = bool(terms.data["uptime"].get("critical_incidents_count"))
    facts = load_facts(contract, start=start, end=horizon, critical_incidents=counts_incidents)
    components = list(contract.covered_components) or [WHOLE_SERVICE]
    return availability_from_facts(
        facts, terms, components=components, start=start, end=end, now=now, listed=bool(contract.covered_components)
    )


def availability_from_facts(
    facts: Facts,
    terms: Terms,
    *,
    components: list[str],
    start: datetime,
    end: datetime,
    now: datetime,
    outage_excluded: Callable[[Outage], bool] | None = None,
    incident_excluded: Callable[[Incident], bool] | None = None,
    listed: bool | None = None,
) -> PeriodAvailability:
    """``period_availability`` over loaded facts (which may span more than
    [start, end): what lies outside is skipped here). Whether an accepted
    exclusion stands is the recorded decision unless ``outage_excluded`` /
    ``incident_excluded`` say otherwise (the simulator re-reads it under
    candidate terms). ``listed``: ``components`` is the contract's own list
    (False: it lists none, the whole service is covered and nothing is held;
    None: guessed from ``components``, the fallback ``[WHOLE_SERVICE]`` meaning none)."""
    horizon = min(end, now)
    if listed is None:
        listed = components != [WHOLE_SERVICE]
    outage_excluded = outage_excluded or (lambda o: o.exclusion == Outage.Exclusion.ACCEPTED)
    incident_excluded = incident_excluded or (lambda inc: inc.excluded)
    outages = [o for o in facts.outages if o.start < horizon and (o.end is None or o.end > start)]
    counted: list[Span] = []
    excused: list[Span] = []
    held: list[Span] = []
    pending = 0
    scoped = set(components) if listed else set()

    def scope(component: str) -> str | None:
        """The component a fact counts against; None: not covered, held."""
        if not listed or not component or component == ALL_COMPONENTS:
            return ALL_COMPONENTS
        return component if component in scoped else None

    def hold(span: Span) -> None:
        a, b = max(span.start, start), min(span.end, horizon)
        if b > a:
            held.append(Span(start=a, end=b, component=span.component, ref=span.ref))

    for o in outages:
        comp = scope(o.component)
        span = _span(o.start, o.end, comp or o.component, f"outage:{o.pk}", horizon)
        if span.end <= span.start:
            continue
        if comp is None:
            hold(span)
            continue
        counted.append(span)
        if outage_excluded(o):
            excused.append(span)
        elif o.exclusion == Outage.Exclusion.CLAIMED:
            pending += 1
    if terms.data["uptime"].get("critical_incidents_count"):
        for inc in facts.critical_incidents:
            if inc.opened_at >= horizon or (inc.restore_met_at is not None and inc.restore_met_at <= start):
                continue
            comp = scope(inc.component)
            span = _span(inc.opened_at, inc.restore_met_at, comp or inc.component, f"incident:{inc.pk}", horizon)
            if comp is None:
                hold(span)
                continue
            if span.end > span.start:
                counted.append(span)
                if incident_excluded(inc):
                    excused.append(span)
    exclusions = terms.data["exclusions"]
    windows = [
        Window(
            ref=f"maintenance:{w.pk}",
            start=w.start,
            end=w.end,
            announced_at=w.announced_at,
            components=tuple(w.components),
            actual_end=w.actual_end,
            cancelled=w.status == MaintenanceWindow.Status.CANCELLED,
            agreed=not w.awaiting_acceptance,
        )
        for w in facts.windows
        if w.start < horizon and w.end > start - timedelta(days=1)
    ]
    verdicts = assess(
        windows,
        notice=timedelta(days=exclusions["maintenance_notice_days"]),
        allowance=timedelta(minutes=exclusions["maintenance_allowance_minutes"]),
        period_start=start,
        period_end=horizon,
    )
    by_ref = {w.ref: w for w in windows}
    for verdict in verdicts:
        window = by_ref[verdict.ref]
        in_scope = {scope(c) for c in window.components or (ALL_COMPONENTS,)} - {None}
        for comp in sorted(c for c in in_scope if c is not None):
            for a, b in verdict.excused:
                excused.append(Span(start=a, end=b, component=comp, ref=verdict.ref))
            for a, b in verdict.not_excused:
                counted.append(Span(start=a, end=b, component=comp, ref=verdict.ref))
    no_data = [
        Span(
            start=n.start,
            end=n.end,
            component=n.component,
            ref=f"nodata:{n.pk}",
        )
        for n in facts.no_data
        # a gap in an uncovered component's data says nothing about the others
        if n.start < horizon and n.end > start and n.component in components
    ]
    no_data.extend(
        Span(start=since, end=horizon, component=component, ref=f"silent:{source}")
        for component, since, source in facts.silent
        if since < horizon and component in components
    )
    counted = _reconciled(counted, facts, components=components, listed=listed, start=start, horizon=horizon)
    rules = uptime_rules(terms)
    result = compute_availability(
        period_start=start,
        period_end=horizon if horizon > start else end,
        components=components,
        outages=counted,
        excused=excused,
        no_data=no_data,
        service_rule=terms.data["uptime"]["service_rule"],
        unmeasured=rules.unmeasured,
        minimum_coverage_percent=rules.minimum_coverage_percent,
    )
    held.sort(key=lambda s: (s.start, s.end, s.ref))
    return PeriodAvailability(
        result=result, maintenance=verdicts, outages=outages, pending_exclusions=pending, held=held
    )
