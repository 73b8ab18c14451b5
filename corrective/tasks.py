"""Periodic corrective-action housekeeping (Celery beat)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from corrective import services


@shared_task(
    time_limit=600,
    soft_time_limit=570,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def escalate_overdue_actions() -> dict[str, int]:
    """Hourly. Escalate overdue actions and late plans one rung each; idempotent (each rung is an
    optimistic update on the row's level, so a repeated or concurrent run fires nothing twice)."""
    return {"escalated": services.escalate_overdue()}
