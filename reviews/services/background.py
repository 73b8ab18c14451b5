"""Opening a review and freezing its packet on the worker, with progress.

Both render a packet (WeasyPrint: seconds). A person's request does only
the quick part (opening: the review row, its signatories and notices;
freezing: the role, state, board and amendment checks), queues a job
(``outbox.jobs``) and answers at once; the worker's task ``run_job``
renders and stores the packet, reporting each step, and records the result
or the error. The beat path (``opening.open_due_reviews``) keeps calling
the services directly: nobody is waiting on it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.access import organization_ids
from contracts.models import BoardSeat, Contract
from core.actor import Actor, is_person
from core.errors import Conflict, DomainError
from outbox import jobs
from outbox.models import Job
from reviews.models import AnnualReview
from reviews.services import lifecycle, opening, packets
from reviews.services._common import OPEN_STATES, may_lead, require

log = logging.getLogger(__name__)

OPEN = "review.open"
FREEZE = "review.freeze"
TASK = "reviews.tasks.run_review_job"
TITLES = {OPEN: "Opening review", FREEZE: "Freezing the packet"}
# The request does the first step (open the review / check it may freeze); the packet's steps follow.
TOTAL = 1 + len(packets.STEPS)
WAITING = "waiting for a worker"
FAILED = "Something went wrong while the packet was made; the error is logged. Try again."


def _organization_id(actor: Actor, contract: Contract) -> int | None:
    """The side of the contract the requester acts for: its members watch the job."""
    mine = set(organization_ids(actor))
    return next((org for org in (contract.buyer_id, contract.vendor_id) if org in mine), None)


def _start(*, actor: Actor, kind: str, review: AnnualReview) -> tuple[Job, bool]:
    return jobs.start(
        kind=kind,
        title=TITLES[kind],
        task=TASK,
        subject=jobs.Subject.of(review),
        requested_by_id=actor.pk,
        organization_id=_organization_id(actor, review.contract),
        total=TOTAL,
        done=1,
        step=WAITING,
    )


def review_open_queued(
    *, actor: Actor, contract: Contract, anniversary: date | None = None
) -> tuple[AnnualReview, Job]:
    """Open the review now and queue packet v1 for the worker. The review
    and its job commit together. A second request while packet v1 is still
    being made gets the same review and job."""
    require(is_person(actor), "A review opened in the background is opened by a person.")
    pending = AnnualReview.objects.filter(contract=contract, status__in=OPEN_STATES).select_related("contract").first()
    if pending is not None:
        job = jobs.active(kind=OPEN, subject=jobs.Subject.of(pending)).first()
        if job is not None and may_lead(actor, contract):
            return pending, job
    with transaction.atomic():
        review = opening.review_open(actor=actor, contract=contract, anniversary=anniversary, generate_packet=False)
        # After the audit head's lock, but nothing can wait here: the job's subject is a review no one else sees yet.
        job, _ = _start(actor=actor, kind=OPEN, review=review)
    return review, job


def review_freeze_queued(*, actor: Actor, review: AnnualReview) -> tuple[Job, bool]:
    """Check the review may be frozen (a refusal answers at once), then queue
    the freeze; while one is queued or running a second request gets it."""
    require(is_person(actor), "A packet frozen in the background is frozen by a person.")
    existing = jobs.active(kind=FREEZE, subject=jobs.Subject.of(review)).first()
    if existing is not None:
        return existing, False
    lifecycle.review_freeze_check(actor=actor, review=review)
    with transaction.atomic():
        return _start(actor=actor, kind=FREEZE, review=review)


def job_retry(*, actor: Actor, review: AnnualReview, job: Job) -> tuple[Job, bool]:
    """Queue a failed job of this review again, asked for by ``actor`` now."""
    require(
        may_lead(actor, review.contract), "Only the chair and the buyer's contract managers open or freeze a review."
    )
    if job.subject_type != jobs.Subject.of(review).type or job.subject_id != review.pk or job.kind not in TITLES:
        raise Conflict("This job is not one of this review's.", state=job.state)
    if job.state != Job.State.FAILED:
        raise Conflict("Only a failed job can be tried again.", state=job.state, allowed=[])
    if job.kind == FREEZE:
        lifecycle.review_freeze_check(actor=actor, review=review)
    with transaction.atomic():
        return jobs.retry(job, requested_by_id=actor.pk, done=1, step=WAITING)


def may_retry(actor: Actor, contract: Contract, *, seats: Sequence[BoardSeat] | None = None) -> bool:
    """``seats``: the contract's board already read by the page (``_common.standing``)."""
    return may_lead(actor, contract, seats=seats)


def result_url(review: AnnualReview, job_id: int) -> str:
    return f"{reverse('reviews:detail', args=[review.pk])}?job={job_id}#packet"


def run_job(*, job_id: int) -> str:
    """The worker's side: claim the job, make the packet with progress,
    record the outcome. Returns the job's state. Call it with no transaction
    open: the packet is rendered outside every lock (``packets``)."""
    job = jobs.claim(job_id)
    if job is None:
        return "skipped"  # delivered twice, or no longer queued

    def progress(step: str) -> None:
        jobs.advance(job_id, step=step, done=1 + packets.STEPS.index(step))

    try:
        actor = job.requested_by
        if actor is None or not actor.is_active:
            raise Conflict("The person who asked for this no longer has an account.", state=job.state)
        review = AnnualReview.objects.select_related("contract").get(pk=job.subject_id)
        if job.kind == OPEN:
            opening.draft_packet(review, actor=actor, now=timezone.now(), progress=progress)
        elif job.kind == FREEZE:
            lifecycle.review_freeze(actor=actor, review=review, progress=progress)
        else:
            raise Conflict(f"Unknown job kind {job.kind}.", state=job.state)
    except DomainError as exc:
        jobs.fail(job_id, error=exc.message)
        return Job.State.FAILED
    except AnnualReview.DoesNotExist:
        jobs.fail(job_id, error="The review no longer exists.")
        return Job.State.FAILED
    except Exception:
        log.exception("job %s (%s) failed", job_id, job.kind)
        jobs.fail(job_id, error=FAILED)
        return Job.State.FAILED
    jobs.finish(job_id, result_url=result_url(review, job_id))
    return Job.State.DONE


__all__ = ["FREEZE", "OPEN", "job_retry", "may_retry", "review_freeze_queued", "review_open_queued", "run_job"]
