"""Read model shared by the availability page and API: a contract's
availability for one period (with maintenance verdicts and the outages that
count) and the history of the last periods, under the terms in force."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from availability.data import (
    DISPLAY_RULE,
    HELD_UNKNOWN,
    PeriodAvailability,
    judged_bounds,
    period_availability,
    uptime_rules,
)
from availability.engine import AvailabilityResult, ComponentAvailability, shown
from availability.maintenance import Verdict
from availability.models import MaintenanceWindow, Outage
from contracts.models import Contract, SLAVersion
from contracts.terms import Terms
from contracts.versions import InForceFallback, in_force_among
from core.charts import ChartPoint, availability_chart
from core.periods import Period, last_n, parse, period_of

ONE_US = timedelta(microseconds=1)


def ahead(delta: timedelta) -> str:
    """How long ahead something was announced: "14 days 17 h", "1 day", "3 h 05 min", "42 min"."""
    return "after it started" if delta < timedelta(0) else duration(delta)


def duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        text = f"{days} day{'s' if days != 1 else ''}"
        return f"{text} {hours} h" if hours else text
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


class TermsBook:
    """Every frozen SLA version of some contracts, loaded in one query, looked
    up by instant in Python."""

    def __init__(self, versions: Iterable[SLAVersion]) -> None:
        self._by_contract: dict[int, list[SLAVersion]] = defaultdict(list)
        for version in versions:
            self._by_contract[version.contract_id].append(version)
        for rows in self._by_contract.values():
            rows.sort(key=lambda v: v.effective_from)

    @classmethod
    def load(cls, contract_ids: Iterable[int]) -> TermsBook:
        return cls(SLAVersion.objects.filter(contract_id__in=set(contract_ids)).frozen())

    def version(self, contract_id: int, at: datetime) -> SLAVersion | None:
        """In force at ``at``; before the first version, the first one."""
        return in_force_among(self._by_contract.get(contract_id, []), at, fallback=InForceFallback.EARLIEST_FROZEN)

    def first_effective(self, contract_id: int) -> datetime | None:
        rows = self._by_contract.get(contract_id)
        return rows[0].effective_from if rows else None

    def terms(self, contract_id: int, at: datetime) -> Terms | None:
        version = self.version(contract_id, at)
        return Terms(version.terms) if version else None


@dataclass(frozen=True)
class PeriodReport:
    period: Period
    terms: Terms
    sla_version: int
    now: datetime
    data: PeriodAvailability
    windows: dict[int, MaintenanceWindow]

    @property
    def result(self) -> AvailabilityResult:
        return self.data.result

    @property
    def so_far(self) -> bool:
        return self.now < self.period.end

    @property
    def measured_until(self) -> datetime:
        return min(self.now, self.period.end)

    @property
    def target(self) -> Decimal:
        return self.terms.uptime_target

    @property
    def service(self) -> ComponentAvailability:
        return self.result.service

    @property
    def met(self) -> bool | None:
        """Judged on the exact figure; None: not measured (too little monitoring data)."""
        return met(self.service, self.target)

    @property
    def status(self) -> str:
        return status(self.service, self.target)

    @property
    def figure(self) -> Decimal | None:
        """The service availability as shown: never on the other side of a bound it is judged against."""
        return figure(self.service, judged_bounds(self.terms))

    @property
    def minimum_coverage(self) -> Decimal:
        return uptime_rules(self.terms).minimum_coverage_percent

    @property
    def unmeasured(self) -> str:
        return uptime_rules(self.terms).unmeasured

    @property
    def coverage(self) -> Decimal:
        return coverage(self.service, self.minimum_coverage)

    @property
    def rounding(self) -> str:
        return DISPLAY_RULE

    @property
    def held(self) -> list[dict[str, Any]]:
        """Outages and incidents on components the contract does not cover: not charged."""
        return [
            {
                "ref": h.ref,
                "kind": h.ref.partition(":")[0],
                "id": h.ref.partition(":")[2],
                "component": h.component,
                "start": h.start,
                "end": h.end,
                "minutes": _minutes(h.start, h.end),
                "status": HELD_UNKNOWN,
            }
            for h in self.data.held
        ]

    @property
    def allowed_downtime_minutes(self) -> Decimal:
        """Downtime the target allows over the whole period (for the budget)."""
        minutes = Decimal((self.period.end - self.period.start) // timedelta(minutes=1))
        return (minutes * (Decimal(100) - self.target) / Decimal(100)).quantize(Decimal("0.1"))

    @property
    def verdicts(self) -> list[tuple[MaintenanceWindow, Verdict]]:
        return [(self.windows[int(v.ref.split(":")[1])], v) for v in self.data.maintenance]


def met(c: ComponentAvailability, target: Decimal) -> bool | None:
    return None if not c.measured or c.exact is None else c.exact >= target


def status(c: ComponentAvailability, target: Decimal) -> str:
    judged = met(c, target)
    return "not measured" if judged is None else "met" if judged else "breached"


def figure(c: ComponentAvailability, bounds: list[Decimal]) -> Decimal | None:
    return shown(c.exact, bounds=bounds) if c.measured and c.exact is not None else None


def coverage(c: ComponentAvailability, minimum: Decimal) -> Decimal:
    return shown(c.coverage, bounds=[minimum])


def period_kind_and_zone(terms: Terms | None) -> tuple[str, str]:
    uptime = terms.data["uptime"] if terms else {}
    return uptime.get("period", "month"), uptime.get("timezone", "UTC")


def resolve_period(label: str | None, terms: Terms | None, now: datetime) -> Period:
    """The period a ``?period=`` value names (default: the current one); PeriodError if malformed.
    Under quarterly terms a month label means the quarter holding it (a link to a month stays valid)."""
    kind, zone = period_kind_and_zone(terms)
    return parse(label, zone=zone).enclosing(kind) if label else period_of(now, kind=kind, zone=zone)


def period_report(contract: Contract, period: Period, *, book: TermsBook, now: datetime) -> PeriodReport | None:
    """None for a period that has not begun or has no terms."""
    if period.start >= now:
        return None
    version = book.version(contract.pk, min(period.end, now) - ONE_US)
    if version is None:
        return None
    terms = Terms(version.terms)
    data = period_availability(contract, terms, start=period.start, end=period.end, now=now)
    refs = [int(v.ref.split(":")[1]) for v in data.maintenance]
    windows = MaintenanceWindow.objects.select_related("created_by", "late_accepted_by").in_bulk(refs) if refs else {}
    return PeriodReport(period=period, terms=terms, sla_version=version.number, now=now, data=data, windows=windows)


def history(contract: Contract, *, book: TermsBook, now: datetime, count: int = 12) -> list[PeriodReport | Period]:
    """The last ``count`` periods, oldest first: a report each, or the bare
    period when the contract had no terms in force then."""
    kind, zone = period_kind_and_zone(book.terms(contract.pk, now))
    out: list[PeriodReport | Period] = []
    for period in last_n(period_of(now, kind=kind, zone=zone), count):
        first = book.first_effective(contract.pk)
        report = period_report(contract, period, book=book, now=now) if first and period.end > first else None
        out.append(report or period)
    return out


def history_chart(
    rows: list[PeriodReport | Period], *, target: Decimal, title: str, width: int = 760, height: int = 280
) -> str:
    points = []
    for row in rows:
        if isinstance(row, PeriodReport):
            value = row.figure
            suffix = " so far" if row.so_far else ""
            text = (
                f"{row.period.title}{suffix}: {value} %"
                if value is not None
                else f"{row.period.title}: not measured ({row.coverage} % monitored)"
            )
            points.append(ChartPoint(label=row.period.short, availability=value, partial=row.so_far, title=text))
        else:
            points.append(ChartPoint(label=row.short, availability=None, title=f"{row.title}: not under this SLA"))
    return availability_chart(points, target=target, title=title, width=width, height=height)


def component_rows(report: PeriodReport) -> list[dict[str, Any]]:
    rows = []
    service_bounds = judged_bounds(report.terms)
    for c in [*report.result.components.values(), report.service]:
        rows.append(
            {
                "component": "Service" if c.component == "*" else c.component,
                "is_service": c.component == "*",
                "availability": figure(c, service_bounds if c.component == "*" else [report.target]),
                "measured": c.measured,
                "met": met(c, report.target),
                "coverage": coverage(c, report.minimum_coverage),
                "downtime_minutes": c.downtime_minutes,
                "excused_minutes": c.excused_minutes,
                "no_data_minutes": c.no_data_minutes,
                "unmonitored_minutes": c.unmonitored_minutes,
                "period_minutes": c.period_minutes,
            }
        )
    return rows


def _minutes(start: datetime, end: datetime) -> Decimal:
    return (Decimal((end - start) // ONE_US) / Decimal(60_000_000)).quantize(Decimal("0.001"))


def report_data(contract: Contract, report: PeriodReport) -> dict[str, Any]:
    """The report as plain data (the API's shape)."""

    service_bounds = judged_bounds(report.terms)

    def component(c: ComponentAvailability) -> dict[str, Any]:
        return {
            "component": c.component,
            "availability": figure(c, service_bounds if c.component == "*" else [report.target]),
            "met": met(c, report.target),
            "status": status(c, report.target),
            "measured": c.measured,
            "coverage_percent": coverage(c, report.minimum_coverage),
            "period_minutes": c.period_minutes,
            "downtime_minutes": c.downtime_minutes,
            "excused_minutes": c.excused_minutes,
            "no_data_minutes": c.no_data_minutes,
            "unmonitored_minutes": c.unmonitored_minutes,
        }

    def interval(a: datetime, b: datetime) -> dict[str, Any]:
        return {"start": a, "end": b, "minutes": _minutes(a, b)}

    return {
        "contract": contract,
        "period": {
            "label": report.period.label,
            "title": report.period.title,
            "start": report.period.start,
            "end": report.period.end,
            "so_far": report.so_far,
            "measured_until": report.measured_until,
        },
        "sla_version": report.sla_version,
        "target_percent": report.target,
        "service_rule": report.terms.data["uptime"]["service_rule"],
        "met": report.met,
        "status": report.status,
        "unmeasured": report.unmeasured,
        "minimum_coverage_percent": report.minimum_coverage,
        "rounding": report.rounding,
        "service": component(report.service),
        "components": [component(c) for c in report.result.components.values()],
        "counted": [
            {**interval(s.start, s.end), "ref": s.ref, "component": s.component} for s in report.result.counted
        ],
        "outages": list(
            Outage.objects.filter(pk__in=[o.pk for o in report.data.outages])
            .select_related("contract", "monitoring_source", "created_by")
            .order_by("start", "pk")
        ),
        "maintenance": [
            {
                "window": window.pk,
                "title": window.title,
                "compliant": verdict.compliant,
                "excused": [interval(a, b) for a, b in verdict.excused],
                "not_excused": [interval(a, b) for a, b in verdict.not_excused],
                "reasons": list(verdict.reasons),
            }
            for window, verdict in report.verdicts
        ],
        "pending_exclusions": report.data.pending_exclusions,
        "held": [{k: h[k] for k in ("ref", "component", "start", "end", "minutes", "status")} for h in report.held],
    }
