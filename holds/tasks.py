"""Periodic retention (Celery beat): the job that purges expired evidence, honouring holds."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from holds import retention


@shared_task(
    time_limit=600,
    soft_time_limit=570,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def purge_expired_payloads(batch: int = 2000) -> dict[str, int]:
    """Daily. Delete raw monitoring payloads past their contract's retention unless a hold keeps
    them (``holds.retention``): one transaction and one summary audit entry per contract, ``batch``
    ids per DELETE. Idempotent: a second run deletes nothing and writes nothing new; a retry after a
    lost database connection redoes only the contracts not yet committed."""
    return retention.purge_expired_payloads(now=timezone.now(), batch=batch)
