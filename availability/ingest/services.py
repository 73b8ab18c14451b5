"""The write side of the new formats: a parsed payload becomes outages, in one
transaction with its raw payload (the evidence) and an audit entry, through the
same steps as Alertmanager and probes (``availability.services.monitoring``).

Identity: an outage is found again by its source and fingerprint (the upstream
incident or alert id, with the component for a status page), so a snapshot or
event seen twice changes nothing; a redelivered body (same digest, or the same
upstream delivery id) is a duplicate before anything is parsed into rows."""

from __future__ import annotations

import hashlib
import urllib.request
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from availability.ingest.common import Delivery, Event, Interval
from availability.ingest.opsgenie import parse_opsgenie
from availability.ingest.pagerduty import parse_pagerduty
from availability.ingest.statuspage import DOWN, Snapshot, parse_statuspage
from availability.models import MonitoringSource, Outage, RawPayload
from availability.services.monitoring import IngestResult, _audit_changes, _begin, _store
from core.errors import InvalidInput

PULL_TIMEOUT_SECONDS = 10
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
Kind = MonitoringSource.Kind


def _fingerprint(key: str) -> str:
    return key if len(key) <= 64 else hashlib.sha256(key.encode()).hexdigest()


def _component(source: MonitoringSource, refs: tuple[str, ...], *, mapped_only: bool) -> str | None:
    """The contract component for upstream refs: the source's mapping first; then
    (paging formats) a ref that names a covered component, else the first ref
    as it is (flagged as not covered). Status pages count mapped components only."""
    mapping = source.component_map or {}
    for ref in refs:
        if ref in mapping:
            return str(mapping[ref])[:100]
    if mapped_only:
        return None
    covered = set(source.contract.covered_components or [])
    for ref in refs:
        if ref in covered:
            return ref
    return (refs[0] if refs else "unlabelled")[:100]


def _duplicate(source: MonitoringSource, body: bytes, items: int, upstream_id: str) -> IngestResult:
    digest = hashlib.sha256(body).hexdigest()
    seen = Q(sha256=digest) | Q(upstream_id=upstream_id) if upstream_id else Q(sha256=digest)
    existing = RawPayload.objects.filter(seen, source=source).order_by("pk").first()
    return IngestResult(payload_id=existing.pk if existing else 0, duplicate=True, items=items, ignored=items)


def _outage(
    source: MonitoringSource, component: str, start: datetime, end: datetime | None, cause: str, fp: str
) -> Outage:
    covered = set(source.contract.covered_components or [])
    return Outage(
        contract=source.contract,
        component=component,
        start=start,
        end=end,
        cause=cause,
        source=Outage.Source.VENDOR if source.kind == Kind.STATUSPAGE else Outage.Source.MONITORING,
        monitoring_source=source,
        fingerprint=fp,
        unknown_component=component not in covered,
    )


def _latest(source: MonitoringSource, fingerprints: set[str]) -> dict[str, Outage]:
    out: dict[str, Outage] = {}
    for o in Outage.objects.filter(monitoring_source=source, fingerprint__in=fingerprints).order_by("start", "pk"):
        out[o.fingerprint] = o  # the latest per fingerprint
    return out


def _flag_unknown(result: IngestResult, created: list[Outage]) -> None:
    result.unknown_components = sorted({o.component for o in created if o.unknown_component})


# -- Statuspage ------------------------------------------------------------------------------------


def _apply_snapshot(source: MonitoringSource, snap: Snapshot, result: IngestResult) -> None:
    result.ignored += snap.ignored
    wanted: list[tuple[str, str, Interval]] = []
    for iv in snap.intervals:
        comp = _component(source, iv.refs, mapped_only=True)
        if comp is None:
            result.ignored += 1
            continue
        wanted.append((_fingerprint(iv.key), comp, iv))
    states = []
    for st in snap.components:
        comp = _component(source, st.refs, mapped_only=True)
        if comp is not None:
            states.append((_fingerprint(f"component:{st.key}"), comp, st))
    known = _latest(source, {fp for fp, _, _ in wanted} | {fp for fp, _, _ in states})
    created: list[Outage] = []
    changed: dict[int, Outage] = {}
    for fp, comp, iv in wanted:
        current = known.get(fp)
        if current is None:
            outage = _outage(source, comp, iv.start, iv.end, iv.cause, fp)
            created.append(outage)
            known[fp] = outage
            result.outages_opened += 1
            result.outages_closed += iv.end is not None
        elif current.end is None and iv.end is not None:
            current.end = max(iv.end, current.start)
            changed[current.pk] = current
            result.outages_closed += 1
        else:
            result.ignored += 1  # history is not rewritten by a later snapshot
    incident_open = {comp for _, comp, iv in wanted if iv.end is None}
    for fp, comp, st in states:
        current = known.get(fp)
        is_open = current is not None and current.end is None
        if st.status in DOWN and not is_open and comp not in incident_open:
            cause = f"Vendor status page: component {st.refs[-1]} {st.status.replace('_', ' ')}"
            outage = _outage(source, comp, st.at, None, cause[:300], fp)
            created.append(outage)
            known[fp] = outage
            result.outages_opened += 1
        elif st.status not in DOWN and is_open and current is not None and current.pk:
            current.end = max(st.at, current.start)
            changed[current.pk] = current
            result.outages_closed += 1
    Outage.objects.bulk_create(created)
    if changed:
        Outage.objects.bulk_update(list(changed.values()), ["end"])
    _flag_unknown(result, created)


def ingest_statuspage(source: MonitoringSource, body: bytes) -> IngestResult:
    """An ``incidents.json`` or ``summary.json`` body (posted, or pulled by the task)."""
    snap = parse_statuspage(body)
    items = len(snap.intervals) + len(snap.components)
    with transaction.atomic():
        source = _begin(source, Kind.STATUSPAGE)
        payload = _store(source, body, "application/json", items, timezone.now())
        if payload is None:
            return _duplicate(source, body, items, "")
        result = IngestResult(payload_id=payload.pk, duplicate=False, items=items)
        _apply_snapshot(source, snap, result)
        _audit_changes(source, result, "monitoring.statuspage_ingested")
    return result


# -- paging: PagerDuty and Opsgenie ----------------------------------------------------------------


def _apply_events(source: MonitoringSource, events: list[Event], result: IngestResult) -> None:
    known = _latest(source, {_fingerprint(e.key) for e in events})
    created: list[Outage] = []
    changed: dict[int, Outage] = {}
    for ev in sorted(events, key=lambda e: e.at):
        fp = _fingerprint(ev.key)
        current = known.get(fp)
        if ev.action in ("open", "acknowledge"):
            if current is not None:
                result.ignored += 1
                continue
            comp = _component(source, ev.refs, mapped_only=False) or "unlabelled"
            current = _outage(source, comp, ev.started, None, ev.cause, fp)
            created.append(current)
            known[fp] = current
            result.outages_opened += 1
        elif current is None:  # a close whose open was missed: the whole outage
            comp = _component(source, ev.refs, mapped_only=False) or "unlabelled"
            current = _outage(source, comp, ev.started, max(ev.at, ev.started), ev.cause, fp)
            created.append(current)
            known[fp] = current
            result.outages_opened += 1
            result.outages_closed += 1
        elif current.end is None:
            current.end = max(ev.at, current.start)
            if current.pk:
                changed[current.pk] = current
            result.outages_closed += 1
        else:
            result.ignored += 1
    Outage.objects.bulk_create(created)
    if changed:
        Outage.objects.bulk_update(list(changed.values()), ["end"])
    _flag_unknown(result, created)


def _ingest_delivery(source: MonitoringSource, body: bytes, kind: str, delivery: Delivery, verb: str) -> IngestResult:
    items = len(delivery.events)
    with transaction.atomic():
        source = _begin(source, kind)
        payload = _store(source, body, "application/json", items, timezone.now(), upstream_id=delivery.upstream_id)
        if payload is None:
            return _duplicate(source, body, items, delivery.upstream_id)
        result = IngestResult(payload_id=payload.pk, duplicate=False, items=items)
        _apply_events(source, delivery.events, result)
        _audit_changes(source, result, verb)
    return result


def ingest_pagerduty(source: MonitoringSource, body: bytes) -> IngestResult:
    return _ingest_delivery(source, body, Kind.PAGERDUTY, parse_pagerduty(body), "monitoring.pagerduty_ingested")


def ingest_opsgenie(source: MonitoringSource, body: bytes) -> IngestResult:
    delivery = parse_opsgenie(body, received=timezone.now())
    return _ingest_delivery(source, body, Kind.OPSGENIE, delivery, "monitoring.opsgenie_ingested")


# -- the scheduled pull ----------------------------------------------------------------------------


def pull_statuspage(*, source_id: int) -> IngestResult | None:
    """Fetch a Statuspage source's URL and ingest it. The fetch (10 s timeout)
    runs before any transaction, never under a lock. A failed fetch or a bad
    body is noted on the source (``last_pull_error``) and changes nothing else."""
    from availability.services import sources

    source = MonitoringSource.objects.select_related("contract").filter(pk=source_id).first()
    if source is None or not source.pull_url or source.revoked_at is not None or source.rejected_at is not None:
        return None
    limit = int(getattr(settings, "COVENANT_MAX_MONITORING_BYTES", DEFAULT_MAX_BYTES))
    now = timezone.now()
    error = ""
    result = None
    try:
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked at registration
            source.pull_url, headers={"Accept": "application/json", "User-Agent": "Covenant"}
        )
        with urllib.request.urlopen(request, timeout=PULL_TIMEOUT_SECONDS) as response:  # noqa: S310
            body = response.read(limit + 1)
        if len(body) > limit:
            error = f"The page's JSON is over the limit of {limit:,} bytes."
        else:
            result = ingest_statuspage(source, body)
    except InvalidInput as exc:
        error = str(exc)
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections, bad URLs
        error = f"Fetch failed: {exc}"
    MonitoringSource.objects.filter(pk=source.pk).update(last_pulled_at=now, last_pull_error=error[:300])
    if result is not None:
        sources.note_use(source, now=now)
    return result


__all__ = ["ingest_opsgenie", "ingest_pagerduty", "ingest_statuspage", "pull_statuspage"]
