from celery import shared_task

from outbox.services import flush


@shared_task(time_limit=60, soft_time_limit=50, ignore_result=True)
def flush_outbox() -> int:
    """Beat, every few seconds: publish what the relay could not (broker down, process gone)."""
    return flush()


@shared_task(time_limit=300, soft_time_limit=280, ignore_result=True)
def refresh_database_statistics() -> bool:
    """Beat, daily: keep SQLite's planner statistics fresh (outbox/statistics.py)."""
    from outbox import statistics

    return statistics.refresh()
