"""The progress panel of a review's background jobs (opening it, freezing
its packet) and trying a failed one again."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.http import signed_in
from accounts.jobs import visible_jobs
from core.filters import query_int
from outbox import jobs
from outbox.models import Job
from reviews.models import AnnualReview
from reviews.services import background
from reviews.views.base import _act, _review, review_url

# A failure stays on the review's page this long (or until tried again), for whoever asked to see it.
FAILURE_SHOWN_FOR = timedelta(days=1)


def job_for_page(request: HttpRequest, review: AnnualReview) -> Job | None:
    """The job the page shows: the one asked for (``?job=``), else this
    review's latest while it is queued or running or recently failed; only
    one the viewer may watch (their organization asked for it)."""
    visible = visible_jobs(request.user).filter(
        subject_type=jobs.Subject.of(review).type, subject_id=review.pk, kind__in=background.TITLES
    )
    wanted = query_int(request.GET, "job")
    if wanted is not None:
        job = visible.filter(pk=wanted).first()
        if job is not None:
            return job
    latest = visible.order_by("-pk").first()
    if latest is None or latest.state == Job.State.DONE:
        return None
    if latest.state == Job.State.FAILED and (latest.finished_at or latest.created_at) < timezone.now() - (
        FAILURE_SHOWN_FOR
    ):
        return None
    return latest


def job_page_url(review: AnnualReview, job: Job) -> str:
    return f"{review_url(review)}?job={job.pk}#progress"


def poll_url(job: Job) -> str:
    return reverse("job-detail", args=[job.pk])


@login_required
@require_POST
def job_retry(request: HttpRequest, pk: int, job_pk: int) -> HttpResponse:
    review = _review(request, pk)
    job = get_object_or_404(visible_jobs(request.user), pk=job_pk)
    queued: list[Job] = []

    def retry() -> None:
        queued.append(background.job_retry(actor=signed_in(request), review=review, job=job)[0])

    response = _act(request, review, retry, f"{job.title}: queued again.")
    if queued:
        return redirect(job_page_url(review, queued[0]))
    return response
