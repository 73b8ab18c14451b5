"""The SLA schedule as a readable document: the wording shared by the contract
page and the PDF exhibit, and the PDF renderer.

``schedule_context`` turns a terms document into sentences and tables (the
page and the PDF include the same ``contracts/_schedule.html``);
``render_schedule_pdf`` needs no request, so a Celery task can call it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone

from contracts.models import Contract, SLAVersion
from contracts.terms import ENVIRONMENTS, PARTIES, SEVERITIES, TARGETS, raci_flags
from core.pdf import html_to_pdf

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ENVIRONMENT_LABELS = {"production": "Production", "non_production": "Non-production"}
TARGET_LABELS = {"acknowledge": "Acknowledge", "restore": "Restore", "resolve": "Resolve"}
CLOCK_LABELS = {"24x7": "24x7", "coverage": "business hours"}
METRIC_LABELS = {
    "availability": "Availability",
    "acknowledge": "Time to acknowledge",
    "restore": "Time to restore",
    "resolve": "Time to resolve",
    "satisfaction": "Customer satisfaction",
}
OUTCOME_LABELS = {
    "revenue": "Revenue",
    "customer_experience": "Customer experience",
    "regulatory_compliance": "Regulatory compliance",
    "operational_continuity": "Operational continuity",
}
CONTACT_ROLE_LABELS = {
    "incident_manager": "Incident manager",
    "escalation_contact": "Escalation contact",
    "executive_sponsor": "Executive sponsor",
}
ROLE_LABELS = {
    **CONTACT_ROLE_LABELS,
    "billing": "Billing contact",
    "contract_manager": "Contract manager",
    "operations": "Operations",
    "account_manager": "Account manager",
    "support_engineer": "Support engineer",
}
PARTY_LABELS = {"buyer": "Buyer", "vendor": "Vendor"}
RACI_LABELS = {"R": "Responsible", "A": "Accountable", "C": "Consulted", "I": "Informed", "": "—"}
CHANGE_KIND_LABELS = {
    "major_release": "Major release",
    "minor_release": "Minor release",
    "security_patch": "Security patch",
    "emergency": "Emergency change",
    "maintenance": "Scheduled maintenance",
}
PERIOD_NOUNS = {"month": "month", "quarter": "quarter"}


def human_minutes(minutes: int | None, clock: str = "24x7") -> str:
    """15 -> "15 min", 240 -> "4 h", 1440 -> "1 d", 90 -> "1 h 30 min".

    On the business-hours clock a day is not 24 hours, so no days there:
    1440 business minutes read "24 h".
    """
    if minutes is None:
        return "–"
    if clock == "24x7" and minutes % 1440 == 0:
        return f"{minutes // 1440} d"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    if minutes > 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes} min"


def percent(value: Any) -> str:
    """ "99.95" -> "99.95 %" (the agreed figure exactly as written)."""
    return f"{value} %"


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# -- coverage calendar ---------------------------------------------------------


def _shift_text(start: str, end: str) -> str:
    if start == end:
        return "all day" if start == "00:00" else f"24 hours from {start}"
    if end == "00:00":
        return f"{start}–24:00"
    if end < start:
        return f"{start}–{end} next day"
    return f"{start}–{end}"


def _day_span(days: Sequence[int]) -> str:
    if len(days) == 1:
        return WEEKDAYS[days[0]]
    if len(days) == 2:
        return f"{WEEKDAYS[days[0]]}, {WEEKDAYS[days[1]]}"
    return f"{WEEKDAYS[days[0]]}–{WEEKDAYS[days[-1]]}"


def weekly_hours(hours: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Consecutive weekdays with the same shifts, merged: [{"days": "Mon–Fri", "hours": "09:00–18:00"}]."""
    by_day: list[tuple[str, ...]] = []
    for day in range(7):
        shifts = sorted((h["start"], h["end"]) for h in hours if h["weekday"] == day)
        by_day.append(tuple(_shift_text(s, e) for s, e in shifts))
    rows: list[dict[str, str]] = []
    run: list[int] = []
    for day in range(7):
        if run and by_day[day] == by_day[run[-1]]:
            run.append(day)
            continue
        if run:
            rows.append({"days": _day_span(run), "hours": ", ".join(by_day[run[0]]) or "no coverage"})
        run = [day]
    rows.append({"days": _day_span(run), "hours": ", ".join(by_day[run[0]]) or "no coverage"})
    return rows


def _country_name(code: str) -> str:
    try:
        from holidays.registry import COUNTRIES

        for entry in COUNTRIES.values():
            if entry[1] == code:
                return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entry[0])
    except Exception:  # noqa: S110 - the code is a fine fallback
        pass
    return code


def _subdivision_name(country: str, subdivision: str) -> str:
    try:
        import holidays

        aliases = holidays.country_holidays(country, years=()).get_subdivision_aliases()
        names = aliases.get(subdivision) or []
        return names[0] if names else subdivision
    except Exception:
        return subdivision


def holidays_text(calendar: Mapping[str, Any]) -> str:
    country, subdivision = calendar.get("country"), calendar.get("subdivision")
    if not country:
        return "Not observed: coverage continues on public holidays."
    where = _country_name(country)
    code = country
    if subdivision:
        where = f"{where}, {_subdivision_name(country, subdivision)}"
        code = f"{country}-{subdivision}"
    return f"Public holidays in {where} ({code}) are excluded from coverage."


# -- severity matrix -----------------------------------------------------------


def severity_matrix(targets: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per severity; per environment a cell of the three targets."""
    index = {(t["severity"], t["environment"]): t for t in targets}
    rows = []
    for severity in SEVERITIES:
        cells = []
        for env in ENVIRONMENTS:
            row = index.get((severity, env))
            if row is None:
                cells.append({"environment": ENVIRONMENT_LABELS[env], "lines": [], "clock": None})
                continue
            clocks = {row[f"{t}_clock"] for t in TARGETS}
            uniform = clocks.pop() if len(clocks) == 1 else None
            lines = [
                {
                    "label": TARGET_LABELS[t],
                    "value": human_minutes(row[f"{t}_minutes"], row[f"{t}_clock"]),
                    "clock": None if uniform else CLOCK_LABELS[row[f"{t}_clock"]],
                    "clock_key": row[f"{t}_clock"],
                }
                for t in TARGETS
            ]
            cells.append(
                {
                    "environment": ENVIRONMENT_LABELS[env],
                    "lines": lines,
                    "clock": CLOCK_LABELS[uniform] if uniform else None,
                    "clock_key": uniform,
                }
            )
        if any(c["lines"] for c in cells):
            rows.append({"severity": severity.capitalize(), "key": severity, "cells": cells})
    return rows


# -- credits ----------------------------------------------------------------------


def _num(value: str | None) -> Decimal | None:
    try:
        return None if value is None else Decimal(value)
    except InvalidOperation:
        return None


def tier_range(tier: Mapping[str, Any]) -> str:
    """ "≥ 99.0 % and < 99.95 %", "< 95.0 %", "≥ 99.0 %"."""
    parts = []
    if tier.get("lower") is not None:
        parts.append(f"{'≥' if tier['lower_inclusive'] else '>'} {tier['lower']} %")
    if tier.get("upper") is not None:
        parts.append(f"{'≤' if tier['upper_inclusive'] else '<'} {tier['upper']} %")
    return " and ".join(parts) or "any availability"


def fee_noun(period: str) -> str:
    return "the monthly fee" if period == "month" else "the fees for the quarter"


def credit_tiers(tiers: Sequence[Mapping[str, Any]], period: str) -> list[dict[str, str]]:
    return [
        {
            "range": tier_range(t),
            "credit": f"{t['percent']} % of {fee_noun(period)}",
            "text": f"{tier_range(t)}: {t['percent']} % of {fee_noun(period)}",
        }
        for t in tiers
    ]


# -- the whole schedule -------------------------------------------------------------


def _when(at: datetime | None, zone: str) -> str:
    if at is None:
        return ""
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%-d %b %Y %H:%M} {zone}"


def escalation_text(row: Mapping[str, Any]) -> str:
    value = row["value"]
    if row["trigger"] == "share_elapsed":
        return f"when {value} % of the target time has elapsed"
    if row["trigger"] == "breach":
        return "when the target is breached"
    return f"{human_minutes(value)} after the target is breached" if value else "when the target is breached"


def role_label(role: str | None) -> str:
    return ROLE_LABELS.get(role or "", (role or "").replace("_", " ").capitalize())


def playbook_trigger_text(step: Mapping[str, Any]) -> str:
    """When a playbook step applies, in words: "at 50 % of the restore target"."""
    trigger, target = step["trigger"], step.get("target") or ""
    if trigger == "on_open":
        return "when the incident is opened"
    if trigger == "on_acknowledge":
        return "when the vendor acknowledges"
    if trigger == "share_elapsed":
        return f"at {step.get('value')} % of the {target} target"
    return f"when the {target} target is breached"


def playbook_rows(steps: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Steps grouped by severity (most severe first), each in order."""
    groups = []
    for severity in SEVERITIES:
        rows = sorted((s for s in steps if s["severity"] == severity), key=lambda s: s["order"])
        if rows:
            groups.append(
                {
                    "severity": severity.capitalize(),
                    "key": severity,
                    "steps": [
                        {
                            "order": s["order"],
                            "party": PARTY_LABELS[s["party"]],
                            "party_key": s["party"],
                            "role": role_label(s["role"]),
                            "when": playbook_trigger_text(s),
                            "action": s["action"],
                        }
                        for s in rows
                    ],
                }
            )
    return groups


def raci_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The RACI table as agreed, with the flags the terms alone can raise."""
    return [
        {
            "activity": r["activity"],
            "cells": [
                {
                    "party": party,
                    "letter": r.get(party) or "",
                    "meaning": RACI_LABELS[r.get(party) or ""],
                    "role": role_label(r.get(f"role_{party}")) if r.get(party) else "",
                }
                for party in PARTIES
            ],
            "flags": raci_flags(r),
        }
        for r in rows
    ]


def notice_text(days: int) -> str:
    return "no advance notice required" if days == 0 else f"at least {plural(days, 'day')} in advance"


def termination_text(term: Mapping[str, Any], period: str) -> str:
    noun = PERIOD_NOUNS.get(period, "period")
    if term["consecutive"]:
        return f"availability below target in {plural(term['below_target'], noun)} in a row"
    return f"availability below target in {term['below_target']} of the last {plural(term['of_last'], noun)}"


def schedule_context(version: SLAVersion, contract: Contract | None = None) -> dict[str, Any]:
    """Everything ``contracts/_schedule.html`` shows, as display-ready values."""
    contract = contract or version.contract
    t = version.terms
    cal = t["calendar"]
    up = t["uptime"]
    period = up["period"]
    ex = t["exclusions"]
    stops = [TARGET_LABELS[k].lower() for k in TARGETS if k in t["pause"]["stops"]]
    running = [TARGET_LABELS[k].lower() for k in TARGETS if k not in t["pause"]["stops"]]
    metrics_by_outcome: dict[str, list[dict[str, Any]]] = {}
    for m in t["metrics"]:
        metrics_by_outcome.setdefault(m["outcome"], []).append(
            {"label": METRIC_LABELS.get(m["metric"], m["metric"]), "binding": m["binding"]}
        )
    excluded = [
        label
        for key, label in (
            ("force_majeure", "Force majeure events"),
            ("third_party", "Failures of third-party services outside the vendor's control"),
            ("customer_caused", "Incidents caused by the buyer or its users"),
        )
        if ex[key]
    ]
    return {
        "version": version,
        "contract": contract,
        "is_draft": version.is_draft,
        "effective_from": _when(version.effective_from, cal["timezone"]),
        "effective_to": _when(version.effective_to, cal["timezone"]),
        "calendar": {
            "timezone": cal["timezone"],
            "hours": weekly_hours(cal["hours"]),
            "holidays": holidays_text(cal),
            "closures": [
                {"date": c["date"], "name": c["name"]} for c in sorted(cal.get("closures", []), key=lambda c: c["date"])
            ],
        },
        "matrix": severity_matrix(t["targets"]),
        "environments": [ENVIRONMENT_LABELS[e] for e in ENVIRONMENTS],
        "pause": (
            f"Agreed pauses stop the {' and '.join(stops)} clock{'s' if len(stops) > 1 else ''}"
            + (f"; the {' and '.join(running)} clock keeps running." if running else ".")
            if stops
            else "Pauses do not stop any clock."
        ),
        "workaround": (
            "An accepted workaround counts as restoring service. A temporary workaround is valid for "
            f"{plural(t['workaround']['temporary_days'], 'day')}; if the incident is not resolved before it "
            "expires, it counts as no workaround."
            if t["workaround"]["temporary_days"]
            else "An accepted workaround counts as restoring service, without a time limit."
        ),
        "uptime": {
            "target": percent(up["target_percent"]),
            "period": f"calendar {PERIOD_NOUNS.get(period, period)}",
            "timezone": up["timezone"],
            "definition": up["downtime_definition"],
            "service_rule": (
                "The service is down when any covered component is down."
                if up["service_rule"] == "any"
                else "The service is down only when every covered component is down."
            ),
            "critical_incidents_count": up.get("critical_incidents_count", False),
        },
        "tiers": credit_tiers(t["credit_tiers"], period),
        "cap": f"Credits for one {PERIOD_NOUNS.get(period, period)} are capped at {percent(t['credit_cap_percent'])} of {fee_noun(period)}.",
        "claim_window": (
            f"Credits must be claimed within {plural(t['claim_window_days'], 'day')} of the end of the "
            f"{PERIOD_NOUNS.get(period, period)} to which they relate."
        ),
        "breach_credits": [
            {
                "text": f"{b['severity'].capitalize()} incident, {b['target']} target missed",
                "credit": f"{b['percent']} % of {fee_noun(period)} per incident",
            }
            for b in t["breach_credits"]
        ],
        "exclusions": {
            "maintenance": (
                f"Scheduled maintenance of up to {human_minutes(ex['maintenance_allowance_minutes'])} per "
                f"{PERIOD_NOUNS.get(period, period)}, announced at least {plural(ex['maintenance_notice_days'], 'day')} ahead."
                if ex["maintenance_allowance_minutes"]
                else "No scheduled maintenance allowance: maintenance counts as downtime."
            ),
            "excluded": excluded,
        },
        "escalation": [
            {
                "level": row["level"],
                "contact": CONTACT_ROLE_LABELS.get(row["contact_role"], row["contact_role"]),
                "when": escalation_text(row),
            }
            for row in sorted(t["escalation"], key=lambda r: r["level"])
        ],
        "notice_rules": [
            {"kind": CHANGE_KIND_LABELS.get(r["change_kind"], r["change_kind"]), "notice": notice_text(r["days"])}
            for r in t["notice_rules"]
        ],
        "reporting": {
            "due": f"The service report for each {PERIOD_NOUNS.get(period, period)} is due on day {t['reporting']['report_due_day']} of the following month.",
            "retention": f"Measurement data is kept for {plural(t['reporting']['retention_days'], 'day')}.",
        },
        "disputes": [
            {"stage": d["stage"], "days": plural(d["days"], "day") if d["days"] else "until decided"}
            for d in t["disputes"]
        ],
        "termination": termination_text(t["termination"], period),
        "metrics": [
            {"outcome": OUTCOME_LABELS.get(outcome, outcome), "metrics": rows}
            for outcome, rows in metrics_by_outcome.items()
        ],
        "playbook": playbook_rows(t.get("playbook") or []),
        "raci": raci_rows(t.get("raci") or []),
    }


def render_schedule_pdf(version: SLAVersion) -> bytes:
    """The schedule as a PDF exhibit. Needs no request (print CSS is inline)."""
    contract = version.contract
    html = render_to_string(
        "pdf/sla_schedule.html",
        {
            "sched": schedule_context(version, contract),
            "contract": contract,
            "version": version,
            "generated_at": timezone.now(),
        },
    )
    return html_to_pdf(html)
