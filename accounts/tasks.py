from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from accounts.mail import send_templated
from accounts.models import Notification


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5, time_limit=120, soft_time_limit=100
)
def email_notifications(notification_ids: list[int]) -> int:
    """Email each notification once. The optimistic claim (UPDATE ... WHERE
    emailed_at IS NULL) makes a repeated or retried task send nothing twice."""
    sent = 0
    for notification in Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related(
        "user"
    ):
        with transaction.atomic():
            claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()
            )
            if not claimed or not notification.user.email:
                continue
            send_templated("notification", {"notification": notification}, [notification.user.email])
            sent += 1
    return sent


@shared_task(time_limit=30, soft_time_limit=25)
def ping(value: int) -> dict[str, int]:
    """A health probe for the queue: proves a worker is consuming."""
    from accounts.models import User

    return {"value": value * 2, "users": User.objects.count()}
