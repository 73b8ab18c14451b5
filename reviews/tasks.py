"""Celery beat tasks for annual reviews and renewal reminders (daily).

Registered with beat in config/schedules.py as
``reviews.tasks.open_due_reviews`` and
``reviews.tasks.send_renewal_reminders``; the worker imports this
module from ``reviews.apps.ReviewsConfig.ready`` (autodiscovery only finds
``tasks.py``). Both are idempotent: running them twice, or two at once, opens
each review and sends each reminder once (unique constraints decide)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from reviews.services import annual, renewals


@shared_task(time_limit=600, soft_time_limit=570, ignore_result=True)
def open_due_reviews() -> list[int]:
    """Open the annual review of each active contract whose anniversary is
    ``COVENANT_REVIEW_LEAD_DAYS`` days away or nearer (a missed day is caught
    up), generate its packet and notify its board."""
    return [review.pk for review in annual.open_due_reviews(now=timezone.now())]


@shared_task(time_limit=600, soft_time_limit=570, ignore_result=True)
def send_renewal_reminders() -> int:
    """Email the renewal reminder PDF to the buyer's contract managers at each
    milestone before a notice deadline, once per contract and milestone."""
    return renewals.send_renewal_reminders(now=timezone.now())
