"""Helpers for report tests: incidents and outages with known times, their
stored SLA clocks computed by the same engine the services use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from availability.models import Outage
from incidents import sla
from incidents.models import Incident

OCT = datetime(2026, 10, 1, tzinfo=UTC)
OCT_MINUTES = Decimal(31 * 24 * 60)  # October 2026 in UTC: 44,640 minutes


def at(day: int, hour: int = 0, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def add_incident(
    contract: Any,
    *,
    opened_at: datetime,
    severity: str = "critical",
    environment: str = "production",
    ack_after: float = 5,
    resolve_after: float | None = 60,
    now: datetime | None = None,
    **extra: Any,
) -> Incident:
    """An incident acknowledged ``ack_after`` minutes and resolved (= restored)
    ``resolve_after`` minutes after opening, with its clocks computed."""
    version = contract.sla_versions.get(number=1)
    resolved = None if resolve_after is None else opened_at + timedelta(minutes=resolve_after)
    incident = Incident(
        contract=contract,
        sla_version=version,
        title=extra.pop("title", f"{severity} incident"),
        severity=severity,
        environment=environment,
        component=contract.covered_components[0],
        status=Incident.Status.CLOSED if resolved else Incident.Status.ACKNOWLEDGED,
        opened_at=opened_at,
        acknowledged_at=opened_at + timedelta(minutes=ack_after),
        resolved_at=resolved,
        closed_at=resolved,
        **extra,
    )
    sla.recompute(incident, now=now or opened_at + timedelta(days=30), pauses=())
    incident.save()
    return incident


def add_outage(contract: Any, *, start: datetime, minutes: Decimal | float, **extra: Any) -> Outage:
    return Outage.objects.create(
        contract=contract,
        component=extra.pop("component", contract.covered_components[-1]),
        start=start,
        end=start + timedelta(minutes=float(minutes)),
        source=Outage.Source.MANUAL,
        reason="test",
        **extra,
    )


def downtime_for(availability: str, period_minutes: Decimal = OCT_MINUTES) -> Decimal:
    """Minutes of downtime that give exactly ``availability`` percent."""
    return period_minutes * (Decimal(100) - Decimal(availability)) / Decimal(100)
