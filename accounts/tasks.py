from __future__ import annotations

from celery import shared_task

from accounts import notifications
from accounts.models import ContactNotification, Notification, User
from core.mail import send_templated


def _send(notification: Notification) -> None:
    context = notifications.mail_context(
        title=notification.title,
        body=notification.body,
        url=notification.url,
        event=notification.event,
        unsubscribe_url=notifications.unsubscribe_url_for(notification),
    )
    send_templated(
        "notification",
        {**context, "user": notification.user},
        [notification.user.email],
        unsubscribe_url=context["unsubscribe_url"],
    )


def _send_to_contact(row: ContactNotification) -> None:
    context = notifications.mail_context(
        title=row.title,
        body=row.body,
        url=row.url,
        event=row.event,
        unsubscribe_url=notifications.contact_unsubscribe_url(row),
    )
    send_templated(
        "notification", {**context, "contact": True}, [row.email], unsubscribe_url=context["unsubscribe_url"]
    )


def _send_digest(user: User, notes: list[Notification]) -> None:
    url = notifications.digest_unsubscribe_url(user, notes)
    context = notifications.mail_context(
        title=f"Your Covenant digest: {len(notes)} notification{'s' if len(notes) != 1 else ''}",
        body="",
        url="",
        event="",
        unsubscribe_url=url,
    )
    send_templated("digest", {**context, "user": user, "notes": notes}, [user.email], unsubscribe_url=url)


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5, time_limit=120, soft_time_limit=100
)
def email_notifications(notification_ids: list[int]) -> int:
    """Mail the notifications ``notify`` wrote, after their transaction
    committed; each is mailed once however often the task runs."""
    return notifications.notifications_email(ids=notification_ids, send=_send)


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5, time_limit=120, soft_time_limit=100
)
def email_contacts(contact_notification_ids: list[int]) -> int:
    """Mail contract contacts without a login what ``notify`` wrote for them; each row once."""
    return notifications.contact_notifications_email(ids=contact_notification_ids, send=_send_to_contact)


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=3, time_limit=900, soft_time_limit=870
)
def send_digests() -> int:
    """Daily (config/schedules.py): one digest mail per person of what waited
    for it since their last. Each person's rows are claimed before their mail
    goes, so a rerun (a retry, a second beat) mails nobody twice. Returns how
    many people were mailed."""
    mailed = 0
    for user_id in notifications.digest_users():
        if notifications.digest_send(user_id=user_id, send=_send_digest):
            mailed += 1
    return mailed


@shared_task(time_limit=30, soft_time_limit=25)
def ping(value: int) -> dict[str, int]:
    """A health probe for the queue: proves a worker is consuming."""
    return {"value": value * 2, "users": User.objects.count()}


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5, time_limit=60, soft_time_limit=50
)
def email_invitation(invitation_id: int) -> bool:
    """Mail an invitation's link after the invite (or resend) committed; once however often it runs."""
    from accounts.people.mail import send_invitation
    from accounts.people.services import invitation_mail

    return invitation_mail(invitation_id=invitation_id, send=send_invitation)
