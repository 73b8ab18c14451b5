"""Display context for simulation results (the page, a saved scenario and
its PDF show the same thing), built from the JSON the simulator returns."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from availability.data import DISPLAY_RULE
from contracts.terms import SEVERITIES, TARGETS
from core.money import money
from reports.presenters import pct
from simulator.sensitivity import axis, sweep_chart

PALETTE = ["#0f2740", "#b3261e", "#1d4ed8", "#b26a00", "#1b7f3b", "#6d28d9", "#0e7490", "#be185d", "#4d7c0f", "#78350f"]
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
CHANGES_SHOWN = 100
DIRECTIONS = {
    "newly_breached": "now breached",
    "no_longer_breached": "now met",
    "different_targets": "other targets",
    "exclusion_changed": "exclusion",
}
ENV = {"production": "prod.", "non_production": "non-prod."}
COVERAGE_RULE = (
    "A period with less of its time monitored than the terms' minimum coverage is not measured: "
    "it earns no availability credit and does not count towards the termination right."
)
STORED_RULE = (
    "Saved before availability was judged on exact figures: its availability is shown as stored "
    "(truncated to 0.001 %, without the minimum coverage). Run it again to judge it as a period close does."
)


def rule_notes(results: dict[str, Any]) -> list[str]:
    """How the availability figures of ``results`` were decided, in words."""
    if results.get("schema", 1) < 2:
        return [STORED_RULE]
    return [DISPLAY_RULE, COVERAGE_RULE]


def _availability_text(f: dict[str, Any]) -> str:
    if f["availability"] is not None or "measured" not in f:  # schema 1: the stored figure stands
        return pct(f["availability"])
    return f"not measured ({pct(f['coverage'])} monitored)"


def _missed_text(value: Any) -> str:
    if value == "excluded":
        return "excluded"
    return ", ".join(value) + " missed" if value else "all met"


def _direction_text(row: dict[str, Any]) -> str:
    before, after = row["before"], row["after"]
    if row["direction"] == "different_targets" and isinstance(before, list) and isinstance(after, list):
        if set(before) < set(after):
            return "more targets missed"
        if set(after) < set(before):
            return "fewer targets missed"
    return DIRECTIONS[row["direction"]]


def _changes_text(c: dict[str, Any] | None) -> str:
    if c is None:
        return "–"
    other = c["total"] - c["newly_breached"] - c["no_longer_breached"]
    text = f"{c['newly_breached']:,} now breached, {c['no_longer_breached']:,} now met"
    return text + (f", {other:,} on other targets or exclusions" if other else "")


def _as_of(value: str) -> str:
    return f"{value[:10]} {value[11:16]} UTC"


def _count_delta(value: int, base: int) -> str:
    return "" if value == base else f"{'+' if value > base else '−'}{abs(value - base):,}"


def _money_delta(value: str, base: str, currency: str) -> str:
    d = Decimal(value) - Decimal(base)
    return "" if not d else f"{'+' if d > 0 else '−'}{money(abs(d), currency)}"


def _targets_text(summary: dict[str, Any], severity: str, environment: str) -> str:
    row = next((t for t in summary["targets"] if (t["severity"], t["environment"]) == (severity, environment)), None)
    if row is None:
        return "–"
    clock = {"24x7": "24x7", "coverage": "business hours"}.get(row["clock"], "mixed clocks")
    return f"{row['acknowledge']:,} · {row['restore']:,} · {row['resolve']:,} min ({clock})"


def _terms_rows(sets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def row(label: str, fn: Any) -> dict[str, Any]:
        cells = [fn(s["summary"]) for s in sets]
        return {"label": label, "cells": cells, "differs": len(set(cells)) > 1}

    def ex(s: dict[str, Any]) -> str:
        e = s["exclusions"]
        granted = [w for k, w in (("force_majeure", "force majeure"), ("third_party", "third party"), ("customer_caused", "customer-caused")) if e[k]]  # fmt: skip
        return (
            f"maintenance {e['maintenance_allowance_minutes']} min, {e['maintenance_notice_days']} days' notice; "
            + (", ".join(granted) or "no other exclusions")
        )

    rows = [
        row("Uptime target", lambda s: f"{s['uptime_target']} % per {s['period']}"),
        row("Credit tiers", lambda s: "; ".join(f"{t['range']}: {t['percent']} %" for t in s["tiers"]) or "none"),
        row("Credit cap", lambda s: f"{s['cap']} % of the fee"),
        row(
            "Breach credits",
            lambda s: (
                "; ".join(f"{b['severity']} {b['target']}: {b['percent']} %" for b in s["breach_credits"]) or "none"
            ),
        ),
        row("Coverage hours", lambda s: f"{s['coverage_hours']} ({s['calendar_timezone']})"),
    ]
    for sev in ("critical", "high"):
        rows.append(
            row(
                f"{sev.capitalize()} / production: ack · restore · resolve",
                lambda s, sev=sev: _targets_text(s, sev, "production"),
            )
        )
    rows += [
        row("Critical incidents count as downtime", lambda s: "yes" if s["critical_incidents_count"] else "no"),
        row("Exclusions", ex),
        row("Termination right", lambda s: s["termination"]),
    ]
    return rows


def _outcome_rows(sets: list[dict[str, Any]], currency: str, n_periods: int) -> list[dict[str, Any]]:
    base = sets[0]["totals"]

    def count(label: str, fn: Any, *, strong: bool = False) -> dict[str, Any]:
        values = [fn(s["totals"]) for s in sets]
        return {
            "label": label,
            "strong": strong,
            "cells": [{"text": f"{v:,}", "delta": _count_delta(v, values[0])} for v in values],
        }

    def cash(label: str, key: str, *, strong: bool = False) -> dict[str, Any]:
        return {
            "label": label,
            "strong": strong,
            "cells": [
                {
                    "text": money(s["totals"][key], currency),
                    "delta": _money_delta(s["totals"][key], base[key], currency),
                }
                for s in sets
            ],
        }

    def text(label: str, fn: Any) -> dict[str, Any]:
        return {"label": label, "strong": False, "cells": [{"text": fn(s), "delta": ""} for s in sets]}

    rows = [
        count("Incidents counted", lambda t: t["incidents"]),
        count("Incidents with a target missed", lambda t: t["breaches"], strong=True),
    ]
    for kind in TARGETS:
        rows.append(count(f"{kind.capitalize()} targets missed", lambda t, k=kind: t["missed"][k]))
    for kind in TARGETS:
        rows.append(
            text(
                f"{kind.capitalize()}: met within target",
                lambda s, k=kind: (
                    pct(s["totals"]["compliance"][k]["share"])
                    + f" ({s['totals']['compliance'][k]['met']:,} of {s['totals']['compliance'][k]['met'] + s['totals']['compliance'][k]['missed']:,})"
                ),
            )
        )
    rows += [
        count("Periods below the uptime target", lambda t: t["availability"]["below"]),
        text("Lowest availability", lambda s: pct(s["totals"]["availability"]["lowest"])),
        cash("Availability credits", "credits_availability"),
        cash("Breach credits", "credits_breaches"),
        cash("Credits before the cap", "credits_before_cap"),
        cash("Credits after the cap", "credits_total", strong=True),
        count("Periods at the cap", lambda t: t["capped_periods"]),
        text("Termination right in", lambda s: ", ".join(s["totals"]["termination_periods"]) or "no period"),
        text("Incidents whose outcome changes", lambda s: _changes_text(s["changes"])),
    ]
    return rows


def _severity_rows(sets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for sev in SEVERITIES:
        for kind in TARGETS:
            values = [s["totals"]["by_severity"][sev][kind] for s in sets]
            if any(values):
                rows.append(
                    {
                        "severity": sev,
                        "kind": kind,
                        "cells": [{"text": f"{v:,}", "delta": _count_delta(v, values[0])} for v in values],
                    }
                )
    return rows


def _period_rows(results: dict[str, Any], currency: str) -> list[dict[str, Any]]:
    sets = results["term_sets"]
    rows = []
    for i, p in enumerate(results["window"]["periods"]):
        cells = []
        for s in sets:
            f = s["periods"][i]
            cells.append(
                {
                    "in_force": f["in_force"],
                    "availability": _availability_text(f) if f["in_force"] else pct(None),
                    "met": f["met"],
                    "breaches": f["breaches"],
                    "credits": money(f["credits"]["total"], currency) if f["credits"] else "–",
                    "capped": bool(f["credits"] and f["credits"]["capped"]),
                    "termination": f["termination"],
                }
            )
        rows.append({"label": p["label"], "title": p["title"], "cells": cells})
    return rows


def credits_chart(results: dict[str, Any], *, width: int = 760, height: int = 250) -> str:
    """Credits after the cap per period, one bar per term set."""
    sets, periods = results["term_sets"], results["window"]["periods"]
    values = [
        [Decimal(s["periods"][i]["credits"]["total"]) if s["periods"][i]["credits"] else Decimal(0) for s in sets]
        for i in range(len(periods))
    ]
    axis_top, step = axis(float(max((v for row in values for v in row), default=Decimal(0))))
    top_value = Decimal(str(axis_top))
    left, right, top, bottom = 70, 12, 22, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / max(len(periods), 1)
    bar = min(slot * 0.8 / max(len(sets), 1), 22)
    currency = results["contract"]["currency"]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="Credits per period" font-family={quoteattr(FONT)} class="chart"><title>Credits per period</title>'
    ]
    for i in range(round(axis_top / step) + 1):
        v = Decimal(str(step * i))
        y = top + plot_h - float(v / top_value) * plot_h
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + 3.5:.1f}" font-size="9.5" fill="#6b7280" text-anchor="end">{v:,.0f}</text>'
        )
    for i, p in enumerate(periods):
        x0 = left + slot * i + (slot - bar * len(sets)) / 2
        for j, v in enumerate(values[i]):
            h = float(v / top_value) * plot_h
            out.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar - 1:.1f}" height="{max(h, 0.5):.1f}" '
                f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(sets[j]["label"])}: {escape(money(v, currency))}</title></rect>'
            )
        out.append(
            f'<text x="{left + slot * i + slot / 2:.1f}" y="{top + plot_h + 13}" font-size="9.5" fill="#111827" '
            f'text-anchor="middle">{escape(p["short"])}</text>'
        )
    out.append(
        f'<text x="{left - 6}" y="{top - 8}" font-size="9.5" fill="#6b7280" text-anchor="end">{escape(currency)}</text>'
    )
    x = left
    for j, s in enumerate(sets):
        label = s["label"] if len(s["label"]) <= 34 else s["label"][:33] + "…"
        out.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>')
        out.append(f'<text x="{x + 14}" y="{height - 5}" font-size="9.5" fill="#111827">{escape(label)}</text>')
        x += 24 + len(label) * 5.6
    out.append("</svg>")
    return "".join(out)


def contract_context(results: dict[str, Any]) -> dict[str, Any]:
    currency = results["contract"]["currency"]
    sets = results["term_sets"]
    columns = [
        {"label": s["label"], "ref": s["ref"], "baseline": s["baseline"], "colour": PALETTE[i % len(PALETTE)]}
        for i, s in enumerate(sets)
    ]
    changes = []
    for s in sets[1:]:
        c = s["changes"]
        rows = [
            {
                **row,
                "before_text": _missed_text(row["before"]),
                "after_text": _missed_text(row["after"]),
                "direction_text": _direction_text(row),
                "env": ENV.get(row["environment"], row["environment"]),
                "opened": row["opened_at"][:16].replace("T", " "),
            }
            for row in c["incidents"][:CHANGES_SHOWN]
        ]
        summary = _changes_text(c)
        changes.append(
            {"label": s["label"], "total": c["total"], "rows": rows, "more": c["total"] - len(rows), "summary": summary}
        )
    sweep = results.get("sensitivity")
    return {
        "r": {**results, "notes": [*results.get("notes", []), *rule_notes(results)]},
        "as_of_text": _as_of(results["as_of"]),
        "fee_text": money(results["contract"]["monthly_fee"], currency),
        "currency": currency,
        "columns": columns,
        "terms_rows": _terms_rows(sets),
        "outcome_rows": _outcome_rows(sets, currency, len(results["window"]["periods"])),
        "severity_rows": _severity_rows(sets),
        "period_rows": _period_rows(results, currency),
        "credits_svg": credits_chart(results),
        "changes": changes,
        "sweep": sweep,
        "sweep_svg": sweep_chart(sweep) if sweep else "",
        "sweep_rows": [
            {**p, "credits_text": money(p["credits"], currency), "is_current": sweep["current"] == p["value"]}
            for p in (sweep["points"] if sweep else [])
        ],
    }


def portfolio_context(results: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for r in results["rows"]:
        cur = r["contract"]["currency"]
        if r["error"]:
            rows.append({**r, "fee": money(r["contract"]["monthly_fee"], cur)})
            continue
        rows.append(
            {
                **r,
                "fee": money(r["contract"]["monthly_fee"], cur),
                "in_force_credits": money(r["in_force"]["credits"], cur),
                "candidate_credits": money(r["candidate"]["credits"], cur),
                "breach_delta": _count_delta(r["candidate"]["breaches"], r["in_force"]["breaches"]),
            }
        )
    vendors = [
        {
            **v,
            "in_force_credits": money(v["in_force"]["credits"], v["currency"]) if v["currency"] else "mixed currencies",
            "candidate_credits": money(v["candidate"]["credits"], v["currency"])
            if v["currency"]
            else "mixed currencies",
        }
        for v in results["vendors"]
    ]
    return {"r": results, "rows": rows, "vendors": vendors, "as_of_text": _as_of(results["as_of"])}
