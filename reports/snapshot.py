"""Gather everything a period report says about one contract and one period,
as one JSON-ready dict (the snapshot that is frozen and checksummed).

SLA versions: the period is cut into slices, one per SLA version in force
during it (an amendment effective mid-period gives two slices). Availability
is measured per slice under that slice's own rules (downtime definition,
exclusions, maintenance notice and allowance) and the slices are combined by
adding their measured and downtime minutes, so the period figure is exactly
"up time / measured time" over the whole period. Incidents are judged by the
stored clocks of the SLA version they were opened under, and their breach
credits come from that version. The target, credit tiers, cap, claim window
and termination rule are those of the *reporting version*: the one in force
at the end of the period, under which the report is issued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from availability.data import period_availability
from availability.models import ChangeNotice, MaintenanceWindow
from contracts.models import Contract, SLAVersion
from contracts.pdf import METRIC_LABELS, OUTCOME_LABELS, termination_text, tier_range
from contracts.terms import TARGETS, Terms
from contracts.versions import in_force_among
from core import periods
from incidents.models import ExclusionClaim, Incident
from reports.credits import (
    AVAILABILITY,
    Bound,
    CreditTier,
    compute_credits,
    termination_triggered,
    tier_contains,
)
from reports.models import ServiceReport
from reports.outside import open_disputes
from reports.snapshot_parts import (
    binding,
    changes_part,
    dec,
    incidents_part,
    iso,
    maintenance_part,
    outages_part,
)

SCHEMA_VERSION = 1
HISTORY = 12
_MICRO = timedelta(microseconds=1)


class PeriodError(ValueError):
    """The period cannot be reported on (unknown label, no SLA in force...)."""


@dataclass(frozen=True)
class Slice:
    version: SLAVersion
    start: datetime
    end: datetime


def frozen_versions(contract: Contract) -> list[SLAVersion]:
    return list(SLAVersion.objects.filter(contract=contract).frozen().order_by("effective_from", "number"))


def reporting_version(versions: Sequence[SLAVersion], period: periods.Period) -> SLAVersion | None:
    """The version a period's report is issued under: the one in force at the
    period's last instant, else (the SLA ended within it) at its first."""
    return in_force_among(versions, period.end - _MICRO) or in_force_among(versions, period.start)


def resolve_period(
    contract: Contract, label: str, versions: Sequence[SLAVersion] | None = None
) -> tuple[periods.Period, SLAVersion]:
    """The period named ``label`` in the reporting version's zone, and that
    version (the one in force at the period's last instant)."""
    versions = list(versions if versions is not None else frozen_versions(contract))
    if not versions:
        raise PeriodError(f"Contract {contract.reference} has no active SLA, so it has no measurement periods.")
    errors: list[str] = []
    for candidate in reversed(versions):
        up = candidate.terms["uptime"]
        try:
            period = periods.parse(label, zone=up["timezone"], kind=up["period"])
        except ValueError as exc:
            errors.append(str(exc))
            continue
        reporting = reporting_version(versions, period)
        if reporting is None:
            errors.append(f"No SLA version of {contract.reference} was in force during {period.title}.")
            continue
        up = reporting.terms["uptime"]
        if (up["period"], up["timezone"]) == (period.kind, period.zone):
            return period, reporting
    raise PeriodError(errors[0] if errors else f"'{label}' is not a period of {contract.reference}.")


def slices(versions: Sequence[SLAVersion], start: datetime, end: datetime) -> list[Slice]:
    out = []
    ordered = sorted(versions, key=lambda v: (v.effective_from, v.number))
    for i, v in enumerate(ordered):
        stop = v.effective_to
        if i + 1 < len(ordered) and (stop is None or ordered[i + 1].effective_from < stop):
            stop = ordered[i + 1].effective_from
        a, b = max(start, v.effective_from), min(end, stop or end)
        if a < b:
            out.append(Slice(version=v, start=a, end=b))
    return out


def tiers_of(terms: Terms) -> list[CreditTier]:
    def bound(value: str | None, inclusive: bool) -> Bound | None:
        return None if value is None else Bound(Decimal(value), inclusive)

    return [
        CreditTier(
            lower=bound(t["lower"], t["lower_inclusive"]),
            upper=bound(t["upper"], t["upper_inclusive"]),
            percent=Decimal(t["percent"]),
        )
        for t in terms.data["credit_tiers"]
    ]


def _floor_percent(up: Decimal, measured: Decimal) -> Decimal:
    # Same rule as the availability engine: rounded *down* to 0.001 %.
    millipercent = int(up * 100_000 // measured)
    return Decimal(millipercent).scaleb(-3)


def _availability(contract: Contract, parts: Sequence[Slice], reporting: Terms, now: datetime) -> dict[str, Any]:
    sums = {"period": Decimal(0), "down": Decimal(0), "excused": Decimal(0), "no_data": Decimal(0)}
    components: dict[str, dict[str, Decimal]] = {}
    verdicts, outages, pending = [], {}, 0
    for part in parts:
        pa = period_availability(contract, Terms(part.version.terms), start=part.start, end=part.end, now=now)
        svc = pa.result.service
        sums["period"] += svc.period_minutes
        sums["down"] += svc.downtime_minutes
        sums["excused"] += svc.excused_minutes
        sums["no_data"] += svc.no_data_minutes
        for name, comp in pa.result.components.items():
            row = components.setdefault(name, {"period": Decimal(0), "down": Decimal(0), "no_data": Decimal(0)})
            row["period"] += comp.period_minutes
            row["down"] += comp.downtime_minutes
            row["no_data"] += comp.no_data_minutes
        verdicts.extend(pa.maintenance)
        outages.update({o.pk: o for o in pa.outages})
        pending += pa.pending_exclusions
    measured = sums["period"] - sums["no_data"]
    value = _floor_percent(measured - sums["down"], measured) if measured > 0 else None
    target = reporting.uptime_target
    return {
        "measured": value is not None,
        "value": dec(value),
        "target": str(reporting.data["uptime"]["target_percent"]),
        "met": None if value is None else value >= target,
        "below_target": value is not None and value < target,
        "binding": binding(reporting, "availability"),
        "period_minutes": dec(sums["period"]),
        "downtime_minutes": dec(sums["down"]),
        "excused_minutes": dec(sums["excused"]),
        "no_data_minutes": dec(sums["no_data"]),
        "pending_exclusions": pending,
        "components": [
            {
                "component": name,
                "availability": dec(_floor_percent(r["period"] - r["no_data"] - r["down"], r["period"] - r["no_data"]))
                if r["period"] > r["no_data"]
                else None,
                "downtime_minutes": dec(r["down"]),
            }
            for name, r in components.items()
        ],
        "_verdicts": verdicts,
        "_outages": sorted(outages.values(), key=lambda o: (o.start, o.pk)),
    }


def _history(contract: Contract, period: periods.Period, value: str | None, met: bool | None) -> list[dict[str, Any]]:
    """The last HISTORY periods, oldest first, from the current revision of
    each earlier report (periods without a report have no figure)."""
    window = periods.last_n(period, HISTORY)
    rows = {
        r["period"]: r
        for r in ServiceReport.objects.current()
        .filter(contract=contract, period__in=[p.label for p in window[:-1]])
        .values("period", "availability", "availability_met")
    }
    out = []
    for p in window[:-1]:
        r = rows.get(p.label)
        out.append(
            {
                "period": p.label,
                "short": p.short,
                "availability": dec(r["availability"]) if r and r["availability"] is not None else None,
                "met": r["availability_met"] if r else None,
                "reported": r is not None,
            }
        )
    out.append({"period": period.label, "short": period.short, "availability": value, "met": met, "reported": True})
    return out


def _metrics(
    reporting: Terms, availability: dict[str, Any], totals: dict[str, Any], satisfaction: dict[str, Any]
) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for m in reporting.data.get("metrics", []):
        metric = m["metric"]
        if metric == "availability":
            met = availability["met"]
            figure = (
                f"{availability['value']} % against {availability['target']} %"
                if availability["measured"]
                else "not measured"
            )
        elif metric in TARGETS:
            t = totals[metric]
            decided = t["met"] + t["missed"]
            met = t["missed"] == 0
            figure = (
                f"{t['met']} of {decided} within target ({t['share']} %)" if decided else "no incident decided"
            ) + (f", {t['running']} running" if t["running"] else "")
        else:
            met = None
            figure = (
                f"mean {satisfaction['mean']} / 5 from {satisfaction['count']} rating{'s' if satisfaction['count'] != 1 else ''}"
                if satisfaction["count"]
                else "no ratings"
            )
        groups.setdefault(m["outcome"], []).append(
            {
                "metric": metric,
                "label": METRIC_LABELS.get(metric, metric),
                "binding": bool(m["binding"]),
                "met": met,
                "figure": figure,
            }
        )
    return [
        {"outcome": outcome, "label": OUTCOME_LABELS.get(outcome, outcome), "metrics": rows}
        for outcome, rows in groups.items()
    ]


def gather(contract: Contract, label: str, *, now: datetime) -> dict[str, Any]:
    """The snapshot of ``contract`` for the period ``label`` as of ``now``."""
    versions = frozen_versions(contract)
    period, reporting_version = resolve_period(contract, label, versions)
    reporting = Terms(reporting_version.terms)
    start, end = period.start, period.end
    parts = slices(versions, start, end)
    avail = _availability(contract, parts, reporting, now)
    verdicts, outages = avail.pop("_verdicts"), avail.pop("_outages")

    incidents = list(
        Incident.objects.filter(contract=contract, opened_at__gte=start, opened_at__lt=end).order_by("opened_at", "pk")
    )
    claims = ExclusionClaim.objects.filter(
        incident__in=[i.pk for i in incidents],
        status__in=[ExclusionClaim.Status.PENDING, ExclusionClaim.Status.ACCEPTED],
    ).order_by("-claimed_at", "-pk")
    terms_by_version = {v.pk: Terms(v.terms) for v in versions}
    inc = incidents_part(incidents, claims, terms_by_version=terms_by_version, reporting=reporting, now=now)
    windows = {
        w.pk: w for w in MaintenanceWindow.objects.filter(pk__in=[int(v.ref.split(":", 1)[1]) for v in verdicts])
    }
    notices = ChangeNotice.objects.filter(contract=contract, planned_at__gte=start, planned_at__lt=end).order_by(
        "planned_at", "pk"
    )

    result = compute_credits(
        monthly_fee=contract.monthly_fee,
        period_months=period.months,
        currency=contract.currency,
        availability=Decimal(avail["value"]) if avail["measured"] and avail["binding"] else None,
        tiers=tiers_of(reporting),
        breach_credits=inc["breach_credits"],
        cap_percent=reporting.credit_cap,
    )
    remaining = result.cap_amount
    lines = []
    for line in result.lines:
        payable = min(line.amount, remaining)
        remaining -= payable
        description = line.description
        if line.kind == AVAILABILITY:  # name the tier, as the schedule words it
            raw = next(
                raw
                for tier, raw in zip(tiers_of(reporting), reporting.data["credit_tiers"], strict=True)
                if tier_contains(tier=tier, availability=Decimal(avail["value"]))
            )
            description = f"Availability {avail['value']} %: tier {tier_range(raw)}"
        lines.append(
            {
                "kind": line.kind,
                "ref": line.ref,
                "description": description,
                "percent": str(line.percent),
                "amount": str(line.amount),
                "payable": str(payable),
            }
        )

    term = reporting.data["termination"]
    history = _history(contract, period, avail["value"], avail["met"])
    window = [{"period": h["period"], "below_target": h["met"] is False} for h in history[-term["of_last"] :]]
    triggered = avail["binding"] and termination_triggered(
        below_target=[w["below_target"] for w in window],
        n=term["below_target"],
        m=term["of_last"],
        consecutive=term["consecutive"],
    )
    return {
        "schema": SCHEMA_VERSION,
        "as_of": iso(now),
        "contract": {
            "id": contract.pk,
            "reference": contract.reference,
            "product": contract.product,
            "buyer": contract.buyer.name,
            "vendor": contract.vendor.name,
            "currency": contract.currency,
            "monthly_fee": dec(contract.monthly_fee, 2),
            "components": list(contract.covered_components),
        },
        "period": {
            "label": period.label,
            "kind": period.kind,
            "title": period.title,
            "timezone": period.zone,
            "start": iso(start),
            "end": iso(end),
            "months": period.months,
        },
        "sla": {
            "reporting_version": reporting_version.number,
            "slices": [{"version": s.version.number, "start": iso(s.start), "end": iso(s.end)} for s in parts],
        },
        "availability": avail,
        **{k: v for k, v in inc.items() if k != "breach_credits"},
        **outages_part(outages, start=start, end=end),
        "maintenance": maintenance_part(verdicts, windows),
        "changes": changes_part(notices),
        "metrics": _metrics(reporting, avail, inc["incidents"]["totals"], inc["satisfaction"]),
        "credits": {
            "period_fee": str(contract.monthly_fee * period.months),
            "cap_percent": str(reporting.credit_cap),
            "cap_amount": str(result.cap_amount),
            "total_before_cap": str(result.total_before_cap),
            "total": str(result.total),
            "capped": result.capped,
            "lines": lines,
            "claim_window_days": reporting.data["claim_window_days"],
            "claim_deadline": iso(end + timedelta(days=reporting.data["claim_window_days"])),
        },
        "termination": {
            "rule": termination_text(term, period.kind),
            "below_target": term["below_target"],
            "of_last": term["of_last"],
            "consecutive": term["consecutive"],
            "window": window,
            "triggered": bool(triggered),
        },
        "history": history,
        "open_disputes": open_disputes(contract.pk),
    }
