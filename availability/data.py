"""Gather a contract's recorded facts for a period and run the availability
engine over them: the one place reports, pages and the simulator get
availability from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from availability.engine import ALL_COMPONENTS, AvailabilityResult, Span, compute_availability
from availability.maintenance import Verdict, Window, assess
from availability.models import MaintenanceWindow, NoDataSpan, Outage
from contracts.models import Contract
from contracts.terms import Terms
from incidents.models import Incident


@dataclass(frozen=True)
class PeriodAvailability:
    result: AvailabilityResult
    maintenance: list[Verdict]
    outages: list[Outage]
    pending_exclusions: int


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


def load_facts(contract: Contract, *, start: datetime, end: datetime, critical_incidents: bool = True) -> Facts:
    """The facts of ``contract`` that can touch [start, end)."""
    outages = list(Outage.objects.filter(contract=contract).overlapping(start, end).order_by("start", "pk"))
    incidents = (
        list(
            Incident.objects.filter(contract=contract, severity="critical", environment="production", opened_at__lt=end)
            .exclude(restore_met_at__lte=start)
            .exclude(outages__isnull=False)
        )
        if critical_incidents
        else []
    )
    windows = list(
        MaintenanceWindow.objects.filter(contract=contract, start__lt=end, end__gt=start - timedelta(days=1))
    )
    no_data = list(NoDataSpan.objects.filter(contract=contract, start__lt=end, end__gt=start))
    return Facts(outages=outages, critical_incidents=incidents, windows=windows, no_data=no_data)


def period_availability(
    contract: Contract, terms: Terms, *, start: datetime, end: datetime, now: datetime
) -> PeriodAvailability:
    """Availability of ``contract`` over [start, end) under ``terms``.

    Counted: monitoring and staff outages not excluded by an accepted claim,
    and (if the terms say so) critical production incidents from open to
    restore. Excused: accepted exclusions and compliant maintenance. Unknown
    components and pending claims still count (the vendor has not won them)."""
    horizon = min(end, now)
    counts_incidents = bool(terms.data["uptime"].get("critical_incidents_count"))
    facts = load_facts(contract, start=start, end=horizon, critical_incidents=counts_incidents)
    components = list(contract.covered_components) or ["service"]
    return availability_from_facts(facts, terms, components=components, start=start, end=end, now=now)


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
) -> PeriodAvailability:
    """``period_availability`` over loaded facts (which may span more than
    [start, end): what lies outside is skipped here). Whether an accepted
    exclusion stands is the recorded decision unless ``outage_excluded`` /
    ``incident_excluded`` say otherwise (the simulator re-reads it under
    candidate terms)."""
    horizon = min(end, now)
    outage_excluded = outage_excluded or (lambda o: o.exclusion == Outage.Exclusion.ACCEPTED)
    incident_excluded = incident_excluded or (lambda inc: inc.excluded)
    outages = [o for o in facts.outages if o.start < horizon and (o.end is None or o.end > start)]
    counted: list[Span] = []
    excused: list[Span] = []
    pending = 0
    for o in outages:
        comp = o.component if o.component in components else ALL_COMPONENTS
        span = _span(o.start, o.end, comp, f"outage:{o.pk}", horizon)
        if span.end <= span.start:
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
            span = _span(
                inc.opened_at,
                inc.restore_met_at,
                inc.component if inc.component in components else ALL_COMPONENTS,
                f"incident:{inc.pk}",
                horizon,
            )
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
        for comp in window.components or (ALL_COMPONENTS,):
            for a, b in verdict.excused:
                excused.append(
                    Span(start=a, end=b, component=comp if comp in components else ALL_COMPONENTS, ref=verdict.ref)
                )
            for a, b in verdict.not_excused:
                counted.append(
                    Span(start=a, end=b, component=comp if comp in components else ALL_COMPONENTS, ref=verdict.ref)
                )
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
    result = compute_availability(
        period_start=start,
        period_end=horizon if horizon > start else end,
        components=components,
        outages=counted,
        excused=excused,
        no_data=no_data,
        service_rule=terms.data["uptime"]["service_rule"],
    )
    return PeriodAvailability(result=result, maintenance=verdicts, outages=outages, pending_exclusions=pending)
