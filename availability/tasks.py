"""Periodic availability housekeeping (Celery beat)."""

from __future__ import annotations

from celery import current_app, shared_task
from django.db import OperationalError
from django.utils import timezone

from availability.ingest import services as ingest
from availability.models import MonitoringSource
from availability.services import reconciliation, sources


@shared_task(time_limit=60, ignore_result=True)
def purge_expired_payloads(batch: int = 2000) -> None:
    """Moved to ``holds.tasks.purge_expired_payloads``, which honours legal holds. This name stays
    for messages queued before the move (and the layout migration's renamed beat entries): it hands
    over by name, since availability sits below holds and may not import it."""
    current_app.send_task("holds.tasks.purge_expired_payloads", kwargs={"batch": batch})


@shared_task(time_limit=120, soft_time_limit=110, ignore_result=True)
def watch_silent_sources() -> dict[str, int]:
    """Every minute. Carry open silences' no-data spans up to now, then open a
    silence (one alert, both parties told) for each accepted source past
    max(3 x interval, 10 min) without a post. Idempotent: a source has at most
    one open silence (a unique constraint), so a repeated or concurrent run
    alerts nobody twice. Each source is its own short transaction."""
    now = timezone.now()
    extended = sources.extend_silences(now=now)
    opened = sum(sources.check_silence(source_id=pk, now=now) for pk in sources.silent_candidates(now=now))
    return {"extended": extended, "opened": opened}


@shared_task(
    time_limit=600,
    soft_time_limit=570,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def pull_statuspages() -> dict[str, int]:
    """Every 5 minutes. Fetch each active Statuspage source's configured URL
    (10 s timeout each, outside any transaction) and ingest it; a failure is
    noted on the source, never raised. Batch: every such source, one after the
    other (a handful per contract); the time limit bounds a slow run."""
    ids = list(
        MonitoringSource.objects.filter(
            kind=MonitoringSource.Kind.STATUSPAGE, revoked_at__isnull=True, rejected_at__isnull=True
        )
        .exclude(pull_url="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    pulled = sum(ingest.pull_statuspage(source_id=pk) is not None for pk in ids)
    return {"sources": len(ids), "pulled": pulled}


@shared_task(
    time_limit=1800,
    soft_time_limit=1770,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def reconcile_open_periods() -> dict[str, int]:
    """Daily. Reconcile each contract's open period between its counted
    sources, so both parties see the discrepancies well before the close
    (which reconciles once more). Batch: every contract with two or more
    counted sources, one short transaction each; idempotent."""
    return reconciliation.reconcile_open_periods(now=timezone.now())
