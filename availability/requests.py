"""Availability measured by requests (or executions) instead of time: the share
of requests that failed, from the tallies monitoring sources report per interval
(``availability.models.RequestTally``).

Two rules, both exact (``Fraction``) and in percent, the scale of
``availability.engine.percent``:

``interval_average``
    The Amazon S3 Service Level Agreement's rule (as published, last updated
    28 November 2023; its definitions of "Error Rate" and "Monthly Uptime
    Percentage"): the error rate of each five-minute interval is its failed
    requests divided by its requests; the uptime percentage is 100 % minus the
    average of the error rates of every interval in the billing cycle, and an
    interval without requests has a 0 % error rate. Here an interval no
    source reported on counts as 0 % too (the rule averages over every interval
    of the period); ``coverage`` says how many intervals had a tally, so the terms'
    rule for unmeasured time can be applied on top.
``total_ratio``
    100 % x (1 - all failed / all requests) over the period (execution-based
    commitments): a busy interval weighs more than a quiet one.

Intervals are aligned to multiples of the interval length since the UTC epoch
(for 1 to 60 minutes every interval also starts on the UTC hour grid), so daylight
saving time never shifts or splits one. An interval belongs to the period when it
starts in ``[start, end)``; with a period start that is not on the grid (a zone
offset that is not a multiple of the interval), the interval straddling the start
belongs to the previous period.

Which reading counts (the same for both rules), per component and interval:

* a source's tallies at a finer interval that divides the rule's (1-minute tallies
  for a 5-minute rule) are summed into the interval; coarser ones cannot be
  split and are left out (``ignored``); when one source sent several
  granularities for the same interval, its coarsest counts (never both);
* when several counted sources report the same component and interval, the
  reading with the highest error rate counts (the buyer-protective reading: a
  monitor that saw failures is not outvoted by one that missed them); a tie goes
  to the reading with more requests, then to the lower source id, so the answer
  never depends on the order rows come back in;
* an interval's requests and failures are the sums over the commitment's
  components (one service, one error rate per interval).

The pure functions take plain tuples and never touch the database;
``request_uptime`` reads the tallies in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contracts.models import Contract

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
INTERVAL_MINUTES = (1, 5, 10, 15, 30, 60)  # each divides an hour: intervals nest in hours and days
RULES = ("interval_average", "total_ratio")
HUNDRED = Fraction(100)


@dataclass(frozen=True)
class Tally:
    """One source's count for one component and interval (``start``: epoch seconds)."""

    source_id: int
    component: str
    start: int
    minutes: int
    total: int
    failed: int


@dataclass(frozen=True)
class RequestUptime:
    """A request-based availability figure for one period.

    ``exact``: percent (0..100) as an exact fraction, None when nothing was
    measured (no tally at all; for ``total_ratio`` also no request at all).
    ``measured``: the same rule over the intervals with a tally only (unmeasured
    intervals left out rather than counted as 0 % errors), None likewise.
    ``coverage``: percent of the period's intervals with a tally (0 for an empty
    period). ``requests`` and ``failed``: the counted readings' sums.
    ``intervals``: the period's intervals; ``measured_intervals``: those with a
    tally; ``ignored``: tallies left out (coarser than the rule's interval)."""

    rule: str
    interval_minutes: int
    exact: Fraction | None
    measured: Fraction | None
    coverage: Fraction
    requests: int
    failed: int
    intervals: int
    measured_intervals: int
    ignored: int = 0


def epoch_seconds(at: datetime) -> int:
    """Whole seconds since the UTC epoch (``at`` must be aware)."""
    if at.tzinfo is None:
        raise ValueError("a naive datetime has no place on the UTC grid")
    return (at - EPOCH) // timedelta(seconds=1)


def aligned(at: datetime, minutes: int) -> bool:
    """``at`` starts an interval of ``minutes`` on the UTC epoch grid."""
    return at.tzinfo is not None and at.microsecond == 0 and epoch_seconds(at) % (60 * minutes) == 0


def period_slots(start: datetime, end: datetime, minutes: int) -> range:
    """Indexes (epoch seconds // interval length) of the intervals starting in ``[start, end)``."""
    step = timedelta(minutes=minutes)
    first = -(-(start - EPOCH) // step)  # the first interval starting at or after start
    stop = -(-(end - EPOCH) // step)  # intervals starting before end
    return range(first, max(first, stop))


def _beats(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    """Reading ``a`` (failed, total, source id) counts over ``b``: the higher error
    rate (no requests reads as 0 %), then more requests, then the lower source id.
    Rates compared by cross-multiplying, exact and without building fractions."""
    fa, ta, sa = a
    fb, tb, sb = b
    left, right = fa * (tb or 1), fb * (ta or 1)  # a total of 0 has 0 failed: its rate reads as 0
    if left != right:
        return left > right
    if ta != tb:
        return ta > tb
    return sa < sb


def slot_readings(
    tallies: Iterable[Tally], *, minutes: int, slots: range | None = None
) -> tuple[dict[int, tuple[int, int]], int]:
    """The counted (failed, total) per interval index, summed over components,
    and how many tallies were left out (see the module's rules)."""
    step = 60 * minutes
    # (source, component, interval) -> [granularity, failed, total]: the coarsest granularity wins
    mine: dict[tuple[int, str, int], list[int]] = {}
    ignored = 0
    for t in tallies:
        size = t.minutes
        if size > minutes or minutes % size:
            ignored += 1
            continue
        slot = t.start // step
        if slots is not None and slot not in slots:
            continue
        key = (t.source_id, t.component, slot)
        acc = mine.get(key)
        if acc is None or acc[0] < size:
            mine[key] = [size, t.failed, t.total]
        elif acc[0] == size:
            acc[1] += t.failed
            acc[2] += t.total
    chosen: dict[tuple[str, int], tuple[int, int, int]] = {}
    for (source_id, component, slot), (_size, failed, total) in mine.items():
        reading = (failed, total, source_id)
        best = chosen.get((component, slot))
        if best is None or _beats(reading, best):
            chosen[(component, slot)] = reading
    per_slot: dict[int, tuple[int, int]] = {}
    for (_component, slot), (failed, total, _source) in chosen.items():
        so_far_failed, so_far_total = per_slot.get(slot, (0, 0))
        per_slot[slot] = (so_far_failed + failed, so_far_total + total)
    return per_slot, ignored


def _sum_rates(rates: Sequence[tuple[int, int]]) -> Fraction:
    """The exact sum of ``failed / total`` over ``rates`` (each total > 0).

    Added as a balanced tree of unreduced fractions and reduced once: a month of
    intervals with distinct request counts has a common denominator of tens of
    thousands of digits, which one reduction handles in milliseconds where a
    running ``Fraction`` sum would reduce at every step."""
    if not rates:
        return Fraction(0)

    def tree(lo: int, hi: int) -> tuple[int, int]:
        if hi - lo == 1:
            return rates[lo]
        mid = (lo + hi) // 2
        a, b = tree(lo, mid)
        c, d = tree(mid, hi)
        return a * d + c * b, b * d

    numerator, denominator = tree(0, len(rates))
    return Fraction(numerator, denominator)


def error_sum(per_slot: Mapping[int, tuple[int, int]]) -> Fraction:
    """The sum of the intervals' error rates (an interval without requests adds 0)."""
    return _sum_rates([(f, t) for f, t in per_slot.values() if t > 0])


def interval_average(
    per_slot: Mapping[int, tuple[int, int]], intervals: int, *, errors: Fraction | None = None
) -> Fraction | None:
    """100 % minus the average error rate over ``intervals`` intervals; an interval
    missing from ``per_slot`` or without requests has a 0 % error rate. None when
    there are no intervals or no readings. ``errors``: ``error_sum(per_slot)`` if known."""
    if intervals <= 0 or not per_slot:
        return None
    if errors is None:
        errors = error_sum(per_slot)
    return HUNDRED - HUNDRED * errors / intervals


def total_ratio(per_slot: Mapping[int, tuple[int, int]]) -> Fraction | None:
    """100 % x (1 - failed / requests) over every reading; None without requests."""
    total = sum(t for _f, t in per_slot.values())
    if total == 0:
        return None
    failed = sum(f for f, _t in per_slot.values())
    return HUNDRED - Fraction(100 * failed, total)


def uptime(tallies: Iterable[Tally], *, rule: str, slots: range, minutes: int) -> RequestUptime:
    """The figure for the period whose intervals are ``slots`` (``period_slots``)."""
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}: one of {', '.join(RULES)}")
    if minutes not in INTERVAL_MINUTES:
        raise ValueError(f"interval_minutes must be one of {INTERVAL_MINUTES}")
    per_slot, ignored = slot_readings(tallies, minutes=minutes, slots=slots)
    intervals = len(slots)
    measured = len(per_slot)
    if rule == "interval_average":
        errors = error_sum(per_slot)
        exact = interval_average(per_slot, intervals, errors=errors)
        over_measured = interval_average(per_slot, measured, errors=errors)
    else:
        exact = over_measured = total_ratio(per_slot)
    return RequestUptime(
        rule=rule,
        interval_minutes=minutes,
        exact=exact,
        measured=over_measured,
        coverage=Fraction(100 * measured, intervals) if intervals else Fraction(0),
        requests=sum(t for _f, t in per_slot.values()),
        failed=sum(f for f, _t in per_slot.values()),
        intervals=intervals,
        measured_intervals=measured,
        ignored=ignored,
    )


def request_uptime(
    *,
    contract: Contract,
    components: list[str],
    start: datetime,
    end: datetime,
    rule: str,
    interval_minutes: int = 5,
) -> RequestUptime:
    """The contract's request-based availability of ``components`` over ``[start, end)``.

    Reads the tallies of the sources whose data counts (``MonitoringSource.counts``:
    accepted by the other party, or registered by staff) in one query."""
    # Imported here so the arithmetic above stays importable without Django.
    from availability.models import RequestTally, counts_q

    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}: one of {', '.join(RULES)}")
    if interval_minutes not in INTERVAL_MINUTES:
        raise ValueError(f"interval_minutes must be one of {INTERVAL_MINUTES}")
    slots = period_slots(start, end, interval_minutes)
    step = timedelta(minutes=interval_minutes)
    rows = (
        RequestTally.objects.filter(counts_q("source__"), contract=contract, component__in=list(components))
        .filter(interval_start__gte=EPOCH + slots.start * step, interval_start__lt=EPOCH + slots.stop * step)
        .values_list("source_id", "component", "interval_start", "interval_minutes", "total", "failed")
    )
    tallies = [
        Tally(source_id, component, epoch_seconds(at), minutes, total, failed)
        for source_id, component, at, minutes, total, failed in rows
    ]
    return uptime(tallies, rule=rule, slots=slots, minutes=interval_minutes)


__all__ = [
    "INTERVAL_MINUTES",
    "RULES",
    "RequestUptime",
    "Tally",
    "aligned",
    "epoch_seconds",
    "error_sum",
    "interval_average",
    "period_slots",
    "request_uptime",
    "slot_readings",
    "total_ratio",
    "uptime",
]
