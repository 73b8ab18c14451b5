"""Incident list and escalation watcher on 1,000 contracts / 200,000 incidents.

Targets (issue: incidents): breached list p95 under 150 ms on SQLite; one
watcher pass under 2 s. Each list is interleaved with its bare baseline: one
plain query for the same page of the same rows (``listed_for(user)`` with the
filter, ordered, a page's worth, no rendering), the least any list must do;
medians, spreads and the per-pair ratio are printed.
Run: .venv/bin/python bench/incidents.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_on_bench_db, interleaved, percentile, print_ratio

django_on_bench_db("portfolio", contracts=1000, incidents_per_contract=200)

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from incidents.models import Incident  # noqa: E402
from incidents.services import run_watcher  # noqa: E402

RUNS = 40


def timed_get(client: Client, url: str, baseline) -> tuple[list[float], int, object]:
    client.get(url)  # warm up
    baseline()

    def ours() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    paired = interleaved(ours, baseline, runs=RUNS)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return [t * 1000 for t in paired.ours], len(ctx.captured_queries), paired


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    total = Incident.objects.count()
    breached = Incident.objects.breached().count()
    print(
        f"Data: {total:,} incidents ({breached:,} breached) on {Incident.objects.values('contract').distinct().count():,} contracts"
    )
    # The generated buyer's operations person sees every generated contract: the worst case.
    user = User.objects.filter(username__startswith="scale-", username__endswith="-ops").order_by("pk").first()
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    listed = Incident.objects.listed_for(user)

    def bare(qs, size):
        return lambda: list(qs.order_by("-opened_at", "-pk")[:size])

    medians: dict[str, float] = {}
    for label, url, baseline in [
        ("HTML list", "/incidents/", bare(listed, 25)),
        ("HTML list, breached", "/incidents/?breached=true", bare(listed.breached(), 25)),
        ("API list", "/api/incidents/", bare(listed, 50)),
        ("API list, breached", "/api/incidents/?breached=true", bare(listed.breached(), 50)),
        ("API list, at risk", "/api/incidents/?at_risk=true", bare(listed.at_risk(), 50)),
    ]:
        times, queries, paired = timed_get(client, url, baseline)
        medians[label] = statistics.median(times)
        print(
            f"{label:<22} median {medians[label]:7.1f} ms   p95 {percentile(times, 95):7.1f} ms   "
            f"({queries} queries, {RUNS} runs)  target p95 < 150 ms"
        )
        print_ratio(f"{label}: page vs one bare query for its rows", paired)
    # The breached filter may cost the page at most three times the unfiltered list (issue 19).
    for kind in ("HTML list", "API list"):
        ratio = medians[f"{kind}, breached"] / medians[kind]
        print(f"{kind}: breached vs unfiltered, medians: {ratio:.2f}x  target <= 3x")
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
