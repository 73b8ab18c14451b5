"""Request and execution tallies: how many requests one component served per
interval and how many failed, as a monitoring source counted them
(``RequestTally``; the figures they give are ``availability.requests``).

A batch is validated whole before anything is stored, and every problem is
named by its path (``tallies[3].failed``): one bad row stores nothing. A tally
re-sent for the same source, component and interval replaces the earlier one,
so a sender may post an interval again once its count is complete or corrected.
A batch is one statement whatever its size (the rows travel as one JSON
parameter), kept as evidence (``RawPayload``) when its bytes are given, and
audited once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from audit import services as audit
from availability.ingest.common import iso_time
from availability.models import MonitoringSource, RequestTally
from availability.requests import INTERVAL_MINUTES, aligned
from availability.services.monitoring import MAX_REPORTED_ERRORS, _json, _store
from contracts import lock_objects
from core.actor import SystemActor
from core.errors import Conflict, InvalidInput, NotPermitted, PayloadTooLarge

MAX_ROWS = 10_000
MAX_COUNT = 10**12  # requests in one interval: far above any real service, far below a 64-bit column
MAX_AGE = timedelta(days=400)  # back-filling a year under review is fine; older is a mistake
CLOCK_SKEW = timedelta(minutes=2)
WHOLE_SERVICE = "service"  # availability.data.WHOLE_SERVICE: the one component of a contract listing none
# Sources that measure traffic: a probe runner or exporter, or the Prometheus behind an Alertmanager.
# Paging, status-page and ticketing sources report opinions about incidents, not request counts.
TALLY_KINDS = (MonitoringSource.Kind.PROBE, MonitoringSource.Kind.ALERTMANAGER)
FIELDS = ("component", "interval_start", "interval_minutes", "total", "failed")


@dataclass(frozen=True)
class Row:
    component: str
    interval_start: datetime
    interval_minutes: int
    total: int
    failed: int


@dataclass(frozen=True)
class TallyResult:
    payload_id: int | None
    duplicate: bool  # these exact bytes were received before (the tallies were applied again all the same)
    tallies: int
    created: int
    replaced: int
    components: list[str]
    first_interval: datetime | None
    last_interval: datetime | None


def parse_batch(body: bytes) -> list[Any]:
    """The ``tallies`` list of a JSON body ``{"tallies": [...]}`` (rows unchecked)."""
    data = _json(body)
    if not isinstance(data, dict):
        raise InvalidInput('Send {"tallies": [...]}.', errors={"body": ["Must be a JSON object."]})
    rows = data.get("tallies")
    if not isinstance(rows, list):
        raise InvalidInput("tallies must be a list of tallies.", errors={"tallies": ["Must be a list."]})
    return rows


def check_source(source: MonitoringSource) -> None:
    """Only a source that measures traffic reports tallies (403 otherwise)."""
    if source.kind not in TALLY_KINDS:
        raise NotPermitted(
            f"A {source.get_kind_display()} source does not report request tallies; register a probe source.",
            errors={"source": [f"The token belongs to a '{source.kind}' source."]},
        )


def _whole(value: Any, field: str, limit: int, errors: dict[str, list[str]]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors[field] = ["Required: a whole number."]
        return None
    if not 0 <= value <= limit:
        errors[field] = [f"Must be from 0 to {limit:,}."]
        return None
    return value


def _start(value: Any, field: str, minutes: int | None, now: datetime, errors: dict[str, list[str]]) -> datetime | None:
    start = iso_time(value, field, errors)
    if start is None:
        return None
    if minutes is not None and not aligned(start, minutes):
        errors[field] = [f"Must start a {minutes}-minute interval: a multiple of {minutes} minutes since 00:00 UTC."]
        return None
    if start < now - MAX_AGE:
        errors[field] = [f"Older than {MAX_AGE.days} days."]
        return None
    if minutes is not None and start + timedelta(minutes=minutes) > now + CLOCK_SKEW:
        errors[field] = ["The interval has not ended yet: send a tally once its interval is over."]
        return None
    return start


def validate_rows(*, source: MonitoringSource, rows: Sequence[Any], now: datetime) -> list[Row]:
    """Every row checked; ``InvalidInput`` naming each problem by its path."""
    if len(rows) > MAX_ROWS:
        raise PayloadTooLarge(
            f"{len(rows):,} tallies in one request; the limit is {MAX_ROWS:,}. Send smaller batches.", field="tallies"
        )
    if not rows:
        raise InvalidInput("No tallies in the body.", errors={"tallies": ["Send at least one tally."]})
    known = set(source.contract.covered_components or []) or {WHOLE_SERVICE}
    errors: dict[str, list[str]] = {}
    out: list[Row] = []
    seen: dict[tuple[str, datetime, int], int] = {}
    for i, raw in enumerate(rows):
        at = f"tallies[{i}]"
        if len(errors) > MAX_REPORTED_ERRORS:
            break
        if not isinstance(raw, dict):
            errors[at] = [f"Must be an object with {', '.join(FIELDS)}."]
            continue
        before = len(errors)
        extra = sorted(set(raw) - set(FIELDS))
        if extra:
            errors[f"{at}.{extra[0]}"] = [f"Unknown field; a tally has {', '.join(FIELDS)}."]
        component = raw.get("component")
        if not isinstance(component, str) or not component.strip():
            errors[f"{at}.component"] = ["Required: the component's name."]
        elif component.strip() not in known:
            errors[f"{at}.component"] = [f"Not a component of this contract ({', '.join(sorted(known))})."]
        minutes = raw.get("interval_minutes")
        if isinstance(minutes, bool) or minutes not in INTERVAL_MINUTES:
            errors[f"{at}.interval_minutes"] = [f"Must be one of {', '.join(map(str, INTERVAL_MINUTES))}."]
            minutes = None
        start = _start(raw.get("interval_start"), f"{at}.interval_start", minutes, now, errors)
        total = _whole(raw.get("total"), f"{at}.total", MAX_COUNT, errors)
        failed = _whole(raw.get("failed"), f"{at}.failed", MAX_COUNT, errors)
        if total is not None and failed is not None and failed > total:
            errors[f"{at}.failed"] = [f"{failed:,} failed of {total:,} requests: failed cannot exceed total."]
        if len(errors) > before:
            continue
        assert isinstance(component, str) and start is not None and minutes is not None
        assert total is not None and failed is not None
        key = (component.strip(), start, minutes)
        if key in seen:
            errors[at] = [f"Repeats tallies[{seen[key]}] (same component and interval): send each once."]
            continue
        seen[key] = i
        out.append(Row(component.strip(), start, minutes, total, failed))
    if errors:
        if len(errors) > MAX_REPORTED_ERRORS:
            errors = dict(list(errors.items())[:MAX_REPORTED_ERRORS])
        first_key, first = next(iter(errors.items()))
        raise InvalidInput(f"Malformed tallies: {first_key}: {first[0]}", errors=errors)
    return out


def record_tallies(
    *, source: MonitoringSource, rows: Sequence[Any], payload: bytes | None = None, now: datetime | None = None
) -> TallyResult:
    """Validate ``rows`` (parsed JSON objects) whole and store them, replacing
    the source's earlier tallies for the same component and interval. ``payload``:
    the bytes as received, kept as evidence. One audit entry for the batch."""
    now = now or timezone.now()
    check_source(source)
    clean = validate_rows(source=source, rows=rows, now=now)
    components = sorted({r.component for r in clean})
    first = min(r.interval_start for r in clean)
    last = max(r.interval_start for r in clean)
    with transaction.atomic():
        lock_objects.contract_of(source)  # the contract, then the source (core.locks)
        source = MonitoringSource.objects.select_for_update(of=("self",)).select_related("contract").get(pk=source.pk)
        if source.revoked_at is not None:
            raise Conflict("The source's token is revoked.", state="revoked", allowed=[])
        stored = _store(source, payload, "application/json", len(clean), now) if payload is not None else None
        payload_id = stored.pk if stored is not None else None
        window = RequestTally.objects.filter(
            source=source, component__in=components, interval_start__gte=first, interval_start__lte=last
        )
        before = window.count()
        _upsert(source, clean, now)
        created = window.count() - before
        audit.record(
            actor=SystemActor(f"monitoring:{source.name}"),
            verb="monitoring.requests_ingested",
            obj=source,
            contract_id=source.contract_id,
            changes={
                "payload": [None, payload_id],
                "tallies": [None, len(clean)],
                "created": [None, created],
                "replaced": [None, len(clean) - created],
                "components": [None, components],
                "intervals": [None, [first.isoformat(), last.isoformat()]],
            },
        )
    return TallyResult(
        payload_id=payload_id,
        duplicate=payload is not None and stored is None,
        tallies=len(clean),
        created=created,
        replaced=len(clean) - created,
        components=components,
        first_interval=first,
        last_interval=last,
    )


def _upsert(source: MonitoringSource, rows: list[Row], now: datetime) -> None:
    """Insert or replace every row in one statement: the rows travel as a single
    JSON parameter, so neither SQLite's 999-variable limit nor the batch size
    changes the number of queries."""
    table = connection.ops.quote_name(RequestTally._meta.db_table)
    columns = "contract_id, source_id, component, interval_start, interval_minutes, total, failed, received_at"
    conflict = (
        "ON CONFLICT (source_id, component, interval_start, interval_minutes) DO UPDATE SET "
        "total = excluded.total, failed = excluded.failed, received_at = excluded.received_at"
    )
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor == "sqlite":
        # Django keeps SQLite datetimes as naive UTC text; the key must match that text exactly.
        data = json.dumps([[r.component, adapt(r.interval_start), r.interval_minutes, r.total, r.failed] for r in rows])
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT %s, %s, json_extract(value, '$[0]'), "  # noqa: S608 - names only
            "json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), "
            "json_extract(value, '$[4]'), %s FROM json_each(%s) WHERE true " + conflict
        )
        params: list[Any] = [source.contract_id, source.pk, adapt(now), data]
    elif connection.vendor == "postgresql":
        data = json.dumps(
            [
                {
                    "c": r.component,
                    "s": r.interval_start.isoformat(),
                    "m": r.interval_minutes,
                    "t": r.total,
                    "f": r.failed,
                }
                for r in rows
            ]
        )
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT %s, %s, r.c, r.s, r.m, r.t, r.f, %s "  # noqa: S608 - names only
            "FROM jsonb_to_recordset(%s::jsonb) AS r(c text, s timestamptz, m smallint, t bigint, f bigint) " + conflict
        )
        params = [source.contract_id, source.pk, now, data]
    else:  # another backend: the ORM's upsert (batched by the backend's limits)
        RequestTally.objects.bulk_create(
            [
                RequestTally(
                    contract_id=source.contract_id,
                    source=source,
                    component=r.component,
                    interval_start=r.interval_start,
                    interval_minutes=r.interval_minutes,
                    total=r.total,
                    failed=r.failed,
                    received_at=now,
                )
                for r in rows
            ],
            update_conflicts=True,
            unique_fields=["source", "component", "interval_start", "interval_minutes"],
            update_fields=["total", "failed", "received_at"],
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


__all__ = ["MAX_ROWS", "TALLY_KINDS", "TallyResult", "check_source", "parse_batch", "record_tallies", "validate_rows"]
