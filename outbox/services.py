"""Transactional outbox for Celery tasks.

`enqueue("app.tasks.name", *args)` inside a transaction writes an outbox row
and nothing else: the request never waits on the broker. After commit the row
is handed to this process's relay (outbox/relay.py), a background thread that
publishes it at once; if the broker is down or frozen the relay retries for a
while, and `flush_outbox` (beat, every few seconds) publishes whatever is left,
including rows whose process died. A broker outage never fails the user's
request and never loses the work.

With CELERY_TASK_ALWAYS_EAGER (tests, one-off scripts) the task runs
in-process right after commit instead.

Each row is published by one publisher at a time (an optimistic claim on
`claimed_until`). Tasks must still be idempotent: a message may be published
twice if a publisher dies between publishing and marking the row sent.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from outbox.models import OutboxMessage

log = logging.getLogger(__name__)
FLUSH_BATCH = 500
# The flush leaves fresh rows to the relay that owns them.
RETRY_AFTER = timedelta(seconds=5)
# Longer than one publish can take (broker connect and socket timeouts, config/settings.py).
CLAIM_FOR = timedelta(seconds=30)


def enqueue(task: str, *args: Any, **kwargs: Any) -> OutboxMessage:
    """Write the task's row in the caller's transaction; it is published after commit."""
    message = OutboxMessage.objects.create(task=task, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: _committed(message.pk))
    return message


def _eager() -> bool:
    from celery import current_app as app  # the project's app (config.celery), set as current at startup

    return bool(app.conf.task_always_eager)


def _committed(pk: int) -> None:
    if _eager():
        publish([pk])
        return
    from outbox.relay import relay

    relay.submit(pk)


def _claim(pk: int) -> bool:
    now = timezone.now()
    return bool(
        OutboxMessage.objects.filter(pk=pk, sent_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CLAIM_FOR, attempts=F("attempts") + 1)
    )


def publish(ids: Iterable[int]) -> int:
    """Send the given unsent messages; return how many went out. Stops at the
    first broker error (the rest would wait out the same timeout); the rows
    left unsent are published by a later relay pass or flush."""
    from celery import current_app as app

    eager = _eager()
    sent = 0
    for message in OutboxMessage.objects.filter(pk__in=list(ids), sent_at__isnull=True).order_by("pk"):
        if not _claim(message.pk):
            continue  # another publisher is sending it
        try:
            if eager:  # tests and one-off scripts: run in-process
                importlib.import_module(message.task.rsplit(".", 1)[0])
                app.tasks[message.task].apply(args=message.args, kwargs=message.kwargs, throw=True)
            else:
                app.send_task(message.task, args=message.args, kwargs=message.kwargs, retry=False)
        except Exception as exc:  # the broker is down, refusing or frozen: keep it for a later pass
            log.warning("outbox: could not publish %s #%s: %s", message.task, message.pk, exc)
            OutboxMessage.objects.filter(pk=message.pk).update(claimed_until=None, last_error=str(exc)[:500])
            if eager:
                continue
            break
        OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), claimed_until=None)
        sent += 1
    return sent


def unsent(ids: Iterable[int]) -> set[int]:
    return set(OutboxMessage.objects.filter(pk__in=list(ids), sent_at__isnull=True).values_list("pk", flat=True))


def flush(*, older_than: timedelta = RETRY_AFTER) -> int:
    """Publish rows the relay could not (broker down, process gone), oldest first."""
    cutoff = timezone.now() - older_than
    ids = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:FLUSH_BATCH]
    )
    return publish(ids)
