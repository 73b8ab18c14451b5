"""The scale generator against the bare cost of writing the same rows.

Target (issue: scale): 2,000,000 incidents with 5,000 contracts, a year of
outages, closed reports and ledgers on PostgreSQL in under 10 minutes. This
script generates a portfolio into a fresh database (a temporary SQLite file, or
with ``BENCH_PG_URL`` a scratch database created on that PostgreSQL server and
dropped after), then writes the same incident rows once more with nothing
computed (``INSERT INTO copy SELECT * FROM incidents``: the least the database
can do for them) and prints both and their ratio; the verdict at the full size.

    .venv/bin/python bench/generate.py                     # SQLite, 100,000 incidents x BENCH_SCALE
    BENCH_PG_URL=postgres://covenant:covenant@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/generate.py --incidents 2000000 --contracts 5000
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, scaled

TARGET_SECONDS = 600
FULL = 2_000_000


def _run(manage: list[str], env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*manage, *args], check=True, env=env, cwd=ROOT, capture_output=True, text=True)
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=scaled(100_000, least=2_000))
    parser.add_argument("--contracts", type=int)
    args = parser.parse_args()
    contracts = args.contracts or max(2, args.incidents // 400)  # the 2M size's 400 incidents per contract

    pg = os.environ.get("BENCH_PG_URL")
    scratch = f"bench_generate_{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp:
        if pg:
            url = re.sub(r"/[^/]*$", f"/{scratch}", pg)
            subprocess.run(["psql", pg, "-qc", f"CREATE DATABASE {scratch}"], check=True)
        else:
            url = f"sqlite:///{tmp}/generate.sqlite3"
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1")}
        manage = [sys.executable, str(ROOT / "manage.py")]
        try:
            _run(manage, env, "migrate", "-v0")
            started = time.perf_counter()
            out = _run(manage, env, "generate_scale", "--contracts", str(contracts), "--incidents", str(args.incidents))
            ours = time.perf_counter() - started
            bare = float(
                _run(
                    manage,
                    env,
                    "shell",
                    "-c",
                    "import time\n"
                    "from django.db import connection, transaction\n"
                    "with transaction.atomic(), connection.cursor() as c:\n"
                    "    c.execute('CREATE TABLE bench_copy AS SELECT * FROM incidents_incident WHERE 1 = 0')\n"
                    "    t = time.perf_counter()\n"
                    "    c.execute('INSERT INTO bench_copy SELECT * FROM incidents_incident')\n"
                    "    print(time.perf_counter() - t)\n",
                )
                .strip()
                .splitlines()[-1]
            )
        finally:
            if pg:
                subprocess.run(["psql", pg, "-qc", f"DROP DATABASE IF EXISTS {scratch}"], check=False)
    backend = "PostgreSQL" if pg else "SQLite"
    print(out.strip().splitlines()[-1])
    print(
        f"Generator on {backend}: {args.incidents:,} incidents, {contracts:,} contracts in {ours:.1f} s "
        f"({args.incidents / ours:,.0f} incidents/s; process start included, migrate excluded)"
    )
    print(f"  bare write of the same incident rows: {bare:.2f} s; generator / bare: {ours / bare:.1f}x")
    if pg and args.incidents >= FULL:
        print(f"  target < {TARGET_SECONDS} s for {FULL:,}: {'met' if ours < TARGET_SECONDS else 'MISSED'}")
    else:
        print(
            f"  target < {TARGET_SECONDS} s is for {FULL:,} incidents on PostgreSQL: "
            "BENCH_PG_URL=... bench/generate.py --incidents 2000000 --contracts 5000"
        )


if __name__ == "__main__":
    main()
