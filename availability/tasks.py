"""Periodic availability housekeeping (Celery beat)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from availability.models import RawPayload


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
