"""Reconciliation engine: pure Python, no Django, no database.

For one component and one period, each counted source has a view: its
down-intervals (its outage records) and its coverage (when it had data).
At an instant a source says *down* when one of its down-intervals holds the
instant, *up* when it has data there and no down-interval, and nothing
otherwise (an outage record is data even where coverage lapsed, as in the
availability engine). The sources *disagree* where one says down and another
says up. Maximal runs of disagreement longer than the tolerance become
discrepancies; shorter ones are left as recorded.

Everything is integer microseconds over half-open ``[start, end)``
intervals; empty intervals vanish, touching ones coalesce.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "Disagreement",
    "IntPair",
    "SourceView",
    "disagreements",
    "first_half",
    "merge",
    "intersect",
    "subtract",
]

DEFAULT_TOLERANCE_SECONDS = 300
IntPair = tuple[int, int]


@dataclass(frozen=True)
class SourceView:
    key: Hashable  # the source's id
    down: Sequence[IntPair]
    coverage: Sequence[IntPair]


@dataclass(frozen=True)
class Disagreement:
    start: int
    end: int
    down: tuple[Hashable, ...]  # sources saying down somewhere in [start, end), in the order given
    up: tuple[Hashable, ...]  # sources saying up somewhere in [start, end)
    down_us: tuple[int, ...]  # for each of ``down``, how long it says down within [start, end)

    @property
    def length_us(self) -> int:
        return self.end - self.start


# -- integer interval algebra ------------------------------------------------------------------


def merge(intervals: Iterable[IntPair]) -> list[IntPair]:
    """Sorted union; touching intervals coalesce, empty ones are dropped."""
    out: list[IntPair] = []
    for start, end in sorted(p for p in intervals if p[1] > p[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def intersect(left: Iterable[IntPair], right: Iterable[IntPair]) -> list[IntPair]:
    a, b = merge(left), merge(right)
    out: list[IntPair] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(base: Iterable[IntPair], remove: Iterable[IntPair]) -> list[IntPair]:
    cuts = merge(remove)
    out: list[IntPair] = []
    k = 0
    for start, end in merge(base):
        cursor = start
        while k < len(cuts) and cuts[k][1] <= cursor:
            k += 1
        probe = k
        while probe < len(cuts) and cuts[probe][0] < end:
            if cuts[probe][0] > cursor:
                out.append((cursor, cuts[probe][0]))
            cursor = max(cursor, cuts[probe][1])
            if cursor >= end:
                break
            probe += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def first_half(start: int, end: int) -> IntPair:
    """A split resolution: the first half of ``[start, end)`` counts as down,
    rounded down to the microsecond (the odd microsecond counts as up)."""
    return (start, start + (end - start) // 2)


# -- disagreement ------------------------------------------------------------------------------


def disagreements(
    views: Sequence[SourceView],
    *,
    period: IntPair,
    tolerance_us: int,
    settled: Iterable[IntPair] = (),
) -> list[Disagreement]:
    """Runs of ``period`` (less the ``settled`` intervals: already decided)
    where one source says down and another up, longer than ``tolerance_us``,
    in time order. A source never disagrees with itself, so an instant is
    disputed when some source is down and some other source is up there.

    One sweep over every interval bound, sorted once: the state between two
    bounds is constant, so each elementary segment is judged once and added
    to the run it extends."""
    if tolerance_us < 0:
        raise ValueError("tolerance_us must not be negative")
    lo, hi = period
    if hi <= lo:
        return []
    n = len(views)
    events: list[tuple[int, int, int]] = []  # (at, who, change): who -1 is "settled"; change 1/-1 down, 2/-2 data
    window = [(lo, hi)]
    for who, view in enumerate(views):
        for a, b in intersect(view.down, window):
            events.append((a, who, 1))
            events.append((b, who, -1))
        for a, b in intersect(view.coverage, window):
            events.append((a, who, 2))
            events.append((b, who, -2))
    for a, b in intersect(settled, window):
        events.append((a, -1, 1))
        events.append((b, -1, -1))
    events.sort()
    down = [False] * n
    data = [False] * n
    n_down = n_up = blocked = 0
    out: list[Disagreement] = []
    run_start = run_end = -1
    said_down = [0] * n
    said_up = [False] * n

    def close() -> None:
        if run_end - run_start > tolerance_us:
            keys = [views[i].key for i in range(n) if said_down[i]]
            out.append(
                Disagreement(
                    start=run_start,
                    end=run_end,
                    down=tuple(keys),
                    up=tuple(views[i].key for i in range(n) if said_up[i]),
                    down_us=tuple(said_down[i] for i in range(n) if said_down[i]),
                )
            )

    k = 0
    total = len(events)
    while k < total:
        at = events[k][0]
        while k < total and events[k][0] == at:
            _, who, change = events[k]
            k += 1
            if who < 0:
                blocked += change
                continue
            was_down, was_up = down[who], data[who] and not down[who]
            if change in (1, -1):
                down[who] = change > 0
            else:
                data[who] = change > 0
            is_down, is_up = down[who], data[who] and not down[who]
            n_down += is_down - was_down
            n_up += is_up - was_up
        if k >= total:
            break
        following = events[k][0]
        if n_down and n_up and not blocked:
            if run_end != at:  # a new run
                if run_end >= 0:
                    close()
                run_start = at
                said_down = [0] * n
                said_up = [False] * n
            run_end = following
            for i in range(n):
                if down[i]:
                    said_down[i] += following - at
                elif data[i]:
                    said_up[i] = True
    if run_end >= 0:
        close()
    return out
