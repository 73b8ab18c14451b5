"""Incident list and escalation watcher on 1,000 contracts / 200,000 incidents.

Targets (issue: incidents): breached list p95 under 150 ms on SQLite; one
watcher pass under 2 s. Run: .venv/bin/python bench/incidents.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_on_bench_db, percentile

django_on_bench_db("incidents", contracts=1000, incidents_per_contract=200)

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from incidents.models import Incident  # noqa: E402
from incidents.services import run_watcher  # noqa: E402

RUNS = 40


def timed_get(client: Client, url: str) -> tuple[list[float], int, int]:
    client.get(url)  # warm up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return times, len(ctx.captured_queries), response.status_code


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    total = Incident.objects.count()
    breached = Incident.objects.breached().count()
    print(
        f"Data: {total:,} incidents ({breached:,} breached) on {Incident.objects.values('contract').distinct().count():,} contracts"
    )
    user = User.objects.get(username="ada")  # a buyer who sees every contract: the worst case
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    for label, url in [
        ("HTML list, breached", "/incidents/?breached=true"),
        ("API list, breached", "/api/incidents/?breached=true"),
        ("API list, at risk", "/api/incidents/?at_risk=true"),
    ]:
        times, queries, _ = timed_get(client, url)
        print(
            f"{label:<22} median {statistics.median(times):7.1f} ms   p95 {percentile(times, 95):7.1f} ms   "
            f"({queries} queries, {RUNS} runs)  target p95 < 150 ms"
        )
    now = timezone.now()
    # A busy minute: 200 running incidents cross an escalation threshold at once
    # (the generated history has no escalation horizon of its own).
    crossing = list(Incident.objects.unfinished().order_by("-opened_at").values_list("pk", flat=True)[:200])
    Incident.objects.filter(pk__in=crossing).update(next_escalation_at=now)
    for label in (f"watcher pass, {len(crossing)} crossing", "watcher pass, nothing due"):
        started = time.perf_counter()
        result = run_watcher(now=now)
        elapsed = time.perf_counter() - started
        print(
            f"{label:<27} {elapsed:6.2f} s   examined {result.examined}, fired {result.fired}, "
            f"breaches {result.breaches}  target < 2 s"
        )


if __name__ == "__main__":
    main()
