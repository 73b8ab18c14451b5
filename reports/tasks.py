"""Period close on Celery: beat finds the closes that are due and fans out one
task per contract; each task walks its PeriodClose row through
pending -> computing -> rendering -> stored -> delivered.

Nothing relies on the broker alone. The row is the durable record: it is
created under a unique constraint (no duplicate close), claimed by an
optimistic UPDATE (two workers never run the same close at once, and a claim
older than the time limit belongs to a dead worker and may be taken over),
and each stage is idempotent (the report is written in one transaction, the
PDF is stored once, each recipient is notified once). Tasks acknowledge late,
and a reconciler re-enqueues rows stuck past their time limit, so a worker
killed mid-task leaves no half report, no duplicate and no lost report.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import notify
from contracts.models import Contract, SLAVersion
from contracts.versions import InForceFallback, in_force_among
from core import periods
from core.errors import DomainError
from outbox.services import enqueue
from reports import revisions
from reports.models import PeriodClose, ServiceReport
from reports.services import close_period, current_report, deliver_report, publish, store_pdf

log = logging.getLogger(__name__)
S = PeriodClose.State

# One contract's close takes about a second (a snapshot and one PDF; README, benchmarks): two minutes is
# generous, and bounds how long a close killed with its worker waits. A claim older than this belongs to a
# dead worker: the reconciler (beat, every minute) re-enqueues it, so a killed close runs again within
# CLOSE_TIME_LIMIT + 1 minute, about 3 minutes.
CLOSE_TIME_LIMIT = 2 * 60  # seconds
CLOSE_SOFT_TIME_LIMIT = 100
MAX_RETRIES = 5
BACKOFF_FACTOR = 30  # seconds: 30, 60, 120, 240, 300 (capped), each with full jitter
BACKOFF_MAX = 300
# An unclaimed row this quiet lost its message: it is not waiting for a retry countdown (at most BACKOFF_MAX).
STUCK_AFTER = timedelta(seconds=BACKOFF_MAX + 60)
ACTIVE_STATES = (S.PENDING, S.COMPUTING, S.RENDERING, S.STORED)
RECONCILE_BATCH = 500


# -- the state machine (plain functions: the task, the command and tests call them) ---------


def claim(close_id: int, *, now: datetime, revive: bool = False) -> PeriodClose | None:
    """Take the row for this worker, or None if it is done or held by a live worker."""
    states = (*ACTIVE_STATES, S.FAILED) if revive else ACTIVE_STATES
    claimed = (
        PeriodClose.objects.filter(pk=close_id, state__in=states)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - timedelta(seconds=CLOSE_TIME_LIMIT)))
        .update(
            state=Case(When(state__in=[S.PENDING, S.FAILED], then=Value(S.COMPUTING)), default=F("state")),
            claimed_at=now,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )
    return PeriodClose.objects.select_related("contract").get(pk=close_id) if claimed else None


def _advance(row: PeriodClose, to: str, *, now: datetime, release: bool = False) -> None:
    fields = {"state": to, "updated_at": now, "last_error": ""}
    if release:
        fields["claimed_at"] = None
    PeriodClose.objects.filter(pk=row.pk).update(**fields)
    row.state = to


def run_close(close_id: int, *, now: datetime | None = None, revive: bool = False) -> str:
    """Advance one close as far as it goes. Each stage is judged by the facts
    (is there a report, a PDF?), so a rerun picks up where a dead run stopped.
    Returns "delivered", "skipped" (done, or held by another worker)."""
    now = now or timezone.now()
    row = claim(close_id, now=now, revive=revive)
    if row is None:
        return "skipped"
    report = current_report(row.contract, row.period)
    if report is None:
        report = close_period(contract=row.contract, period=row.period, now=now)
    _advance(row, S.RENDERING, now=timezone.now())
    if not report.pdf_sha256:
        report = store_pdf(report)
    _advance(row, S.STORED, now=timezone.now())
    deliver_report(report)
    _advance(row, S.DELIVERED, now=timezone.now(), release=True)
    return "delivered"


def release(close_id: int, exc: BaseException, *, final: bool) -> None:
    """A failed attempt: free the row for the retry (keeping its stage and
    whatever it computed), or mark it failed and tell staff."""
    now = timezone.now()
    fields = {"claimed_at": None, "updated_at": now, "last_error": f"{type(exc).__name__}: {exc}"[:2000]}
    if final:
        fields["state"] = S.FAILED
    PeriodClose.objects.filter(pk=close_id).update(**fields)
    if final:
        row = PeriodClose.objects.select_related("contract").get(pk=close_id)
        kept = ServiceReport.objects.filter(contract=row.contract, period=row.period).exists()
        notify(
            users=User.objects.filter(is_staff=True, is_active=True),
            event="report.close_failed",
            title=f"Period close failed: {row.contract.reference} {row.period}",
            body=(
                f"Closing {row.period} for {row.contract.reference} failed after {row.attempts} attempt(s).\n"
                f"Last error: {fields['last_error']}\n"
                + (
                    "The report's snapshot is computed and kept; only its PDF or delivery is missing.\n"
                    if kept
                    else "No report was written.\n"
                )
                + f"Retry with: python manage.py close_period --period {row.period} --contract {row.contract.reference}"
            ),
            url=reverse("reports:contract_reports", args=[row.contract_id]),
        )


# -- tasks ------------------------------------------------------------------------------------


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    time_limit=CLOSE_TIME_LIMIT,
    soft_time_limit=CLOSE_SOFT_TIME_LIMIT,
    ignore_result=True,
)
def close_contract_period(self, close_id: int) -> str:
    """One contract's period close. Retried with exponential backoff and
    jitter; after the last retry the row is failed and staff are notified."""
    try:
        return run_close(close_id)
    except Exception as exc:
        final = isinstance(exc, DomainError) or self.request.retries >= self.max_retries
        release(close_id, exc, final=final)
        if final:
            log.error("period close %s failed for good: %s", close_id, exc)
            raise
        countdown = get_exponential_backoff_interval(
            factor=BACKOFF_FACTOR, retries=self.request.retries, maximum=BACKOFF_MAX, full_jitter=True
        )
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=BACKOFF_FACTOR,
    retry_backoff_max=BACKOFF_MAX,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
    time_limit=CLOSE_TIME_LIMIT,
    soft_time_limit=CLOSE_SOFT_TIME_LIMIT,
    ignore_result=True,
)
def publish_report(report_id: int) -> int:
    """PDF and delivery of a reissued revision (idempotent like the close)."""
    report = ServiceReport.objects.select_related("contract").get(pk=report_id)
    return deliver_report(store_pdf(report))


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5, time_limit=120
)
def email_report(report_id: int, notification_ids: list[int]) -> int:
    """The report-ready mail with the PDF, after the notifications committed (each is mailed once)."""
    report = ServiceReport.objects.select_related("contract").get(pk=report_id)
    return publish.email_report(report=report, notification_ids=notification_ids)


def due_closes(now: datetime) -> list[tuple[int, periods.Period]]:
    """(contract id, period) for each active contract whose last ended period
    has reached its report due day (in the terms' own time zone)."""
    by_contract: dict[int, list[SLAVersion]] = {}
    for v in (
        SLAVersion.objects.frozen()
        .filter(contract__status=Contract.Status.ACTIVE)
        .only("id", "contract_id", "number", "effective_from", "effective_to", "terms")
        .order_by("contract_id", "effective_from", "number")
    ):
        by_contract.setdefault(v.contract_id, []).append(v)
    due = []
    for contract_id, versions in by_contract.items():
        current = in_force_among(versions, now, fallback=InForceFallback.LATEST_FROZEN)
        assert current is not None  # versions holds at least one frozen version
        up = current.terms["uptime"]
        period = periods.last_ended(now, kind=up["period"], zone=up["timezone"])
        if versions[0].effective_from >= period.end:
            continue  # no SLA was in force yet
        if now >= periods.report_due_at(period, current.terms["reporting"]["report_due_day"]):
            due.append((contract_id, period))
    return due


def enqueue_due_closes(now: datetime) -> list[int]:
    due = due_closes(now)
    if not due:
        return []
    ids = {c for c, _ in due}
    labels = {p.label for _, p in due}
    wanted = {(c, p.label) for c, p in due}
    reported = set(
        ServiceReport.objects.filter(contract_id__in=ids, period__in=labels).values_list("contract_id", "period")
    )
    with transaction.atomic():
        PeriodClose.objects.bulk_create(
            [
                PeriodClose(contract_id=c, period=p.label, period_start=p.start, period_end=p.end)
                for c, p in due
                if (c, p.label) not in reported
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        pending = [
            pk
            for pk, c, label in PeriodClose.objects.filter(
                contract_id__in=ids, period__in=labels, state=S.PENDING, claimed_at__isnull=True
            ).values_list("pk", "contract_id", "period")
            if (c, label) in wanted and (c, label) not in reported
        ]
        for pk in pending:
            enqueue("reports.tasks.close_contract_period", pk)
    return pending


@shared_task(ignore_result=True, time_limit=5 * 60, soft_time_limit=4 * 60)
def close_due_periods() -> dict[str, int]:
    """Beat: create the due PeriodClose rows (unique) and fan out one task each."""
    return {"enqueued": len(enqueue_due_closes(timezone.now()))}


def stuck_closes(now: datetime) -> list[int]:
    """Active closes whose claim outlived the time limit (the worker died), or
    that nobody claimed for longer than any retry waits (the message was lost)."""
    return list(
        PeriodClose.objects.filter(state__in=ACTIVE_STATES)
        .filter(
            Q(claimed_at__lt=now - timedelta(seconds=CLOSE_TIME_LIMIT))
            | Q(claimed_at__isnull=True, updated_at__lt=now - STUCK_AFTER)
        )
        .order_by("updated_at")
        .values_list("pk", flat=True)[:RECONCILE_BATCH]
    )


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50)
def reconcile_period_closes() -> dict[str, int]:
    """Beat, every few minutes: re-enqueue closes stuck past their time limit
    (a lost message, a killed worker). A duplicate message is harmless: only
    one task can claim the row."""
    ids = stuck_closes(timezone.now())
    for pk in ids:
        enqueue("reports.tasks.close_contract_period", pk)
    return {"reenqueued": len(ids)}


# Five minutes covers one pass of BATCH periods (each one snapshot, plus a reissue where a figure changed).
@shared_task(ignore_result=True, time_limit=5 * 60, soft_time_limit=4 * 60)
def reissue_changed_periods() -> dict[str, int]:
    """Beat, every 5 minutes: closed periods whose inputs changed by a later decision get a new
    revision explaining the change (reports/revisions.py). Idempotent: a period's watermark is
    claimed with an optimistic update, and one that no longer differs is not reissued."""
    return {"reissued": len(revisions.reissue_changed_periods())}
