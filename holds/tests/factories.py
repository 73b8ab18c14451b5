"""Builders for the legal-hold tests: a monitoring source and raw payloads made directly (the
ingestion pipeline is availability's to test), outages, and disputes through their service."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from availability.models import MonitoringSource, Outage, RawPayload
from availability.services import monitoring
from disputes import services as disputes

_seq = count(1)


def source(contract: Any, staff: Any, name: str = "Prometheus EU") -> MonitoringSource:
    made, _ = monitoring.create_source(actor=staff, contract=contract, name=name, kind="alertmanager")
    return made


def payload(src: MonitoringSource, at: datetime, *, expires_at: datetime | None = None) -> RawPayload:
    body = f'{{"n": {next(_seq)}, "at": "{at.isoformat()}"}}'
    return RawPayload.objects.create(
        source=src,
        sha256=hashlib.sha256(body.encode()).hexdigest(),
        content_type="application/json",
        body=body,
        received_at=at,
        expires_at=expires_at or at + timedelta(days=1),
        items=1,
    )


def outage(contract: Any, start: datetime, hours: int = 2) -> Outage:
    return Outage.objects.create(
        contract=contract,
        component="api",
        start=start,
        end=start + timedelta(hours=hours),
        source=Outage.Source.MONITORING,
    )


def dispute_outage(actor: Any, contract: Any, down: Outage) -> Any:
    return disputes.dispute_open(
        actor=actor,
        contract=contract,
        subject_type="outage",
        subject_id=down.pk,
        title="Probe flapped",
        statement="Our probes saw the API up the whole time.",
    )


def feb(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 2, day, hour, minute, tzinfo=UTC)
