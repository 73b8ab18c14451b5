"""Reconciliation between sources on generated data, against a bare baseline
measured in the same run.

A month (October 2026) of one-minute monitoring for ``--components``
components and three sources each (buyer probes, the vendor's status page,
the vendor's tickets), with ~1 % of minutes down per source, a share of
them seen by one source only, and no-data gaps in the probes. Times:

* baseline: the bare union of every source's down-intervals per component
  (``availability.reconcile.merge``), the least any comparison must do;
* reconcile: ``availability.reconcile.disagreements`` per component (the
  engine ``reconcile_period`` runs), with the 300 s default tolerance.

Runs both ``--repeat`` times, interleaved (the order alternates), and prints
each one's median and spread and the ratio reconcile / baseline of each pair.
The engine is pure Python: no database is needed.

Run: .venv/bin/python bench/reconcile.py [--components 100] [--repeat 9] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import interleaved, print_ratio

from availability.reconcile import (
    DEFAULT_TOLERANCE_SECONDS,
    IntPair,
    SourceView,
    disagreements,
    merge,
    subtract,
)

MINUTE = 60_000_000
MONTH_MINUTES = 31 * 24 * 60


def _source(rng: random.Random, shared: list[IntPair], *, own_rate: float, gaps: bool) -> SourceView:
    """A source that sees most shared outages (a little shifted) plus some of its own."""
    down: list[IntPair] = []
    for a, b in shared:
        if rng.random() < 0.85:
            down.append((a + rng.randint(-2, 2) * MINUTE, b + rng.randint(-2, 2) * MINUTE))
    minute = 0
    while minute < MONTH_MINUTES:
        if rng.random() < own_rate:
            length = rng.randint(1, 30)
            down.append((minute * MINUTE, (minute + length) * MINUTE))
            minute += length
        minute += 1
    coverage = [(0, MONTH_MINUTES * MINUTE)]
    if gaps:
        holes = [(m * MINUTE, (m + rng.randint(3, 10)) * MINUTE) for m in range(0, MONTH_MINUTES, 997)]
        coverage = subtract(coverage, holes)
    return SourceView(key=len(shared) + rng.randint(0, 10**9), down=merge(down), coverage=coverage)


def generate(components: int, seed: int) -> list[list[SourceView]]:
    rng = random.Random(seed)
    out = []
    for _ in range(components):
        shared = []
        minute = 0
        while minute < MONTH_MINUTES:
            if rng.random() < 0.0008:
                length = rng.randint(3, 40)
                shared.append((minute * MINUTE, (minute + length) * MINUTE))
                minute += length
            minute += 1
        out.append(
            [
                _source(rng, shared, own_rate=0.0006, gaps=True),  # buyer probes
                _source(rng, shared, own_rate=0.0002, gaps=False),  # vendor status page
                _source(rng, shared, own_rate=0.0003, gaps=False),  # vendor tickets
            ]
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data = generate(args.components, args.seed)
    period = (0, MONTH_MINUTES * MINUTE)
    intervals = sum(len(v.down) + len(v.coverage) for views in data for v in views)
    found = sum(
        len(disagreements(views, period=period, tolerance_us=DEFAULT_TOLERANCE_SECONDS * 1_000_000)) for views in data
    )

    def baseline() -> None:
        for views in data:
            merge(p for v in views for p in v.down)

    def reconcile() -> None:
        for views in data:
            disagreements(views, period=period, tolerance_us=DEFAULT_TOLERANCE_SECONDS * 1_000_000)

    print(f"{args.components} components x 3 sources, {intervals:,} intervals, {found:,} discrepancies")
    print_ratio(
        "reconcile (disagreements) vs baseline (union of down-intervals)",
        interleaved(reconcile, baseline, runs=args.repeat),
    )


if __name__ == "__main__":
    main()
