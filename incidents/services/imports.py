"""Staff-only bulk import of past incidents with their recorded times.

All or nothing: a file with any bad row is rejected whole, each bad row
named by its line and reason."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from contracts.models import Contract, SLAVersion
from contracts.versions import in_force_among
from core.actor import Actor
from core.errors import InvalidInput, NotPermitted
from incidents.models import Environment, Incident, IncidentEvent, Severity
from incidents.services.base import audit_incident, event, now, save_with_clocks

FIELDS = ["title", "severity", "environment", "component", "opened_at", "acknowledged_at", "resolved_at", "description"]
MAX_ROWS = 10_000


def parse_rows(content: bytes, fmt: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs from CSV (header line 1) or a JSON array."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text.", errors={"file": ["Save the file as UTF-8."]}) from None
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                "The file is not valid JSON.", errors={"file": [f"Line {exc.lineno}: {exc.msg}."]}
            ) from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InvalidInput(
                "Expected a JSON array of objects.", errors={"file": ["Top level must be an array of objects."]}
            )
        return [(i + 1, r) for i, r in enumerate(data)]
    reader = csv.DictReader(io.StringIO(text))
    missing = [
        f for f in ("title", "severity", "environment", "component", "opened_at") if f not in (reader.fieldnames or [])
    ]
    if missing:
        raise InvalidInput(
            "The CSV header is incomplete.", errors={"file": [f"Missing columns: {', '.join(missing)}."]}
        )
    return [(i + 2, row) for i, row in enumerate(reader)]


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(str(value))
    if parsed is None or parsed.tzinfo is None:
        raise ValueError(f"'{value}' is not an ISO 8601 date-time with a UTC offset")
    return parsed


def import_incidents(
    *, actor: Actor, contract: Contract, rows: list[tuple[int, dict[str, Any]]], source: str
) -> list[Incident]:
    if not getattr(actor, "is_staff", False):
        raise NotPermitted("Only staff may import incident history.")
    if not source.strip():
        raise InvalidInput("Name the source of the history.", errors={"source": ["This field is required."]})
    if len(rows) > MAX_ROWS:
        raise InvalidInput("Too many rows.", errors={"file": [f"At most {MAX_ROWS} rows per import."]})
    errors: dict[str, list[str]] = {}
    parsed: list[dict[str, Any]] = []
    versions = list(SLAVersion.objects.filter(contract=contract, status=SLAVersion.Status.ACTIVE))
    current = now()
    for line, row in rows:
        problems: list[str] = []
        try:
            opened = _when(row.get("opened_at"))
            acked = _when(row.get("acknowledged_at"))
            resolved = _when(row.get("resolved_at"))
        except ValueError as exc:
            errors[f"line {line}"] = [str(exc)]
            continue
        title = str(row.get("title") or "").strip()
        component = str(row.get("component") or "").strip()
        if not title:
            problems.append("title is required")
        if row.get("severity") not in Severity.values:
            problems.append(f"severity must be one of {', '.join(Severity.values)}")
        if row.get("environment") not in Environment.values:
            problems.append(f"environment must be one of {', '.join(Environment.values)}")
        if not component:
            problems.append("component is required")
        if opened is None:
            problems.append("opened_at is required")
        else:
            if opened > current:
                problems.append("opened_at is in the future")
            if acked and acked < opened:
                problems.append("acknowledged_at is before opened_at")
            if resolved and not acked:
                problems.append("acknowledged_at is required when resolved_at is given")
            if resolved and resolved < (acked or opened):
                problems.append("resolved_at is before it was acknowledged/opened")
        version = in_force_among(versions, opened) if opened else None
        if opened and version is None:
            problems.append("no SLA version of the contract was in force at opened_at")
        if problems:
            errors[f"line {line}"] = problems
            continue
        parsed.append(
            {
                "row": {**row, "title": title, "component": component},
                "opened": opened,
                "acked": acked,
                "resolved": resolved,
                "version": version,
            }
        )
    if errors:
        raise InvalidInput(f"{len(errors)} row(s) are invalid; nothing was imported.", errors=errors)
    created: list[Incident] = []
    with transaction.atomic():
        for item in parsed:
            row = item["row"]
            status = Incident.Status.OPEN
            if item["acked"]:
                status = Incident.Status.ACKNOWLEDGED
            if item["resolved"]:
                status = Incident.Status.CLOSED
            incident = Incident(
                contract=contract,
                sla_version=item["version"],
                title=str(row["title"]).strip()[:200],
                description=str(row.get("description") or ""),
                severity=row["severity"],
                environment=row["environment"],
                component=str(row["component"]).strip(),
                out_of_scope=not contract.in_scope(str(row["component"]).strip()),
                status=status,
                opened_at=item["opened"],
                acknowledged_at=item["acked"],
                resolved_at=item["resolved"],
                closed_at=item["resolved"],
                imported=True,
                import_source=source.strip()[:200],
            )
            incident.save()
            event(
                incident,
                kind=IncidentEvent.Kind.IMPORTED,
                actor=actor,
                at=current,
                message=f"Imported from {source.strip()} with its recorded times.",
            )
            save_with_clocks(incident, at=current, actor=actor)
            created.append(incident)
        audit_incident(
            actor, created[0], "incident.imported", {"count": [None, len(created)], "source": [None, source.strip()]}
        ) if created else None
    return created
