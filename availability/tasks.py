"""Periodic availability housekeeping (Celery beat)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from availability.ingest import services as ingest
from availability.models import MonitoringSource, RawPayload
from availability.services import sources


@shared_task(time_limit=600, soft_time_limit=570, ignore_result=True)
def purge_expired_payloads(batch: int = 2000) -> dict[str, int]:
    """Daily. Delete raw monitoring payloads past their contract's retention
    (``expires_at``), in batches so a long backlog never holds one huge write
    lock. Idempotent: a second run finds nothing to delete. The outages and
    no-data spans derived from them stay."""
    now = timezone.now()
    deleted = 0
    while True:
        ids = list(RawPayload.objects.filter(expires_at__lte=now).values_list("pk", flat=True)[:batch])
        if not ids:
            return {"deleted": deleted}
        deleted += RawPayload.objects.filter(pk__in=ids).delete()[0]


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
