"""The annual review packet: the year's evidence and the proposed amendments,
gathered as one JSON-ready dict and rendered as a PDF for the board.

``packet_data`` reads the frozen monthly (or quarterly) report snapshots of
the review year, the credit ledger, disputes, incidents and the proposed
amendments. It holds no timestamps of its own, so the same inputs always give
the same data (and the same ``data_checksum``). ``packet_context`` turns it
into display values and SVG trend charts; ``render_packet_pdf`` needs no
request, so a Celery task can call it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.template.loader import render_to_string

from contracts.diffing import MISSING, diff_terms, label_for
from contracts.models import BoardSeat, Contract, FeedbackItem, SLAVersion
from contracts.pdf import METRIC_LABELS, OUTCOME_LABELS, TARGET_LABELS, human_minutes, termination_text
from contracts.terms import SCHEMA
from contracts.versions import InForceFallback
from core import periods
from core.charts import ChartPoint, Point, availability_chart, trend_chart
from core.checksum import checksum
from core.money import money
from core.pdf import html_to_pdf
from disputes.models import Dispute
from incidents.models import Incident
from reports.models import Credit, ServiceReport
from reviews.models import AnnualReview

SCHEMA_VERSION = 1
SHARE_TARGETS = ("acknowledge", "restore", "resolve")
SEVERITY_ORDER = ("critical", "high", "medium", "low")
OWED = (Credit.Status.CALCULATED, Credit.Status.CLAIMED, Credit.Status.APPROVED)


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _parse(value: str | None) -> datetime | None:
    return None if not value else datetime.fromisoformat(value.replace("Z", "+00:00"))


# -- the review year ------------------------------------------------------------------------


def reference_version(contract: Contract, at: datetime) -> SLAVersion | None:
    """The version in force at ``at``, else the latest activated one."""
    return SLAVersion.objects.for_contract(contract).in_force_at(at, fallback=InForceFallback.LATEST_FROZEN)


def window(contract: Contract, anniversary: date, version: SLAVersion | None) -> list[periods.Period]:
    """The twelve months (or four quarters) ending with the period that holds
    the day before the anniversary, in the terms' own measurement zone."""
    up = (version.terms if version else {}).get("uptime", {})
    kind, zone = up.get("period", "month"), up.get("timezone", "UTC")
    last_day = datetime.combine(anniversary - timedelta(days=1), time(12), tzinfo=ZoneInfo(zone))
    last = periods.period_of(last_day, kind=kind, zone=zone)
    return periods.last_n(last, 12 if kind == "month" else 4)


def _floor(up: Decimal, measured: Decimal) -> Decimal:
    return (up * 100 / measured).quantize(Decimal("0.001"), rounding=ROUND_FLOOR)


# -- per metric ------------------------------------------------------------------------------


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


# -- the other sections ------------------------------------------------------------------------


def _breaches(snaps: Sequence[tuple[periods.Period, dict | None]]) -> list[dict[str, Any]]:
    rows = []
    for period, s in snaps:
        for b in (s or {}).get("breaches", []):
            rows.append(
                {
                    "period": period.label,
                    "period_title": period.title,
                    "ref": b["ref"],
                    "title": b["title"],
                    "severity": b["severity"],
                    "environment": b["environment"],
                    "targets": [TARGET_LABELS.get(t["kind"], t["kind"]) for t in b["targets"]],
                    "binding": any(t["binding"] for t in b["targets"]),
                    "credited": bool(b["credits"]),
                }
            )
    return rows


def _credits(contract: Contract, labels: list[str]) -> dict[str, Any]:
    qs = Credit.objects.filter(contract=contract, report__period__in=labels).exclude(status=Credit.Status.VOID)
    rows = [
        {
            "period": c.report.period,
            "description": c.description,
            "amount": str(c.amount),
            "status": c.status,
            "status_label": c.get_status_display(),
            "invoice_reference": c.invoice_reference,
        }
        for c in qs.select_related("report").order_by("report__period_start", "pk")
    ]
    sums = {k: Decimal(0) for k in Credit.Status.values}
    for r in rows:
        sums[r["status"]] += Decimal(r["amount"])
    total = sum(sums.values(), Decimal(0))
    return {
        "currency": contract.currency,
        "rows": rows,
        "total": str(total),
        "applied": str(sums[Credit.Status.APPLIED]),
        "owed": str(sum((sums[s] for s in OWED), Decimal(0))),
        "disputed": str(sums[Credit.Status.DISPUTED]),
    }


def _disputes(contract: Contract, start: datetime, end: datetime) -> list[dict[str, Any]]:
    qs = Dispute.objects.filter(contract=contract).filter(
        Q(raised_at__gte=start, raised_at__lt=end) | Q(status=Dispute.Status.OPEN)
    )
    return [
        {
            "ref": f"D-{d.pk}",
            "title": d.title,
            "subject": d.subject_label,
            "raised_by_side": d.raised_by_side,
            "raised_at": iso(d.raised_at),
            "stage": d.stage_name,
            "status": d.status,
            "status_label": d.get_status_display(),
            "resolution": d.resolution,
            "resolved_at": iso(d.resolved_at),
        }
        for d in qs.order_by("raised_at", "pk")
    ]


def _compliance(snaps: Sequence[tuple[periods.Period, dict | None]]) -> dict[str, Any]:
    notices = late = windows = compliant = overruns = 0
    late_rows, bad_windows = [], []
    for period, s in snaps:
        if s is None:
            continue
        for n in s["changes"]["notices"]:
            notices += 1
            if n["late"]:
                late += 1
                late_rows.append({"period": period.label, "title": n["title"], "kind": n["kind"], **_dates(n)})
        for m in s["maintenance"]:
            windows += 1
            compliant += 1 if m["compliant"] else 0
            overruns += 1 if m["overrun"] else 0
            if not m["compliant"]:
                bad_windows.append(
                    {"period": period.label, "title": m["title"], "reasons": list(m["reasons"]), "start": m["start"]}
                )
    return {
        "notices": notices,
        "late_notices": late,
        "late": late_rows,
        "windows": windows,
        "compliant_windows": compliant,
        "overruns": overruns,
        "non_compliant": bad_windows,
    }


def _dates(n: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "planned_at": n["planned_at"],
        "announced_at": n["announced_at"],
        "required_notice_days": n["required_notice_days"],
    }


def _satisfaction(snaps: Sequence[tuple[periods.Period, dict | None]]) -> dict[str, Any]:
    dist = {str(k): 0 for k in range(1, 6)}
    for _, s in snaps:
        for k, v in ((s or {}).get("satisfaction", {}).get("distribution") or {}).items():
            dist[k] = dist.get(k, 0) + v
    count = sum(dist.values())
    mean = str((Decimal(sum(int(k) * v for k, v in dist.items())) / count).quantize(Decimal("0.01"))) if count else None
    return {"count": count, "mean": mean, "distribution": dist}


def _incidents(contract: Contract, start: datetime, end: datetime) -> dict[str, Any]:
    qs = Incident.objects.filter(contract=contract, opened_at__gte=start, opened_at__lt=end)
    rows: dict[str, dict[str, Any]] = {}
    for r in qs.values("component", "severity").annotate(
        n=Count("pk"), breached_n=Count("pk", filter=Q(breached=True))
    ):
        row = rows.setdefault(r["component"], {"component": r["component"], "total": 0, "breached": 0})
        row[r["severity"]] = row.get(r["severity"], 0) + r["n"]
        row["total"] += r["n"]
        row["breached"] += r["breached_n"]
    table = sorted(rows.values(), key=lambda r: (-r["total"], r["component"]))
    for row in table:
        for sev in SEVERITY_ORDER:
            row.setdefault(sev, 0)
    return {"total": sum(r["total"] for r in table), "by_component": table}


def open_feedback(contract: Contract, start: datetime, end: datetime) -> dict[str, Any]:
    """The feedback register (``contracts.FeedbackItem``) as the board sees
    it: every item still open or responded, with its proposed action, and
    the items logged and closed within the year."""
    items = list(FeedbackItem.objects.for_annual_review(contract=contract, start=start, end=end))
    rows = [
        {
            "id": f.pk,
            "category": f.get_category_display(),
            "side": f.side,
            "text": f.text,
            "proposed_action": f.proposed_action,
            "status": f.status,
            "status_label": f.get_status_display(),
            "response": f.response,
            "close_note": f.close_note,
            "raised_by": str(f.raised_by) if f.raised_by else "",
            "created_at": iso(f.created_at),
        }
        for f in items
    ]
    return {
        "available": True,
        "items": [r for r in rows if r["status"] != FeedbackItem.Status.CLOSED],
        "closed": [r for r in rows if r["status"] == FeedbackItem.Status.CLOSED],
    }


# -- amendments --------------------------------------------------------------------------------


def show(path: str, value: Any) -> str:
    """A terms value as the board reads it (the contracts diff page's wording)."""
    if value is MISSING:
        return "—"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, int) and path.endswith("_minutes"):
        return f"{value} min ({human_minutes(value)})"
    return str(value)


def _rank(path: str) -> int:
    top = re.split(r"[.\[]", path, maxsplit=1)[0]
    order = SCHEMA["required"]
    return order.index(top) if top in order else len(order)


def diff_rows(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, str]]:
    changes = sorted(diff_terms(dict(before), dict(after)), key=lambda row: _rank(row[0]))
    return [{"label": label_for(p), "path": p, "before": show(p, a), "after": show(p, b)} for p, a, b in changes]


def amendment_rows(review: AnnualReview) -> list[dict[str, Any]]:
    out = []
    for a in review.amendments.filter(status="proposed").select_related(
        "sla_version", "sla_version__based_on", "proposed_by"
    ):
        v = a.sla_version
        base = v.based_on
        out.append(
            {
                "id": a.pk,
                "title": a.title,
                "rationale": a.rationale,
                "evidence": list(a.evidence or []),
                "effective_from": iso(a.effective_from),
                "proposed_by": str(a.proposed_by) if a.proposed_by else "",
                "version": v.number,
                "based_on": base.number if base else None,
                "rows": diff_rows(base.terms if base else {}, v.terms),
            }
        )
    return out


def amendments_fingerprint(review: AnnualReview) -> str:
    """What the board signs about the amendments: their wording, dates and
    the draft terms. A change to any of them after a signature voids it."""
    return checksum(
        [
            {
                "id": a.pk,
                "title": a.title,
                "rationale": a.rationale,
                "evidence": a.evidence,
                "effective_from": iso(a.effective_from),
                "version": a.sla_version_id,
                "terms": a.sla_version.terms,
            }
            for a in review.amendments.filter(status="proposed").select_related("sla_version").order_by("pk")
        ]
    )


# -- the whole packet ------------------------------------------------------------------------------


def _signatory_rows(review: AnnualReview) -> list[dict[str, Any]]:
    return [
        {"name": str(s.user), "role": s.role, "required": s.required}
        for s in review.signatories.select_related("user").order_by("-required", "pk")
    ]


def review_section(review: AnnualReview) -> dict[str, Any]:
    """The board's record as the packet shows it (and as a signature on it attests)."""
    return {
        "id": review.pk,
        "year": review.year,
        "anniversary": iso(review.anniversary),
        "scheduled_for": iso(review.scheduled_for),
        "agenda": review.agenda,
        "meeting_date": iso(review.meeting_date),
        "minutes": review.minutes,
        "decisions": review.decisions,
        "recommendation": review.recommendation,
        "recommendation_label": review.get_recommendation_display() if review.recommendation else "",
        "recommendation_reasons": review.recommendation_reasons,
    }


def packet_data(review: AnnualReview) -> dict[str, Any]:
    contract = Contract.objects.select_related("buyer", "vendor").get(pk=review.contract_id)
    zone_guess = datetime.combine(review.anniversary, time(0), tzinfo=UTC)
    version = reference_version(contract, zone_guess - timedelta(days=1))
    terms = version.terms if version else {}
    span = window(contract, review.anniversary, version)
    start, end = span[0].start, span[-1].end
    labels = [p.label for p in span]
    reports = {
        r.period: r
        for r in ServiceReport.objects.current().filter(contract=contract, period__in=labels).order_by("period")
    }
    snaps = [(p, reports[p.label].snapshot if p.label in reports else None) for p in span]
    term = terms.get("termination")
    return {
        "schema": SCHEMA_VERSION,
        "review": review_section(review),
        "contract": {
            "id": contract.pk,
            "reference": contract.reference,
            "product": contract.product,
            "buyer": contract.buyer.name,
            "vendor": contract.vendor.name,
            "currency": contract.currency,
            "monthly_fee": str(contract.monthly_fee),
            "start_date": iso(contract.start_date),
            "term_end": iso(contract.term_end),
            "notice_deadline": iso(contract.notice_deadline),
            "notice_period_days": contract.notice_period_days,
            "auto_renew": contract.auto_renew,
            "termination_right": contract.termination_right,
            "termination_right_since": iso(contract.termination_right_since),
            "termination_rule": termination_text(term, terms["uptime"]["period"]) if term else "",
        },
        "window": {
            "kind": span[-1].kind,
            "zone": span[-1].zone,
            "start": iso(start),
            "end": iso(end),
            "title": f"{span[0].title} – {span[-1].title}",
            "periods": [
                {
                    "label": p.label,
                    "short": p.short,
                    "title": p.title,
                    "reported": p.label in reports,
                    "revision": reports[p.label].revision if p.label in reports else None,
                }
                for p in span
            ],
        },
        "sla": {
            "version": version.number if version else None,
            "availability_target": str(terms.get("uptime", {}).get("target_percent", "")),
        },
        "metrics": _metrics(terms, snaps) if version else [],
        "breaches": _breaches(snaps),
        "credits": _credits(contract, labels),
        "disputes": _disputes(contract, start, end),
        "compliance": _compliance(snaps),
        "satisfaction": _satisfaction(snaps),
        "incidents": _incidents(contract, start, end),
        "feedback": open_feedback(contract, start, end),
        "amendments": amendment_rows(review),
        "board": [
            {"name": str(seat.user), "chair": seat.is_chair}
            for seat in BoardSeat.objects.filter(contract=contract).select_related("user")
        ],
        "signatories": _signatory_rows(review),
    }


# -- display ----------------------------------------------------------------------------------------


def _when(value: str | None, zone: str, fmt: str = "%-d %b %Y") -> str:
    at = _parse(value)
    return "" if at is None else at.astimezone(ZoneInfo(zone)).strftime(fmt)


def _day(value: str | None) -> str:
    return "" if not value else date.fromisoformat(value).strftime("%-d %b %Y")


def metric_chart(m: Mapping[str, Any], noun: str) -> str:
    n = len(m["points"])
    if m["metric"] == "availability":
        return availability_chart(
            [
                ChartPoint(label=p["short"], availability=None if p["value"] is None else Decimal(p["value"]))
                for p in m["points"]
            ],
            target=Decimal(m["target"]),
            title=f"Availability per {noun}, last {n} {noun}s, against the {m['target']} % target",
        )
    points = [
        Point(label=p["short"], value=None if p["value"] is None else Decimal(p["value"]), met=p["met"])
        for p in m["points"]
    ]
    if m["metric"] == "satisfaction":
        return trend_chart(
            points,
            title=f"Mean satisfaction per {noun} (1 to 5)",
            low=Decimal(0),
            high=Decimal(5),
            step=Decimal(1),
            places=2,
            missing_label="no ratings",
        )
    return trend_chart(
        points,
        title=f"{m['label']}: share of incidents within target per {noun}",
        low=Decimal(0),
        high=Decimal(100),
        step=Decimal(25),
        unit=" %",
        places=0,
        target=Decimal(100),
        target_label="target: all within time",
        missing_label="none decided",
    )


def packet_context(data: Mapping[str, Any], *, packet: Any = None) -> dict[str, Any]:
    """Display values for ``pdf/review_packet.html`` (and the review page's figures)."""
    c = data["contract"]
    zone = data["window"]["zone"]
    cur = c["currency"]
    noun = data["window"]["kind"]
    groups = []
    for g in data["metrics"]:
        rows = []
        for m in g["metrics"]:
            rows.append({**m, "chart_svg": metric_chart(m, noun)})
        groups.append({**g, "metrics": rows})
    credits = data["credits"]
    comp = data["compliance"]
    sat = data["satisfaction"]
    most = max([*sat["distribution"].values(), 1])
    reported = sum(1 for p in data["window"]["periods"] if p["reported"])
    review = data["review"]
    return {
        "d": data,
        "c": c,
        "packet": packet,
        "zone": zone,
        "noun": noun,
        "reported": reported,
        "periods_total": len(data["window"]["periods"]),
        "missing_periods": [p["title"] for p in data["window"]["periods"] if not p["reported"]],
        "metric_groups": groups,
        "binding_missed": [m for g in groups for m in g["metrics"] if m["binding"] and m["missed_periods"]],
        "breaches": [
            {**b, "severity_label": b["severity"].capitalize(), "environment_label": b["environment"].replace("_", "-")}
            for b in data["breaches"]
        ],
        "credits": {
            **credits,
            "rows": [{**r, "amount_text": money(r["amount"], cur)} for r in credits["rows"]],
            "total_text": money(credits["total"], cur),
            "applied_text": money(credits["applied"], cur),
            "owed_text": money(credits["owed"], cur),
            "disputed_text": money(credits["disputed"], cur),
        },
        "disputes": [
            {**d, "raised": _when(d["raised_at"], zone), "resolved": _when(d["resolved_at"], zone)}
            for d in data["disputes"]
        ],
        "compliance": {
            **comp,
            "on_time_notices": comp["notices"] - comp["late_notices"],
            "late": [
                {
                    **n,
                    "planned": _when(n["planned_at"], zone, "%-d %b %Y %H:%M"),
                    "announced": _when(n["announced_at"], zone),
                }
                for n in comp["late"]
            ],
            "non_compliant": [{**w, "from": _when(w["start"], zone, "%-d %b %Y %H:%M")} for w in comp["non_compliant"]],
        },
        "satisfaction": {
            **sat,
            "bars": [
                {"score": k, "count": v, "width": round(100 * v / most)} for k, v in sorted(sat["distribution"].items())
            ],
        },
        "incidents": data["incidents"],
        "feedback": data["feedback"],
        "amendments": [
            {**a, "effective": _when(a["effective_from"], zone, "%-d %b %Y %H:%M") + f" ({zone})"}
            for a in data["amendments"]
        ],
        "meeting": _when(review["meeting_date"], zone, "%-d %b %Y %H:%M") + f" ({zone})"
        if review["meeting_date"]
        else "",
        "anniversary": _day(review["anniversary"]),
        "term_end": _day(c["term_end"]),
        "notice_deadline": _day(c["notice_deadline"]),
        "start_date": _day(c["start_date"]),
        "termination_since": _day(c["termination_right_since"]),
        "fee_text": money(c["monthly_fee"], cur),
    }


def render_packet_html(data: Mapping[str, Any], *, version: int, generated_at: datetime, frozen: bool) -> str:
    return render_to_string(
        "pdf/review_packet.html",
        {
            **packet_context(data),
            "version": version,
            "frozen": frozen,
            "generated": generated_at.astimezone(UTC).strftime("%-d %b %Y %H:%M UTC"),
        },
    )


def render_packet_pdf(data: Mapping[str, Any], *, version: int, generated_at: datetime, frozen: bool) -> bytes:
    """Seconds of WeasyPrint: never inside a transaction (``reviews.services.packets``)."""
    return html_to_pdf(render_packet_html(data, version=version, generated_at=generated_at, frozen=frozen))


def packet_filename(review: AnnualReview, version: int) -> str:
    ref = re.sub(r"[^A-Za-z0-9._-]+", "-", review.contract.reference).strip("-") or "contract"
    return f"{ref}-annual-review-{review.year}-packet-v{version}.pdf"


__all__ = [
    "amendment_rows",
    "amendments_fingerprint",
    "diff_rows",
    "open_feedback",
    "packet_context",
    "packet_data",
    "packet_filename",
    "render_packet_pdf",
    "window",
]


def credit_sums(contract: Contract) -> dict[str, Decimal]:
    """Owed / applied / disputed credits of a contract (all periods)."""
    rows = Credit.objects.filter(contract=contract).values("status").annotate(total=Sum("amount"))
    sums = {r["status"]: r["total"] or Decimal(0) for r in rows}
    return {
        "owed": sum((sums.get(s, Decimal(0)) for s in OWED), Decimal(0)),
        "applied": sums.get(Credit.Status.APPLIED, Decimal(0)),
        "disputed": sums.get(Credit.Status.DISPUTED, Decimal(0)),
    }
