from __future__ import annotations

from celery import shared_task

from contracts.onboarding import notify_overdue


@shared_task(time_limit=300, soft_time_limit=280, ignore_result=True)
def onboarding_overdue_watch() -> int:
    """Daily (beat). Notifies the owners of newly overdue onboarding items; each
    item is notified once (a flag set in the same transaction), so a second run
    the same day, or a worker dying mid-pass, repeats nothing already sent."""
    return notify_overdue()


@shared_task(time_limit=300, soft_time_limit=280, ignore_result=True)
def lapse_termination_rights() -> int:
    """Hourly (beat). Lapses every open termination right whose exercise window has ended, one
    audited act each; a right already lapsed is no longer open, so a second run repeats nothing."""
    from contracts.services import contract_termination_rights_lapse

    return contract_termination_rights_lapse()
