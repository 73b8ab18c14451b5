"""The reconciliation engine against a brute-force oracle that asks every
source about every unit of time, with no interval algebra shared."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from availability.reconcile import Disagreement, SourceView, disagreements, first_half

HORIZON = 60


def oracle(
    views: list[SourceView], *, period: tuple[int, int], tolerance: int, settled: list[tuple[int, int]]
) -> list[Disagreement]:
    lo, hi = period

    def holds(pairs: object, t: int) -> bool:
        return any(a <= t < b for a, b in pairs)  # type: ignore[attr-defined]

    def says(view: SourceView, t: int) -> str | None:
        if holds(view.down, t):
            return "down"
        return "up" if holds(view.coverage, t) else None

    flags = [
        lo <= t < hi
        and not holds(settled, t)
        and any(says(v, t) == "down" for v in views)
        and any(says(v, t) == "up" for v in views)
        for t in range(HORIZON + 1)
    ]
    out = []
    t = 0
    while t <= HORIZON:
        if not flags[t]:
            t += 1
            continue
        start = t
        while t <= HORIZON and flags[t]:
            t += 1
        if t - start > tolerance:
            seconds = range(start, t)
            down = [v for v in views if any(says(v, s) == "down" for s in seconds)]
            out.append(
                Disagreement(
                    start=start,
                    end=t,
                    down=tuple(v.key for v in down),
                    up=tuple(v.key for v in views if any(says(v, s) == "up" for s in seconds)),
                    down_us=tuple(sum(1 for s in seconds if says(v, s) == "down") for v in down),
                )
            )
    return out


pairs = st.lists(st.tuples(st.integers(0, HORIZON), st.integers(0, HORIZON)), max_size=5).map(
    lambda ps: [(min(a, b), max(a, b)) for a, b in ps]
)


@settings(max_examples=400, deadline=None)
@given(
    sources=st.lists(st.tuples(pairs, pairs), min_size=1, max_size=4),
    period=st.tuples(st.integers(0, HORIZON), st.integers(0, HORIZON)),
    tolerance=st.integers(0, 8),
    settled=pairs,
)
def test_it_matches_the_oracle(sources, period, tolerance, settled):
    views = [SourceView(key=n, down=d, coverage=c) for n, (d, c) in enumerate(sources)]
    found = disagreements(views, period=period, tolerance_us=tolerance, settled=settled)
    assert found == oracle(views, period=period, tolerance=tolerance, settled=settled)


def test_it_reports_who_says_what():
    probes = SourceView(key="probes", down=[(100, 700)], coverage=[(0, 1000)])
    status = SourceView(key="status", down=[(150, 250)], coverage=[(0, 1000)])
    tickets = SourceView(key="tickets", down=[], coverage=[(0, 300)])  # no data after 300
    (item,) = disagreements([probes, status, tickets], period=(0, 1000), tolerance_us=50)
    assert (item.start, item.end) == (100, 700)
    assert item.down == ("probes", "status") and item.down_us == (600, 100)
    assert item.up == ("status", "tickets")


def test_tolerance_is_exclusive_and_agreement_is_no_discrepancy():
    a = SourceView(key="a", down=[(0, 300)], coverage=[(0, 1000)])
    b = SourceView(key="b", down=[], coverage=[(0, 1000)])
    assert disagreements([a, b], period=(0, 1000), tolerance_us=300) == []
    assert len(disagreements([a, b], period=(0, 1000), tolerance_us=299)) == 1
    same = SourceView(key="c", down=[(0, 300)], coverage=[(0, 1000)])
    assert disagreements([a, same], period=(0, 1000), tolerance_us=0) == []
    with pytest.raises(ValueError):
        disagreements([a, b], period=(0, 1000), tolerance_us=-1)


def test_a_split_counts_the_first_half_rounded_down():
    assert first_half(10, 21) == (10, 15)
    assert first_half(10, 20) == (10, 15)
