"""Independent monitoring: sources with their own token, and ingestion of
Alertmanager webhooks (here) and probe results (``availability.services.probes``)
into outages and no-data spans.

Every accepted payload is first kept as evidence (``RawPayload``, unique per
source and SHA-256: posting the same bytes again changes nothing) until the
contract's retention period ends. A payload is validated whole before
anything is stored: a bad one stores nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from audit import services as audit
from availability.models import MonitoringSource, Outage, RawPayload
from availability.services.outages import governing_terms
from contracts import lock_objects
from contracts.models import Contract
from core.actor import Actor
from core.errors import Conflict, InvalidInput

DEFAULT_RETENTION_DAYS = 730
MAX_REPORTED_ERRORS = 20
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- sources ----------------------------------------------------------------------


def create_source(
    *,
    actor: Actor,
    contract: Contract,
    name: str,
    kind: str,
    interval_seconds: int = 60,
    component_label: str = "component",
    component_map: dict[str, str] | None = None,
    pull_url: str = "",
) -> tuple[MonitoringSource, str]:
    """A new source and its token (``availability.services.sources.register_source``)."""
    from availability.services import sources

    return sources.register_source(
        actor=actor,
        contract=contract,
        name=name,
        kind=kind,
        interval_seconds=interval_seconds,
        component_label=component_label,
        component_map=component_map,
        pull_url=pull_url,
    )


def revoke_source(*, actor: Actor, source: MonitoringSource) -> MonitoringSource:
    from availability.services import sources

    return sources.revoke_source(actor=actor, source=source)


def source_for_token(token: str) -> MonitoringSource | None:
    """The source holding this token, revoked or not (the caller decides)."""
    if not token:
        return None
    return MonitoringSource.objects.select_related("contract").filter(token_hash=hash_token(token)).first()


# -- shared ingestion steps ------------------------------------------------------------


@dataclass
class IngestResult:
    payload_id: int
    duplicate: bool
    items: int
    outages_opened: int = 0
    outages_closed: int = 0
    no_data_spans: int = 0
    ignored: int = 0
    unknown_components: list[str] = field(default_factory=list)
    truncated: int = 0


def _invalid(message: str, errors: dict[str, list[str]]) -> InvalidInput:
    if len(errors) > MAX_REPORTED_ERRORS:
        errors = dict(list(errors.items())[:MAX_REPORTED_ERRORS])
    first_key, first = next(iter(errors.items()))
    return InvalidInput(f"{message} {first_key}: {first[0]}", errors=errors)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise InvalidInput("The body is not UTF-8 text.", errors={"body": ["Must be UTF-8."]}) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.",
            errors={"body": [f"Invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."]},
        ) from None


def _time(value: Any) -> datetime:
    """An aware ISO 8601 time or Unix seconds, in UTC; ValueError names the problem."""
    if isinstance(value, bool):
        raise ValueError("must be an ISO 8601 time or Unix seconds")
    if isinstance(value, int | float):
        return EPOCH + timedelta(seconds=value)
    if not isinstance(value, str) or not value:
        raise ValueError("must be an ISO 8601 time or Unix seconds")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            return EPOCH + timedelta(seconds=float(value))
        except (ValueError, OverflowError):
            raise ValueError(f"'{value[:40]}' is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"'{value[:40]}' has no time zone (add Z or an offset)")
    return parsed.astimezone(UTC)


def _store(
    source: MonitoringSource, body: bytes, content_type: str, items: int, at: datetime, upstream_id: str = ""
) -> RawPayload | None:
    """Keep the payload as evidence; None when these exact bytes (or this
    upstream delivery id) were already received."""
    digest = hashlib.sha256(body).hexdigest()
    seen = Q(sha256=digest) | Q(upstream_id=upstream_id) if upstream_id else Q(sha256=digest)
    if RawPayload.objects.filter(seen, source=source).exists():
        return None
    terms = governing_terms(source.contract, at)
    days = terms.data["reporting"]["retention_days"] if terms else DEFAULT_RETENTION_DAYS
    try:
        with transaction.atomic():
            return RawPayload.objects.create(
                source=source,
                sha256=digest,
                content_type=content_type[:60],
                body=body.decode("utf-8"),
                received_at=at,
                expires_at=at + timedelta(days=days),
                items=items,
                upstream_id=upstream_id[:100],
            )
    except IntegrityError:  # the same bytes, posted concurrently
        return None


def _audit_changes(source: MonitoringSource, result: IngestResult, verb: str) -> None:
    """One audit entry per payload that opened or closed outages (not per probe)."""
    if result.outages_opened or result.outages_closed or result.no_data_spans:
        audit.record(
            actor=f"monitoring:{source.name}",
            verb=verb,
            obj=source,
            contract_id=source.contract_id,
            changes={
                "payload": [None, result.payload_id],
                "outages_opened": [None, result.outages_opened],
                "outages_closed": [None, result.outages_closed],
                "no_data_spans": [None, result.no_data_spans],
            },
        )


def _begin(source: MonitoringSource, kind: str) -> MonitoringSource:
    lock_objects.contract_of(source)  # the contract, then the source (core.locks)
    source = MonitoringSource.objects.select_for_update(of=("self",)).select_related("contract").get(pk=source.pk)
    if source.revoked_at is not None:
        raise Conflict("The source's token is revoked.", state="revoked", allowed=[])
    if source.kind != kind:
        raise InvalidInput(
            f"This source posts {source.get_kind_display()}, not {MonitoringSource.Kind(kind).label}.",
            errors={"source": [f"The token belongs to a '{source.kind}' source."]},
        )
    return source


# -- Alertmanager ----------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    firing: bool
    fingerprint: str
    labels: dict[str, str]
    starts: datetime
    ends: datetime | None
    cause: str


@dataclass(frozen=True)
class AlertBatch:
    alerts: list[Alert]
    truncated: int  # alerts Alertmanager left out of this notification (max_alerts)


def parse_alertmanager(body: bytes) -> list[Alert]:
    """Validate an Alertmanager webhook body whole: its alerts."""
    return parse_alertmanager_batch(body).alerts


def parse_alertmanager_batch(body: bytes) -> AlertBatch:
    """Validate an Alertmanager webhook (payload version "4", or "3" from
    Alertmanager before 0.15, the same shape) body whole. ``groupKey`` may be
    any JSON value (some proxies send a number); a firing alert's ``endsAt`` is
    ignored (Alertmanager sends "0001-01-01T00:00:00Z" or a provisional end)."""
    data = _json(body)
    if not isinstance(data, dict):
        raise InvalidInput(
            "An Alertmanager webhook body is a JSON object.", errors={"body": ["Must be a JSON object."]}
        )
    errors: dict[str, list[str]] = {}
    if str(data.get("version", "")) not in ("3", "4"):
        errors["version"] = [f"Only webhook versions 3 and 4 are understood, got {data.get('version')!r}."]
    truncated = data.get("truncatedAlerts", 0)
    if truncated is None:
        truncated = 0
    if isinstance(truncated, bool) or not isinstance(truncated, int) or truncated < 0:
        errors["truncatedAlerts"] = ["Must be a whole number of alerts, at least 0."]
        truncated = 0
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        errors["alerts"] = ["Must be a list of alerts."]
        raise _invalid("Malformed Alertmanager payload:", errors)
    out: list[Alert] = []
    for i, raw in enumerate(alerts):
        at = f"alerts[{i}]"
        if not isinstance(raw, dict):
            errors[at] = ["Must be an object."]
            continue
        status = raw.get("status")
        if status not in ("firing", "resolved"):
            errors[f"{at}.status"] = [f"Must be 'firing' or 'resolved', got {status!r}."]
        labels = raw.get("labels", {})
        if not isinstance(labels, dict):
            errors[f"{at}.labels"] = ["Must be an object of label names to values."]
            labels = {}
        fingerprint = raw.get("fingerprint")
        if not isinstance(fingerprint, str) or not fingerprint.strip() or len(fingerprint) > 64:
            errors[f"{at}.fingerprint"] = ["Required: the alert's fingerprint (at most 64 characters)."]
        starts = ends = None
        try:
            starts = _time(raw.get("startsAt"))
        except ValueError as exc:
            errors[f"{at}.startsAt"] = [f"startsAt {exc}."]
        if status == "resolved":
            try:
                ends = _time(raw.get("endsAt"))
            except ValueError as exc:
                errors[f"{at}.endsAt"] = [f"A resolved alert needs endsAt: {exc}."]
            if starts and ends and ends < starts:
                errors[f"{at}.endsAt"] = ["endsAt precedes startsAt."]
        if f"{at}.status" in errors or starts is None or f"{at}.fingerprint" in errors or f"{at}.endsAt" in errors:
            continue
        annotations = raw.get("annotations") if isinstance(raw.get("annotations"), dict) else {}
        cause = str(annotations.get("summary") or annotations.get("description") or labels.get("alertname") or "")
        out.append(
            Alert(
                firing=status == "firing",
                fingerprint=fingerprint.strip(),
                labels={str(k): str(v) for k, v in labels.items()},
                starts=starts,
                ends=ends,
                cause=cause[:300],
            )
        )
    if errors:
        raise _invalid("Malformed Alertmanager payload:", errors)
    return AlertBatch(alerts=out, truncated=truncated)


def ingest_alertmanager(source: MonitoringSource, body: bytes) -> IngestResult:
    """Firing alerts open outages, resolved alerts close them (by fingerprint).

    A resolved alert whose firing was never received records the whole outage;
    a new firing for a fingerprint whose earlier outage is still open closes
    that one at the new start (Alertmanager only restarts an alert it resolved)."""
    batch = parse_alertmanager_batch(body)
    alerts = batch.alerts
    with transaction.atomic():
        source = _begin(source, MonitoringSource.Kind.ALERTMANAGER)
        now = timezone.now()
        payload = _store(source, body, "application/json", len(alerts), now)
        if payload is None:
            existing = RawPayload.objects.get(source=source, sha256=hashlib.sha256(body).hexdigest())
            return IngestResult(payload_id=existing.pk, duplicate=True, items=len(alerts), ignored=len(alerts))
        result = IngestResult(payload_id=payload.pk, duplicate=False, items=len(alerts), truncated=batch.truncated)
        if batch.truncated:
            # Alertmanager dropped alerts past the receiver's max_alerts: those outages are not recorded here.
            source.truncated_alerts += batch.truncated
            source.last_truncated_at = now
            source.save(update_fields=["truncated_alerts", "last_truncated_at"])
        contract = source.contract
        covered = set(contract.covered_components or [])
        known = list(Outage.objects.filter(monitoring_source=source, fingerprint__in={a.fingerprint for a in alerts}))
        by_key = {(o.fingerprint, o.start): o for o in known}
        open_by_fp: dict[str, Outage] = {}
        for o in sorted(known, key=lambda o: o.start):
            if o.end is None:
                open_by_fp[o.fingerprint] = o
        created: list[Outage] = []
        updated: dict[int, Outage] = {}
        unknown: set[str] = set()

        def close(outage: Outage, at: datetime) -> None:
            outage.end = max(at, outage.start)
            result.outages_closed += 1
            if outage.pk:
                updated[outage.pk] = outage
            open_by_fp.pop(outage.fingerprint, None)

        for alert in sorted(alerts, key=lambda a: (a.starts, not a.firing)):
            outage = by_key.get((alert.fingerprint, alert.starts))
            if alert.firing:
                if outage is not None:
                    result.ignored += 1
                    continue
                earlier = open_by_fp.get(alert.fingerprint)
                if earlier is not None and earlier.start < alert.starts:
                    close(earlier, alert.starts)
            elif outage is None:
                outage = open_by_fp.get(alert.fingerprint)
                if outage is not None and outage.start > alert.starts:
                    outage = None
            if outage is not None:  # a resolved alert for an outage we know
                if outage.end is None:
                    close(outage, alert.ends)
                else:
                    result.ignored += 1
                continue
            component = alert.labels.get(source.component_label, "").strip()[:100] or "unlabelled"
            if component not in covered:
                unknown.add(component)
            outage = Outage(
                contract=contract,
                component=component,
                start=alert.starts,
                end=None,
                cause=alert.cause,
                source=Outage.Source.MONITORING,
                monitoring_source=source,
                fingerprint=alert.fingerprint,
                unknown_component=component not in covered,
            )
            result.outages_opened += 1
            created.append(outage)
            by_key[(alert.fingerprint, alert.starts)] = outage
            if alert.firing:
                open_by_fp[alert.fingerprint] = outage
            else:
                close(outage, alert.ends)
        Outage.objects.bulk_create(created)
        if updated:
            Outage.objects.bulk_update(list(updated.values()), ["end"])
        result.unknown_components = sorted(unknown)
        _audit_changes(source, result, "monitoring.alerts_ingested")
    return result


def ingest_probes(source: MonitoringSource, body: bytes, content_type: str) -> IngestResult:
    """Probe results (JSON or CSV): see ``availability.services.probes``."""
    from availability.services.probes import ingest_probes as ingest

    return ingest(source, body, content_type)


__all__ = [
    "Alert",
    "AlertBatch",
    "IngestResult",
    "create_source",
    "hash_token",
    "ingest_alertmanager",
    "ingest_probes",
    "parse_alertmanager",
    "parse_alertmanager_batch",
    "revoke_source",
    "source_for_token",
]


def raw_payloads_delete(*, ids: Sequence[int]) -> int:
    """Delete these raw payloads (retention: ``holds.retention`` decides which are unheld and
    expired, holds the contract's lock and writes the one summary audit entry). Returns how many."""
    return RawPayload.objects.filter(pk__in=list(ids)).delete()[1].get(RawPayload._meta.label, 0)
