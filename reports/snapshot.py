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
from zoneinfo import ZoneInfo

from availability.data import (
    DISPLAY_RULE,
    HELD_UNKNOWN,
    WHOLE_SERVICE,
    judged_bounds,
    period_availability,
    uptime_rules,
)
from availability.engine import covered, percent, shown
from availability.models import ChangeNotice, MaintenanceWindow
from availability.services import reconciliation
from contracts.models import Contract, SLAVersion
from contracts.pdf import METRIC_LABELS, OUTCOME_LABELS
from contracts.terms import TARGETS, Terms
from contracts.versions import in_force_among
from core import periods
from corrective import services as corrective
from incidents.models import ExclusionClaim, Incident
from reports.commitments import commitments_part, mark_owed
from reports.event_credits import event_credits_part
from reports.models import ServiceReport
from reports.outside import open_disputes
from reports.owed import owed_remedies
from reports.remedies import credits_part, termination_part
from reports.remedies import tiers_of as tiers_of  # the simulator reads tiers through here
from reports.snapshot_parts import (
    binding,
    changes_part,
    dec,
    incidents_part,
    iso,
    maintenance_part,
    outages_part,
    reconciliation_part,
    sources_part,
)

# 2: exact availability (coverage, unmonitored time, held outages, display rule).
# 3: the sources that counted per component and the reconciliation between them.
# Older snapshots stay as they were frozen: they are read, never recomputed.
SCHEMA_VERSION = 3
HISTORY = 12
_MICRO = timedelta(microseconds=1)
_MICROS_PER_MINUTE = 60_000_000


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


def _floor_percent(up: Decimal, measured: Decimal) -> Decimal:
    # The old rule (0.001 %, rounded down from 0.001-minute sums), kept only
    # for the simulator's replay until it reads the exact microsecond figures.
    millipercent = int(up * 100_000 // measured)
    return Decimal(millipercent).scaleb(-3)


def _minutes_of(micros: int) -> str | None:
    """Minutes for reading, half-up to 0.001 (rounded once, from the exact sum)."""
    return dec(Decimal(micros) / Decimal(_MICROS_PER_MINUTE), 3)


def _availability(contract: Contract, parts: Sequence[Slice], reporting: Terms, now: datetime) -> dict[str, Any]:
    """Each slice is measured under its own version's rules (including how
    unmonitored time counts); the slices add up in exact microseconds, and the
    reporting version's target, tiers and minimum coverage judge the total."""
    keys = ("period", "down", "excused", "no_data", "unmonitored")
    sums = dict.fromkeys(keys, 0)
    components: dict[str, dict[str, int]] = {}
    verdicts, outages, held, pending = [], {}, [], 0
    for part in parts:
        pa = period_availability(contract, Terms(part.version.terms), start=part.start, end=part.end, now=now)
        for name, summary in [("*", pa.result.service), *pa.result.components.items()]:
            row = sums if name == "*" else components.setdefault(name, dict.fromkeys(keys, 0))
            row["period"] += summary.period_us
            row["down"] += summary.downtime_us
            row["excused"] += summary.excused_us
            row["no_data"] += summary.no_data_us
            row["unmonitored"] += summary.unmonitored_us
        verdicts.extend(pa.maintenance)
        outages.update({o.pk: o for o in pa.outages})
        held.extend(pa.held)
        pending += pa.pending_exclusions
    rules = uptime_rules(reporting)
    target = reporting.uptime_target
    bounds = judged_bounds(reporting)

    def judged(row: dict[str, int], against: list[Decimal]) -> dict[str, Any]:
        measured_us = row["period"] - row["no_data"]
        exact = percent(part_us=measured_us - row["down"], whole_us=measured_us) if measured_us > 0 else None
        coverage = percent(part_us=row["period"] - row["unmonitored"], whole_us=row["period"])
        has_figure = exact is not None and covered(coverage, rules.minimum_coverage_percent)
        return {
            "measured": has_figure,
            "value": dec(shown(exact, bounds=against)) if has_figure and exact is not None else None,
            "met": (exact >= target) if has_figure and exact is not None else None,
            "coverage": dec(shown(coverage, bounds=[rules.minimum_coverage_percent])),
            "exact": {"up_us": measured_us - row["down"], "measured_us": measured_us},
        }

    service = judged(sums, bounds)
    status = "not measured" if not service["measured"] else ("met" if service["met"] else "breached")
    return {
        **service,
        "status": status,
        "target": str(reporting.data["uptime"]["target_percent"]),
        "below_target": service["met"] is False,
        "binding": binding(reporting, "availability"),
        "unmeasured": rules.unmeasured,
        "minimum_coverage": str(rules.minimum_coverage_percent),
        "rounding": DISPLAY_RULE,
        "period_minutes": _minutes_of(sums["period"]),
        "downtime_minutes": _minutes_of(sums["down"]),
        "excused_minutes": _minutes_of(sums["excused"]),
        "no_data_minutes": _minutes_of(sums["no_data"]),
        "unmonitored_minutes": _minutes_of(sums["unmonitored"]),
        "pending_exclusions": pending,
        "held": [
            {
                "ref": h.ref,
                "component": h.component,
                "start": iso(h.start),
                "end": iso(h.end),
                "minutes": _minutes_of((h.end - h.start) // _MICRO),
                "status": HELD_UNKNOWN,
            }
            for h in sorted(held, key=lambda h: (h.start, h.end, h.ref))
        ],
        "components": [
            {
                "component": name,
                "availability": figure["value"],
                "measured": figure["measured"],
                "coverage": figure["coverage"],
                "downtime_minutes": _minutes_of(r["down"]),
            }
            for name, r in components.items()
            for figure in [judged(r, [target])]
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
        .values("period", "availability", "availability_met", "snapshot__availability__value")
    }
    out = []
    for p in window[:-1]:
        r = rows.get(p.label)
        out.append(
            {
                "period": p.label,
                "short": p.short,
                # The figure as that report shows it (the column keeps 3 decimals for sorting).
                "availability": (r["snapshot__availability__value"] or dec(r["availability"]))
                if r and r["availability"] is not None
                else None,
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
                else f"not measured ({availability['coverage']} % of the period monitored)"
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
        Incident.objects.reportable()
        .filter(contract=contract, opened_at__gte=start, opened_at__lt=end)
        .order_by("opened_at", "pk")
    )
    claims = ExclusionClaim.objects.filter(
        incident__in=[i.pk for i in incidents],
        status__in=[ExclusionClaim.Status.PENDING, ExclusionClaim.Status.ACCEPTED],
    ).order_by("-claimed_at", "-pk")
    terms_by_version = {v.pk: Terms(v.terms) for v in versions}
    inc = incidents_part(incidents, claims, terms_by_version=terms_by_version, reporting=reporting, now=now)
    windows = {
        w.pk: w
        for w in MaintenanceWindow.objects.select_related("created_by", "late_accepted_by").filter(
            pk__in=[int(v.ref.split(":", 1)[1]) for v in verdicts]
        )
    }
    notices = ChangeNotice.objects.filter(contract=contract, planned_at__gte=start, planned_at__lt=end).order_by(
        "planned_at", "pk"
    )

    history = _history(contract, period, avail["value"], avail["met"])
    # With service commitments, they pay the availability credits (the contract-level figure is reported only).
    commitments, commitment_credits = commitments_part(
        contract, period, reporting, now=now, slicer=lambda a, b: slices(versions, a, b)
    )
    event_rows, event_lines = event_credits_part(
        reporting.data.get("event_credits") or [],
        outages=outages,
        verdicts=verdicts,
        windows=windows,
        notices=notices,
        start=start,
        end=end,
        now=now,
    )
    credits = credits_part(
        contract,
        period,
        reporting,
        availability=Decimal(avail["value"])
        if avail["measured"] and avail["binding"] and not reporting.commitments
        else None,
        breach_credits=inc["breach_credits"],
        commitments=commitment_credits,
        event_credits=event_lines,
    )
    mark_owed(commitments, credits["lines"])
    termination = termination_part(reporting, period, history, binding=avail["binding"])
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
        **({"commitments": commitments} if reporting.commitments else {}),
        **({"event_credits": event_rows} if reporting.data.get("event_credits") else {}),
        **{k: v for k, v in inc.items() if k != "breach_credits"},
        **outages_part(outages, start=start, end=end),
        "maintenance": maintenance_part(verdicts, windows),
        "changes": changes_part(notices),
        "metrics": _metrics(reporting, avail, inc["incidents"]["totals"], inc["satisfaction"]),
        "credits": credits,
        "termination": termination,
        "history": history,
        "open_disputes": open_disputes(contract.pk),
        "remedies": owed_remedies(
            reporting.data.get("remedies") or [],
            availability_breached=bool(avail["measured"] and avail["binding"] and avail["met"] is False),
            breaches=inc["breaches"],
        ),
        "corrective": corrective.summary(
            corrective.plans_touching(contract, start, end),
            today=(end - timedelta(microseconds=1)).astimezone(ZoneInfo(period.zone)).date(),
        ),
        "sources": sources_part(contract, components=list(contract.covered_components) or [WHOLE_SERVICE]),
        "reconciliation": reconciliation_part(
            contract, period_start=start, tolerance_seconds=reconciliation.tolerance_seconds(reporting)
        ),
    }
