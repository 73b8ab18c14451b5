from __future__ import annotations

from celery import shared_task

from contracts.onboarding import notify_overdue


@shared_task(time_limit=300, soft_time_limit=280, ignore_result=True)
def onboarding_overdue_watch() -> int:
    """Daily (beat). Notifies the owners of newly overdue onboarding items; each
    item is notified once (a flag set in the same transaction), so a second run
    the same day, or a worker dying mid-pass, repeats nothing already sent."""
    return notify_overdue()
