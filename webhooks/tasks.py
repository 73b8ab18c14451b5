"""Webhook tasks: thin, taking ids and plain values. Their retries are the
deliveries' own schedule (webhooks/delivery.py), not Celery's: a retry can be
hours away, longer than a broker should hold a message."""

from __future__ import annotations

from celery import shared_task

from webhooks import delivery


@shared_task(time_limit=60, soft_time_limit=50, ignore_result=True)
def dispatch_event(
    *,
    event: str,
    organization_ids: list[int],
    contract_id: int | None = None,
    title: str,
    body: str = "",
    url: str = "",
    occurred_at: str,
) -> int:
    """Enqueued by accounts.services.notify for every event: one delivery per
    subscribed active endpoint of these organizations (idempotent)."""
    return len(
        delivery.dispatch(
            event=event,
            organization_ids=organization_ids,
            contract_id=contract_id,
            title=title,
            body=body,
            url=url,
            occurred_at=occurred_at,
        )
    )


@shared_task(time_limit=30, soft_time_limit=25, ignore_result=True)
def deliver(delivery_id: int) -> str:
    """One attempt at one delivery (skipped if it is not pending or is being sent)."""
    return delivery.attempt(delivery_id=delivery_id)


@shared_task(time_limit=60, soft_time_limit=50, ignore_result=True)
def deliver_due() -> int:
    """Beat, every 30 seconds: enqueue the retries that have come due."""
    return delivery.enqueue_due()
