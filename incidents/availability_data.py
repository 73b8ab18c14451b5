"""Gather a contract's recorded facts for a period and run the availability
engine over them: the one place reports, pages and the simulator get
availability from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.models import Contract
from contracts.terms import Terms
from incidents.availability import ALL_COMPONENTS, AvailabilityResult, Span, compute_availability
from incidents.maintenance import Verdict, Window, assess
from incidents.models import Incident, MaintenanceWindow, NoDataSpan, Outage


@dataclass(frozen=True)
class PeriodAvailability:
    result: AvailabilityResult
    maintenance: list[Verdict]
    outages: list[Outage]
    pending_exclusions: int


def _span(start: datetime, end: datetime | None, component: str, ref: str, now: datetime) -> Span:
    return Span(start=start, end=end or now, component=component, ref=ref)


def period_availability(
    contract: Contract, terms: Terms, *, start: datetime, end: datetime, now: datetime
) -> PeriodAvailability:
    """Availability of ``contract`` over [start, end) under ``terms``.

    Counted: monitoring and staff outages not excluded by an accepted claim,
    and (if the terms say so) critical production incidents from open to
    restore. Excused: accepted exclusions and compliant maintenance. Unknown
    components and pending claims still count (the vendor has not won them)."""
    horizon = min(end, now)
    components = list(contract.covered_components) or ["service"]
    outages = list(Outage.objects.filter(contract=contract).overlapping(start, horizon).order_by("start", "pk"))
    counted: list[Span] = []
    excused: list[Span] = []
    pending = 0
    for o in outages:
        comp = o.component if o.component in components else ALL_COMPONENTS
        span = _span(o.start, o.end, comp, f"outage:{o.pk}", horizon)
        if span.end <= span.start:
            continue
        counted.append(span)
        if o.exclusion == Outage.Exclusion.ACCEPTED:
            excused.append(span)
        elif o.exclusion == Outage.Exclusion.CLAIMED:
            pending += 1
    if terms.data["uptime"].get("critical_incidents_count"):
        for inc in (
            Incident.objects.filter(
                contract=contract, severity="critical", environment="production", opened_at__lt=horizon
            )
            .exclude(restore_met_at__lte=start)
            .exclude(outages__isnull=False)
        ):
            span = _span(
                inc.opened_at,
                inc.restore_met_at,
                inc.component if inc.component in components else ALL_COMPONENTS,
                f"incident:{inc.pk}",
                horizon,
            )
            if span.end > span.start:
                counted.append(span)
                if inc.excluded:
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
        for w in MaintenanceWindow.objects.filter(
            contract=contract, start__lt=horizon, end__gt=start - timedelta(days=1)
        )
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
        for n in NoDataSpan.objects.filter(contract=contract, start__lt=horizon, end__gt=start)
        if n.component in components  # a gap in an uncovered component's data says nothing about the others
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
