"""New revisions after the fact: a decision that changes a closed period's
inputs (an exclusion accepted, an outage corrected, a late maintenance record
accepted) issues a new report revision that explains what changed, so the
report, the report list and the availability page show one figure.

Incidents and availability sit below reports and must not call it, so a
periodic task looks for such decisions instead. The change marker is the audit
trail every decision writes: entries of the contract with an input verb
(INPUT_PREFIXES) and a sequence number above the period's watermark
(``PeriodClose.inputs_seq``), read through the (contract_id, -seq) index. Only
the periods the changed objects fall in are recomputed; when a headline figure
(availability, met, credits due, breaches) differs from the current revision,
the report is reissued with the decisions and the differences as its
explanation. Either way the watermark moves to the audit head read before the
recompute, claimed with an optimistic UPDATE so two workers never reissue the
same period twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from audit.models import AuditEntry
from availability.models import MaintenanceWindow, Outage
from core.actor import SystemActor
from incidents.models import Incident
from reports.models import PeriodClose, ServiceReport
from reports.services.reports import reissue_report
from reports.snapshot import gather

SYSTEM = SystemActor("system:report_revisions")
# Verbs of the decisions a period's figures are computed from.
INPUT_PREFIXES = ("outage.", "maintenance.", "incident.", "monitoring.")
EXPLAINED = 10  # decisions named in a revision's explanation; more are counted
BATCH = 50  # periods recomputed per run (each is one snapshot, about 0.1 s); the rest wait for the next run


def _input_q() -> Q:
    q = Q()
    for prefix in INPUT_PREFIXES:
        q |= Q(verb__startswith=prefix)
    return q


def headline(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The figures a reader compares: a change in any of them makes a new revision."""
    return {
        "availability": snapshot["availability"]["value"],
        "met": snapshot["availability"]["met"],
        "credits": snapshot["credits"]["total"],
        "breaches": len(snapshot["breaches"]),
    }


def _frozen_seq(report: ServiceReport) -> int:
    """The audit sequence number of the entry that froze ``report`` (its close or reissue)."""
    seq = AuditEntry.objects.filter(
        object_type="reports.servicereport",
        object_id=str(report.pk),
        verb__in=["report.closed", "report.reissued"],
    ).aggregate(m=Max("seq"))["m"]
    return int(seq or 0)


def _in_period(entries: list[AuditEntry], row: PeriodClose) -> list[AuditEntry]:
    """The entries whose object falls in the period; entries about other objects are kept."""
    ids: dict[str, set[int]] = {}
    for e in entries:
        if e.object_id.isdigit():
            ids.setdefault(e.object_type, set()).add(int(e.object_id))
    start, end = row.period_start, row.period_end
    outside: set[tuple[str, int]] = set()
    if ids.get("availability.outage"):
        for pk, s, f in Outage.objects.filter(pk__in=ids["availability.outage"]).values_list("pk", "start", "end"):
            if not (s < end and (f is None or f > start)):
                outside.add(("availability.outage", pk))
    if ids.get("availability.maintenancewindow"):
        rows = MaintenanceWindow.objects.filter(pk__in=ids["availability.maintenancewindow"])
        for pk, s, f, real in rows.values_list("pk", "start", "end", "actual_end"):
            if not (s < end and max(f, real or f) > start):
                outside.add(("availability.maintenancewindow", pk))
    if ids.get("incidents.incident"):
        for pk, opened in Incident.objects.filter(pk__in=ids["incidents.incident"]).values_list("pk", "opened_at"):
            if not (start <= opened < end):
                outside.add(("incidents.incident", pk))
    return [e for e in entries if not (e.object_id.isdigit() and (e.object_type, int(e.object_id)) in outside)]


def _explain(entries: Iterable[AuditEntry]) -> list[str]:
    entries = list(entries)
    lines = [
        f"{e.at:%Y-%m-%d} {e.verb.replace('.', ': ', 1).replace('_', ' ')}: {e.object_repr} (by {e.actor_label})"
        for e in entries[:EXPLAINED]
    ]
    if len(entries) > EXPLAINED:
        lines.append(f"… and {len(entries) - EXPLAINED} more recorded decisions.")
    return lines


def revise_period(*, close_id: int, now: datetime | None = None) -> ServiceReport | None:
    """Reissue the period of PeriodClose ``close_id`` if decisions recorded since its
    watermark change a headline figure; returns the new revision, or None."""
    now = now or timezone.now()
    row = PeriodClose.objects.select_related("contract").get(pk=close_id)
    report = (
        ServiceReport.objects.current()
        .filter(contract_id=row.contract_id, period=row.period)
        .order_by("-revision")
        .first()
    )
    if report is None:
        return None
    head = int(AuditEntry.objects.aggregate(m=Max("seq"))["m"] or 0)
    since = row.inputs_seq or _frozen_seq(report)
    entries = list(
        AuditEntry.objects.filter(contract_id=row.contract_id, seq__gt=since, seq__lte=head)
        .filter(_input_q())
        .order_by("seq")
    )
    entries = _in_period(entries, row)
    # The claim: only the worker that moves the watermark from the value it read goes on.
    if not PeriodClose.objects.filter(pk=row.pk, inputs_seq=row.inputs_seq).update(inputs_seq=head):
        return None
    if not entries:
        return None
    try:
        before = headline(report.snapshot)
        after = headline(gather(row.contract, row.period, now=now))
        if before == after:
            return None
        return reissue_report(
            actor=SYSTEM,
            contract=row.contract,
            period=row.period,
            reason="Decisions recorded after the period closed changed its figures.",
            changes=_explain(entries),
        )
    except Exception:
        # Give the period back to the next run.
        PeriodClose.objects.filter(pk=row.pk, inputs_seq=head).update(inputs_seq=row.inputs_seq)
        raise


def changed_periods(*, limit: int = BATCH) -> list[int]:
    """PeriodClose ids of closed periods never checked, or whose contract has input decisions
    past the period's watermark: the candidates for a new revision, oldest first."""
    has_report = Exists(ServiceReport.objects.filter(contract_id=OuterRef("contract_id"), period=OuterRef("period")))
    rows = list(PeriodClose.objects.filter(has_report).order_by("pk").values_list("pk", "contract_id", "inputs_seq"))
    if not rows:
        return []
    low = min(seq for _, _, seq in rows)
    latest = dict(
        AuditEntry.objects.filter(seq__gt=low, contract_id__isnull=False)
        .filter(_input_q())
        .values("contract_id")
        .annotate(m=Max("seq"))
        .values_list("contract_id", "m")
    )
    return [pk for pk, contract_id, seq in rows if seq == 0 or latest.get(contract_id, 0) > seq][:limit]


def reissue_changed_periods(*, limit: int = BATCH, now: datetime | None = None) -> list[ServiceReport]:
    """One pass: every candidate period checked, reissued where a figure changed."""
    return [r for pk in changed_periods(limit=limit) if (r := revise_period(close_id=pk, now=now)) is not None]
