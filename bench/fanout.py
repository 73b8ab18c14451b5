"""Period-close fan-out on real Celery workers: one worker process against two.

Generates N contracts (``generate_scale``; 250 at full size, BENCH_SCALE
shrinks it) with a year of history, then closes one month per run: the
PeriodClose rows are written and one ``reports.tasks.close_contract_period``
task per contract is enqueued through the outbox, exactly as beat's
``close_due_periods`` does. Real ``celery worker`` processes (prefork,
``--concurrency=1``, consuming the ``reports`` queue as a PDF worker does in
production) run them: one process, then two, interleaved (1,2 then 2,1 ...),
each run on a month not closed before. The wall time runs from the enqueue to
the last close delivered; afterwards every contract must have exactly one
current report for the month, with its PDF, and the workers' logs exactly one
delivering run per close. Prints both medians with their spreads and the
throughput ratio of each pair (target: two processes >= 1.7x one), plus the
time each task spent on the snapshot and on the PDF.

Broker and database: PostgreSQL and Redis when DATABASE_URL and
CELERY_BROKER_URL point there (use a scratch database: the script migrates it
and generates data once); otherwise a SQLite file under var/ and the filesystem
broker in a folder of its own. SQLite admits one writer at a time and the
filesystem transport polls its folder, so that figure says little about
production.

Run: .venv/bin/python bench/fanout.py [--contracts 250] [--pairs 2]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, percentile, scaled, spread

BROKER_DIR = ROOT / "var" / "bench-fanout-broker"
QUEUE = "reports"
STAGE = re.compile(r"fanout-stage (snapshot|pdf) ([0-9.]+)")
RUN = re.compile(r"Task reports\.tasks\.close_contract_period\[[0-9a-f-]+\] succeeded in ([0-9.e-]+)s: '(\w+)'")


def _own_broker_folder() -> None:
    """The filesystem broker in a folder of its own, so a `make run` worker never takes these tasks."""
    from config.celery import app

    if not str(app.conf.broker_url).startswith("filesystem://"):
        return
    BROKER_DIR.mkdir(parents=True, exist_ok=True)
    options = dict(app.conf.broker_transport_options or {})
    options.update(data_folder_in=str(BROKER_DIR), data_folder_out=str(BROKER_DIR))
    app.conf.broker_transport_options = options


def worker_main(name: str) -> None:
    """A worker process of the bench: the real worker, with the two stages of each close timed in its log."""
    import logging

    import django

    django.setup()
    from config.celery import app
    from reports import tasks

    _own_broker_folder()
    log = logging.getLogger("bench.fanout")

    def timed(stage: str, fn):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                log.warning("fanout-stage %s %.4f", stage, time.perf_counter() - started)

        return wrapper

    tasks.close_period = timed("snapshot", tasks.close_period)  # type: ignore[assignment]
    tasks.store_pdf = timed("pdf", tasks.store_pdf)  # type: ignore[assignment]
    app.worker_main(
        ["worker", "-Q", QUEUE, "--concurrency=1", "--loglevel=INFO", "-n", f"{name}@%h"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    )


class Pool:
    """``size`` worker processes, each logging to its own file."""

    def __init__(self, size: int, logs: Path) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs = [logs / f"worker-{size}-{i}-{time.time_ns()}.log" for i in range(size)]

    def start(self) -> None:
        for i, log in enumerate(self.logs):
            with log.open("wb") as out:
                self.procs.append(
                    subprocess.Popen(
                        [sys.executable, __file__, "--worker", f"fanout{i}"],
                        cwd=ROOT,
                        env=os.environ.copy(),
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        deadline = time.monotonic() + 120
        while not all(" ready." in log.read_text(errors="replace") for log in self.logs):
            for proc, log in zip(self.procs, self.logs, strict=True):
                if proc.poll() is not None:
                    raise SystemExit(f"a worker exited:\n{log.read_text(errors='replace')[-3000:]}")
            if time.monotonic() > deadline:
                raise SystemExit("the workers did not get ready within 120 s")
            time.sleep(0.2)

    def stop(self) -> str:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        return "".join(log.read_text(errors="replace") for log in self.logs)


def prepare_database(full_size: int) -> str:
    """Point Django at the bench database; return what it is. SQLite: a fresh copy of a generated file
    each run. Elsewhere (DATABASE_URL): migrated, and generated once; each run closes months not closed yet."""
    contracts = scaled(full_size, least=2)
    manage = [sys.executable, str(ROOT / "manage.py")]
    generate = ["generate_scale", "--contracts", str(contracts), "--incidents", str(contracts * 40)]
    generate += ["--close-contracts", "0"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if "DATABASE_URL" not in os.environ:
        pristine = ROOT / "var" / f"bench-fanout-{contracts}.sqlite3"
        work = ROOT / "var" / "bench-fanout-run.sqlite3"
        if not pristine.exists():
            print(f"Creating benchmark data in {pristine.relative_to(ROOT)} ...", flush=True)
            env = {**os.environ, "DATABASE_URL": f"sqlite:///{pristine}"}
            subprocess.run([*manage, "migrate", "-v0"], check=True, cwd=ROOT, env=env)
            subprocess.run([*manage, *generate], check=True, cwd=ROOT, env=env)
        for leftover in ROOT.glob("var/bench-fanout-run.sqlite3*"):
            leftover.unlink()
        shutil.copyfile(pristine, work)
        os.environ["DATABASE_URL"] = f"sqlite:///{work}"
    else:
        subprocess.run([*manage, "migrate", "-v0"], check=True, cwd=ROOT)
    # The close signs its PDFs; a machine without the development key would retry every task forever.
    subprocess.run([*manage, "make_signing_key"], check=True, cwd=ROOT, capture_output=True)
    import django

    django.setup()
    from django.db import connection

    from contracts.models import Contract

    if not Contract.objects.filter(reference__startswith="SCALE-").exists():
        print(f"Generating {contracts} contracts in the database DATABASE_URL names ...", flush=True)
        subprocess.run([*manage, *generate], check=True, cwd=ROOT)
    return f"{connection.vendor} {Path(connection.settings_dict['NAME']).name}"


def open_months(contract_ids: list[int], wanted: int) -> list:  # type: ignore[type-arg]
    """The latest ended months that no contract has closed yet (each run closes a fresh one)."""
    from django.utils import timezone

    from core import periods
    from reports.models import PeriodClose, ServiceReport

    used = set(PeriodClose.objects.filter(contract_id__in=contract_ids).values_list("period", flat=True))
    used |= set(ServiceReport.objects.filter(contract_id__in=contract_ids).values_list("period", flat=True))
    months = list(periods.last_n(periods.last_ended(timezone.now(), kind="month", zone="UTC"), 11))
    free = [p for p in reversed(months) if p.label not in used]
    if len(free) < wanted:
        raise SystemExit(f"only {len(free)} unclosed months left for {wanted} runs: use a fresh scratch database")
    return free[:wanted]


def close_once(size: int, period, contract_ids: list[int], logs: Path) -> tuple[float, list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Enqueue one period's closes, run them on ``size`` workers; wall seconds and per-task stage seconds."""
    from django.db import transaction

    from outbox.services import enqueue
    from reports.models import PeriodClose, ServiceReport

    pool = Pool(size, logs)
    pool.start()
    try:
        started = time.perf_counter()
        with transaction.atomic():
            PeriodClose.objects.bulk_create(
                [
                    PeriodClose(contract_id=c, period=period.label, period_start=period.start, period_end=period.end)
                    for c in contract_ids
                ],
                batch_size=500,
            )
            for pk in PeriodClose.objects.filter(contract_id__in=contract_ids, period=period.label).values_list(
                "pk", flat=True
            ):
                enqueue("reports.tasks.close_contract_period", pk)
        rows = PeriodClose.objects.filter(contract_id__in=contract_ids, period=period.label)
        deadline = time.monotonic() + 60 + 10 * len(contract_ids)
        while rows.filter(state=PeriodClose.State.DELIVERED).count() < len(contract_ids):
            if time.monotonic() > deadline:
                raise SystemExit(f"{period.label}: not every close was delivered in time")
            if any(p.poll() is not None for p in pool.procs):
                raise SystemExit(f"a worker exited during {period.label}")
            time.sleep(0.1)
        wall = time.perf_counter() - started
    finally:
        text = pool.stop()
    runs = RUN.findall(text)
    delivered = sum(1 for _, result in runs if result == "delivered")
    reports = ServiceReport.objects.filter(contract_id__in=contract_ids, period=period.label)
    per_contract = set(reports.values_list("contract_id", flat=True))
    missing = len(contract_ids) - len(per_contract)
    duplicates = reports.count() - len(per_contract)
    unrendered = reports.filter(pdf_sha256="").count()
    print(
        f"  {period.label}: {size} worker(s), {len(contract_ids)} closes in {wall:.1f} s "
        f"({len(contract_ids) / wall:.2f}/s); reports missing {missing}, duplicate {duplicates}, "
        f"without PDF {unrendered}; delivering runs {delivered}, other runs {len(runs) - delivered}",
        flush=True,
    )
    if missing or duplicates or unrendered or delivered != len(contract_ids):
        raise SystemExit("the close lost, repeated or half-finished a report")
    stages: dict[str, list[float]] = {"snapshot": [], "pdf": []}
    for stage, seconds in STAGE.findall(text):
        stages[stage].append(float(seconds))
    return wall, stages["snapshot"], stages["pdf"]


def _render(html: str) -> int:
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # its font notices, once per process

    return len(HTML(string=html).write_pdf())


def _warm(html: str) -> None:
    _render(html)  # every font and cache the report needs, once per process, before the clock starts


def _pause(_: int) -> None:
    time.sleep(0.5)


def bare_renders(size: int, html: str, count: int) -> float:
    """The bare baseline: ``count`` WeasyPrint renders of one report's HTML on ``size`` plain, warmed
    processes (no Celery, no database): how much a second process gives on this machine right now."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    with multiprocessing.get_context("fork").Pool(size, initializer=_warm, initargs=(html,)) as pool:
        pool.map(_pause, range(size), chunksize=1)  # every process started and warmed
        started = time.perf_counter()
        pool.map(_render, [html] * count, chunksize=1)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contracts", type=int, default=250, help="contracts at full size (BENCH_SCALE applies)")
    parser.add_argument("--pairs", type=int, default=2, help="interleaved pairs of runs (1 worker, 2 workers)")
    args = parser.parse_args()
    contracts = scaled(args.contracts, least=2)
    where = prepare_database(args.contracts)
    _own_broker_folder()
    from config.celery import app
    from contracts.models import Contract

    broker = str(app.conf.broker_url).split("://", 1)[0]
    meaningful = broker != "filesystem" and "sqlite" not in where.lower()
    print(f"Database: {where}; broker: {broker}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}")
    if not meaningful:
        print("  (SQLite and the filesystem broker: one writer at a time and a polled folder; not a production figure)")
    ids = list(Contract.objects.filter(reference__startswith="SCALE-").order_by("pk").values_list("pk", flat=True))
    ids = ids[:contracts]
    months = open_months(ids, 2 * args.pairs)
    app.control.purge()
    logs = ROOT / "var" / "bench-fanout-logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    walls: dict[int, list[float]] = {1: [], 2: []}
    bare: dict[int, list[float]] = {1: [], 2: []}
    snapshot: list[float] = []
    pdf: list[float] = []
    renders = max(6, len(ids) // 3)
    html = ""
    for i in range(args.pairs):
        order = (1, 2) if i % 2 == 0 else (2, 1)
        for size in order:
            wall, snap, rendered = close_once(size, months.pop(0), ids, logs)
            walls[size].append(wall)
            snapshot += snap
            pdf += rendered
            if not html:
                from reports.models import ServiceReport
                from reports.services import render_report_html

                html = render_report_html(ServiceReport.objects.filter(contract_id__in=ids).order_by("pk").first())
            bare[size].append(bare_renders(size, html, renders))
            print(f"  baseline: {renders} bare renders on {size} process(es) in {bare[size][-1]:.1f} s", flush=True)
    app.control.purge()  # the report mails the closes enqueued: no worker here consumes that queue
    ratios = [one / two for one, two in zip(walls[1], walls[2], strict=True)]
    print(f"Fan-out of {len(ids)} period closes ({args.pairs} interleaved pairs):")
    print(f"  1 worker  s: {spread(walls[1])}")
    print(f"  2 workers s: {spread(walls[2])}")
    print(f"  throughput 2 workers / 1 worker: {spread(ratios)}  target >= 1.7")
    bare_ratios = [one / two for one, two in zip(bare[1], bare[2], strict=True)]
    kept = [ours / machine for ours, machine in zip(ratios, bare_ratios, strict=True)]
    print(f"  baseline, bare renders 2 processes / 1: {spread(bare_ratios)}")
    print(f"  fan-out ratio / baseline ratio (1.0: the fan-out scales as plain processes do): {spread(kept)}")
    if snapshot and pdf:
        print(
            f"  per task: snapshot median {statistics.median(snapshot) * 1000:.0f} ms "
            f"(p90 {percentile(snapshot, 90) * 1000:.0f}), PDF median {statistics.median(pdf) * 1000:.0f} ms "
            f"(p90 {percentile(pdf, 90) * 1000:.0f})"
        )
    if not meaningful:
        print("  (not a production figure: see above)")
    elif statistics.median(ratios) < 1.7 <= statistics.median(bare_ratios):
        raise SystemExit("two workers gave less than 1.7x the throughput of one, though the machine had room")
    elif statistics.median(ratios) < 1.7:
        print("  below 1.7x, as are plain processes on this machine now (busy): the shortfall is the machine's")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        worker_main(sys.argv[2])
    else:
        main()
