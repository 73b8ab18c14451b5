"""Demo and scale data for service reports.

``seed_reports`` gives the two demo contracts six closed months with stories
a governance board would recognise (figures to check by hand against the
terms):

* NW-ACME-2025 (Enterprise 24x7, EUR 42,000.00 a month, target 99.95 %):
  the last month at 98.5 % (tier ">= 98.0 and < 99.0": 10 % = 4,200.00) with
  two critical incidents restored late (2 % = 840.00 each); the month before
  at 94.0 % (tier "< 95.0": 30 % = 12,600.00, plus breaches: capped at 30 %);
  a maintenance overrun, a compliant window and a late change notice.
* NW-GLOBEX-2025 (Business hours, EUR 8,500.00, target 99.5 %, Europe/Berlin):
  three months in a row below target, the last at exactly 99.0 % (tier
  "> 97.0 and <= 99.0": 7 % = 595.00), which raises the termination right.

Random imported history can add downtime of its own (critical production
incidents count on the Enterprise terms); the report lists every input, so
its figures can still be checked by hand.

``scale_outages`` bulk-inserts a year of outages for benchmark contracts.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from availability.models import ChangeNotice, MaintenanceWindow, Outage
from contracts.models import Contract
from core import periods
from incidents import services as incident_services
from incidents.models import Incident
from reports.models import ServiceReport

MONTHS = 6


def _minutes(p: periods.Period) -> Decimal:
    return Decimal((p.end - p.start).total_seconds()) / 60


def _down_for(p: periods.Period, availability: str) -> timedelta:
    minutes = _minutes(p) * (Decimal(100) - Decimal(availability)) / 100
    return timedelta(minutes=float(minutes))


def _outage(contract: Contract, start: datetime, length: timedelta, cause: str) -> Outage:
    return Outage.objects.create(
        contract=contract,
        component=contract.covered_components[-1],
        start=start,
        end=start + length,
        cause=cause,
        source=Outage.Source.MONITORING,
    )


def _acme(contract: Contract, staff: Any, months: list[periods.Period], rng: random.Random) -> None:
    for p in months[:-2]:
        _outage(
            contract,
            p.start + timedelta(days=rng.randint(2, 25), hours=3),
            timedelta(minutes=rng.randint(5, 18)),
            "Probe failures",
        )
    september, october = months[-2], months[-1]
    _outage(
        contract, september.start + timedelta(days=11, hours=2), _down_for(september, "94.0"), "Data centre power loss"
    )
    start = october.start + timedelta(days=9, hours=1)
    _outage(contract, start, _down_for(october, "98.5"), "Payments API degraded after a failed deployment")
    rows = []
    for i, (month, offset) in enumerate([(september, 11), (september, 11), (october, 9), (october, 9)]):
        opened = month.start + timedelta(days=offset, hours=2 + i % 2, minutes=10)
        rows.append(
            (
                i + 1,
                {
                    "title": ["Card payments failing", "Settlement file not produced"][i % 2],
                    "severity": "critical",
                    "environment": "production",
                    "component": contract.covered_components[0],
                    "opened_at": opened.isoformat(),
                    "acknowledged_at": (opened + timedelta(minutes=9)).isoformat(),
                    "resolved_at": (opened + timedelta(minutes=290 + 20 * i)).isoformat(),
                },
            )
        )
    created = incident_services.import_incidents(
        actor=staff, contract=contract, rows=rows, source="Demo: major incidents"
    )
    Incident.objects.filter(pk__in=[c.pk for c in created]).update(satisfaction=2)
    Incident.objects.filter(
        contract=contract, opened_at__gte=october.start, opened_at__lt=october.end, satisfaction__isnull=True
    ).update(satisfaction=4)
    august = months[-4]  # an overrun in an earlier month: below target, but not three in a row
    MaintenanceWindow.objects.create(
        contract=contract,
        title="Core database upgrade",
        components=[contract.covered_components[0]],
        start=august.start + timedelta(days=15, hours=1),
        end=august.start + timedelta(days=15, hours=3),
        actual_end=august.start + timedelta(days=15, hours=3, minutes=45),
        announced_at=august.start + timedelta(days=2),
        status=MaintenanceWindow.Status.COMPLETED,
    )
    MaintenanceWindow.objects.create(
        contract=contract,
        title="TLS certificate rotation",
        components=[contract.covered_components[1]],
        start=october.start + timedelta(days=20, hours=2),
        end=october.start + timedelta(days=20, hours=2, minutes=30),
        announced_at=october.start + timedelta(days=3),
        status=MaintenanceWindow.Status.COMPLETED,
    )
    ChangeNotice.objects.create(
        contract=contract,
        kind=ChangeNotice.Kind.MAJOR_RELEASE,
        title="Payments Cloud 7.0",
        planned_at=october.start + timedelta(days=24, hours=6),
        components=[contract.covered_components[0]],
        impact="New settlement engine; merchant API v2 becomes the default.",
        expected_downtime_minutes=15,
        rollback_plan="Blue-green: traffic returns to the 6.x cluster within 5 minutes; settlement batches replay.",
        announced_at=october.start + timedelta(days=10),
        required_notice_days=30,
        late=True,
    )
    ChangeNotice.objects.create(
        contract=contract,
        kind=ChangeNotice.Kind.SECURITY_PATCH,
        title="OpenSSL security patch",
        planned_at=october.start + timedelta(days=14, hours=22),
        components=list(contract.covered_components),
        impact="Rolling restart, no downtime expected.",
        announced_at=october.start + timedelta(days=12),
        required_notice_days=1,
    )


def _globex(contract: Contract, months: list[periods.Period], rng: random.Random) -> None:
    for p in months[:-3]:
        _outage(
            contract,
            p.start + timedelta(days=rng.randint(2, 25), hours=10),
            _down_for(p, "99.8"),
            "Slow payroll exports",
        )
    for p, availability in zip(months[-3:], ("99.2", "99.2", "99.0"), strict=True):
        _outage(contract, p.start + timedelta(days=6, hours=8), _down_for(p, availability), "HR portal unavailable")


def seed_reports(*, staff: Any) -> None:
    """Close the last six ended months of each demo contract (once)."""
    from reports.services import close_period
    from reports.snapshot import frozen_versions

    rng = random.Random(2027)
    now = timezone.now()
    for contract in Contract.objects.filter(reference__in=["NW-ACME-2025", "NW-GLOBEX-2025"]).order_by("reference"):
        if ServiceReport.objects.filter(contract=contract).exists():
            continue
        versions = frozen_versions(contract)
        if not versions:
            continue
        up = versions[-1].terms["uptime"]
        months = periods.last_n(periods.last_ended(now, kind=up["period"], zone=up["timezone"]), MONTHS)
        with transaction.atomic():
            if contract.reference == "NW-ACME-2025":
                _acme(contract, staff, months, rng)
            else:
                _globex(contract, months, rng)
        for p in months:
            close_period(contract=contract, period=p.label, now=now)


def scale_outages(contracts: list[Contract], rng: random.Random, *, now: datetime | None = None) -> int:
    """A year of outages per contract, about two a month (bulk; a tenth of
    them with an exclusion claimed or accepted)."""
    now = now or timezone.now()
    start = now - timedelta(days=365)
    batch: list[Outage] = []
    total = 0
    for contract in contracts:
        components = contract.covered_components or ["service"]
        for _ in range(24):
            begin = start + timedelta(seconds=rng.uniform(0, 365 * 86400))
            roll = rng.random()
            exclusion = Outage.Exclusion.ACCEPTED if roll < 0.05 else Outage.Exclusion.CLAIMED if roll < 0.1 else ""
            batch.append(
                Outage(
                    contract=contract,
                    component=rng.choice(components),
                    start=begin,
                    end=begin + timedelta(minutes=rng.choice([2, 5, 8, 15, 30, 45, 90, 240])),
                    cause="Generated",
                    source=Outage.Source.MONITORING,
                    exclusion=exclusion,
                    exclusion_kind="third_party" if exclusion else "",
                    exclusion_reason="Upstream provider outage" if exclusion else "",
                )
            )
        if len(batch) >= 5000:
            Outage.objects.bulk_create(batch, batch_size=5000)
            total += len(batch)
            batch = []
    if batch:
        Outage.objects.bulk_create(batch, batch_size=5000)
        total += len(batch)
    return total
