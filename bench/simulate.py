"""Negotiation simulator on contracts with 5,000 incidents each.

Targets (issue 8): replaying 12 periods of a contract with 5,000 incidents
under 10 candidate term sets in under 2 s; a 50-point sensitivity sweep in
under 5 s. The history is read once per run (the query count is printed and
does not grow with the candidates). Baseline: the same replay with one
candidate, interleaved with each measurement (medians, spreads and the
per-pair ratio printed): what the extra candidates and points cost.
BENCH_SCALE changes the number of contracts, not the 5,000 incidents each.
Run: .venv/bin/python bench/simulate.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import Paired, django_on_bench_db, print_ratio

django_on_bench_db("simulate", contracts=10, incidents_per_contract=5000)

from decimal import Decimal  # noqa: E402

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from availability.models import Outage  # noqa: E402
from contracts.models import Contract  # noqa: E402
from incidents.models import Incident  # noqa: E402
from simulator.engine import default_window, simulate  # noqa: E402
from simulator.portfolio import portfolio  # noqa: E402
from simulator.sensitivity import sweep, sweep_values  # noqa: E402
from simulator.terms import resolve_candidate  # noqa: E402

RUNS = 5


def candidates(contract: Contract, now):
    specs = [
        {"label": f"Critical ack {m} min", "changes": {"targets": [_row(contract, acknowledge_minutes=m)]}}
        for m in (5, 10, 20, 30)
    ]
    specs += [
        {"label": f"Uptime {t}", "changes": {"uptime_target": t, "tiers_follow_target": True}}
        for t in ("99.5", "99.9", "99.99")
    ]
    specs += [
        {"label": "Cap 15 %", "changes": {"credit_cap_percent": "15"}},
        {"label": "Business hours", "changes": {"clock": "coverage", "coverage_hours": "Mon-Fri 08:00-18:00"}},
        {"label": "No third-party exclusion", "changes": {"exclusions": {"third_party": False}}},
    ]  # fmt: skip
    return [resolve_candidate(contract, s, now=now) for s in specs]


def _row(contract: Contract, **minutes: int) -> dict:
    terms = contract.sla_versions.filter(status="active").first().terms
    row = next(r for r in terms["targets"] if (r["severity"], r["environment"]) == ("critical", "production"))
    restore = max(row["restore_minutes"], minutes.get("acknowledge_minutes", 0))
    return {"severity": "critical", "environment": "production", "restore_minutes": restore, **minutes}


def timed(fn, baseline=None):
    """Median seconds of ``fn`` over RUNS, its query count and result; with a
    baseline, the two are interleaved (the order alternating) and the pairs
    are returned too."""
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    times: list[float] = []
    base: list[float] = []
    result = None
    for i in range(RUNS):
        if baseline is not None and i % 2:
            started = time.perf_counter()
            baseline()
            base.append(time.perf_counter() - started)
        queries = 0
        started = time.perf_counter()
        with connection.execute_wrapper(count):
            result = fn()
        times.append(time.perf_counter() - started)
        if baseline is not None and not i % 2:
            started = time.perf_counter()
            baseline()
            base.append(time.perf_counter() - started)
    paired = Paired(times, base) if baseline is not None else None
    return statistics.median(times), queries, result, paired


def main() -> None:
    now = timezone.now()
    contracts = list(
        Contract.objects.filter(reference__startswith="SCALE-").select_related("buyer", "vendor").order_by("pk")
    )
    for contract in contracts[:2]:  # one Enterprise 24x7 and one business-hours (Berlin) contract
        preset = contract.sla_versions.get(number=1).preset
        n = Incident.objects.filter(contract=contract).count()
        print(
            f"\n{contract.reference} ({preset}): {n:,} incidents, {Outage.objects.filter(contract=contract).count()} outages"
        )
        window = default_window(contract, now=now, count=12)
        cands = candidates(contract, now)
        one_candidate = lambda c=contract, w=window, k=cands: simulate(c, k[:1], w, now=now)  # noqa: E731
        elapsed, queries, result, paired = timed(
            lambda c=contract, w=window, k=cands: simulate(c, k, w, now=now), one_candidate
        )
        base = result.baseline
        print(
            f"  simulate 12 periods x (in force + {len(cands)} candidates): {elapsed:5.2f} s, {queries} queries  "
            f"target < 2 s   (in force: {base.breaches:,} breaches, {base.credits_total:,} {contract.currency} credits)"
        )
        print_ratio(f"  simulate, {len(cands)} candidates vs 1 candidate", paired)
        started = time.perf_counter()
        result.as_json()
        print(f"  results as JSON:                                {time.perf_counter() - started:5.2f} s")
        base_terms = cands[0]
        values = sweep_values(Decimal(1), Decimal(120), 50, integer=True)
        elapsed, queries, s, paired = timed(
            lambda c=contract, w=window, b=base_terms, v=values: sweep(
                c, b, "target:critical:production:acknowledge", v, w, now=now
            ),
            one_candidate,
        )
        print(
            f"  sweep critical/production acknowledge, {len(values)} points: {elapsed:5.2f} s, {queries} queries  "
            f"target < 5 s   (critical ack missed: {s.points[0].measure} at 1 min .. {s.points[-1].measure} at 120 min)"
        )
        print_ratio(f"  sweep acknowledge, {len(values)} points vs 1-candidate replay", paired)
        values = sweep_values(Decimal("99.0"), Decimal("99.999"), 50, integer=False)
        elapsed, queries, s, paired = timed(
            lambda c=contract, w=window, b=base_terms, v=values: sweep(c, b, "uptime_target", v, w, now=now),
            one_candidate,
        )
        print(
            f"  sweep uptime target, {len(values)} points:              {elapsed:5.2f} s, {queries} queries  target < 5 s"
        )
        print_ratio(f"  sweep uptime, {len(values)} points vs 1-candidate replay", paired)
    vendor = contracts[0].vendor
    mine = [c for c in contracts if c.vendor_id == vendor.pk]
    spec = {"label": "Critical ack 10 min", "changes": {"targets": [_row(mine[0], acknowledge_minutes=10)]}}
    elapsed, queries, data, _ = timed(lambda: portfolio(mine, spec, now=now))
    print(
        f"\nPortfolio: {len(mine)} contracts of {vendor.name} ({sum(1 for r in data['rows'] if not r['error'])} replayed): "
        f"{elapsed:5.2f} s, {queries} queries"
    )


if __name__ == "__main__":
    main()
