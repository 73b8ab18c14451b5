"""Human-readable phrasing for SLA terms: display labels and helpers shared by the schedule, packets and reports."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

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


# -- credits ----------------------------------------------------------------------


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


def notice_text(days: int) -> str:
    return "no advance notice required" if days == 0 else f"at least {plural(days, 'day')} in advance"


def termination_text(term: Mapping[str, Any], period: str) -> str:
    noun = PERIOD_NOUNS.get(period, "period")
    if term["consecutive"]:
        return f"availability below target in {plural(term['below_target'], noun)} in a row"
    return f"availability below target in {term['below_target']} of the last {plural(term['of_last'], noun)}"
