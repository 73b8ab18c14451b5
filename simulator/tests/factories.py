"""Generated history for the simulator tests: months of incidents (with
pauses, workarounds, exclusion claims, late and running ones), outages (some
excluded or claimed, on unknown components) and maintenance windows
(compliant, late, overrunning), every incident's stored clocks computed by the engine the services use.
Deterministic for a seed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from availability.models import MaintenanceWindow, Outage
from contracts.models import SLAVersion
from core import periods
from incidents import sla
from incidents.models import ExclusionClaim, Incident, IncidentPause

NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
MONTHS = [f"2026-{m:02d}" for m in range(5, 11)]  # May to October 2026
ACK = {"critical": 16, "high": 28, "medium": 110, "low": 400}  # typical minutes, near the Enterprise targets
RESTORE = {"critical": 230, "high": 470, "medium": 1400, "low": 4000}


def _version_at(contract: Any, at: datetime) -> SLAVersion:
    return SLAVersion.objects.filter(contract=contract).governing(at).get()


def add_history_incident(contract: Any, rng: random.Random, opened: datetime, *, now: datetime = NOW) -> Incident:
    severity = rng.choices(["critical", "high", "medium", "low"], weights=[1, 4, 8, 5])[0]
    environment = "production" if rng.random() < 0.8 else "non_production"
    acked = opened + timedelta(minutes=rng.uniform(0.3, 1.8) * ACK[severity])
    restored = acked + timedelta(minutes=rng.uniform(0.2, 1.5) * RESTORE[severity])
    running = rng.random() < 0.05 and opened > now - timedelta(days=12)
    incident = Incident(
        contract=contract,
        sla_version=_version_at(contract, opened),
        title=f"{severity} incident {rng.randint(1, 999)}",
        severity=severity,
        environment=environment,
        component=rng.choice(contract.covered_components),
        status=Incident.Status.ACKNOWLEDGED if running else Incident.Status.CLOSED,
        opened_at=opened,
        acknowledged_at=acked if rng.random() > 0.03 else None,
        resolved_at=None if running else restored + timedelta(minutes=rng.uniform(10, 600)),
        satisfaction=rng.choice([None, 2, 3, 4, 5]),
    )
    if not running and rng.random() < 0.25:  # a workaround restored service before the fix
        incident.workaround = Incident.Workaround.ACCEPTED
        incident.workaround_proposed_at = restored - timedelta(minutes=5)
        incident.workaround_accepted_at = restored
        if rng.random() < 0.3:
            incident.workaround_temporary = True
            incident.workaround_expires_at = restored + timedelta(days=rng.choice([1, 10]))
    if incident.resolved_at:
        incident.closed_at = incident.resolved_at
    incident.save()
    pauses = []
    if rng.random() < 0.2:  # waiting for the customer
        begin = acked + timedelta(minutes=rng.uniform(1, 60))
        pauses.append(
            IncidentPause.objects.create(
                incident=incident,
                started_at=begin,
                ended_at=begin + timedelta(minutes=rng.uniform(20, 300)),
                reason="t",
            )
        )
    roll = rng.random()
    if roll < 0.08:
        kind = rng.choice(["third_party", "force_majeure", "customer_caused"])
        ExclusionClaim.objects.create(
            incident=incident, kind=kind, reason="Upstream", status="accepted", claimed_at=opened + timedelta(hours=2)
        )
        incident.excluded = True
    elif roll < 0.12:
        ExclusionClaim.objects.create(incident=incident, kind="third_party", reason="Maybe", claimed_at=opened)
    sla.recompute(incident, now=now, pauses=pauses)
    incident.save()
    return incident


def generate_history(contract: Any, *, seed: int = 7, per_month: int = 30, months: list[str] = MONTHS) -> None:
    rng = random.Random(seed)
    up = _version_at(contract, NOW).terms["uptime"]
    components = list(contract.covered_components)
    for label in months:
        p = periods.parse(label, zone=up["timezone"], kind="month")
        span = (p.end - p.start).total_seconds()
        for _ in range(per_month):
            add_history_incident(contract, rng, p.start + timedelta(seconds=rng.uniform(0, span - 3600)))
        for i in range(rng.randint(2, 4)):
            start = p.start + timedelta(seconds=rng.uniform(0, span - 90000))
            roll = rng.random()
            Outage.objects.create(
                contract=contract,
                component=rng.choice([*components, "unknown-thing"]),
                start=start,
                end=start + timedelta(minutes=rng.choice([3, 12, 25, 40, 90, 200])),
                source=Outage.Source.MONITORING,
                exclusion="accepted" if roll < 0.25 else "claimed" if roll < 0.35 else "",
                exclusion_kind=("third_party" if i % 2 else "force_majeure") if roll < 0.35 else "",
                reason="generated",
            )
        w_start = p.start + timedelta(days=rng.randint(3, 25), hours=1)
        MaintenanceWindow.objects.create(
            contract=contract,
            title="Upgrade",
            components=[rng.choice(components)],
            start=w_start,
            end=w_start + timedelta(hours=2),
            actual_end=w_start + timedelta(hours=2, minutes=rng.choice([0, 0, 35])),
            announced_at=w_start - timedelta(days=rng.choice([1, 7, 14])),
            status=MaintenanceWindow.Status.COMPLETED,
        )
