"""Audit's periodic work: the hourly signed checkpoint of the chain's head."""

from __future__ import annotations

from celery import shared_task

from audit.checkpoints import checkpoint_issue


# Idempotent (one checkpoint per seq); a broken chain raises and is logged, and is not retried: it stays broken.
@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60, ignore_result=True)
def issue_checkpoint() -> int | None:
    checkpoint = checkpoint_issue()
    return checkpoint.seq if checkpoint is not None else None
