"""Shared setup for benchmarks: a separate SQLite database under var/ holding
`seed_demo --scale` data, created on first use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_on_bench_db(name: str, *, contracts: int, incidents_per_contract: int) -> None:
    db = ROOT / "var" / f"bench-{name}.sqlite3"
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{db}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if not db.exists():
        print(f"Creating benchmark data in {db.relative_to(ROOT)} ...", flush=True)
        env = {**os.environ}
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], check=True, env=env, cwd=ROOT)
        subprocess.run(
            [
                *manage,
                "seed_demo",
                "--quiet",
                "--scale",
                str(contracts),
                "--incidents-per-contract",
                str(incidents_per_contract),
            ],
            check=True,
            env=env,
            cwd=ROOT,
        )
    import django

    django.setup()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
