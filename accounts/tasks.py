from __future__ import annotations

from celery import shared_task

from accounts.models import Notification
from accounts.services import notifications_email
from core.mail import send_templated


def _send(notification: Notification) -> None:
    send_templated("notification", {"notification": notification}, [notification.user.email])


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5, time_limit=120, soft_time_limit=100
)
def email_notifications(notification_ids: list[int]) -> int:
    """Mail the notifications ``notify`` wrote, after their transaction
    committed; each is mailed once however often the task runs."""
    return notifications_email(ids=notification_ids, send=_send)


@shared_task(time_limit=30, soft_time_limit=25)
def ping(value: int) -> dict[str, int]:
    """A health probe for the queue: proves a worker is consuming."""
    from accounts.models import User

    return {"value": value * 2, "users": User.objects.count()}
