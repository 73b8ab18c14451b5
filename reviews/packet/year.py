"""The review year: ISO serialisation of packet dates, the reference SLA version and the reporting window."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from contracts.models import Contract, SLAVersion
from contracts.versions import InForceFallback
from core import periods


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def reference_version(contract: Contract, at: datetime) -> SLAVersion | None:
    """The version in force at ``at``, else the latest activated one."""
    return SLAVersion.objects.for_contract(contract).in_force_at(at, fallback=InForceFallback.LATEST_FROZEN)


def window(contract: Contract, anniversary: date, version: SLAVersion | None) -> list[periods.Period]:
    """The twelve months (or four quarters) ending with the period that holds
    the day before the anniversary, in the terms' own measurement zone."""
    up = (version.terms if version else {}).get("uptime", {})
    kind, zone = up.get("period", "month"), up.get("timezone", "UTC")
    last_day = datetime.combine(anniversary - timedelta(days=1), time(12), tzinfo=ZoneInfo(zone))
    last = periods.period_of(last_day, kind=kind, zone=zone)
    return periods.last_n(last, 12 if kind == "month" else 4)
