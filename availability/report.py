"""Read model shared by the availability page and API: a contract's
availability for one period (with maintenance verdicts and the outages that
count) and the history of the last periods, under the terms in force."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from availability.data import (
    DISPLAY_RULE,
    HELD_UNKNOWN,
    WHOLE_SERVICE,
    Facts,
    PeriodAvailability,
    availability_from_facts,
    judged_bounds,
    load_facts,
    uptime_rules,
)
from availability.engine import AvailabilityResult, ComponentAvailability, shown
from availability.maintenance import Verdict
from availability.models import MaintenanceWindow
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
    return period_reports(contract, [period], book=book, now=now).get(period)


FactsLoader = Callable[..., Facts]  # load_facts's signature: (contract, *, start, end, critical_incidents)


def period_reports(
    contract: Contract, wanted: Iterable[Period], *, book: TermsBook, now: datetime, load: FactsLoader = load_facts
) -> dict[Period, PeriodReport]:
    """The live report of each period in ``wanted`` that has begun and has terms,
    from one load of the recorded facts over the span they cover (a fixed
    number of queries, whatever the number of periods or rows). ``load``: how the
    facts are read (the page reads them together with its lists)."""
    versions = {}
    for period in set(wanted):
        if period.start < now and (version := book.version(contract.pk, min(period.end, now) - ONE_US)) is not None:
            versions[period] = version
    if not versions:
        return {}
    counts_incidents = any(bool(v.terms["uptime"].get("critical_incidents_count")) for v in versions.values())
    facts = load(
        contract,
        start=min(p.start for p in versions),
        end=min(max(p.end for p in versions), now),
        critical_incidents=counts_incidents,
    )
    for outage in facts.outages:
        outage.contract = contract  # the API serializes each with its contract: no query per row
    return {period: _live(contract, period, version, facts, now) for period, version in versions.items()}


def _live(contract: Contract, period: Period, version: SLAVersion, facts: Facts, now: datetime) -> PeriodReport:
    terms = Terms(version.terms)
    data = availability_from_facts(
        facts,
        terms,
        components=list(contract.covered_components) or [WHOLE_SERVICE],
        start=period.start,
        end=period.end,
        now=now,
        listed=bool(contract.covered_components),
    )
    by_pk = {w.pk: w for w in facts.windows}
    windows = {pk: by_pk[pk] for pk in (int(v.ref.split(":")[1]) for v in data.maintenance)}
    return PeriodReport(period=period, terms=terms, sla_version=version.number, now=now, data=data, windows=windows)


# -- the history: stored figures for closed periods, live ones for open periods --------------------

# (contract id, period labels) -> {label: {"value", "availability", "met", "coverage"}}: the headline
# figures of the current revision of each period's frozen report, read in one query. The reports app
# sits above this one, so it registers its reader when Django starts (``reports.apps``).
StoredReader = Callable[[int, Sequence[str]], Mapping[str, Mapping[str, Any]]]
_READERS: list[StoredReader] = []


def register_stored_reader(reader: StoredReader) -> None:
    """Add the reader of stored period figures (idempotent: ``ready()`` may run twice in tests)."""
    if reader not in _READERS:
        _READERS.append(reader)


def _dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


@dataclass(frozen=True)
class ClosedPeriod:
    """An ended period as its frozen report states it (``reported``), or one
    that has none: then it has no figure (never read as fully available)."""

    period: Period
    reported: bool
    figure: Decimal | None = None  # as the report shows it; None: not measured (or no report)
    met: bool | None = None
    coverage: Decimal | None = None


def stored_periods(contract: Contract, periods: Sequence[Period]) -> dict[str, ClosedPeriod]:
    """The closed periods among ``periods`` that have a report, by label."""
    by_label = {p.label: p for p in periods}
    out: dict[str, ClosedPeriod] = {}
    for reader in _READERS if by_label else []:
        for label, row in reader(contract.pk, list(by_label)).items():
            value = row.get("value") or row.get("availability")
            out[label] = ClosedPeriod(
                period=by_label[label],
                reported=True,
                figure=_dec(value) if row.get("availability") is not None else None,
                met=row.get("met"),
                coverage=_dec(row.get("coverage")),
            )
    return out


HistoryRow = PeriodReport | ClosedPeriod | Period


@dataclass(frozen=True)
class History:
    rows: list[HistoryRow]  # oldest first
    live: dict[Period, PeriodReport]  # the periods computed live, the selected one included


def history(
    contract: Contract,
    *,
    book: TermsBook,
    now: datetime,
    count: int = 12,
    selected: Period | None = None,
    load: FactsLoader = load_facts,
) -> History:
    """The last ``count`` periods: a closed one as its frozen report states it
    (all of them in one query); the current period, and the one before it
    while its close is still to come, computed live; the bare period when the
    contract had no terms in force then. ``selected`` is computed live too
    (for its details), from the same load of facts."""
    kind, zone = period_kind_and_zone(book.terms(contract.pk, now))
    first = book.first_effective(contract.pk)
    window = last_n(period_of(now, kind=kind, zone=zone), count)
    under_sla = [p for p in window if first and p.end > first and p.start < now]
    ended = [p for p in under_sla if p.end <= now]
    stored = stored_periods(contract, ended)
    # The latest ended period has no report until its close runs (on the report due day): still open.
    awaiting = [p for p in ended[-1:] if p.label not in stored]
    live_wanted = [p for p in under_sla if p.end > now] + awaiting + ([selected] if selected else [])
    live = period_reports(contract, live_wanted, book=book, now=now, load=load)
    rows: list[HistoryRow] = []
    for p in window:
        if (p in live and p not in ended) or p in awaiting:
            rows.append(live.get(p) or p)
        elif p.label in stored:
            rows.append(stored[p.label])
        elif p in ended and book.version(contract.pk, p.end - ONE_US) is not None:
            rows.append(ClosedPeriod(period=p, reported=False))
        else:
            rows.append(p)
    return History(rows=rows, live=live)


def history_chart(rows: list[HistoryRow], *, target: Decimal, title: str, width: int = 760, height: int = 280) -> str:
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
        elif isinstance(row, ClosedPeriod):
            p = row.period
            if not row.reported:
                text = f"{p.title}: no report"
            elif row.figure is None:
                text = f"{p.title}: not measured ({row.coverage} % monitored)"
            else:
                text = f"{p.title}: {row.figure} %"
            points.append(ChartPoint(label=p.short, availability=row.figure, title=text))
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
        "outages": sorted(report.data.outages, key=lambda o: (o.start, o.pk)),
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
