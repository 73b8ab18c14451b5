"""Probe ingestion through the real HTTP endpoint, and the availability
computation for a month of one-minute probes.

1. Posts 1,000,000 probe results (100 components x 10,000 minutes, ~1 % down,
   with a few gaps) in batches of 5,000 to POST /api/monitoring/probes/ with a
   monitoring source token. Default: a gunicorn server (one sync worker, one
   process) on a bench SQLite database under var/, posted to over a real
   socket; ``--client django`` uses Django's test Client in-process instead.
   Target: at least 5,000 results per second. Baseline, interleaved batch
   group by batch group: the same bodies posted the same way to a bare WSGI app
   that only parses the JSON (``_setup.bare_wsgi``; in-process with
   ``--client django``: ``json.loads`` alone).
2. Times availability.engine.compute_availability for October 2026 of
   one-minute probes for 100 components (outages and no-data spans derived
   from 4.46 million simulated probes by the ingestion rules). Target: < 1 s.
   Baseline, interleaved: sorting the same spans, which any interval
   computation starts with.

3. Per-format throughput of the webhook formats (one delivery per request,
   Django's test Client in one process): Statuspage snapshots, PagerDuty v3
   events, Opsgenie alerts and the ticketing webhooks (Jira, Zendesk and
   ServiceNow: each ticket opened, then resolved, as an incident), each
   each interleaved, slice by slice, with Alertmanager deliveries measured the
   same way (``--formats N`` deliveries each; 0 skips).

Run: .venv/bin/python bench/ingest.py [--total 1000000] [--batch 5000] [--client http|django] [--formats 400]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, Paired, chunks, django_on_bench_db, interleaved, print_ratio

django_on_bench_db("ingest", contracts=0, incidents_per_contract=0)

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from availability.engine import AvailabilityResult, Span, compute_availability  # noqa: E402
from availability.models import MonitoringSource, Outage  # noqa: E402
from availability.services import monitoring  # noqa: E402
from contracts.models import Contract  # noqa: E402

COMPONENTS = [f"probe-{i:03d}" for i in range(100)]
START = datetime(2026, 10, 1, tzinfo=UTC)
PATH = "/api/monitoring/probes/"
SLICES = 5  # each measurement is cut into this many slices, interleaved with its baseline


# -- data --------------------------------------------------------------------------------


def fresh_source() -> tuple[MonitoringSource, str]:
    """A new probe source on a demo contract (earlier bench sources and what they derived are removed)."""
    old = MonitoringSource.objects.filter(name__startswith="bench ")
    Outage.objects.filter(monitoring_source__in=old).delete()
    old.delete()
    contract = Contract.objects.active().order_by("pk").first()
    assert contract is not None, "the bench database has no active contract"
    staff = User.objects.filter(is_staff=True).first() or User.objects.create_user("bench-staff", is_staff=True)
    return monitoring.create_source(
        actor=staff, contract=contract, name="bench probes", kind="probe", interval_seconds=60
    )


def probe_bodies(total: int, batch: int, seed: int = 1) -> list[bytes]:
    """JSON batches in time order, every component once a minute."""
    rng = random.Random(seed)
    down = dict.fromkeys(COMPONENTS, False)
    gap = dict.fromkeys(COMPONENTS, 0)
    rows: list[dict] = []
    minute = 0
    while len(rows) < total:
        stamp = (START + timedelta(minutes=minute)).isoformat().replace("+00:00", "Z")
        for c in COMPONENTS:
            if gap[c]:
                gap[c] -= 1
                continue
            if rng.random() < 0.0005:
                gap[c] = rng.randint(3, 10)  # the monitor misses a few minutes: no data
            down[c] = rng.random() > 0.2 if down[c] else rng.random() < 0.002  # ~1 % of minutes down
            rows.append({"timestamp": stamp, "component": c, "up": not down[c], "response_ms": rng.randint(40, 400)})
        minute += 1
    rows = rows[:total]
    return [json.dumps(rows[i : i + batch]).encode() for i in range(0, len(rows), batch)]


# -- webhook formats ---------------------------------------------------------------------------

FORMAT_FIXTURES = ROOT / "availability" / "tests" / "fixtures"


def _fixture(name: str) -> dict:
    return json.loads((FORMAT_FIXTURES / name).read_text())


def format_bodies(kind: str, n: int) -> list[bytes]:
    """``n`` distinct deliveries of one format: opens and closes in turn."""
    out: list[dict] = []
    for i in range(n):
        at = START + timedelta(minutes=i)
        stamp = at.isoformat().replace("+00:00", "Z")
        if kind == "alertmanager":
            status = "firing" if i % 2 == 0 else "resolved"
            out.append(
                {
                    "version": "4",
                    "status": status,
                    "receiver": "bench",
                    "groupKey": f"bench-{i}",
                    "truncatedAlerts": 0,
                    "alerts": [
                        {
                            "status": status,
                            "labels": {"alertname": "Bench", "component": COMPONENTS[(i // 2) % 100]},
                            "annotations": {"summary": "bench"},
                            "startsAt": (START + timedelta(minutes=i - i % 2)).isoformat(),
                            "endsAt": stamp if status == "resolved" else "0001-01-01T00:00:00Z",
                            "fingerprint": f"fp{i // 2:08d}",
                        }
                    ],
                }
            )
        elif kind == "statuspage":
            body = _fixture("statuspage_summary.json")
            body["page"]["updated_at"] = stamp
            body["components"][1].update(status="major_outage" if i % 2 == 0 else "operational", updated_at=stamp)
            out.append(body)
        elif kind == "pagerduty":
            body = _fixture("pagerduty_triggered.json" if i % 2 == 0 else "pagerduty_resolved.json")
            body["event"].update(id=f"bench-event-{i}", occurred_at=stamp)
            body["event"]["data"].update(
                id=f"PB{i // 2:06d}", created_at=(START + timedelta(minutes=i - i % 2)).isoformat()
            )
            out.append(body)
        elif kind in ("jira", "zendesk", "servicenow"):
            out.append(ticket_body(kind, i))
        else:
            body = _fixture("opsgenie_create.json" if i % 2 == 0 else "opsgenie_close.json")
            created = int((START + timedelta(minutes=i - i % 2)).timestamp() * 1000)
            body["alert"].update(
                alertId=f"bench-alert-{i // 2}", createdAt=created, updatedAt=int(at.timestamp() * 1e9)
            )
            out.append(body)
    return [json.dumps(b).encode() for b in out]


def ticket_body(kind: str, i: int) -> dict:
    """Ticket ``i // 2``: opened (even ``i``), then resolved a minute later (odd ``i``)."""
    at = START + timedelta(minutes=i)
    opened = START + timedelta(minutes=i - i % 2)
    n = i // 2
    if kind == "jira":
        body = _fixture("jira_issue_created.json" if i % 2 == 0 else "jira_issue_updated.json")
        fields = body["issue"]["fields"]
        body["issue"].update(id=f"9{n:06d}", key=f"BEN-{n}")
        fields.update(created=opened.isoformat(), updated=at.isoformat(), labels=[])
        if i % 2:
            fields.update(status={"name": "Resolved", "statusCategory": {"key": "done"}}, resolutiondate=at.isoformat())
        return body
    if kind == "zendesk":
        body = _fixture("zendesk_ticket.json")
        body["ticket"].update(
            id=100_000 + n,
            status="solved" if i % 2 else "new",
            created_at=opened.isoformat(),
            updated_at=at.isoformat(),
        )
        return body
    body = _fixture("servicenow_incident.json")
    body["result"].update(
        sys_id=f"{n:032x}",
        number=f"INC{n:07d}",
        state="6" if i % 2 else "1",
        opened_at=f"{opened:%Y-%m-%d %H:%M:%S}",
        sys_updated_on=f"{at:%Y-%m-%d %H:%M:%S}",
    )
    return body


def bench_formats(n: int) -> None:
    """Deliveries per second per format over Django's test Client (one process)."""
    from availability.services import sources

    old = MonitoringSource.objects.filter(name__startswith="bench ")
    Outage.objects.filter(monitoring_source__in=old).delete()
    old.delete()
    contract = Contract.objects.active().order_by("pk").first()
    assert contract is not None, "the bench database has no active contract"
    staff = User.objects.filter(is_staff=True).first() or User.objects.create_user("bench-staff", is_staff=True)
    client = Client()
    kinds: dict[str, tuple[str, list[bytes]]] = {}
    # Ticketing kinds open and resolve incidents through the incident services (the heaviest path).
    for kind in ("alertmanager", "statuspage", "pagerduty", "opsgenie", "jira", "zendesk", "servicenow"):
        _, token = sources.register_source(
            actor=staff,
            contract=contract,
            name=f"bench {kind}",
            kind=kind,
            component_map={"9397cnvk62zn": COMPONENTS[0], "PF9KMXH": COMPONENTS[1], "tag1": COMPONENTS[2]},
        )
        if kind != "alertmanager":
            kinds[kind] = (token, format_bodies(kind, n))
        else:
            baseline = (token, format_bodies(kind, n * 6))
    print(f"Webhook formats, {n:,} deliveries each via Django's test Client (one process), in {SLICES} slices")
    print("interleaved with as many Alertmanager deliveries (the baseline):")
    spare = chunks(baseline[1], 6 * SLICES)
    for kind, (token, bodies) in kinds.items():
        ours, base = [], []
        for i, part in enumerate(chunks(bodies, SLICES)):
            runs = [(kind, token, part, ours), ("alertmanager", baseline[0], spare.pop(0), base)]
            for name, key, group, out in runs if i % 2 == 0 else reversed(runs):
                started = time.perf_counter()
                deliver(client, name, key, group)
                out.append((time.perf_counter() - started) / len(group))
        print_ratio(f"  {kind}: time per delivery", Paired(ours, base))


def deliver(client: Client, kind: str, token: str, bodies: list[bytes]) -> None:
    path = f"/api/monitoring/{kind}/"
    for body in bodies:
        response = client.post(path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
        if response.status_code not in (200, 201):
            raise SystemExit(f"{kind}: {response.status_code} {response.content[:300]!r}")


# -- posting -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(app: str = "config.wsgi:application") -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--pythonpath",
            str(ROOT / "bench"),
            app,
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def post_http(bodies: list[bytes], token: str, port: int, path: str = PATH) -> list[dict]:
    results = []
    for body in bodies:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", path, body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        if response.status != 201:
            raise SystemExit(f"HTTP {response.status}: {data[:300]!r}")
        results.append(json.loads(data))
    return results


def post_django(bodies: list[bytes], token: str) -> list[dict]:
    client, results = Client(), []
    for body in bodies:
        response = client.post(PATH, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
        if response.status_code != 201:
            raise SystemExit(f"HTTP {response.status_code}: {response.content[:300]!r}")
        results.append(response.json())
    return results


# -- availability ----------------------------------------------------------------------------


def month_of_probes(seed: int = 7) -> tuple[list[Span], list[Span], list[Span]]:
    """Outages and no-data spans from a simulated month of one-minute probes
    (same rules as ingestion), plus four announced maintenance windows."""
    rng = random.Random(seed)
    end = datetime(2026, 11, 1, tzinfo=UTC)
    minutes = int((end - START) / timedelta(minutes=1))
    stamps = [START + timedelta(minutes=i) for i in range(minutes + 1)]
    outages: list[Span] = []
    gaps: list[Span] = []
    for c in COMPONENTS:
        down_since = None
        last = None
        i = 0
        while i < minutes:
            if rng.random() < 0.0005:  # a gap in the data
                skip = rng.randint(3, 30)
                if last is not None:
                    gaps.append(Span(stamps[last + 1], stamps[min(i + skip, minutes)], c, "nodata"))
                    if down_since is not None:
                        outages.append(Span(stamps[down_since], stamps[last + 1], c, "outage"))
                        down_since = None
                i += skip
                continue
            up = rng.random() < 0.25 if down_since is not None else rng.random() >= 0.004
            if not up and down_since is None:
                down_since = i
            elif up and down_since is not None:
                outages.append(Span(stamps[down_since], stamps[i], c, "outage"))
                down_since = None
            last = i
            i += 1
        if down_since is not None:
            outages.append(Span(stamps[down_since], end, c, "outage"))
    excused = [
        Span(START + timedelta(days=d, hours=2), START + timedelta(days=d, hours=3), "*", f"m{d}")
        for d in (3, 10, 17, 24)
    ]
    return outages, excused, gaps


def bench_availability(runs: int) -> None:
    started = time.perf_counter()
    outages, excused, gaps = month_of_probes()
    print(
        f"\nOctober 2026, one-minute probes x {len(COMPONENTS)} components = {44640 * len(COMPONENTS):,} probes "
        f"-> {len(outages):,} outages (a stress case: ~{len(outages) // len(COMPONENTS)} per component), "
        f"{len(gaps):,} no-data spans, {len(excused)} maintenance windows (simulated in {time.perf_counter() - started:.1f} s)"
    )
    spans = outages + excused + gaps
    for rule in ("any", "all"):

        def ours(rule: str = rule) -> AvailabilityResult:
            return compute_availability(
                period_start=START,
                period_end=datetime(2026, 11, 1, tzinfo=UTC),
                components=COMPONENTS,
                outages=outages,
                excused=excused,
                no_data=gaps,
                service_rule=rule,
            )

        paired = interleaved(ours, lambda: sorted(spans, key=lambda s: (s.component, s.start, s.end)), runs=runs)
        result = ours()
        print_ratio(f"compute_availability ({rule} rule) vs sorting its spans alone", paired)
        print(
            f"  service {result.service.availability} %, {len(result.counted):,} counted pieces; "
            f"median {statistics.median(paired.ours):.3f} s  target < 1 s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--client", choices=["http", "django"], default="http")
    parser.add_argument("--runs", type=int, default=5, help="compute_availability repetitions")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--formats", type=int, default=400, help="deliveries per webhook format (0: skip)")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    if not args.skip_ingest:
        source, token = fresh_source()
        print(
            f"Preparing {args.total:,} probe results for {len(COMPONENTS)} components in batches of {args.batch:,} ..."
        )
        bodies = probe_bodies(args.total, args.batch)
        size = sum(len(b) for b in bodies)
        print(f"{len(bodies)} bodies, {size / 1e6:.0f} MB of JSON; posting to {PATH} via {args.client} ...", flush=True)
        servers: list[subprocess.Popen] = []
        results: list[dict] = []
        ours: list[float] = []
        base: list[float] = []
        elapsed = 0.0
        try:
            if args.client == "http":
                server, port = start_gunicorn()
                bare, bare_port = start_gunicorn("_setup:bare_wsgi")
                servers += [server, bare]
                runs = [
                    (lambda part: results.extend(post_http(part, token, port)), ours),
                    (lambda part: post_http(part, token, bare_port, path="/"), base),
                ]
            else:
                runs = [
                    (lambda part: results.extend(post_django(part, token)), ours),
                    (lambda part: [json.loads(b) for b in part], base),
                ]
            for i, part in enumerate(chunks(bodies, SLICES)):
                count = sum(body.count(b'"timestamp"') for body in part)
                for run, out in runs if i % 2 == 0 else reversed(runs):
                    started = time.perf_counter()
                    run(part)
                    seconds = time.perf_counter() - started
                    out.append(seconds / count)
                    elapsed += seconds if out is ours else 0.0
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
        items = sum(r["items"] for r in results)
        opened = sum(r["outages_opened"] for r in results)
        gaps = sum(r["no_data_spans"] for r in results)
        print(
            f"Ingested {items:,} probe results in {elapsed:.1f} s: {items / elapsed:,.0f} results/s "
            f"({elapsed / len(bodies) * 1000:.0f} ms per batch of {args.batch:,})  target >= 5,000/s"
        )
        print(f"Derived {opened:,} outages and {gaps:,} no-data spans; {len(results)} raw payloads kept.")
        baseline = "a bare WSGI app parsing the JSON" if args.client == "http" else "json.loads alone"
        print_ratio(
            f"Time per probe result, {SLICES} slices interleaved with {baseline}",
            Paired(ours, base),
            unit=1e6,
            unit_name="us",
        )
    if args.formats:
        bench_formats(args.formats)
    bench_availability(args.runs)


if __name__ == "__main__":
    main()
