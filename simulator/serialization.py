"""A simulation's results as JSON-ready data: what the API returns, what a
scenario stores and what the page and the PDF show. Decimals and datetimes
are strings, so a stored scenario reads back exactly as it was run."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from availability.engine import shown
from contracts.pdf import termination_text, tier_range
from contracts.terms import SEVERITIES, TARGETS
from reports.credits import AVAILABILITY
from reports.snapshot_parts import dec, iso, share
from simulator.engine import EXCLUDED, PeriodFigures, SimulationResult, TermSetResult
from simulator.terms import format_hours

# 2: availability judged on the exact figure, with the coverage rule ("measured",
# "coverage"). Schema 1 scenarios keep the figures they were stored with.
SCHEMA = 2
CHANGES_LIMIT = 500


def terms_summary(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The figures a negotiator compares, in words and numbers."""
    up = doc["uptime"]
    targets = []
    for row in doc["targets"]:
        clocks = {row[f"{k}_clock"] for k in TARGETS}
        targets.append(
            {
                "severity": row["severity"],
                "environment": row["environment"],
                **{k: row[f"{k}_minutes"] for k in TARGETS},
                "clock": clocks.pop() if len(clocks) == 1 else "mixed",
            }
        )
    return {
        "uptime_target": up["target_percent"],
        "period": up["period"],
        "timezone": up["timezone"],
        "service_rule": up["service_rule"],
        "critical_incidents_count": bool(up.get("critical_incidents_count")),
        "coverage_hours": format_hours(doc["calendar"]["hours"]),
        "calendar_timezone": doc["calendar"]["timezone"],
        "targets": targets,
        "tiers": [{"range": tier_range(t), "percent": t["percent"]} for t in doc["credit_tiers"]],
        "cap": doc["credit_cap_percent"],
        "breach_credits": [dict(r) for r in doc["breach_credits"]],
        "exclusions": dict(doc["exclusions"]),
        "pause_stops": list(doc["pause"]["stops"]),
        "termination": termination_text(doc["termination"], up["period"]),
    }


def _amount(fig: PeriodFigures, kind: str | None) -> Decimal:
    lines = fig.credits.lines if fig.credits else []
    return sum((line.amount for line in lines if (line.kind == AVAILABILITY) == (kind == AVAILABILITY)), Decimal(0))


def period_json(fig: PeriodFigures) -> dict[str, Any]:
    p = fig.period
    base: dict[str, Any] = {"period": p.label, "short": p.short, "title": p.title, "in_force": fig.in_force}
    if not fig.in_force:
        return {**base, "availability": None, "met": None, "breaches": 0, "credits": None, "termination": False}
    c = fig.credits
    assert c is not None
    return {
        **base,
        "availability": dec(fig.availability),
        "measured": fig.measured,
        "coverage": dec(shown(fig.coverage, bounds=[fig.minimum_coverage])),
        "minimum_coverage": dec(fig.minimum_coverage),
        "target": dec(fig.target),
        "met": fig.met,
        "binding": fig.binding,
        "downtime_minutes": dec(fig.downtime_minutes),
        "excused_minutes": dec(fig.excused_minutes),
        "incidents": fig.counted,
        "excluded": fig.excluded,
        "breaches": fig.breaches,
        "missed": {k: sum(n for (_s, kind), n in fig.missed.items() if kind == k) for k in TARGETS},
        "credits": {
            "tier_percent": str(fig.tier_percent),
            "availability": str(_amount(fig, AVAILABILITY)),
            "breaches": str(_amount(fig, None)),
            "before_cap": str(c.total_before_cap),
            "cap": str(c.cap_amount),
            "total": str(c.total),
            "capped": c.capped,
        },
        "termination": fig.termination,
    }


def _outcome(value: Any) -> Any:
    return EXCLUDED if value == EXCLUDED else list(value)


def changes_json(changes: list[dict[str, Any]]) -> dict[str, Any]:
    counts = dict.fromkeys(("newly_breached", "no_longer_breached", "different_targets", "exclusion_changed"), 0)
    for c in changes:
        counts[c["direction"]] += 1
    return {
        "total": len(changes),
        **counts,
        "incidents": [
            {
                "id": c["incident"].pk,
                "ref": c["incident"].ref,
                "title": c["incident"].title,
                "severity": c["incident"].severity,
                "environment": c["incident"].environment,
                "opened_at": iso(c["incident"].opened_at),
                "period": c["period"].label,
                "before": _outcome(c["before"]),
                "after": _outcome(c["after"]),
                "direction": c["direction"],
            }
            for c in changes[:CHANGES_LIMIT]
        ],
    }


def totals_json(ts: TermSetResult) -> dict[str, Any]:
    live = [p for p in ts.periods if p.in_force]
    compliance = {}
    for k in TARGETS:
        row = {o: sum(p.totals[k][o] for p in live) for o in ("met", "missed", "running")}
        compliance[k] = {**row, "share": share(row["met"], row["missed"])}
    measured = [p for p in live if p.availability is not None]
    return {
        "incidents": sum(p.counted for p in live),
        "excluded": sum(p.excluded for p in live),
        "breaches": ts.breaches,
        "missed": {k: ts.missed(kind=k) for k in TARGETS},
        "by_severity": {s: {k: ts.missed(kind=k, severity=s) for k in TARGETS} for s in SEVERITIES},
        "compliance": compliance,
        "availability": {
            "measured": len(measured),
            "met": sum(1 for p in measured if p.met),
            "below": sum(1 for p in measured if p.met is False),
            "lowest": dec(min((p.availability for p in measured), default=None)),
        },
        "credits_availability": str(sum((_amount(p, AVAILABILITY) for p in live), Decimal(0))),
        "credits_breaches": str(sum((_amount(p, None) for p in live), Decimal(0))),
        "credits_before_cap": str(ts.credits_before_cap),
        "credits_total": str(ts.credits_total),
        "capped_periods": sum(1 for p in live if p.credits and p.credits.capped),
        "termination_periods": ts.termination_periods,
    }


def term_set_json(ts: TermSetResult) -> dict[str, Any]:
    return {
        "key": ts.key,
        "label": ts.label,
        "source": ts.source,
        "ref": ts.ref,
        "baseline": ts.key == "in_force",
        "summary": terms_summary(ts.terms) if ts.terms else None,
        "terms": ts.terms if ts.key != "in_force" else None,
        "periods": [period_json(p) for p in ts.periods],
        "totals": totals_json(ts),
        "changes": None if ts.changes is None else changes_json(ts.changes),
    }


def result_json(result: SimulationResult) -> dict[str, Any]:
    c = result.contract
    first = result.window[0]
    return {
        "schema": SCHEMA,
        "kind": "contract",
        "as_of": iso(result.as_of),
        "contract": {
            "id": c.pk,
            "reference": c.reference,
            "product": c.product,
            "buyer": c.buyer.name,
            "vendor": c.vendor.name,
            "currency": c.currency,
            "monthly_fee": dec(c.monthly_fee, 2),
        },
        "window": {
            "kind": first.kind,
            "timezone": first.zone,
            "first": first.label,
            "last": result.window[-1].label,
            "periods": [
                {"label": p.label, "short": p.short, "title": p.title, "start": iso(p.start), "end": iso(p.end)}
                for p in result.window
            ],
        },
        "term_sets": [term_set_json(ts) for ts in result.term_sets],
        "notes": list(result.notes),
    }
