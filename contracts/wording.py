"""Human-readable phrasing for SLA terms: display labels and helpers shared by the schedule, packets and reports."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ENVIRONMENT_LABELS = {"production": "Production", "non_production": "Non-production"}
TARGET_LABELS = {
    "acknowledge": "Acknowledge",
    "restore": "Restore",
    "resolve": "Resolve",
    # Optional targets (incidents.sla.OPTIONAL_KINDS).
    "investigate": "Investigate",
    "update": "Update cadence",
}
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


# The rules contracts.calendar_rules implements, in the schedule's words.
CLOSED_DAY_TEXT = (
    "A closed day has no coverage from 00:00 to 24:00 local time: a shift that starts the evening "
    "before ends at midnight, and a shift that starts on the closed day resumes at midnight on the "
    "next day unless that day is closed too."
)
CLOCK_CHANGE_TEXT = (
    "Shifts follow the local wall clock in summer and winter time. When the clocks go forward, a shift "
    "time that does not exist that night is read as the moment the clocks jump, so a shift that starts "
    "or ends in the skipped time is shorter and a shift wholly inside it gives no coverage that night. "
    "When the clocks go back, a shift runs from the first time the clock reaches its start until the "
    "clock last shows a time before its end, so it covers the repeated time in full."
)


_UNMEASURED = {
    "excluded": "is left out of the measured time",
    "available": "counts as available",
    "unavailable": "counts as unavailable",
}


def measurement_text(uptime: Mapping[str, Any]) -> str:
    """How unmeasured time counts and how availability is judged and shown (the exactness rule)."""
    rule = uptime.get("unmeasured", "excluded")
    coverage = uptime.get("minimum_coverage_percent", "90")
    return (
        f"Time without monitoring data {_UNMEASURED.get(rule, rule)}. A period with monitoring data for less "
        f"than {coverage} % of its time is reported as not measured: neither met nor breached, with no automatic "
        "availability credit and not counted towards termination. Availability is decided on the exact figure; "
        "reports show it truncated to three decimals, with more decimals where three would reach a bound it is "
        "judged against."
    )


def holidays_text(calendar: Mapping[str, Any]) -> str:
    country, subdivision = calendar.get("country"), calendar.get("subdivision")
    if not country:
        return "Not observed: coverage continues on public holidays."
    where = _country_name(country)
    code = country
    if subdivision:
        where = f"{where}, {_subdivision_name(country, subdivision)}"
        code = f"{country}-{subdivision}"
    return f"Public holidays in {where} ({code}) are excluded from coverage. {CLOSED_DAY_TEXT}"


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


def notice_text(days: int, hours: int = 0) -> str:
    if days == 0 and hours == 0:
        return "no advance notice required"
    parts = [plural(days, "day")] if days else []
    if hours:
        parts.append(plural(hours, "hour"))
    return f"at least {' and '.join(parts)} in advance"


def termination_text(term: Mapping[str, Any], period: str) -> str:
    noun = PERIOD_NOUNS.get(period, "period")
    below = f"below {term['threshold_percent']} %" if term.get("threshold_percent") else "below target"
    if term["consecutive"]:
        return f"availability {below} in {plural(term['below_target'], noun)} in a row"
    return f"availability {below} in {term['below_target']} of the last {plural(term['of_last'], noun)}"


def termination_exercise_text(term: Mapping[str, Any]) -> str:
    """How long a raised termination right lasts."""
    days = term.get("exercise_window_days")
    if days:
        return (
            f"Once raised, the right stays until the buyer exercises or waives it, or until it lapses "
            f"{plural(days, 'day')} after it was raised; a later good period does not clear it."
        )
    return "Once raised, the right stays until the buyer exercises or waives it; a later good period does not clear it."


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


def claim_text(terms: Mapping[str, Any], period: str) -> str:
    """When claims are due, as the schedule words it (the deadline is the end of that day)."""
    noun = PERIOD_NOUNS.get(period, period)
    zone = terms.get("uptime", {}).get("timezone") or "UTC"
    rule = (terms.get("claim_deadline") or {}).get("rule", "days_after_period_end")
    if rule == "end_of_following_month":
        when = f"by the end of the month following the {noun} to which they relate"
    elif rule == "end_of_billing_cycle":
        cycles = (terms.get("claim_deadline") or {}).get("billing_cycles") or 1
        when = f"by the end of the {_ordinal(cycles)} monthly billing cycle after the {noun} to which they relate"
    else:
        when = f"within {plural(terms['claim_window_days'], 'day')} of the end of the {noun} to which they relate"
    return f"Credits must be claimed {when}; a claim is in time until 23:59:59 of the last day ({zone} time)."


def caps_text(terms: Mapping[str, Any], period: str, currency: str = "") -> list[str]:
    """The caps and the minimum credit, one sentence each."""
    noun = PERIOD_NOUNS.get(period, period)
    extra = terms.get("credit_caps") or {}
    out = [f"Credits for one {noun} are capped at {percent(terms['credit_cap_percent'])} of {fee_noun(period)}."]
    if extra.get("period_days") is not None:
        out.append(f"Credits for one {noun} are also capped at {plural(extra['period_days'], 'day')} of fees.")
    if extra.get("year_percent") is not None:
        out.append(f"Credits in one contract year are capped at {percent(extra['year_percent'])} of the annual fee.")
    if extra.get("year_days") is not None:
        out.append(f"Credits in one contract year are capped at {plural(extra['year_days'], 'day')} of fees.")
    if len(out) > 1:
        out.append("The smallest cap applies; a day of fees is the annual fee divided by 365.")
    if terms.get("credit_minimum"):
        amount = f"{currency} {terms['credit_minimum']}".strip()
        out.append(f"A {noun} whose credits come to less than {amount} owes no credit (small credits are not issued).")
    return out


def commitments_wording(terms: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The service commitments as the schedule words them (empty: the single uptime commitment)."""
    groups: dict[str, list[str]] = {}
    for row in terms.get("commitments") or []:
        if row.get("group"):
            groups.setdefault(row["group"], []).append(row["name"])
    out = []
    for row in terms.get("commitments") or []:
        window = row["window"]
        share = row.get("fee_share_percent") or "100"
        base = fee_noun(window) if Decimal(share) == 100 else f"{percent(share)} of {fee_noun(window)}"
        rule = "any of them is down" if row["service_rule"] == "any" else "all of them are down"
        if (row.get("measure") or "time") == "requests":
            how = (
                "successful requests over all requests"
                if row.get("request_rule", "total_ratio") == "total_ratio"
                else f"the average of each {plural(row.get('interval_minutes') or 1, 'minute')} interval's success rate"
            )
        else:
            how = f"time up over time measured; down when {rule}"
        others = [n for n in groups.get(row.get("group") or "", []) if n != row["name"]]
        out.append(
            {
                "name": row["name"],
                "components": ", ".join(row["components"]),
                "target": f"{percent(row['target_percent'])} per calendar {PERIOD_NOUNS.get(window, window)}",
                "measure": how,
                "tiers": [
                    {"range": tier_range(t), "credit": f"{t['percent']} % of {base}"} for t in row["credit_tiers"]
                ],
                "not_cumulative": (
                    f"Not cumulative with {', '.join(others)}: only the largest of these credits is owed."
                    if others
                    else ""
                ),
            }
        )
    return out


_EVENT_LABELS = {
    "outage": "outage",
    "maintenance_notice": "maintenance window announced without the agreed notice",
    "change_notice": "change notice given without the agreed notice",
}


def event_credit_text(rule: Mapping[str, Any]) -> str:
    """A per-event credit rule (terms ``event_credits``) as the SLA schedule words it."""
    what = _EVENT_LABELS[rule["event"]]
    if rule["event"] == "outage":
        what += f" lasting at least {plural(rule['min_minutes'], 'minute')}" if rule.get("min_minutes") else ""
        what += " (credited in the period it starts)"
    limit = rule.get("per_period_limit")
    tail = f", for at most {limit} per period" if limit else ""
    return f"{percent(rule['percent'])} of the period fee for each {what}{tail}."
