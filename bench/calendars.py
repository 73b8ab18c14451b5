"""Benchmark the business-time engine against the `businesstimedelta` package.

Run from the repo root:
    python bench/calendars.py [--n N] [--ref-elapsed-n M] [--ref-add-n K] [--seed S]

Calendar: Mon-Fri 08:00-18:00 Europe/Berlin, German national holidays.
Queries: random whole-second instants across 2025-2027 (whole seconds because
businesstimedelta drops microseconds from its results).

businesstimedelta walks period by period (about 45 ms for one elapsed query
spanning a year or two), so it only runs on random subsamples; pass
--ref-elapsed-n 10000 for a 10k elapsed check (about 8 minutes). The
subsample is cut into --rounds chunks; each chunk is timed with both engines,
the order alternating, and the script prints the medians and spreads of the
per-query times and of each chunk's ratio.
"""

from __future__ import annotations

import argparse
import random
import sys
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import businesstimedelta
import holidays
import pytz
from _setup import Paired, print_ratio

from contracts.calendars import BusinessCalendar, CoverageCalendar, Shift

TZ = "Europe/Berlin"
CALENDAR = CoverageCalendar(
    timezone=TZ,
    shifts=tuple(Shift(day, time(8), time(18)) for day in range(5)),
    country="DE",
)
WINDOW_START = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW_SECONDS = int((datetime(2028, 1, 1, tzinfo=UTC) - WINDOW_START).total_seconds())
MAX_DUE_SECONDS = 200 * 3600  # up to 20 business days


def random_instant(rng: random.Random) -> datetime:
    return WINDOW_START + timedelta(seconds=rng.randrange(WINDOW_SECONDS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="queries of each kind")
    parser.add_argument("--ref-elapsed-n", type=int, default=1_000, help="reference elapsed subsample")
    parser.add_argument("--ref-add-n", type=int, default=10_000, help="reference add subsample")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved chunks of each subsample")
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    pairs = [sorted((random_instant(rng), random_instant(rng))) for _ in range(args.n)]
    dues = [(random_instant(rng), timedelta(seconds=rng.randrange(1, MAX_DUE_SECONDS))) for _ in range(args.n)]

    t0 = clock.perf_counter()
    engine = BusinessCalendar(CALENDAR)
    engine.is_open(WINDOW_START)  # build the first years, counted in setup
    setup = clock.perf_counter() - t0

    t0 = clock.perf_counter()
    elapsed = [engine.elapsed(a, b) for a, b in pairs]
    t_elapsed = clock.perf_counter() - t0

    t0 = clock.perf_counter()
    due = [engine.add(a, d) for a, d in dues]
    t_add = clock.perf_counter() - t0

    n = args.n
    print(f"calendar: Mon-Fri 08:00-18:00 {TZ}, DE holidays; instants 2025-2027")
    print(f"setup (validate + first lazy build):   {setup * 1000:8.1f} ms")
    print(f"covenant elapsed x{n:,}:  {t_elapsed:8.3f} s  ({t_elapsed / n * 1e6:6.2f} us/query)")
    print(f"covenant add     x{n:,}:  {t_add:8.3f} s  ({t_add / n * 1e6:6.2f} us/query)")
    total = t_elapsed + t_add
    verdict = "OK" if total < 2.0 else "TOO SLOW"
    print(f"covenant total:              {total:8.3f} s  (budget 2 s: {verdict})")

    # Reference: businesstimedelta walks period by period, so use subsamples.
    tz = pytz.timezone(TZ)
    workday = businesstimedelta.WorkDayRule(start_time=time(8), end_time=time(18), working_days=[0, 1, 2, 3, 4], tz=tz)
    holiday = businesstimedelta.HolidayRule(holidays.DE(), tz=tz)
    rules = businesstimedelta.Rules([workday, holiday])
    me = min(args.ref_elapsed_n, n)
    ma = min(args.ref_add_n, n)
    idx_e = sorted(rng.sample(range(n), me))
    idx_a = sorted(rng.sample(range(n), ma))

    def paired(idx: list[int], ours, ref) -> tuple[Paired, dict[int, object]]:
        """Per-query seconds of each chunk, ours and the reference interleaved."""
        chunks = [idx[k :: args.rounds] for k in range(args.rounds) if idx[k :: args.rounds]]
        mine: list[float] = []
        theirs: list[float] = []
        results: dict[int, object] = {}
        for k, chunk in enumerate(chunks):
            runs = [(ours, mine), (ref, theirs)]
            for fn, out in runs if k % 2 == 0 else reversed(runs):
                t0 = clock.perf_counter()
                values = [fn(i) for i in chunk]
                out.append((clock.perf_counter() - t0) / len(chunk))
                if fn is ref:
                    results.update(zip(chunk, values, strict=True))
        return Paired(mine, theirs), results

    p_elapsed, ref_e = paired(
        idx_e, lambda i: engine.elapsed(*pairs[i]), lambda i: rules.difference(*pairs[i]).timedelta
    )
    p_add, ref_a = paired(
        idx_a,
        lambda i: engine.add(*dues[i]),
        lambda i: dues[i][0] + businesstimedelta.BusinessTimeDelta(rules, timedelta=dues[i][1]),
    )
    ref_elapsed = [ref_e[i] for i in idx_e]
    ref_due = [ref_a[i] for i in idx_a]
    agree_elapsed = sum(elapsed[i] == r for i, r in zip(idx_e, ref_elapsed, strict=True))
    agree_add = sum(due[i] == r for i, r in zip(idx_a, ref_due, strict=True))
    print(
        "\nreference: businesstimedelta (pytz) on random subsamples "
        f"({me:,} elapsed, {ma:,} add queries; it is too slow for all {n:,})"
    )
    r = print_ratio("elapsed, per query: covenant vs businesstimedelta", p_elapsed, unit=1e6, unit_name="us")
    print(f"  covenant is {1 / r:,.0f}x faster per query (median of chunks)")
    r = print_ratio("add, per query: covenant vs businesstimedelta", p_add, unit=1e6, unit_name="us")
    print(f"  covenant is {1 / r:,.0f}x faster per query (median of chunks)")
    print(f"elapsed agreement:  {agree_elapsed:,}/{me:,}")
    print(f"due-time agreement: {agree_add:,}/{ma:,}")
    for label, ours, idx, refs in (("elapsed", elapsed, idx_e, ref_elapsed), ("add", due, idx_a, ref_due)):
        mismatches = [(i, r) for i, r in zip(idx, refs, strict=True) if ours[i] != r]
        for i, r in mismatches[:5]:
            query = pairs[i] if label == "elapsed" else dues[i]
            print(f"  {label} mismatch {query}: covenant {ours[i]} vs reference {r}")
    if agree_elapsed != me or agree_add != ma or total >= 2.0:
        sys.exit(1)


if __name__ == "__main__":
    main()
