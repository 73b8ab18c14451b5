"""Demo and scale data beyond organizations and contracts.

`seed` adds realistic history to the demo contracts through the services
(imported history, live incidents); `scale` bulk-generates contracts and
incidents for benchmarks, computing each incident's stored SLA clocks with
the same engine the services use.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from contracts.models import Contract, SLAVersion
from contracts.presets import preset_terms
from incidents import services as incident_services
from incidents import sla
from incidents.models import Incident

TITLES = [
    "Checkout API returns 502",
    "Login latency above 5 s",
    "Nightly settlement batch failed",
    "Webhook deliveries delayed",
    "Report export times out",
    "Payroll run stuck in queue",
    "SSO redirect loop",
    "Dashboard shows stale data",
]
SEVERITY_WEIGHTS = [("critical", 1), ("high", 3), ("medium", 6), ("low", 5)]
# Minutes to acknowledge / resolve, roughly, per severity (some will miss their targets).
TYPICAL = {"critical": (12, 300), "high": (25, 900), "medium": (90, 4000), "low": (300, 9000)}


def _severity(rng: random.Random) -> str:
    return rng.choices([s for s, _ in SEVERITY_WEIGHTS], weights=[w for _, w in SEVERITY_WEIGHTS])[0]


def _history_rows(
    rng: random.Random, components: list[str], start: datetime, end: datetime, count: int
) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    span = (end - start).total_seconds()
    for i in range(count):
        opened = start + timedelta(seconds=rng.uniform(0, span))
        severity = _severity(rng)
        ack, resolve = TYPICAL[severity]
        acked = opened + timedelta(minutes=rng.uniform(0.3, 1.6) * ack)
        resolved = acked + timedelta(minutes=rng.uniform(0.2, 1.4) * resolve)
        rows.append(
            (
                i + 1,
                {
                    "title": rng.choice(TITLES),
                    "severity": severity,
                    "environment": "production" if rng.random() < 0.8 else "non_production",
                    "component": rng.choice(components),
                    "opened_at": opened.isoformat(),
                    "acknowledged_at": acked.isoformat(),
                    "resolved_at": resolved.isoformat() if resolved < end else "",
                },
            )
        )
    return rows


def seed(*, staff: Any, orgs: dict[str, Organization], people: dict[str, Any]) -> None:
    """Twelve months of history and a few live incidents per demo contract (once)."""
    rng = random.Random(2026)
    now = timezone.now()
    for contract in Contract.objects.filter(reference__in=["NW-ACME-2025", "NW-GLOBEX-2025"]).order_by("reference"):
        if Incident.objects.filter(contract=contract).exists():
            continue
        with transaction.atomic():
            rows = _history_rows(
                rng, contract.covered_components, now - timedelta(days=365), now - timedelta(days=2), 60
            )
            incident_services.import_incidents(
                actor=staff, contract=contract, rows=rows, source="Demo history (previous ITSM)"
            )
            opener = people["oscar"]
            engineer = people["sam"] if contract.reference == "NW-ACME-2025" else people["grace"]
            live = incident_services.open_incident(
                actor=opener,
                contract=contract,
                title="Payments intermittently declined"
                if contract.reference == "NW-ACME-2025"
                else "Payroll export fails",
                severity="high",
                environment="production",
                component=contract.covered_components[0],
                description="Roughly 3 % of requests fail since 09:10. Customers are affected.",
            )
            incident_services.acknowledge_incident(actor=engineer, incident=live, message="Investigating.")
            from corrective import services as corrective

            plan = corrective.request_plan(
                actor=opener, contract=contract, subject="Repeated payment declines under load", incident=live
            )
            corrective.submit_plan(
                actor=engineer,
                plan=plan,
                root_cause="The card gateway's connection pool is sized for average, not peak, traffic.",
                actions=[
                    {"description": "Size the pool for peak traffic and alert at 80 % use", "owner": "SRE lead",
                     "due_date": (now + timedelta(days=14)).date()},
                    {"description": "Load-test the gateway before each release", "owner": "QA manager",
                     "due_date": (now + timedelta(days=45)).date()},
                ],
            )  # fmt: skip
            from contracts import onboarding

            onboarding.seed_demo_feedback(contract=contract, raised_by=opener, incident_id=live.pk)
            incident_services.open_incident(
                actor=opener,
                contract=contract,
                title="Minor layout glitch on statements page",
                severity="low",
                environment="non_production",
                component=contract.covered_components[-1],
            )
    from demo.reports import seed_reports

    seed_reports(staff=staff)


def scale(n: int, *, buyer: Organization, incidents_per_contract: int = 5, seed_value: int = 7) -> dict[str, int]:
    rng = random.Random(seed_value)
    start = Contract.objects.filter(reference__startswith="SCALE-").count()
    vendors = [
        Organization(name=f"Scale Vendor {i:04d}", slug=f"scale-vendor-{i:04d}", kind=Organization.Kind.VENDOR)
        for i in range(start // 10, (start + n) // 10 + 1)
    ]
    Organization.objects.bulk_create(vendors, ignore_conflicts=True, batch_size=1000)
    vendor_ids = dict(Organization.objects.filter(slug__startswith="scale-vendor-").values_list("slug", "id"))
    presets = {"enterprise-24x7": preset_terms("enterprise-24x7"), "business-hours": preset_terms("business-hours")}
    contracts = []
    for i in range(start, start + n):
        term_end = date(2026 + rng.randint(0, 2), rng.randint(1, 12), 1)
        notice = rng.choice([30, 60, 90, 120])
        contracts.append(
            Contract(
                reference=f"SCALE-{i:06d}",
                product=f"Generated product {i}",
                buyer=buyer,
                vendor_id=vendor_ids[f"scale-vendor-{i // 10:04d}"],
                status=Contract.Status.ACTIVE,
                start_date=date(2025, 1, 1),
                term_end=term_end,
                notice_period_days=notice,
                notice_deadline=Contract.compute_notice_deadline(term_end, notice),
                monthly_fee=Decimal(rng.randrange(1000, 90000)),
                currency="EUR",
                covered_components=["api", "web", "batch"],
            )
        )
    Contract.objects.bulk_create(contracts, batch_size=2000)
    created = list(Contract.objects.filter(reference__in=[c.reference for c in contracts]).order_by("pk"))
    effective = datetime(2025, 1, 1, tzinfo=UTC)
    versions = [
        SLAVersion(
            contract=c,
            number=1,
            status=SLAVersion.Status.ACTIVE,
            effective_from=effective,
            activated_at=effective,
            preset="enterprise-24x7" if c.pk % 2 else "business-hours",
            terms=presets["enterprise-24x7" if c.pk % 2 else "business-hours"],
        )
        for c in created
    ]
    SLAVersion.objects.bulk_create(versions, batch_size=2000)
    by_contract = {v.contract_id: v for v in SLAVersion.objects.filter(contract__in=created)}
    total = _scale_incidents(rng, created, by_contract, incidents_per_contract)
    from incidents import counters

    counters.recount([c.pk for c in created])  # bulk rows bypass the services that keep the counters
    from demo.reports import scale_outages

    outages = scale_outages(created, rng)
    return {"contracts": len(created), "SLA versions": len(versions), "incidents": total, "outages": outages}


def _scale_incidents(
    rng: random.Random, contracts: list[Contract], versions: dict[int, SLAVersion], per_contract: int
) -> int:
    now = timezone.now()
    year_ago = now - timedelta(days=365)
    batch: list[Incident] = []
    total = 0
    for contract in contracts:
        version = versions[contract.pk]
        for _ in range(per_contract):
            opened = year_ago + timedelta(seconds=rng.uniform(0, 365 * 86400))
            severity = _severity(rng)
            ack, resolve = TYPICAL[severity]
            acked = opened + timedelta(minutes=rng.uniform(0.3, 1.6) * ack)
            resolved = acked + timedelta(minutes=rng.uniform(0.2, 1.4) * resolve)
            finished = resolved < now and rng.random() < 0.97
            incident = Incident(
                contract=contract,
                sla_version=version,
                title=rng.choice(TITLES),
                severity=severity,
                environment="production",
                component=rng.choice(contract.covered_components),
                status=Incident.Status.CLOSED if finished else Incident.Status.ACKNOWLEDGED,
                opened_at=opened,
                acknowledged_at=acked if acked < now else None,
                resolved_at=resolved if finished else None,
                closed_at=resolved if finished else None,
                imported=True,
                import_source="seed_demo --scale",
            )
            sla.recompute(incident, now=now, pauses=())
            batch.append(incident)
        if len(batch) >= 5000:
            Incident.objects.bulk_create(batch, batch_size=5000)
            total += len(batch)
            batch = []
    if batch:
        Incident.objects.bulk_create(batch, batch_size=5000)
        total += len(batch)
    return total
