from celery import shared_task

from outbox.services import flush


@shared_task(time_limit=120, soft_time_limit=110, ignore_result=True)
def flush_outbox() -> int:
    """Every minute: publish what could not be published at commit time."""
    return flush()
