"""A frozen report's snapshot as display-ready values: what the report page
and the PDF both show (they include the same ``reviews/_report_sections.html``).

Everything comes from the snapshot alone, so the page and the PDF of a
revision show what was frozen, whatever has happened since.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import NoReverseMatch, reverse

from availability.models import Outage
from contracts.pdf import CHANGE_KIND_LABELS, ENVIRONMENT_LABELS, TARGET_LABELS
from contracts.wording import termination_exercise_text
from core.charts import ChartPoint, availability_chart
from core.money import money
from incidents.models import ExclusionClaim, Incident
from reports.models import Credit, ServiceReport

CLAIM_LABELS = dict(ExclusionClaim.Kind.choices)
STATUS_LABELS = dict(Incident.Status.choices)
SOURCE_LABELS = dict(Outage.Source.choices)


def pct(value: str | None) -> str:
    return "–" if value is None else f"{value} %"


def minutes(value: str | None) -> str:
    """ "44640.000" -> "44,640 min", "709.600" -> "709.6 min"."""
    if value is None:
        return "–"
    number = Decimal(value)
    if number == number.to_integral_value():
        return f"{number:,.0f} min"
    return f"{number.normalize():,f} min"


def parse_iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def when(value: str | None, zone: str, fmt: str = "%-d %b %Y %H:%M") -> str:
    at = parse_iso(value)
    return "" if at is None else at.astimezone(ZoneInfo(zone)).strftime(fmt)


def _optional_matrix_text(row: dict[str, Any]) -> str:
    """The optional targets of a matrix row, in one line (empty when the terms set none)."""
    parts = []
    if "investigate" in row:
        cell = row["investigate"]
        decided = cell["met"] + cell["missed"]
        parts.append(f"investigated in time {cell['met']}/{decided}" if decided else "investigate running")
    if row.get("update_misses"):
        n = row["update_misses"]
        parts.append(f"{n} update gap{'s' if n != 1 else ''} missed")
    return "; ".join(parts)


def _late_by(due: str | None, met: str | None) -> str:
    a, b = parse_iso(due), parse_iso(met)
    if a is None or b is None or b <= a:
        return ""
    minutes = int((b - a).total_seconds() // 60)
    if minutes < 1:
        return "under a minute late"
    if minutes >= 1440:
        return f"{minutes // 1440} d {minutes % 1440 // 60} h late"
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min late"
    return f"{minutes} min late"


def _status(met: bool | None) -> dict[str, str]:
    if met is None:
        return {"text": "No target", "css": "info"}
    return {"text": "Met", "css": "ok"} if met else {"text": "Missed", "css": "bad"}


UNMEASURED_TEXT = {
    "excluded": "left out of the measured time",
    "available": "counted as up",
    "unavailable": "counted as down",
}


def _availability(a: dict[str, Any], zone: str) -> dict[str, Any]:
    """The availability section. Snapshots before schema 2 have no coverage,
    held outages or rounding note: they show what they froze, nothing more."""
    exact = "coverage" in a
    unmeasured = a.get("unmeasured", "excluded")
    return {
        **a,
        "value_text": pct(a["value"]) if a["measured"] else "not measured",
        "target_text": pct(a["target"]),
        "status": {"text": "Not measured", "css": "info"} if exact and not a["measured"] else _status(a["met"]),
        "period_text": minutes(a["period_minutes"]),
        "downtime_text": minutes(a["downtime_minutes"]),
        "excused_text": minutes(a["excused_minutes"]),
        "no_data_text": minutes(a.get("unmonitored_minutes", a["no_data_minutes"])),
        "no_data_rule": UNMEASURED_TEXT.get(unmeasured, unmeasured)
        if exact
        else "left out of the measured time, never counted as up",
        "coverage_text": pct(a["coverage"]) if exact else "",
        "minimum_coverage_text": pct(a["minimum_coverage"]) if exact else "",
        "rounding": a.get("rounding", ""),
        "held": [
            {**h, "from": when(h["start"], zone), "to": when(h["end"], zone), "minutes_text": minutes(h["minutes"])}
            for h in a.get("held", [])
        ],
        "components": [
            {**c, "downtime_text": minutes(c["downtime_minutes"]), "coverage_text": pct(c.get("coverage"))}
            for c in a["components"]
        ],
    }


COMMITMENT_STATUS = {
    "met": {"text": "Met", "css": "ok"},
    "breached": {"text": "Breached", "css": "bad"},
    "not measured": {"text": "Not measured", "css": "info"},
    "not due": {"text": "Not due", "css": "info"},
}


def _commitments(rows: list[dict[str, Any]] | None, cur: str) -> list[dict[str, Any]]:
    """The service commitments table (absent from snapshots of terms without commitments)."""
    return [
        {
            **r,
            "status_badge": COMMITMENT_STATUS.get(r["status"], {"text": r["status"], "css": "info"}),
            "value_text": pct(r["value"]) if r["measured"] else "–",
            "target_text": pct(r["target"]),
            "window_text": f"{r['window']} ({r['window_label']})",
            "base_text": f"{r['fee_share']} % ({money(r['credit_base'], cur)})",
            "credit_text": f"{r['credit_percent']} % = {money(r['amount'], cur)}" if Decimal(r["amount"]) else "–",
            "payable_text": money(r["payable"], cur) if r["owed"] else "–",
        }
        for r in rows or []
    ]


SIDE_LABELS = {"buyer": "buyer", "vendor": "vendor", "staff": "staff"}
RESOLUTION_TEXT = {
    "source": "resolved: {source} counts",
    "split": "resolved: split, half counts",
    "disputed": "disputed",
}


def _sources(s: dict[str, Any], zone: str) -> dict[str, Any]:
    """The sources that counted and the reconciliation between them (schema 3;
    older snapshots have neither and show nothing)."""
    rec = s.get("reconciliation")
    return {
        "counted_sources": [
            {
                "component": row["component"],
                "text": "; ".join(
                    f"{x['name']} ({x['kind']}, {SIDE_LABELS.get(x['side'], x['side'])}"
                    + (f", accepted by {x['accepted_by']}" if x["accepted_by"] else "")
                    + ")"
                    for x in row["sources"]
                )
                or "none: no monitoring source counted, so the figure rests only on the outages the parties recorded",
            }
            for row in s.get("sources", [])
        ],
        "reconciliation": None
        if rec is None
        else {
            **rec,
            "disputed_text": minutes(rec["disputed_minutes"]),
            "rows": [
                {
                    **r,
                    "from": when(r["start"], zone),
                    "to": when(r["end"], zone),
                    "minutes_text": minutes(dec_minutes(r["seconds"])),
                    "outcome": RESOLUTION_TEXT.get(r["resolution"], "open").format(source=r["source"] or "a source"),
                }
                for r in rec["rows"]
            ],
        },
    }


def dec_minutes(seconds: int) -> str:
    return str((Decimal(seconds) / 60).quantize(Decimal("0.1")))


def _range(start: str, end: str, zone: str) -> str:
    a = parse_iso(start).astimezone(ZoneInfo(zone))
    b = (parse_iso(end) - timedelta(microseconds=1)).astimezone(ZoneInfo(zone))
    return f"{a:%-d %b %Y} – {b:%-d %b %Y} ({zone})"


def _sla_text(s: dict[str, Any], zone: str) -> str:
    slices = s["sla"]["slices"]
    if len(slices) <= 1:
        return f"SLA v{s['sla']['reporting_version']}"
    parts = [f"v{x['version']} from {when(x['start'], zone, '%-d %b %H:%M')}" for x in slices]
    return f"SLA {', '.join(parts)}; issued under v{s['sla']['reporting_version']}"


def chart(snapshot: dict[str, Any]) -> str:
    """The last 12 periods against the target, drawn by the same code as the
    availability page's chart (periods without a report show no bar)."""
    points = [
        ChartPoint(
            label=h["short"],
            availability=None if h["availability"] is None else Decimal(h["availability"]),
            title=f"{h['period']}: {h['availability']} %" if h["availability"] else f"{h['period']}: no report",
        )
        for h in snapshot["history"]
    ]
    noun = "month" if snapshot["period"]["kind"] == "month" else "quarter"
    return availability_chart(
        points,
        target=Decimal(snapshot["availability"]["target"]),
        title=f"Availability per {noun}, last {len(points)} {noun}s",
    )


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the page's app is not mounted
        return ""


def _ledger_urls(report: ServiceReport) -> dict[tuple[str, str], str]:
    """(kind, ref) of a credit line -> its line on the contract's credit ledger. A line this
    revision owes nothing new for was booked by an earlier revision of the period: link that one."""
    base = _url("disputes:contract", report.contract_id)
    if not base:
        return {}
    rows = (
        Credit.objects.filter(contract_id=report.contract_id, report__period=report.period)
        .exclude(status=Credit.Status.VOID)
        .order_by("report__revision", "pk")
        .values_list("kind", "ref", "pk", "report_id")
    )
    urls: dict[tuple[str, str], str] = {}
    own: set[tuple[str, str]] = set()
    for kind, ref, pk, report_id in rows:
        key = (kind, ref)
        if key in own:
            continue
        urls[key] = f"{base}?period={report.period}#credit-{pk}"
        if report_id == report.pk:
            own.add(key)
    return urls


def report_context(report: ServiceReport) -> dict[str, Any]:
    """The display values of the report. Breaches and credit lines carry ``url`` (the incident's
    page, the credit's ledger line); the page links them, the PDF (no request) does not."""
    s = report.snapshot
    zone = s["period"]["timezone"]
    cur = s["contract"]["currency"]
    a = s["availability"]
    c = s["credits"]
    payable = {line["ref"]: line["payable"] for line in c["lines"] if line["ref"]}
    groups = []
    for g in s["metrics"]:
        rows = [
            {
                **m,
                "status": {"text": "Not measured", "css": "info"}
                if m["metric"] == "availability" and "coverage" in a and not a["measured"]
                else _status(m["met"]),
            }
            for m in g["metrics"]
        ]
        groups.append({"label": g["label"], "metrics": rows})
    binding_missed = sum(1 for g in s["metrics"] for m in g["metrics"] if m["binding"] and m["met"] is False)
    breaches = [
        {
            **b,
            "url": _url("incidents:detail", b["id"]) if b.get("id") else "",
            "severity_label": b["severity"].capitalize(),
            "environment_label": ENVIRONMENT_LABELS.get(b["environment"], b["environment"]),
            "opened": when(b["opened_at"], zone),
            "targets_text": [
                {
                    "label": TARGET_LABELS.get(t["kind"], t["kind"]),
                    "due": when(t["due_at"], zone),
                    "met": when(t["met_at"], zone) if t["met_at"] else "not met by the close",
                    "late": _late_by(t["due_at"], t["met_at"]),
                    "binding": t["binding"],
                    "misses": t.get("misses", 0),
                }
                for t in b["targets"]
            ],
            "credit": money(sum((Decimal(payable.get(x["ref"], "0")) for x in b["credits"]), Decimal(0)), cur)
            if b["credits"]
            else "",
        }
        for b in s["breaches"]
    ]
    matrix = [
        {
            **row,
            "severity_label": row["severity"].capitalize(),
            "environment_label": ENVIRONMENT_LABELS.get(row["environment"], row["environment"]),
            "cells": [{"kind": k, **row[k]} for k in ("acknowledge", "restore", "resolve")],
            "optional_text": _optional_matrix_text(row),
        }
        for row in s["incidents"]["matrix"]
    ]
    totals = [{"kind": k, "label": TARGET_LABELS[k], **v} for k, v in s["incidents"]["totals"].items()]

    def incident_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                **r,
                "severity_label": r["severity"].capitalize(),
                "kind_label": CLAIM_LABELS.get(r.get("kind", ""), r.get("kind", "") or "–"),
                "opened": when(r["opened_at"], zone),
            }
            for r in rows
        ]

    def outage_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                **o,
                "from": when(o["start"], zone),
                "to": when(o["end"], zone) if o["end"] else "ongoing",
                "source_label": SOURCE_LABELS.get(o["source"], o["source"]),
                "kind_label": CLAIM_LABELS.get(o["exclusion_kind"], o["exclusion_kind"] or "–"),
            }
            for o in rows
        ]

    notices = [
        {
            **n,
            "kind_label": CHANGE_KIND_LABELS.get(n["kind"], n["kind"]),
            "planned": when(n["planned_at"], zone),
            "announced": when(n["announced_at"], zone),
        }
        for n in s["changes"]["notices"]
    ]
    maintenance = [
        {
            **m,
            "from": when(m["start"], zone),
            "planned_to": when(m["planned_end"], zone),
            "actual_to": when(m["actual_end"], zone) if m["actual_end"] else "",
        }
        for m in s["maintenance"]
    ]
    ledger_urls = _ledger_urls(report)
    sat = s["satisfaction"]
    most = max([*sat["distribution"].values(), 1])
    return {
        "s": s,
        "report": report,
        "zone": zone,
        "period_title": s["period"]["title"],
        "period_range": _range(s["period"]["start"], s["period"]["end"], zone),
        "sla_text": _sla_text(s, zone),
        "as_of": when(s["as_of"], "UTC") + " UTC",
        "availability": _availability(a, zone),
        "commitments": _commitments(s.get("commitments"), cur),
        **_sources(s, zone),
        "chart_svg": chart(s),
        "metric_groups": groups,
        "binding_missed": binding_missed,
        "credits": {
            **c,
            "lines": [
                {
                    **line,
                    "amount_text": money(line["amount"], cur),
                    "payable_text": money(line["payable"], cur),
                    "url": ledger_urls.get((line.get("kind", ""), line.get("ref", "")), ""),
                }
                for line in c["lines"]
            ],
            "total_text": money(c["total"], cur),
            "before_cap_text": money(c["total_before_cap"], cur),
            "cap_text": money(c["cap_amount"], cur),
            "fee_text": money(c["period_fee"], cur),
            "deadline": when(c["claim_deadline"], zone, "%-d %b %Y"),
            "cap_label": _cap_label(c, cur),
            "minimum_text": money(c["minimum"], cur) if Decimal(c.get("minimum") or 0) else "",
            "claim_rule_text": CLAIM_RULE_TEXTS.get(c.get("claim_rule", ""), "").format(
                days=c["claim_window_days"], cycles=c.get("claim_billing_cycles", 1)
            ),
            "zone": zone,
        },
        "termination": {**s["termination"], "exercise_text": termination_exercise_text(s["termination"])},
        "termination_below": sum(1 for w in s["termination"]["window"] if w["below_target"]),
        "breaches": breaches,
        "matrix": matrix,
        "totals": totals,
        "excluded_incidents": incident_rows(s["excluded_incidents"]),
        "pending_incidents": incident_rows(s["pending_incidents"]),
        "excluded_outages": outage_rows(s["excluded_outages"]),
        "pending_outages": outage_rows(s["pending_outages"]),
        "notices": notices,
        "maintenance": maintenance,
        "satisfaction": {
            **sat,
            "bars": [
                {"score": k, "count": v, "width": round(100 * v / most)} for k, v in sorted(sat["distribution"].items())
            ],
        },
        "what_changed": report.what_changed,
        "checksum": report.checksum,
    }


CLAIM_RULE_TEXTS = {
    "days_after_period_end": "{days} days after the period's last day",
    "end_of_following_month": "the end of the month after the period",
    "end_of_billing_cycle": "the end of monthly billing cycle {cycles} after the period",
}


def _cap_label(c: dict[str, Any], cur: str) -> str:
    """The cap that binds, as the report words it (snapshots before caps in days name only the percentage)."""
    rule = c.get("cap_rule") or ""
    if rule == "period_days":
        return f"days of fees for the period ({money(c['caps']['period_days'], cur)})"
    if rule in ("year_percent", "year_days"):
        return f"what remains of the contract year's cap ({money(c.get('year_used'), cur)} already owed this year)"
    return f"{c['cap_percent']} % of the period fee ({money(c['period_fee'], cur)})"
