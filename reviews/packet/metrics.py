"""The packet's metrics section: each SLA metric per period and over the whole year, grouped by outcome."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from contracts.pdf import METRIC_LABELS, OUTCOME_LABELS, human_minutes
from core import periods

SHARE_TARGETS = ("acknowledge", "restore", "resolve")


def _floor(up: Decimal, measured: Decimal) -> Decimal:
    return (up * 100 / measured).quantize(Decimal("0.001"), rounding=ROUND_FLOOR)


def _points(metric: str, snaps: Sequence[tuple[periods.Period, dict | None]]) -> list[dict[str, Any]]:
    rows = []
    for period, s in snaps:
        value: str | None = None
        met: bool | None = None
        if s is not None:
            if metric == "availability":
                a = s["availability"]
                value, met = (a["value"], a["met"]) if a["measured"] else (None, None)
            elif metric in SHARE_TARGETS:
                t = s["incidents"]["totals"][metric]
                decided = t["met"] + t["missed"]
                value, met = (t["share"], t["missed"] == 0) if decided else (None, None)
            elif metric == "satisfaction":
                value = s["satisfaction"]["mean"]
        rows.append(
            {"period": period.label, "short": period.short, "reported": s is not None, "value": value, "met": met}
        )
    return rows


def _year_figure(metric: str, snaps: Sequence[tuple[periods.Period, dict | None]], target: str) -> dict[str, Any]:
    reported = [s for _, s in snaps if s is not None]
    if metric == "availability":
        measured = down = Decimal(0)
        for s in reported:
            a = s["availability"]
            measured += Decimal(a["period_minutes"] or 0) - Decimal(a["no_data_minutes"] or 0)
            down += Decimal(a["downtime_minutes"] or 0)
        if measured <= 0:
            return {"value": None, "text": "not measured"}
        value = _floor(measured - down, measured)
        return {
            "value": str(value),
            "text": f"{value} % over the year (target {target} %)",
            "downtime": human_minutes(int(down)) if down else "none",
        }
    if metric in SHARE_TARGETS:
        met = sum(s["incidents"]["totals"][metric]["met"] for s in reported)
        missed = sum(s["incidents"]["totals"][metric]["missed"] for s in reported)
        if not met + missed:
            return {"value": None, "text": "no incident decided"}
        share = (Decimal(100 * met) / Decimal(met + missed)).quantize(Decimal("0.1"))
        return {"value": str(share), "text": f"{met} of {met + missed} incidents within target ({share} %)"}
    if metric == "satisfaction":
        count = sum(s["satisfaction"]["count"] for s in reported)
        total = sum(
            Decimal(s["satisfaction"]["mean"]) * s["satisfaction"]["count"]
            for s in reported
            if s["satisfaction"]["mean"]
        )
        if not count:
            return {"value": None, "text": "no ratings"}
        mean = (total / count).quantize(Decimal("0.01"))
        return {"value": str(mean), "text": f"mean {mean} / 5 from {count} rating{'s' if count != 1 else ''}"}
    return {"value": None, "text": "–"}


def _metrics(terms: Mapping[str, Any], snaps: Sequence[tuple[periods.Period, dict | None]]) -> list[dict[str, Any]]:
    target = str(terms.get("uptime", {}).get("target_percent", ""))
    groups: dict[str, list[dict[str, Any]]] = {}
    for m in terms.get("metrics") or [{"metric": "availability", "outcome": "revenue", "binding": True}]:
        metric = m["metric"]
        points = _points(metric, snaps)
        decided = [p for p in points if p["met"] is not None]
        groups.setdefault(m["outcome"], []).append(
            {
                "metric": metric,
                "label": METRIC_LABELS.get(metric, metric),
                "binding": bool(m["binding"]),
                "target": target
                if metric == "availability"
                else "every incident within its target"
                if metric in SHARE_TARGETS
                else "",
                "points": points,
                "met_periods": sum(1 for p in decided if p["met"]),
                "missed_periods": sum(1 for p in decided if not p["met"]),
                "year": _year_figure(metric, snaps, target),
            }
        )
    return [
        {"outcome": outcome, "label": OUTCOME_LABELS.get(outcome, outcome), "metrics": rows}
        for outcome, rows in groups.items()
    ]
