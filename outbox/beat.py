"""Exactly one Celery beat publishes the periodic tasks, however many run.

Production may start beat on more than one machine (a standby, or a deploy
that overlaps the old and the new). Two beats would each send every periodic
task, so each job would run twice. ``LeaderScheduler`` takes a lease row in
the database before each tick: the beat that holds it (and renews it on every
tick) publishes; the others wait and try again. When the leader dies, its
lease expires after ``LEASE_SECONDS`` and a standby takes over on its next
try, so at most that long passes without periodic tasks.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_celery_beat.schedulers import DatabaseScheduler

from outbox.models import Lease

log = logging.getLogger(__name__)

LEASE_NAME = "celery-beat"
LEASE_SECONDS = int(os.environ.get("COVENANT_BEAT_LEASE_SECONDS", "30"))
# A standby checks this often; a leader ticks at least this often too, so it
# renews the lease well before it expires.
RETRY_SECONDS = min(5.0, LEASE_SECONDS / 3)


def hold(*, name: str, holder: str, seconds: int) -> bool:
    """Take or renew the lease ``name`` for ``holder``; ``False`` if another
    live holder has it. One short UPDATE (or the first INSERT): the check
    and the take are one statement, so two contenders never both win."""
    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    with transaction.atomic():
        taken = (
            Lease.objects.filter(name=name)
            .filter(Q(holder=holder) | Q(expires_at__lt=now))
            .update(holder=holder, expires_at=until)
        )
        if taken:
            return True
        if Lease.objects.filter(name=name).exists():
            return False
        try:
            with transaction.atomic():
                Lease.objects.create(name=name, holder=holder, acquired_at=now, expires_at=until)
        except IntegrityError:
            return False
    return True


def release(*, name: str, holder: str) -> None:
    Lease.objects.filter(name=name, holder=holder).delete()


class LeaderScheduler(DatabaseScheduler):  # type: ignore[misc]
    """django-celery-beat's database scheduler, publishing only while it holds the lease."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._leading = False
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            leading = hold(name=LEASE_NAME, holder=self.holder, seconds=LEASE_SECONDS)
        except Exception:  # the database is away: publish nothing, try again
            log.exception("beat could not reach the database for its lease")
            leading = False
        if leading != self._leading:
            log.warning("beat %s %s", self.holder, "leads: publishing periodic tasks" if leading else "stands by")
            self._leading = leading
        if not leading:
            return RETRY_SECONDS
        return float(min(super().tick(*args, **kwargs), RETRY_SECONDS))

    def close(self) -> None:
        try:
            if self._leading:
                release(name=LEASE_NAME, holder=self.holder)
        finally:
            super().close()
