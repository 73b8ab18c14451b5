"""Probe results (timestamp, component, up, optional response time) as JSON
or CSV, turned into outages and no-data spans.

Rules, per source and component, in timestamp order:

* a probe's state holds from its timestamp until the next probe, but at most
  the source's ``interval_seconds``; a longer gap is a ``NoDataSpan`` from the
  last probe plus the interval up to the next probe (never counted as up);
* up → down opens an outage at the down probe; down → up closes it at the up
  probe; a gap closes an open outage where the data stops (what happened in
  the gap is unknown: it is reported as no data);
* a probe not newer than the component's last one is kept in the raw payload
  but changes nothing (history is not rewritten by late or repeated data).

State carries from one batch to the next in ``ProbeState``; each batch is a
handful of bulk queries whatever its size.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from availability.models import MonitoringSource, NoDataSpan, Outage, ProbeState, RawPayload
from availability.services.monitoring import (
    MAX_REPORTED_ERRORS,
    IngestResult,
    _audit_changes,
    _begin,
    _invalid,
    _json,
    _store,
    _time,
)
from core.errors import InvalidInput

_UP = {"true": True, "1": True, "up": True, "yes": True, "false": False, "0": False, "down": False, "no": False}


def _probe_rows(body: bytes, content_type: str) -> tuple[list[Any], str]:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("The body is not UTF-8 text.", errors={"body": ["Must be UTF-8."]}) from None
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in ("timestamp", "component", "up") if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput(
                f"The CSV header must name timestamp, component and up; missing: {', '.join(missing)}.",
                errors={"line 1": [f"Missing column(s): {', '.join(missing)}."]},
            )
        return list(reader), "csv"
    if kind == "application/json" or kind.endswith("+json"):
        data = _json(body)
        if isinstance(data, dict):
            return [data], "json"
        if isinstance(data, list):
            return data, "json"
        raise InvalidInput(
            "Send one probe result object or an array of them.", errors={"body": ["Must be an object or an array."]}
        )
    raise InvalidInput(
        f"Unsupported content type '{kind or 'none'}': send application/json or text/csv.",
        errors={"content_type": ["Must be application/json or text/csv."]},
    )


def parse_probes(body: bytes, content_type: str) -> list[tuple[str, datetime, bool]]:
    """(component, time, up) per probe result; validated whole."""
    rows, fmt = _probe_rows(body, content_type)
    out: list[tuple[str, datetime, bool]] = []
    errors: dict[str, list[str]] = {}
    times: dict[Any, datetime] = {}
    for i, row in enumerate(rows):
        where = f"line {i + 2}" if fmt == "csv" else f"[{i}]"
        if not isinstance(row, dict):
            errors[where] = ["Must be an object with timestamp, component and up."]
            continue
        problems: list[str] = []
        stamp = row.get("timestamp")
        at = times.get(stamp) if isinstance(stamp, str | int | float) else None
        if at is None:
            try:
                at = _time(stamp)
                if isinstance(stamp, str | int | float):
                    times[stamp] = at
            except (ValueError, OverflowError) as exc:
                problems.append(f"timestamp {exc}.")
        component = row.get("component")
        if not isinstance(component, str) or not component.strip() or len(component) > 100:
            problems.append("component is required (text, at most 100 characters).")
        up = row.get("up")
        if not isinstance(up, bool):
            up = _UP.get(str(up).strip().lower()) if isinstance(up, str | int) else None
            if up is None:
                problems.append("up must be true or false.")
        response = row.get("response_ms")
        if response not in (None, ""):
            try:
                if isinstance(response, bool) or float(response) < 0:
                    raise ValueError
            except (TypeError, ValueError):
                problems.append("response_ms must be a number of milliseconds, at least 0.")
        if problems:
            errors[where] = problems
            if len(errors) > MAX_REPORTED_ERRORS:
                break
            continue
        out.append((component.strip(), at, up))
    if errors:
        raise _invalid("Malformed probe results:", errors)
    if not out:
        raise InvalidInput("No probe results in the body.", errors={"body": ["Send at least one probe result."]})
    return out


def ingest_probes(source: MonitoringSource, body: bytes, content_type: str) -> IngestResult:
    probes = parse_probes(body, content_type)
    with transaction.atomic():
        source = _begin(source, MonitoringSource.Kind.PROBE)
        payload = _store(source, body, content_type.split(";")[0].strip(), len(probes), timezone.now())
        if payload is None:
            existing = RawPayload.objects.get(source=source, sha256=hashlib.sha256(body).hexdigest())
            return IngestResult(payload_id=existing.pk, duplicate=True, items=len(probes), ignored=len(probes))
        result = IngestResult(payload_id=payload.pk, duplicate=False, items=len(probes))
        _derive(source, probes, result)
        _audit_changes(source, result, "monitoring.probes_ingested")
    return result


def _derive(source: MonitoringSource, probes: list[tuple[str, datetime, bool]], result: IngestResult) -> None:
    """Outages and no-data spans from probes, carrying state in ProbeState."""
    contract = source.contract
    covered = set(contract.covered_components or [])
    interval = timedelta(seconds=source.interval_seconds)
    by_component: dict[str, list[tuple[datetime, bool]]] = {}
    for component, at, up in probes:
        by_component.setdefault(component, []).append((at, up))
    states = {
        s.component: s
        for s in ProbeState.objects.filter(source=source, component__in=list(by_component)).select_related(
            "open_outage"
        )
    }
    new_outages: list[Outage] = []
    closed: dict[int, Outage] = {}
    gaps: list[NoDataSpan] = []
    new_states: list[ProbeState] = []
    changed_states: list[ProbeState] = []
    for component, rows in by_component.items():
        rows.sort(key=lambda r: r[0])
        state = states.get(component)
        last_at = state.last_at if state else None
        last_up = state.last_up if state else True
        current = state.open_outage if state else None
        if current is not None and current.end is not None:
            current = None  # closed meanwhile (e.g. corrected by staff)
        flagged = component not in covered
        advanced = False
        for at, up in rows:
            if last_at is not None and at <= last_at:
                result.ignored += 1
                continue
            if last_at is not None and at - last_at > interval:
                gap_start = last_at + interval
                gaps.append(NoDataSpan(contract=contract, source=source, component=component, start=gap_start, end=at))
                if current is not None:
                    current.end = gap_start
                    result.outages_closed += 1
                    if current.pk:
                        closed[current.pk] = current
                    current = None
            if not up and current is None:
                current = Outage(
                    contract=contract,
                    component=component,
                    start=at,
                    source=Outage.Source.MONITORING,
                    monitoring_source=source,
                    unknown_component=flagged,
                    cause="Probe reported down",
                )
                new_outages.append(current)
                result.outages_opened += 1
            elif up and current is not None:
                current.end = at
                result.outages_closed += 1
                if current.pk:
                    closed[current.pk] = current
                current = None
            last_at, last_up, advanced = at, up, True
        if flagged:
            result.unknown_components.append(component)
        if not advanced:
            continue
        if state is None:
            new_states.append(
                ProbeState(source=source, component=component, last_at=last_at, last_up=last_up, open_outage=current)
            )
        else:
            state.last_at, state.last_up, state.open_outage = last_at, last_up, current
            changed_states.append(state)
    if new_outages:
        Outage.objects.bulk_create(new_outages, batch_size=500)
    if closed:
        Outage.objects.bulk_update(list(closed.values()), ["end"], batch_size=500)
    if gaps:
        NoDataSpan.objects.bulk_create(gaps, batch_size=500, ignore_conflicts=True)
        result.no_data_spans = len(gaps)
    for state in [*new_states, *changed_states]:
        state.open_outage_id = state.open_outage.pk if state.open_outage is not None else None
    if new_states:
        ProbeState.objects.bulk_create(new_states, batch_size=500)
    if changed_states:
        ProbeState.objects.bulk_update(changed_states, ["last_at", "last_up", "open_outage"], batch_size=500)
    result.unknown_components.sort()


__all__ = ["ingest_probes", "parse_probes"]
