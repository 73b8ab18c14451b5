"""Celery tasks for annual reviews and renewal reminders.

Beat (config/schedules.py) runs ``reviews.tasks.open_due_reviews`` and
``reviews.tasks.send_renewal_reminders`` daily; the outbox publishes
``reviews.tasks.email_renewal_reminder`` after a reminder's transaction
commits, and ``reviews.tasks.run_review_job`` after a person opens a review
or freezes its packet (the packet is made on the worker). All are idempotent: running them twice, or two at once, opens each
review, sends each reminder and mails each person once (unique constraints
and optimistic claims decide)."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from reviews.services import background, opening, renewals


@shared_task(time_limit=600, soft_time_limit=570, ignore_result=True)
def open_due_reviews() -> list[int]:
    """Open the annual review of each active contract whose anniversary is
    ``COVENANT_REVIEW_LEAD_DAYS`` days away or nearer (a missed day is caught
    up), generate its packet and notify its board."""
    return [review.pk for review in opening.open_due_reviews(now=timezone.now())]


@shared_task(time_limit=600, soft_time_limit=570, ignore_result=True)
def send_renewal_reminders() -> int:
    """Store the renewal reminder PDF for the buyer's contract managers at each
    milestone before a notice deadline, once per contract and milestone, and
    queue its emails."""
    return renewals.send_renewal_reminders(now=timezone.now())


@shared_task(
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    time_limit=300,
    soft_time_limit=280,
)
def email_renewal_reminder(reminder_id: int, notification_ids: list[int]) -> int:
    """Mail a stored renewal reminder, PDF attached, to the people it
    notified; each once, however often the task runs. Retried while the mail
    server is unreachable."""
    return renewals.email_reminder(reminder_id=reminder_id, notification_ids=notification_ids)


@shared_task(time_limit=600, soft_time_limit=570, ignore_result=True)
def run_review_job(job_id: int) -> str:
    """Open a review's packet v1 or freeze its packet for the person who
    asked (``reviews.services.background``), reporting progress on the job.
    Not retried by Celery: a failure is recorded on the job, which its
    requester's side sees with a button to try again. Idempotent: the job
    is claimed once."""
    return background.run_job(job_id=job_id)
