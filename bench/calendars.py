"""Benchmark the business-time engine against the `businesstimedelta` package.

Run from the repo root:
    python bench/calendars.py [--n N] [--ref-elapsed-n M] [--ref-add-n K] [--seed S]

Calendar: Mon-Fri 08:00-18:00 Europe/Berlin, German national holidays.
Queries: random whole-second instants across 2025-2027 (whole seconds because
businesstimedelta drops microseconds from its results).

businesstimedelta walks period by period (about 45 ms for one elapsed query
spanning a year or two), so it only runs on random subsamples; pass
--ref-elapsed-n 10000 for a 10k elapsed check (about 8 minutes).
"""

from __future__ import annotations

import argparse
import random
import sys
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import businesstimedelta
import holidays
import pytz

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

    t0 = clock.perf_counter()
    ref_elapsed = [rules.difference(*pairs[i]).timedelta for i in idx_e]
    t_ref_elapsed = clock.perf_counter() - t0

    t0 = clock.perf_counter()
    ref_due = [dues[i][0] + businesstimedelta.BusinessTimeDelta(rules, timedelta=dues[i][1]) for i in idx_a]
    t_ref_add = clock.perf_counter() - t0

    agree_elapsed = sum(elapsed[i] == r for i, r in zip(idx_e, ref_elapsed, strict=True))
    agree_add = sum(due[i] == r for i, r in zip(idx_a, ref_due, strict=True))
    print(
        "\nreference: businesstimedelta (pytz) on random subsamples "
        f"({me:,} elapsed, {ma:,} add queries; it is too slow for all {n:,})"
    )
    print(
        f"businesstimedelta elapsed x{me:,}: {t_ref_elapsed:8.3f} s  ({t_ref_elapsed / me * 1e6:9.1f} us/query; "
        f"covenant is {t_ref_elapsed / me / (t_elapsed / n):,.0f}x faster per query)"
    )
    print(
        f"businesstimedelta add     x{ma:,}: {t_ref_add:8.3f} s  ({t_ref_add / ma * 1e6:9.1f} us/query; "
        f"covenant is {t_ref_add / ma / (t_add / n):,.0f}x faster per query)"
    )
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
