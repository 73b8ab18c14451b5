"""Jobs (outbox/jobs.py): queued -> running -> done with progress, one active
job per action and subject, failure and retry, a dead worker's job, and the
rule for who may watch one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from outbox import jobs
from outbox.models import Job, OutboxMessage

pytestmark = pytest.mark.django_db

SUBJECT = jobs.Subject("reviews.annualreview", 7)
TASK = "reviews.tasks.run_review_job"


def start(**kwargs):
    values = {
        "kind": "review.freeze",
        "title": "Freezing the packet",
        "task": TASK,
        "subject": SUBJECT,
        "requested_by_id": None,
        "organization_id": 3,
        "total": 4,
        "done": 1,
        "step": "waiting for a worker",
        **kwargs,
    }
    return jobs.start(**values)


def test_it_goes_queued_running_done_with_progress():
    job, created = start()
    assert created and job.state == Job.State.QUEUED
    assert job.summary == "Freezing the packet: waiting for a worker \N{EM DASH} step 2 of 4"
    assert list(OutboxMessage.objects.values_list("task", "args")) == [(TASK, [job.pk])]

    running = jobs.claim(job.pk)
    assert running is not None and running.state == Job.State.RUNNING and running.started_at is not None
    assert jobs.claim(job.pk) is None  # a message delivered twice runs the job once

    jobs.advance(job.pk, step="rendering the PDF", done=2)
    job.refresh_from_db()
    assert (job.step, job.done) == ("rendering the PDF", 2)
    assert job.summary == "Freezing the packet: rendering the PDF \N{EM DASH} step 3 of 4"

    jobs.finish(job.pk, result_url="/reviews/7/?job=1#packet")
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.done == job.total == 4
    assert job.result_url == "/reviews/7/?job=1#packet" and job.finished_at is not None
    assert job.summary == "Freezing the packet: done."


def test_the_same_action_on_the_same_subject_is_queued_once():
    first, created = start()
    again, created_again = start()
    assert created and not created_again and again.pk == first.pk
    assert OutboxMessage.objects.count() == 1
    other_subject, created_other = start(subject=jobs.Subject("reviews.annualreview", 8))
    other_kind, created_kind = start(kind="review.open", title="Opening review")
    assert created_other and created_kind and len({first.pk, other_subject.pk, other_kind.pk}) == 3

    jobs.claim(first.pk)
    assert start()[0].pk == first.pk  # running counts too
    jobs.finish(first.pk)
    later, created_later = start()
    assert created_later and later.pk != first.pk  # done: the action may run again


def test_the_database_refuses_a_second_active_job():
    start()
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(
            kind="review.freeze",
            title="x",
            task=TASK,
            subject_type=SUBJECT.type,
            subject_id=SUBJECT.id,
            state=Job.State.RUNNING,
            created_at=timezone.now(),
        )


def test_a_failure_is_recorded_and_the_job_can_be_retried():
    user = UserFactory(username="retrier")
    job, _ = start()
    jobs.claim(job.pk)
    jobs.advance(job.pk, step="rendering the PDF", done=2)
    jobs.fail(job.pk, error="The board has no chair.")
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.error == "The board has no chair." and job.finished_at
    assert job.summary == "Freezing the packet: failed. The board has no chair."

    again, requeued = jobs.retry(job, requested_by_id=user.pk, done=1, step="waiting for a worker")
    assert requeued and again.pk == job.pk
    assert (again.state, again.error, again.done, again.requested_by_id) == (Job.State.QUEUED, "", 1, user.pk)
    assert OutboxMessage.objects.filter(task=TASK, args=[job.pk]).count() == 2  # published again
    assert jobs.claim(job.pk) is not None

    not_failed, requeued_twice = jobs.retry(again, requested_by_id=user.pk)
    assert not requeued_twice and not_failed.state == Job.State.RUNNING


def test_a_retry_while_the_action_runs_again_returns_that_job():
    job, _ = start()
    jobs.claim(job.pk)
    jobs.fail(job.pk, error="boom")
    job.refresh_from_db()
    newer, _ = start()
    assert newer.pk != job.pk
    same, requeued = jobs.retry(job, requested_by_id=None)
    assert not requeued and same.pk == newer.pk


def test_a_job_whose_worker_died_is_failed_and_replaced():
    job, _ = start()
    jobs.claim(job.pk)
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now() - jobs.STALE_AFTER - timedelta(seconds=1))
    fresh, created = start()
    job.refresh_from_db()
    assert created and fresh.pk != job.pk
    assert job.state == Job.State.FAILED and "worker stopped" in job.error


def test_a_redelivered_message_takes_over_a_job_whose_worker_died():
    job, _ = start()
    jobs.claim(job.pk)
    assert jobs.claim(job.pk) is None  # still running: not twice
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now() - jobs.STALE_AFTER - timedelta(seconds=1))
    taken = jobs.claim(job.pk)
    assert taken is not None and taken.state == Job.State.RUNNING
    assert taken.started_at > timezone.now() - timedelta(minutes=1)


def test_progress_is_never_written_inside_the_callers_transaction():
    job, _ = start()
    jobs.claim(job.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.advance(job.pk, step="rendering the PDF", done=2)


def test_it_is_visible_to_the_requester_and_their_organization_only():
    asker = UserFactory(username="asker")
    job, _ = start(requested_by_id=asker.pk, organization_id=3)
    assert list(jobs.visible_to(user_id=asker.pk, organization_ids=[])) == [job]
    assert list(jobs.visible_to(user_id=999, organization_ids=[3])) == [job]
    assert not jobs.visible_to(user_id=999, organization_ids=[4]).exists()
    assert not jobs.visible_to(user_id=None, organization_ids=[3]).exists()
