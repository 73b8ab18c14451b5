"""Celery beat task for the dispute ladder's deadlines (daily).

Registered with beat in config/schedules.py as
``disputes.tasks.remind_dispute_deadlines``; the worker finds it by
autodiscovery (the app's ``tasks.py``)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from disputes.services.reminders import remind_deadlines


@shared_task(time_limit=300, soft_time_limit=270, ignore_result=True)
def remind_dispute_deadlines() -> int:
    """Notify both parties' managers of each open dispute whose stage deadline
    is within two days, once per stage. Idempotent: each reminder is claimed
    by an optimistic UPDATE of ``reminded_for_stage``, so a second run (or a
    retried, or concurrent, one) notifies nobody twice."""
    return remind_deadlines(at=timezone.now())
