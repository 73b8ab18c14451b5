"""The packet's evidence sections: breaches, credits, disputes, compliance, satisfaction, incidents and feedback."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from contracts.models import Contract, FeedbackItem
from contracts.pdf import TARGET_LABELS
from core import periods
from disputes.models import Dispute
from incidents.models import Incident
from reports.models import Credit
from reports.services.ledger import EXPIRED, credit_state, credit_status_label
from reviews.packet.year import iso

SEVERITY_ORDER = ("critical", "high", "medium", "low")
OWED = (Credit.Status.CALCULATED, Credit.Status.CLAIMED, Credit.Status.APPROVED)


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
    now = timezone.now()  # a calculated credit past its claim deadline is not owed
    qs = Credit.objects.filter(contract=contract, report__period__in=labels).exclude(status=Credit.Status.VOID)
    rows = [
        {
            "period": c.report.period,
            "description": c.description,
            "amount": str(c.amount),
            "status": credit_state(c, now),
            "status_label": credit_status_label(c, now),
            "invoice_reference": c.invoice_reference,
        }
        for c in qs.select_related("report").order_by("report__period_start", "pk")
    ]
    sums = {k: Decimal(0) for k in [*Credit.Status.values, EXPIRED]}
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
    qs = Incident.objects.reportable().filter(contract=contract, opened_at__gte=start, opened_at__lt=end)
    rows: dict[str, dict[str, Any]] = {}
    # An incident excluded by an accepted claim counts as excluded, not breached
    # (its breach stays on the incident's record; incidents.Incident.objects.breached() agrees).
    for r in qs.values("component", "severity").annotate(
        n=Count("pk"),
        breached_n=Count("pk", filter=Q(breached=True, excluded=False)),
        excluded_n=Count("pk", filter=Q(excluded=True)),
    ):
        row = rows.setdefault(r["component"], {"component": r["component"], "total": 0, "breached": 0, "excluded": 0})
        row[r["severity"]] = row.get(r["severity"], 0) + r["n"]
        row["total"] += r["n"]
        row["breached"] += r["breached_n"]
        row["excluded"] += r["excluded_n"]
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


def credit_sums(contract: Contract) -> dict[str, Decimal]:
    """Owed / applied / disputed credits of a contract (all periods)."""
    rows = Credit.objects.filter(contract=contract).values("status").annotate(total=Sum("amount"))
    sums = {r["status"]: r["total"] or Decimal(0) for r in rows}
    owed = Credit.objects.filter(contract=contract).owed(timezone.now()).aggregate(total=Sum("amount"))["total"]
    return {
        "owed": owed or Decimal(0),
        "applied": sums.get(Credit.Status.APPLIED, Decimal(0)),
        "disputed": sums.get(Credit.Status.DISPUTED, Decimal(0)),
    }
