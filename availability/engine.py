"""Availability engine: pure Python, no Django, no database.

Interval arithmetic is exact on aware datetimes normalised to UTC.  Intervals
are half-open ``[start, end)``; empty intervals vanish.

Exact before pretty: every summary carries integer microseconds and the
availability as an exact ``Fraction`` (``exact``); targets, tiers and the
minimum coverage are judged on those.  The ``Decimal`` minutes (half-up to
0.001 minute) and ``availability`` (truncated to 0.001 %) are for reading
only; ``shown`` gives the figure a person reads next to a bound without ever
putting it on the other side of that bound.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

__all__ = [
    "ALL_COMPONENTS",
    "AvailabilityResult",
    "ComponentAvailability",
    "Pair",
    "SERVICE_RULES",
    "Span",
    "UNMEASURED_RULES",
    "clip",
    "compute_availability",
    "covered",
    "intersect",
    "merge",
    "percent",
    "shown",
    "subtract",
    "total",
]

ALL_COMPONENTS = "*"
SERVICE_RULES = ("any", "all")
# How time without monitoring data counts: dropped from the measured time,
# counted as up, or counted as down.
UNMEASURED_RULES = ("excluded", "available", "unavailable")

Pair = tuple[datetime, datetime]


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    component: str  # a listed component, or "*" for all of them
    ref: str = ""  # identifies the outage / window for reporting


@dataclass(frozen=True)
class ComponentAvailability:
    component: str
    period_minutes: Decimal
    downtime_minutes: Decimal
    excused_minutes: Decimal
    no_data_minutes: Decimal  # left out of the measured time (rule "excluded")
    availability: Decimal  # for reading: percent truncated to 0.001 (100 when there is no figure)
    measured: bool = True  # False: no figure (nothing measured, or coverage under the minimum)
    period_us: int = 0
    downtime_us: int = 0
    excused_us: int = 0
    no_data_us: int = 0  # left out of the measured time
    unmonitored_us: int = 0  # time with no monitoring data, whatever the rule
    exact: Fraction | None = None  # availability percent, exact; None when nothing was measured
    coverage: Fraction = Fraction(100)  # percent of the period with monitoring data, exact

    @property
    def measured_us(self) -> int:
        """The denominator: the period less the time left out."""
        return self.period_us - self.no_data_us

    @property
    def unmonitored_minutes(self) -> Decimal:
        return _minutes(self.unmonitored_us)


@dataclass(frozen=True)
class AvailabilityResult:
    period_start: datetime
    period_end: datetime
    service: ComponentAvailability  # component == "*"
    components: dict[str, ComponentAvailability]
    counted: list[Span]  # per-component outage pieces that count, sorted


# --- interval algebra ----------------------------------------------------------


def _utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:  # the common case: already normalised
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("interval bounds must be aware datetimes")
    return value.astimezone(UTC)


def merge(intervals: Iterable[Pair]) -> list[Pair]:
    """Sorted union; touching intervals coalesce, empty ones are dropped."""
    pairs = sorted((start, end) for start, end in ((_utc(s), _utc(e)) for s, e in intervals) if end > start)
    merged: list[Pair] = []
    for start, end in pairs:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(*, base: Iterable[Pair], remove: Iterable[Pair]) -> list[Pair]:
    """Set difference ``base - remove``, merged."""
    removals = merge(remove)
    result: list[Pair] = []
    index = 0
    for start, end in merge(base):
        cursor = start
        while index < len(removals) and removals[index][1] <= cursor:
            index += 1
        probe = index
        while probe < len(removals) and removals[probe][0] < end:
            cut_start, cut_end = removals[probe]
            if cut_start > cursor:
                result.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
            if cursor >= end:
                break
            probe += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def intersect(*, left: Iterable[Pair], right: Iterable[Pair]) -> list[Pair]:
    """Set intersection, merged."""
    a, b = merge(left), merge(right)
    result: list[Pair] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if end > start:
            result.append((start, end))
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return result


def clip(*, intervals: Iterable[Pair], start: datetime, end: datetime) -> list[Pair]:
    """Intervals restricted to ``[start, end)``, merged."""
    return intersect(left=intervals, right=[(start, end)])


def total(intervals: Iterable[Pair]) -> timedelta:
    """Length of the union (overlaps counted once)."""
    return sum((end - start for start, end in merge(intervals)), timedelta(0))


def _intersect_all(sets: Sequence[list[Pair]]) -> list[Pair]:
    if not sets:
        return []
    result = sets[0]
    for other in sets[1:]:
        result = intersect(left=result, right=other)
    return result


# --- availability -----------------------------------------------------------------

_MICROS_PER_MINUTE = 60_000_000


def _micros(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


def _minutes(micros: int) -> Decimal:
    # Round half-up to 0.001 minute (= 60_000 us) in exact integer arithmetic.
    thousandths, rest = divmod(micros, _MICROS_PER_MINUTE // 1000)
    if 2 * rest >= _MICROS_PER_MINUTE // 1000:
        thousandths += 1
    return Decimal(thousandths).scaleb(-3)


def percent(*, part_us: int, whole_us: int) -> Fraction:
    """``part / whole`` in percent, exact."""
    if whole_us <= 0:
        raise ValueError("whole_us must be positive")
    return Fraction(100 * part_us, whole_us)


def covered(coverage: Fraction, minimum_percent: Decimal) -> bool:
    """Enough of the period had monitoring data for its figure to count."""
    return coverage >= Fraction(minimum_percent)


def _truncate(value: Fraction, places: int) -> Decimal:
    return Decimal(value.numerator * 10**places // value.denominator).scaleb(-places)


def _side(a: Fraction, b: Fraction) -> int:
    return (a > b) - (a < b)


def shown(value: Fraction, *, bounds: Iterable[Decimal] = (), places: int = 3) -> Decimal:
    """``value`` truncated to ``places`` decimals, with more decimals where
    fewer would put it on the other side of (or onto) one of ``bounds``.

    The result compares with every bound exactly as ``value`` does (below,
    equal or above), so a tier or target judged on the figure a person reads
    is judged as on the exact value: 99.90001 reads 99.90001 next to a
    "<= 99.9" bound, never 99.900."""
    exact_bounds = [Fraction(b) for b in bounds]
    digits = places
    while True:
        figure = _truncate(value, digits)
        if all(_side(Fraction(figure), b) == _side(value, b) for b in exact_bounds):
            return figure
        # A value above a bound differs from it by at least 1/(denominator * 10**4):
        # the loop ends within a few more digits than the denominator has.
        digits += 1


def _summary(
    *,
    component: str,
    period: int,
    outage: list[Pair],
    down: list[Pair],
    no_data: list[Pair],
    unmonitored: list[Pair],
    minimum_coverage: Decimal,
) -> ComponentAvailability:
    """``down`` must lie inside ``outage``, ``no_data`` outside it."""
    down_us = _micros(total(down))
    no_data_us = _micros(total(no_data))
    unmonitored_us = _micros(total(unmonitored))
    measured_us = period - no_data_us
    exact = percent(part_us=measured_us - down_us, whole_us=measured_us) if measured_us > 0 else None
    coverage = percent(part_us=period - unmonitored_us, whole_us=period)
    return ComponentAvailability(
        component=component,
        period_minutes=_minutes(period),
        downtime_minutes=_minutes(down_us),
        excused_minutes=_minutes(_micros(total(outage)) - down_us),
        no_data_minutes=_minutes(no_data_us),
        availability=_truncate(exact, 3) if exact is not None else Decimal(100_000).scaleb(-3),
        measured=exact is not None and covered(coverage, minimum_coverage),
        period_us=period,
        downtime_us=down_us,
        excused_us=_micros(total(outage)) - down_us,
        no_data_us=no_data_us,
        unmonitored_us=unmonitored_us,
        exact=exact,
        coverage=coverage,
    )


def compute_availability(
    *,
    period_start: datetime,
    period_end: datetime,
    components: Sequence[str],
    outages: Sequence[Span],
    excused: Sequence[Span],
    no_data: Sequence[Span] = (),
    service_rule: str = "any",
    unmeasured: str = "excluded",
    minimum_coverage_percent: Decimal = Decimal(0),
) -> AvailabilityResult:
    """Availability per component and for the service over one period.

    Component "*" on any span means every listed component.  Per component:
    downtime = outage - excused; excused minutes = outage within excused
    windows; no-data time overlapping a recorded outage is not "no data" (the
    outage record is the data).  The rest of the no-data time is unmonitored:
    ``unmeasured`` "excluded" drops it from the denominator, "available"
    counts it as up, "unavailable" as down (excused windows still excuse it).
    A summary has a figure (``measured``) when some time is measured and its
    coverage (the share of the period with data) reaches
    ``minimum_coverage_percent``.

    Service rule "any": the service is down when some component is down (union);
    "all": only when every component is down (intersection).  An instant of
    service outage is excused when it would not be down with each component's
    excused time treated as up.  Service no-data is time whose state cannot be
    decided from the components that do have data.
    """
    start, end = _utc(period_start), _utc(period_end)
    if end <= start:
        raise ValueError("period_end must be after period_start")
    if service_rule not in SERVICE_RULES:
        raise ValueError(f"service_rule must be one of {SERVICE_RULES}")
    if unmeasured not in UNMEASURED_RULES:
        raise ValueError(f"unmeasured must be one of {UNMEASURED_RULES}")
    names = list(dict.fromkeys(components))
    if not names:
        raise ValueError("at least one component is required")
    if ALL_COMPONENTS in names:
        raise ValueError(f"{ALL_COMPONENTS!r} is reserved for 'all components'")
    known = set(names)

    def spans_for(spans: Sequence[Span], kind: str) -> dict[str, list[Pair]]:
        by_component: dict[str, list[Pair]] = {name: [] for name in names}
        for span in spans:
            if span.end < span.start:
                raise ValueError(f"{kind} {span.ref or span} ends before it starts")
            for name in targets_of(span, kind):
                by_component[name].append((span.start, span.end))
        return {name: clip(intervals=pairs, start=start, end=end) for name, pairs in by_component.items()}

    def targets_of(span: Span, kind: str) -> list[str]:
        if span.component == ALL_COMPONENTS:
            return names
        if span.component in known:
            return [span.component]
        raise ValueError(f"{kind} names unknown component {span.component!r}")

    recorded_by = spans_for(outages, "outage")
    excused_by = spans_for(excused, "excused window")
    no_data_by = spans_for(no_data, "no-data window")
    gap_by = {name: subtract(base=no_data_by[name], remove=recorded_by[name]) for name in names}
    # What counts as outage, and what leaves the denominator, under the rule.
    if unmeasured == "unavailable":
        outage_by = {name: merge([*recorded_by[name], *gap_by[name]]) for name in names}
    else:
        outage_by = recorded_by
    dropped_by = gap_by if unmeasured == "excluded" else {name: [] for name in names}
    down_by = {name: subtract(base=outage_by[name], remove=excused_by[name]) for name in names}

    period_us = _micros(end - start)
    minimum = minimum_coverage_percent
    results = {
        name: _summary(
            component=name,
            period=period_us,
            outage=outage_by[name],
            down=down_by[name],
            no_data=dropped_by[name],
            unmonitored=gap_by[name],
            minimum_coverage=minimum,
        )
        for name in names
    }

    if service_rule == "any":
        service_recorded = merge(p for name in names for p in recorded_by[name])
        service_outage = merge(p for name in names for p in outage_by[name])
        service_down = merge(p for name in names for p in down_by[name])
        unknown = merge(p for name in names for p in gap_by[name])
    else:
        service_recorded = _intersect_all([recorded_by[name] for name in names])
        service_outage = _intersect_all([outage_by[name] for name in names])
        service_down = _intersect_all([down_by[name] for name in names])
        unknown = _intersect_all([merge([*recorded_by[name], *gap_by[name]]) for name in names])
    service_unmonitored = subtract(base=unknown, remove=service_recorded)
    service = _summary(
        component=ALL_COMPONENTS,
        period=period_us,
        outage=service_outage,
        down=service_down,
        no_data=service_unmonitored if unmeasured == "excluded" else [],
        unmonitored=service_unmonitored,
        minimum_coverage=minimum,
    )

    excused_all = _intersect_all([excused_by[name] for name in names])
    counted: list[Span] = []
    for span in outages:
        excusing = excused_all if span.component == ALL_COMPONENTS else excused_by[span.component]
        pieces = subtract(
            base=clip(intervals=[(span.start, span.end)], start=start, end=end),
            remove=excusing,
        )
        counted.extend(Span(start=s, end=e, component=span.component, ref=span.ref) for s, e in pieces)
    if unmeasured == "unavailable":  # unmonitored time is downtime too: show where it lies
        for span in no_data:
            for name in targets_of(span, "no-data window"):
                pieces = subtract(
                    base=clip(intervals=[(span.start, span.end)], start=start, end=end),
                    remove=[*recorded_by[name], *excused_by[name]],
                )
                counted.extend(Span(start=s, end=e, component=name, ref=span.ref) for s, e in pieces)
    counted.sort(key=lambda s: (s.start, s.end, s.component, s.ref))

    return AvailabilityResult(
        period_start=start,
        period_end=end,
        service=service,
        components=results,
        counted=counted,
    )
