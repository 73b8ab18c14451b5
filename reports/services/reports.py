"""Closing a period into a frozen service report, reissuing it, verifying it.

A report is written once, in one transaction with its credit ledger rows and
its audit entry, and never edited: a correction is a new revision that
supersedes it. The PeriodClose row (unique per contract and period) is locked
while the report is written, so concurrent closers produce one report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.services import notify
from audit import services as audit
from availability.services import reconciliation
from contracts import lock_objects
from contracts.access import contract_managers
from contracts.models import Contract
from contracts.services import contract_termination_right_record
from contracts.terms import Terms
from core import periods
from core.actor import Actor, SystemActor
from core.checksum import checksum
from core.errors import Conflict, InvalidInput
from outbox.services import enqueue
from reports.models import Credit, PeriodClose, Remedy, ServiceReport
from reports.remedies import reopened_claim_deadline
from reports.snapshot import PeriodError, gather, resolve_period

SYSTEM = SystemActor("system:period_close")
S = PeriodClose.State


def _period(contract: Contract, label: str) -> periods.Period:
    try:
        period, _ = resolve_period(contract, label)
    except PeriodError as exc:
        raise InvalidInput(str(exc), errors={"period": [str(exc)]}) from None
    return period


def _require_ended(period: periods.Period, now: datetime) -> None:
    if not period.has_ended(now):
        ends = period.end.astimezone(ZoneInfo(period.zone))
        message = (
            f"The period {period.label} ({period.title}) has not ended yet: it ends on "
            f"{ends:%-d %b %Y at %H:%M} {period.zone}. A report can be closed only after its period ends."
        )
        raise InvalidInput(message, errors={"period": [message]})


def current_report(contract: Contract, label: str) -> ServiceReport | None:
    return ServiceReport.objects.current().filter(contract=contract, period=label).order_by("-revision").first()


def close_row(contract: Contract, period: periods.Period) -> PeriodClose:
    """The PeriodClose row of (contract, period), created if missing (the
    unique constraint makes a concurrent create return the same row)."""
    row, _ = PeriodClose.objects.get_or_create(
        contract=contract,
        period=period.label,
        defaults={"period_start": period.start, "period_end": period.end},
    )
    return row


def close_period(*, contract: Contract, period: str, now: datetime | None = None) -> ServiceReport:
    """The report of ``contract`` for ``period`` ("2026-10", "2026-Q4"):
    computed and frozen the first time, returned as it is afterwards."""
    now = now or timezone.now()
    p = _period(contract, period)
    _require_ended(p, now)
    existing = current_report(contract, p.label)
    if existing is not None:
        return existing
    with transaction.atomic():
        lock_objects.contract(contract.pk)  # the contract, then the period's row (core.locks)
        row = close_row(contract, p)
        row = PeriodClose.objects.select_for_update().get(pk=row.pk)
        existing = current_report(contract, p.label)  # again, under the lock
        if existing is not None:
            return existing
        # The sources are reconciled once more before the snapshot freezes: what is still open
        # becomes disputed time (availability.services.reconciliation).
        reporting = Terms(resolve_period(contract, p.label)[1].terms)
        reconciliation.reconcile_period(contract=contract, period=p, terms=reporting, now=now, closing=True)
        snapshot = gather(contract, p.label, now=now)
        try:
            with transaction.atomic():
                report = _write_report(contract, p, snapshot, revision=1, now=now)
        except IntegrityError:  # another closer won the race on a database without row locks
            return ServiceReport.objects.get(contract=contract, period=p.label, revision=1)
        if row.state in (S.PENDING, S.COMPUTING, S.FAILED):
            PeriodClose.objects.filter(pk=row.pk).update(state=S.RENDERING, updated_at=now, last_error="")
        audit.record(
            actor=SYSTEM,
            verb="report.closed",
            obj=report,
            contract_id=contract.pk,
            changes={
                "period": [None, p.label],
                "revision": [None, 1],
                "checksum": [None, report.checksum],
                "credit_total": [None, str(report.credit_total)],
            },
        )
        _apply_termination(report, now=now)
    return report


def _write_report(
    contract: Contract,
    period: periods.Period,
    snapshot: dict[str, Any],
    *,
    revision: int,
    now: datetime,
    supersedes: ServiceReport | None = None,
    what_changed: Sequence[str] = (),
    kept: Sequence[Credit] = (),
) -> ServiceReport:
    snapshot["report"] = {
        "revision": revision,
        "supersedes_revision": supersedes.revision if supersedes else None,
        "what_changed": list(what_changed),
    }
    availability = snapshot["availability"]
    report = ServiceReport.objects.create(
        contract=contract,
        period=period.label,
        period_start=period.start,
        period_end=period.end,
        revision=revision,
        supersedes=supersedes,
        what_changed=list(what_changed),
        snapshot=snapshot,
        checksum=checksum(snapshot),
        # The column keeps 3 decimals (lists sort on it): truncated, never rounded up past a bound.
        availability=Decimal(availability["value"]).quantize(Decimal("0.001"), rounding=ROUND_FLOOR)
        if availability["value"] is not None
        else None,
        availability_met=availability["met"],
        breaches=len(snapshot["breaches"]),
        credit_total=Decimal(snapshot["credits"]["total"]),
        currency=contract.currency,
    )
    # The end of the deadline's day in the period's zone, under the terms' claim rule.
    deadline = datetime.fromisoformat(snapshot["credits"]["claim_deadline"])
    if supersedes is not None:  # a reissue reopens the window for what it changes
        deadline = max(deadline, reopened_claim_deadline(snapshot["credits"], now=now, zone=period.zone))
    # Credits already approved, applied or disputed on the old revision stay
    # as they are; a new line for the same item is owed only the difference.
    settled: dict[tuple[str, str], Decimal] = {}
    for credit in kept:
        key = (credit.kind, credit.ref)
        settled[key] = settled.get(key, Decimal(0)) + credit.amount
    rows = []
    for line in snapshot["credits"]["lines"]:
        amount = Decimal(line["payable"]) - settled.get((line["kind"], line["ref"]), Decimal(0))
        if amount <= 0:
            continue
        rows.append(
            Credit(
                contract=contract,
                report=report,
                kind=line["kind"],
                ref=line["ref"],
                description=line["description"][:300],
                percent=Decimal(line["percent"]),
                amount=amount,
                currency=contract.currency,
                claim_deadline=deadline,
            )
        )
    Credit.objects.bulk_create(rows)
    # Remedies besides credits: owed once per (period, ref); a revision owes no line twice.
    Remedy.objects.bulk_create(
        [
            Remedy(
                contract=contract,
                report=report,
                period=period.label,
                kind=r["kind"],
                trigger=r["trigger"],
                ref=r["ref"][:80],
                description=r["description"][:300],
            )
            for r in snapshot.get("remedies", [])
        ],
        ignore_conflicts=True,
    )
    return report


def _apply_termination(report: ServiceReport, *, now: datetime) -> None:
    """Raise the contract's termination right from the latest period's report (a reissue of an
    older period leaves it alone). A raised right stays until exercised, waived or lapsed; a
    reissue of the period that raised it, no longer meeting the rule, withdraws it."""
    latest = (
        ServiceReport.objects.current()
        .filter(contract_id=report.contract_id)
        .order_by("-period_start", "-revision")
        .values_list("pk", flat=True)
        .first()
    )
    if latest != report.pk:
        return
    term = report.snapshot["termination"]
    triggered = bool(term["triggered"])
    contract = report.contract
    window = term.get("window") or []
    changed = contract_termination_right_record(
        actor=SYSTEM,
        contract=contract,
        triggered=triggered,
        on=timezone.localdate(now),
        report_label=f"{report.period} r{report.revision}",
        period=report.period,
        period_below=bool(window and window[-1]["below_target"]),
        exercise_window_days=term.get("exercise_window_days"),
        rule=term["rule"],
        zone=report.snapshot["period"]["timezone"],
    )
    if not (changed and triggered):
        return
    rule = report.snapshot["termination"]["rule"]
    notify(
        users=contract_managers(contract, side="buyer"),
        event="contract.termination_right",
        title=f"Termination right raised on {contract.reference}",
        body=(
            f"The service report for {report.snapshot['period']['title']} shows {rule}, which the terms "
            f"of {contract.reference} ({contract.product}) make a right to terminate. Review the report "
            "and decide with your governance board."
        ),
        url=reverse("reports:detail", args=[report.pk]),
        contract_id=contract.pk,
        organization_ids=[contract.buyer_id],
    )


# -- reissue ------------------------------------------------------------------------


def _headline_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    cur = new["contract"]["currency"]
    out = []
    pairs = [
        ("Availability", old["availability"]["value"], new["availability"]["value"], " %"),
        ("Breaches", len(old["breaches"]), len(new["breaches"]), ""),
        ("Excluded incidents", len(old["excluded_incidents"]), len(new["excluded_incidents"]), ""),
        ("Excluded outages", len(old["excluded_outages"]), len(new["excluded_outages"]), ""),
        ("Credits due", old["credits"]["total"], new["credits"]["total"], f" {cur}"),
    ]
    for label, a, b, unit in pairs:
        if a != b:
            out.append(f"{label}: {a}{unit} → {b}{unit}")
    if old["termination"]["triggered"] != new["termination"]["triggered"]:
        out.append(
            "Termination right: " + ("now triggered" if new["termination"]["triggered"] else "no longer triggered")
        )
    return out


def reissue_report(*, actor: Actor, contract: Contract, period: str, reason: str, changes: list[str]) -> ServiceReport:
    """Recompute (contract, period) from today's facts into revision N+1,
    superseding the current one (which stays readable). Credits of the old
    revision still calculated or claimed are voided and replaced; settled
    ones are kept and the new revision owes only the difference."""
    if not reason.strip():
        raise InvalidInput("Say why the report is reissued.", errors={"reason": ["This field is required."]})
    now = timezone.now()
    p = _period(contract, period)
    with transaction.atomic():
        lock_objects.contract(contract.pk)  # the contract, then the period's row (core.locks)
        row = close_row(contract, p)
        PeriodClose.objects.select_for_update().get(pk=row.pk)
        old = current_report(contract, p.label)
        if old is None:
            raise Conflict(
                f"There is no report for {contract.reference} {p.label} to reissue; close the period first.",
                state="not_closed",
                allowed=["close_period"],
            )
        snapshot = gather(contract, p.label, now=now)
        what_changed = [c.strip() for c in changes if c.strip()] + _headline_changes(old.snapshot, snapshot)
        live = [Credit.Status.CALCULATED, Credit.Status.CLAIMED]
        voided = list(Credit.objects.select_for_update().filter(report=old, status__in=live))
        kept = list(Credit.objects.filter(report=old).exclude(status__in=[*live, Credit.Status.VOID]))
        Credit.objects.filter(pk__in=[c.pk for c in voided]).update(status=Credit.Status.VOID)
        report = _write_report(
            contract,
            p,
            snapshot,
            revision=old.revision + 1,
            now=now,
            supersedes=old,
            what_changed=what_changed or ["Recomputed; no figure changed."],
            kept=kept,
        )
        # A claim made on the old revision carries over to its replacement.
        claimed = {(c.kind, c.ref): c for c in voided if c.status == Credit.Status.CLAIMED}
        for credit in Credit.objects.filter(report=report):
            was = claimed.get((credit.kind, credit.ref))
            if was is not None:
                Credit.objects.filter(pk=credit.pk).update(
                    status=Credit.Status.CLAIMED, claimed_at=was.claimed_at, claimed_by_id=was.claimed_by_id
                )
        audit.record(
            actor=actor,
            verb="report.reissued",
            obj=report,
            contract_id=contract.pk,
            changes={
                "revision": [old.revision, report.revision],
                "checksum": [old.checksum, report.checksum],
                "credit_total": [str(old.credit_total), str(report.credit_total)],
                "reason": [None, reason.strip()],
                "what_changed": [None, report.what_changed],
                "voided_credits": [None, [c.pk for c in voided]],
            },
        )
        _apply_termination(report, now=now)
        # Through the outbox: a broker outage must not fail the dispute that reissued it.
        enqueue("reports.tasks.publish_report", report.pk)
    return report


# -- verification ----------------------------------------------------------------------


def verify_reports() -> list[str]:
    """Recompute every report's checksum from its stored snapshot, check its
    headline fields against the snapshot and its PDF against pdf_sha256.
    Returns one line per problem; empty means every report is intact."""
    problems: list[str] = []
    for r in ServiceReport.objects.select_related("contract").order_by("pk").iterator(chunk_size=200):
        name = f"{r.contract.reference} {r.period} r{r.revision} (report {r.pk})"
        actual = checksum(r.snapshot)
        if actual != r.checksum:
            problems.append(f"{name}: snapshot does not match its checksum (stored {r.checksum}, computed {actual})")
        a = r.snapshot.get("availability", {})
        # The column keeps the figure truncated to 3 places; the snapshot may show more near a bound.
        value = a.get("value")
        shown = None if value is None else f"{Decimal(value).quantize(Decimal('0.001'), rounding=ROUND_FLOOR):.3f}"
        stored = None if r.availability is None else f"{r.availability:.3f}"
        if stored != shown or r.credit_total != Decimal(r.snapshot.get("credits", {}).get("total", "-1")):
            problems.append(f"{name}: headline figures differ from the snapshot")
        if r.pdf:
            try:
                with r.pdf.open("rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            except (FileNotFoundError, OSError):
                problems.append(f"{name}: PDF file {r.pdf.name} is missing")
                continue
            if digest != r.pdf_sha256:
                problems.append(f"{name}: PDF does not match its SHA-256 (stored {r.pdf_sha256}, computed {digest})")
    return problems
