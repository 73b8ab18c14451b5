"""Availability engine: pure Python, no Django, no database.

Interval arithmetic is exact on aware datetimes normalised to UTC.  Intervals
are half-open ``[start, end)``; empty intervals vanish.  Minutes are reported
as ``Decimal`` rounded half-up to 0.001 minute; availability is computed from
exact microsecond integers and rounded *down* to 0.001 percent, so rounding can
never lift a breach above a tier or target boundary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

__all__ = [
    "ALL_COMPONENTS",
    "AvailabilityResult",
    "ComponentAvailability",
    "Pair",
    "SERVICE_RULES",
    "Span",
    "clip",
    "compute_availability",
    "intersect",
    "merge",
    "subtract",
    "total",
]

ALL_COMPONENTS = "*"
SERVICE_RULES = ("any", "all")

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
    no_data_minutes: Decimal
    availability: Decimal  # percent, 0..100, 0.001 steps, rounded down
    measured: bool = True  # False: no measured time at all, 100 is nominal


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


def _summary(
    *,
    component: str,
    period: int,
    outage: list[Pair],
    down: list[Pair],
    no_data: list[Pair],
) -> ComponentAvailability:
    """``down`` must lie inside ``outage``, ``no_data`` outside it."""
    down_us = _micros(total(down))
    no_data_us = _micros(total(no_data))
    measured_us = period - no_data_us
    if measured_us > 0:
        # Floor, never round up, to 0.001 percent.
        millipercent = (measured_us - down_us) * 100_000 // measured_us
        availability = Decimal(millipercent).scaleb(-3)
    else:
        availability = Decimal(100_000).scaleb(-3)
    return ComponentAvailability(
        component=component,
        period_minutes=_minutes(period),
        downtime_minutes=_minutes(down_us),
        excused_minutes=_minutes(_micros(total(outage)) - down_us),
        no_data_minutes=_minutes(no_data_us),
        availability=availability,
        measured=measured_us > 0,
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
) -> AvailabilityResult:
    """Availability per component and for the service over one period.

    Component "*" on any span means every listed component.  Per component:
    downtime = outage - excused; excused minutes = outage within excused
    windows; no-data time overlapping a recorded outage is not "no data" (the
    outage record is the data), and the rest is dropped from the denominator.

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
            if span.component == ALL_COMPONENTS:
                targets = names
            elif span.component in known:
                targets = [span.component]
            else:
                raise ValueError(f"{kind} names unknown component {span.component!r}")
            for name in targets:
                by_component[name].append((span.start, span.end))
        return {name: clip(intervals=pairs, start=start, end=end) for name, pairs in by_component.items()}

    outage_by = spans_for(outages, "outage")
    excused_by = spans_for(excused, "excused window")
    no_data_by = spans_for(no_data, "no-data window")
    down_by = {name: subtract(base=outage_by[name], remove=excused_by[name]) for name in names}
    gap_by = {name: subtract(base=no_data_by[name], remove=outage_by[name]) for name in names}

    period_us = _micros(end - start)
    results = {
        name: _summary(
            component=name,
            period=period_us,
            outage=outage_by[name],
            down=down_by[name],
            no_data=gap_by[name],
        )
        for name in names
    }

    if service_rule == "any":
        service_outage = merge(p for name in names for p in outage_by[name])
        service_down = merge(p for name in names for p in down_by[name])
        unknown = merge(p for name in names for p in gap_by[name])
    else:
        service_outage = _intersect_all([outage_by[name] for name in names])
        service_down = _intersect_all([down_by[name] for name in names])
        unknown = _intersect_all([merge([*outage_by[name], *gap_by[name]]) for name in names])
    service = _summary(
        component=ALL_COMPONENTS,
        period=period_us,
        outage=service_outage,
        down=service_down,
        no_data=subtract(base=unknown, remove=service_outage),
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
    counted.sort(key=lambda s: (s.start, s.end, s.component, s.ref))

    return AvailabilityResult(
        period_start=start,
        period_end=end,
        service=service,
        components=results,
        counted=counted,
    )
