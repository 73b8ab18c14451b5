"""The dashboard and the breached incident lists against a bare DRF list, on a
large portfolio.

Targets (issue: scale): dashboard p95 under 150 ms and at most 2x a bare DRF
list of 50 rows; the breached list at most 2x (API) and 3x (HTML) the bare
list. The bare list is a DRF ``ListAPIView`` over the same incidents the
person sees (``Incident.objects.visible_to``), newest first, 50 rows, with a
plain ``ModelSerializer`` of a few columns and no count, behind the same
middleware and session; it is interleaved with each page, and medians,
spreads and per-pair ratios are printed.

Run on the data a ``generate_scale`` made, e.g. 2,000,000 incidents on PostgreSQL::

    DATABASE_URL=postgres://.../scale2m DJANGO_DEBUG=0 .venv/bin/python bench/dashboard.py

Without DATABASE_URL it builds (once) and uses the SQLite portfolio of bench/incidents.py.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_on_bench_db, interleaved, percentile, print_ratio

django_on_bench_db("portfolio", contracts=1000, incidents_per_contract=200)

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from rest_framework import generics, serializers  # noqa: E402

from accounts.models import User  # noqa: E402
from incidents.models import Incident  # noqa: E402

RUNS = 40
PAGE = 50


class _Row(serializers.ModelSerializer):
    class Meta:
        model = Incident
        fields = ["id", "reference", "title", "severity", "status", "opened_at", "breached"]


class BareList(generics.ListAPIView):
    """The least a list of the person's incidents can do through DRF."""

    serializer_class = _Row
    pagination_class = None

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Incident.objects.visible_to(self.request.user).order_by("-opened_at", "-pk")[:PAGE]


urlpatterns = [path("bench/bare-incidents/", BareList.as_view()), path("", include("config.urls"))]


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    print(f"Data: {Incident.objects.count():,} incidents; DEBUG={settings.DEBUG}; {connection.vendor}")
    user = User.objects.filter(username__startswith="scale-", username__endswith="-ops").order_by("pk").first()
    if user is None:
        raise SystemExit("No generated buyer (scale-*-ops): run generate_scale first.")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    def get(url: str):  # type: ignore[no-untyped-def]
        def run() -> None:
            response = client.get(url, secure=True)  # production settings redirect plain HTTP
            assert response.status_code == 200, (url, response.status_code)

        return run

    bare = get("/bench/bare-incidents/")
    failed = []
    with override_settings(ROOT_URLCONF=__name__):
        for label, url, target_ratio in [
            ("Dashboard", "/", 2.0),
            ("Breached list, API", "/api/incidents/?breached=true", 2.0),
            ("Breached list, HTML", "/incidents/?breached=true", 3.0),
        ]:
            page = get(url)
            page(), bare()  # warm up
            paired = interleaved(page, bare, runs=RUNS)
            with CaptureQueriesContext(connection) as ctx:
                page()
            times = [t * 1000 for t in paired.ours]
            p95 = percentile(times, 95)
            print(
                f"{label:<20} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   "
                f"({len(ctx.captured_queries)} queries)"
            )
            ratio = print_ratio(f"{label}: page vs the bare DRF list of {PAGE} rows", paired)
            verdict = "met" if ratio <= target_ratio else "MISSED"
            print(f"  target: at most {target_ratio}x the bare list: {verdict}")
            if label == "Dashboard":
                print(f"  target: p95 under 150 ms: {'met' if p95 < 150 else 'MISSED'}")
            if ratio > target_ratio:
                failed.append(label)
    if failed:
        print("Missed: " + ", ".join(failed))


if __name__ == "__main__":
    main()
