from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from incidents.services import run_watcher


@shared_task(time_limit=55, soft_time_limit=50, ignore_result=True)
def escalation_watch() -> dict[str, int]:
    """Every minute (beat). Idempotent: each threshold fires once by a unique
    constraint, each incident is handled in its own transaction, so a second
    run or a worker dying mid-pass repeats nothing already committed."""
    result = run_watcher(now=timezone.now())
    return {"examined": result.examined, "fired": result.fired, "breaches": result.breaches}
