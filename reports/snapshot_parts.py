"""The incident, exclusion, change and maintenance parts of a period snapshot.

Every value is JSON-ready: Decimals and datetimes are strings (ISO 8601 UTC).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from availability.maintenance import Verdict
from availability.models import ChangeNotice, MaintenanceWindow, MonitoringSource, Outage
from availability.services import reconciliation
from availability.services.sources import source_components
from contracts.terms import ENVIRONMENTS, SEVERITIES, TARGETS, Terms
from incidents.models import ExclusionClaim, Incident


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def dec(value: Decimal | None, places: int | None = None) -> str | None:
    if value is None:
        return None
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return str(value)


def share(met: int, missed: int) -> str | None:
    """Share met of the decided targets, in percent to one decimal; None when none were decided."""
    decided = met + missed
    return None if not decided else dec(Decimal(100 * met) / Decimal(decided), 1)


def binding(terms: Terms, metric: str) -> bool:
    """Only binding metrics carry remedies. A metric the terms do not list at
    all is binding: its credits are written in the terms and nothing waives them."""
    rows = [m for m in terms.data.get("metrics", []) if m["metric"] == metric]
    return not rows or bool(rows[0]["binding"])


# -- incidents -----------------------------------------------------------------------


def _target_outcome(incident: Incident, kind: str, now: datetime) -> str | None:
    """'met', 'missed', 'running', or None (no such target). The stored flag is
    authoritative; a due time already passed with no met time is a miss even
    if the watcher has not recorded it yet."""
    due, met = getattr(incident, f"{kind}_due_at"), getattr(incident, f"{kind}_met_at")
    if getattr(incident, f"{kind}_breached"):
        return "missed"
    if due is None:
        return None
    if met is not None:
        return "met"
    return "missed" if due <= now else "running"


def _optional_outcomes(
    inc: Incident, terms: Terms, now: datetime, cell: dict[str, Any], missed: list[dict[str, Any]]
) -> None:
    """The optional targets (investigate, update cadence) join the matrix cell
    and the breach list only when the incident's terms set them, so a report
    under terms without them reads as before. Both are response targets: they
    are binding when the acknowledge metric is."""
    outcome = _target_outcome(inc, "investigate", now)
    if outcome is not None:
        cell.setdefault("investigate", {"met": 0, "missed": 0, "running": 0})[outcome] += 1
        if outcome == "missed":
            missed.append(
                {
                    "kind": "investigate",
                    "due_at": iso(inc.investigate_due_at),
                    "met_at": iso(inc.investigate_met_at),
                    "binding": binding(terms, "acknowledge"),
                }
            )
    if inc.update_misses:
        cell["update_misses"] = cell.get("update_misses", 0) + inc.update_misses
        missed.append(
            {
                "kind": "update",
                "due_at": None,
                "met_at": None,
                "misses": inc.update_misses,
                "binding": binding(terms, "acknowledge"),
            }
        )


def incidents_part(
    incidents: list[Incident],
    claims: Iterable[ExclusionClaim],
    *,
    terms_by_version: Mapping[int, Terms],
    reporting: Terms,
    now: datetime,
) -> dict[str, Any]:
    """Counts and shares per severity x environment, the breach list, the
    breach credits owed, exclusions accepted and pending, satisfaction."""
    pending: dict[int, ExclusionClaim] = {}
    accepted: dict[int, ExclusionClaim] = {}
    for claim in claims:  # newest first
        target = pending if claim.status == ExclusionClaim.Status.PENDING else accepted
        target.setdefault(claim.incident_id, claim)
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    breaches: list[dict[str, Any]] = []
    breach_credits: list[tuple[str, str, Decimal]] = []
    excluded_rows: list[dict[str, Any]] = []
    pending_rows: list[dict[str, Any]] = []
    scores: list[int] = []
    for inc in incidents:
        terms = terms_by_version.get(inc.sla_version_id, reporting)
        base = {
            "id": inc.pk,
            "ref": inc.reference,
            "title": inc.title,
            "severity": inc.severity,
            "environment": inc.environment,
            "opened_at": iso(inc.opened_at),
        }
        if inc.excluded:
            claim = accepted.get(inc.pk)
            excluded_rows.append(
                {**base, "kind": claim.kind if claim else "", "reason": claim.reason if claim else "Excluded."}
            )
            continue
        if inc.pk in pending:
            claim = pending[inc.pk]
            pending_rows.append(
                {**base, "kind": claim.kind, "reason": claim.reason, "claimed_at": iso(claim.claimed_at)}
            )
        if inc.satisfaction is not None:
            scores.append(inc.satisfaction)
        cell = cells.setdefault(
            (inc.severity, inc.environment),
            {"count": 0, **{k: {"met": 0, "missed": 0, "running": 0} for k in TARGETS}},
        )
        cell["count"] += 1
        missed: list[dict[str, Any]] = []
        for kind in TARGETS:
            outcome = _target_outcome(inc, kind, now)
            if outcome is None:
                continue
            cell[kind][outcome] += 1
            if outcome == "missed":
                missed.append(
                    {
                        "kind": kind,
                        "due_at": iso(getattr(inc, f"{kind}_due_at")),
                        "met_at": iso(getattr(inc, f"{kind}_met_at")),
                        "binding": binding(terms, kind),
                    }
                )
        _optional_outcomes(inc, terms, now, cell, missed)
        if not missed:
            continue
        credited = []
        for row in terms.data.get("breach_credits", []):
            hit = next((m for m in missed if m["kind"] == row["target"]), None)
            if row["severity"] == inc.severity and hit is not None and hit["binding"]:
                percent = Decimal(row["percent"])
                ref = f"{inc.reference}/{row['target']}"
                breach_credits.append(
                    (ref, f"{inc.reference} {inc.severity} incident: {row['target']} target missed", percent)
                )
                credited.append({"ref": ref, "target": row["target"], "percent": str(percent)})
        breaches.append(
            {**base, "targets": missed, "credits": credited, "pending_claim": inc.pk in pending, "status": inc.status}
        )
    matrix = []
    for severity in SEVERITIES:
        for env in ENVIRONMENTS:
            cell = cells.get((severity, env))
            if cell is None:
                continue
            matrix.append(
                {
                    "severity": severity,
                    "environment": env,
                    "count": cell["count"],
                    **{
                        k: {**cell[k], "share": share(cell[k]["met"], cell[k]["missed"])}
                        for k in (*TARGETS, "investigate")
                        if k in cell
                    },
                    **({"update_misses": cell["update_misses"]} if "update_misses" in cell else {}),
                }
            )
    totals = {k: {"met": 0, "missed": 0, "running": 0} for k in TARGETS}
    for cell in cells.values():
        for k in TARGETS:
            for outcome in ("met", "missed", "running"):
                totals[k][outcome] += cell[k][outcome]
    distribution = {str(n): scores.count(n) for n in range(1, 6)}
    return {
        "incidents": {
            "opened": len(incidents),
            "counted": len(incidents) - len(excluded_rows),
            "excluded": len(excluded_rows),
            "matrix": matrix,
            "totals": {k: {**v, "share": share(v["met"], v["missed"])} for k, v in totals.items()},
        },
        "breaches": breaches,
        "breach_credits": breach_credits,
        "excluded_incidents": excluded_rows,
        "pending_incidents": pending_rows,
        "satisfaction": {
            "count": len(scores),
            "mean": dec(Decimal(sum(scores)) / Decimal(len(scores)), 2) if scores else None,
            "distribution": distribution,
        },
    }


# -- outages, maintenance, changes -------------------------------------------------------------


def outages_part(outages: Iterable[Outage], *, start: datetime, end: datetime) -> dict[str, Any]:
    rows = []
    for o in outages:
        a, b = max(o.start, start), min(o.end or end, end)
        rows.append(
            {
                "id": o.pk,
                "component": o.component,
                "start": iso(o.start),
                "end": iso(o.end),
                "minutes_in_period": dec(Decimal(max((b - a).total_seconds(), 0)) / 60, 1),
                "source": o.source,
                "cause": o.cause,
                "exclusion": o.exclusion,
                "exclusion_kind": o.exclusion_kind,
                "exclusion_reason": o.exclusion_reason,
            }
        )
    return {
        "outages": rows,
        "excluded_outages": [r for r in rows if r["exclusion"] == Outage.Exclusion.ACCEPTED],
        "pending_outages": [r for r in rows if r["exclusion"] == Outage.Exclusion.CLAIMED],
    }


def maintenance_part(verdicts: Iterable[Verdict], windows: Mapping[int, MaintenanceWindow]) -> list[dict[str, Any]]:
    rows = []
    for v in verdicts:
        pk = int(v.ref.split(":", 1)[1])
        w = windows.get(pk)
        excused = sum(((b - a).total_seconds() for a, b in v.excused), 0.0)
        counted = sum(((b - a).total_seconds() for a, b in v.not_excused), 0.0)
        rows.append(
            {
                "id": pk,
                "title": w.title if w else v.ref,
                "components": list(w.components) if w else [],
                "start": iso(w.start) if w else None,
                "planned_end": iso(w.end) if w else None,
                "actual_end": iso(w.actual_end) if w else None,
                "announced_at": iso(w.announced_at) if w else None,
                "excused_minutes": dec(Decimal(excused) / 60, 1),
                "counted_minutes": dec(Decimal(counted) / 60, 1),
                "compliant": v.compliant,
                "overrun": any("overran" in r for r in v.reasons),
                "reasons": [*_late_record(w), *v.reasons],
                **({"recorded_late": _late_facts(w)} if w and w.recorded_late else {}),
            }
        )
    return rows


def _late_facts(w: MaintenanceWindow) -> dict[str, Any]:
    return {
        "recorded_at": iso(w.recorded_at),
        "recorded_by": str(w.created_by) if w.created_by else None,
        "evidence": w.evidence,
        "accepted_at": iso(w.late_accepted_at),
        "accepted_by": str(w.late_accepted_by) if w.late_accepted_by else None,
    }


def _late_record(w: MaintenanceWindow | None) -> list[str]:
    """A line saying the window was recorded after the fact, by whom, and whether the buyer accepted it."""
    if w is None or not w.recorded_late:
        return []
    by = str(w.created_by) if w.created_by else "someone no longer listed"
    line = (
        f"recorded after the fact by {by} on {w.recorded_at:%Y-%m-%d}" if w.recorded_at else "recorded after the fact"
    )
    if w.late_accepted_at:
        accepted_by = str(w.late_accepted_by) if w.late_accepted_by else "the buyer"
        line += f"; accepted by {accepted_by} on {w.late_accepted_at:%Y-%m-%d}"
    return [line]


def changes_part(notices: Iterable[ChangeNotice]) -> dict[str, Any]:
    rows = [
        {
            "id": n.pk,
            "title": n.title,
            "kind": n.kind,
            "planned_at": iso(n.planned_at),
            "announced_at": iso(n.announced_at),
            "required_notice_days": n.required_notice_days,
            "late": n.late,
            "status": n.status,
        }
        for n in notices
    ]
    return {"notices": rows, "late": sum(1 for r in rows if r["late"])}


# -- the sources that counted and their reconciliation ------------------------------------------


def _person(user: Any) -> str | None:
    return None if user is None else (user.get_full_name() or user.get_username())


def sources_part(contract: Any, *, components: list[str]) -> list[dict[str, Any]]:
    """Per component, the sources whose data counted: name, kind, the side that
    registered it and who of the other side accepted it."""
    rows = list(
        MonitoringSource.objects.filter(contract=contract)
        .counting()
        .select_related("contract", "accepted_by")
        .order_by("name", "pk")
    )
    scope = {s.pk: set(source_components(s)) for s in rows}
    return [
        {
            "component": name,
            "sources": [
                {
                    "id": s.pk,
                    "name": s.name,
                    "kind": s.kind,
                    "side": s.registered_side,
                    "accepted_by": _person(s.accepted_by)
                    or ("staff (neutral operator)" if s.registered_side == MonitoringSource.Side.STAFF else None),
                    "accepted_at": iso(s.accepted_at),
                    "revoked_at": iso(s.revoked_at),
                }
                for s in rows
                if name in scope[s.pk]
            ],
        }
        for name in components
    ]


def reconciliation_part(contract: Any, *, period_start: datetime, tolerance_seconds: int) -> dict[str, Any]:
    """The discrepancies between sources in the period and how each was decided."""
    items = reconciliation.period_items(contract, start=period_start)
    names = dict(MonitoringSource.objects.filter(contract=contract).values_list("pk", "name"))
    summary = reconciliation.summary(items)
    return {
        **summary,
        "tolerance_seconds": tolerance_seconds,
        "disputed_minutes": dec(Decimal(summary["disputed_seconds"]) / 60, 1),
        "rule": reconciliation.RULE,
        "rows": [
            {
                "id": d.pk,
                "component": d.component,
                "start": iso(d.start),
                "end": iso(d.end),
                "seconds": d.seconds,
                "status": d.status,
                "resolution": d.resolution,
                "source": d.picked_source.name if d.picked_source else None,
                "reason": d.reason,
                "down": [names.get(i, f"source {i}") for i in d.down_sources],
                "up": [names.get(i, f"source {i}") for i in d.up_sources],
            }
            for d in items
        ],
    }
