"""Shared setup for benchmarks: a separate SQLite database under var/ holding
generated scale data (``generate_scale``), created on first use; and the
interleaved timing every script reports against its bare baseline.

``BENCH_SCALE`` (a factor, default 1) shrinks the generated data: ``make
bench`` runs every script at a size that finishes in minutes.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCALE = float(os.environ.get("BENCH_SCALE", "1"))


def scaled(n: int, *, least: int = 1) -> int:
    return max(least, round(n * SCALE)) if n else 0


def django_on_bench_db(name: str, *, contracts: int, incidents_per_contract: int) -> None:
    """``contracts`` 0: the demo data alone (``seed_demo``); otherwise that
    many generated contracts (``BENCH_SCALE`` applies) with
    ``incidents_per_contract`` incidents each, twelve months of outages and no
    closed reports."""
    contracts = scaled(contracts, least=2)
    suffix = "" if SCALE == 1 or not contracts else f"-{contracts}x{incidents_per_contract}"
    db = ROOT / "var" / f"bench-{name}{suffix}.sqlite3"
    # DATABASE_URL set: measure the data already there (e.g. `generate_scale --size 2m` on PostgreSQL).
    given = "DATABASE_URL" in os.environ
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{db}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    env = {**os.environ}
    manage = [sys.executable, str(ROOT / "manage.py")]
    existed = given or db.exists()
    if not existed:
        print(f"Creating benchmark data in {db.relative_to(ROOT)} ...", flush=True)
    # A file an older checkout made gets the current schema; its data stays.
    subprocess.run([*manage, "migrate", "-v0"], check=True, env=env, cwd=ROOT)
    if not existed:
        if contracts:
            total = str(contracts * incidents_per_contract)
            command = ["generate_scale", "--contracts", str(contracts), "--incidents", total, "--close-contracts", "0"]
        else:
            command = ["seed_demo", "--quiet"]
        subprocess.run([*manage, *command], check=True, env=env, cwd=ROOT)
    import django

    django.setup()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


@dataclass(frozen=True)
class Paired:
    """Seconds of each run of ours and of the baseline, interleaved."""

    ours: list[float]
    base: list[float]

    @property
    def ratios(self) -> list[float]:
        return [o / b for o, b in zip(self.ours, self.base, strict=True) if b > 0]


def interleaved(ours: Callable[[], object], base: Callable[[], object], *, runs: int) -> Paired:
    """Run both ``runs`` times, alternating which goes first, so drift on a
    busy machine (another process, a warm cache) falls on both alike."""
    ours_t: list[float] = []
    base_t: list[float] = []
    for i in range(runs):
        pair = [(ours, ours_t), (base, base_t)]
        for fn, out in pair if i % 2 == 0 else reversed(pair):
            started = time.perf_counter()
            fn()
            out.append(time.perf_counter() - started)
    return Paired(ours_t, base_t)


def spread(values: list[float]) -> str:
    """Median with the interquartile range and the extremes."""
    return (
        f"median {statistics.median(values):.3g} (p25 {percentile(values, 25):.3g}, p75 {percentile(values, 75):.3g}; "
        f"min {min(values):.3g}, max {max(values):.3g})"
    )


def print_ratio(label: str, paired: Paired, *, unit: float = 1000, unit_name: str = "ms") -> float:
    """Print both medians with their spread and the ratio of each run's pair;
    return the median ratio."""
    scale = [t * unit for t in paired.ours], [t * unit for t in paired.base]
    ratios = paired.ratios
    print(f"{label}  ({len(paired.ours)} interleaved runs)")
    print(f"  ours     {unit_name}: {spread(scale[0])}")
    print(f"  baseline {unit_name}: {spread(scale[1])}")
    print(f"  ratio ours/baseline: {spread(ratios)}")
    return statistics.median(ratios)


def bare_wsgi(environ: dict, start_response: Callable) -> list[bytes]:  # type: ignore[type-arg]
    """A baseline web app for HTTP benchmarks (``gunicorn --pythonpath bench _setup:bare_wsgi``):
    reads and parses the JSON body and answers 201, with nothing of Covenant's in between."""
    import json

    size = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(size) or b"null")
    answer = json.dumps({"items": len(body) if isinstance(body, list) else 1}).encode()
    start_response("201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
    return [answer]


def chunks(items: list, parts: int) -> list[list]:  # type: ignore[type-arg]
    """``items`` in ``parts`` consecutive slices of (nearly) equal length, none empty."""
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return out
