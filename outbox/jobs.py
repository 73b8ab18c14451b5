"""Jobs: multi-second work that a worker runs while the requester watches.

A request that would otherwise block for seconds (rendering a review packet)
calls ``start`` in its own transaction instead: a queued ``Job`` row and its
task (through the outbox, so published only if the request commits). The
page or API answers at once with the job; the worker's task ``claim``\\ s it,
reports each step with ``advance`` and ends it with ``finish`` or ``fail``.
A failed job can be ``retry``\\ ed: the same row is queued again.

The same action on the same subject is queued once (a partial unique
constraint on the active states): a second request returns the first job.
A job left running past ``STALE_AFTER`` belongs to a worker that died: the
next request fails it and queues a new one.

Progress is written in its own short transaction (``advance`` opens a
durable one): never from inside the caller's locks, so a reader polling the
job never waits for the work it watches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from outbox.models import Job
from outbox.services import enqueue

# Past the hard task time limit (config/settings.py) nothing can still be running it.
STALE_AFTER = timedelta(seconds=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 600)) + 60)
ERROR_MAX = 2000


@dataclass(frozen=True)
class Subject:
    """What a job works on: ``Subject.of(review)`` or ``Subject("reviews.annualreview", 12)``."""

    type: str
    id: int

    @classmethod
    def of(cls, obj: object) -> Subject:
        meta = obj._meta  # type: ignore[attr-defined]
        return cls(f"{meta.app_label}.{meta.model_name}", int(obj.pk))  # type: ignore[attr-defined]


def active(*, kind: str, subject: Subject) -> QuerySet[Job]:
    return Job.objects.filter(kind=kind, subject_type=subject.type, subject_id=subject.id, state__in=Job.ACTIVE)


def visible_to(*, user_id: int | None, organization_ids: list[int]) -> QuerySet[Job]:
    """Jobs a person may watch: their own, and those asked for by their organizations' members."""
    if user_id is None:
        return Job.objects.none()
    return Job.objects.filter(Q(requested_by_id=user_id) | Q(organization_id__in=organization_ids))


def for_subject(subject: Subject) -> QuerySet[Job]:
    return Job.objects.filter(subject_type=subject.type, subject_id=subject.id)


def _expire_stale(*, kind: str, subject: Subject) -> None:
    cutoff = timezone.now() - STALE_AFTER
    active(kind=kind, subject=subject).filter(state=Job.State.RUNNING, started_at__lt=cutoff).update(
        state=Job.State.FAILED,
        error="The worker stopped before finishing; try again.",
        finished_at=timezone.now(),
    )


def start(
    *,
    kind: str,
    title: str,
    task: str,
    subject: Subject,
    requested_by_id: int | None,
    organization_id: int | None,
    total: int,
    done: int = 0,
    step: str = "",
) -> tuple[Job, bool]:
    """Queue ``task(job_id)`` for ``subject`` unless the same ``kind`` is
    already queued or running for it; return the job and whether it is new.
    Call it inside the transaction that makes the change asking for it: the
    job and its outbox row commit (or roll back) with that change."""
    _expire_stale(kind=kind, subject=subject)
    existing = active(kind=kind, subject=subject).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():  # a savepoint: a concurrent request may win the constraint
            job = Job.objects.create(
                kind=kind,
                title=title,
                task=task,
                subject_type=subject.type,
                subject_id=subject.id,
                requested_by_id=requested_by_id,
                organization_id=organization_id,
                total=total,
                done=done,
                step=step,
                created_at=timezone.now(),
            )
    except IntegrityError:
        return active(kind=kind, subject=subject).get(), False
    enqueue(task, job.pk)
    return job, True


def claim(job_id: int) -> Job | None:
    """The worker takes the queued job (an optimistic claim: a message
    delivered twice runs it once); None when it is not queued any more. A
    job left running past ``STALE_AFTER`` is taken over: its worker died and
    the broker delivered the message again."""
    now = timezone.now()
    claimable = Q(state=Job.State.QUEUED) | Q(state=Job.State.RUNNING, started_at__lt=now - STALE_AFTER)
    if not Job.objects.filter(claimable, pk=job_id).update(
        state=Job.State.RUNNING, started_at=now, finished_at=None, error=""
    ):
        return None
    return Job.objects.select_related("requested_by").get(pk=job_id)


def advance(job_id: int, *, step: str, done: int) -> None:
    """Record the step the job is on, ``done`` steps behind it. Opens its own
    durable transaction: call it with no transaction open (between the
    steps of the work, never under its locks)."""
    with transaction.atomic(durable=True):
        Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(step=step[:120], done=done)


def finish(job_id: int, *, result_url: str = "") -> None:
    Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(
        state=Job.State.DONE, done=F("total"), step="", result_url=result_url, finished_at=timezone.now()
    )


def fail(job_id: int, *, error: str) -> None:
    """The job stopped with ``error`` (what the requester reads: no traceback)."""
    Job.objects.filter(pk=job_id, state__in=Job.ACTIVE).update(
        state=Job.State.FAILED, error=error[:ERROR_MAX], finished_at=timezone.now()
    )


def retry(job: Job, *, requested_by_id: int | None, done: int = 0, step: str = "") -> tuple[Job, bool]:
    """Queue a failed job again (the same row, asked for by ``requested_by_id``
    now); if the same action is already active on its subject, that job is
    returned instead. Call it inside a transaction (the outbox row commits with it)."""
    subject = Subject(job.subject_type, job.subject_id)
    existing = active(kind=job.kind, subject=subject).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            requeued = Job.objects.filter(pk=job.pk, state=Job.State.FAILED).update(
                state=Job.State.QUEUED,
                requested_by_id=requested_by_id,
                done=done,
                step=step,
                error="",
                result_url="",
                started_at=None,
                finished_at=None,
            )
    except IntegrityError:
        return active(kind=job.kind, subject=subject).get(), False
    job.refresh_from_db()
    if not requeued:
        return job, False
    enqueue(job.task, job.pk)
    return job, True


__all__ = [
    "STALE_AFTER",
    "Subject",
    "active",
    "advance",
    "claim",
    "fail",
    "finish",
    "for_subject",
    "retry",
    "start",
    "visible_to",
]
