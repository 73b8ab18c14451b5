"""Transactional outbox for Celery tasks.

`enqueue("app.tasks.name", *args)` inside a transaction writes an outbox row;
after commit it tries to publish at once. A broker outage never fails the
user's request and never loses the work: the row stays unsent and
`flush_outbox` (beat, every minute) publishes it when the broker is back.
Tasks must be idempotent: a message may be published twice if the process
dies between publishing and marking the row sent.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from outbox.models import OutboxMessage

log = logging.getLogger(__name__)
FLUSH_BATCH = 500
RETRY_AFTER = timedelta(seconds=30)


def enqueue(task: str, *args: Any, **kwargs: Any) -> OutboxMessage:
    message = OutboxMessage.objects.create(task=task, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: publish([message.pk]))
    return message


def publish(ids: Iterable[int]) -> int:
    """Send the given unsent messages; return how many went out."""
    from celery import current_app as app  # the project's app (config.celery), set as current at startup

    sent = 0
    for message in OutboxMessage.objects.filter(pk__in=list(ids), sent_at__isnull=True):
        try:
            if app.conf.task_always_eager:  # tests and one-off scripts: run in-process
                importlib.import_module(message.task.rsplit(".", 1)[0])
                app.tasks[message.task].apply(args=message.args, kwargs=message.kwargs, throw=True)
            else:
                app.send_task(message.task, args=message.args, kwargs=message.kwargs, retry=False)
        except Exception as exc:  # the broker is down or refusing: keep it for the flush
            log.warning("outbox: could not publish %s #%s: %s", message.task, message.pk, exc)
            OutboxMessage.objects.filter(pk=message.pk).update(attempts=message.attempts + 1, last_error=str(exc)[:500])
            continue
        OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), attempts=message.attempts + 1)
        sent += 1
    return sent


def flush(*, older_than: timedelta = RETRY_AFTER) -> int:
    cutoff = timezone.now() - older_than
    ids = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:FLUSH_BATCH]
    )
    return publish(ids)
