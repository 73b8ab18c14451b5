"""Demo and scale data beyond organizations and contracts.

`seed` adds realistic history to the demo contracts (each later app adds its
part here); `scale` bulk-generates contracts (and their history) for benchmarks.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from accounts.models import Organization
from contracts.models import Contract, SLAVersion
from contracts.presets import preset_terms


def seed(*, staff: Any, orgs: dict[str, Organization], people: dict[str, Any]) -> None:
    return None


def scale(n: int, *, buyer: Organization, seed_value: int = 7) -> dict[str, int]:
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
        term_end = date(2026, 1, 1).replace(year=2026 + rng.randint(0, 2), month=rng.randint(1, 12))
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
    created = Contract.objects.bulk_create(contracts, batch_size=2000)
    if not created or created[0].pk is None:
        created = list(Contract.objects.filter(reference__in=[c.reference for c in contracts]))
    effective = datetime(2025, 1, 1, tzinfo=UTC)
    versions = []
    for c in created:
        key = "enterprise-24x7" if c.pk % 2 else "business-hours"
        versions.append(
            SLAVersion(
                contract=c,
                number=1,
                status=SLAVersion.Status.ACTIVE,
                effective_from=effective,
                activated_at=effective,
                preset=key,
                terms=presets[key],
            )
        )
    SLAVersion.objects.bulk_create(versions, batch_size=2000)
    return {"contracts": len(created), "SLA versions": len(versions)}
