"""Opening a review and freezing its packet run on the worker
(reviews/services/background.py): the request answers at once without
rendering the packet, the page shows the job's progress, the worker takes it
queued -> running -> done step by step, a second request gets the same job, a
failure is shown with a button to try again, and only the requester's
organization sees the job."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from accounts.models import Membership
from accounts.tests.factories import member
from outbox import jobs
from outbox.models import Job, OutboxMessage
from reviews.models import AnnualReview
from reviews.services import background, opening, packets
from reviews.tests.factories import ANNIVERSARY, open_review, seat_board

S = AnnualReview.Status
EM = "\N{EM DASH}"


@pytest.fixture
def chair(contract, staff, buyer, vendor):
    return seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)


@pytest.fixture
def review(contract, chair, clock):
    return open_review(contract)


def page(review, job=None):
    url = reverse("reviews:detail", args=[review.pk])
    return f"{url}?job={job.pk}" if job else url


def progress_trail(monkeypatch):
    """What the job row said after each step the worker reported."""
    trail = []
    advance = jobs.advance

    def recording(job_id, *, step, done):
        advance(job_id, step=step, done=done)
        job = Job.objects.get(pk=job_id)
        trail.append((job.state, job.summary))

    monkeypatch.setattr(jobs, "advance", recording)
    return trail


# -- opening ------------------------------------------------------------------------------------------------------


def test_opening_answers_at_once_and_leaves_the_packet_to_the_worker(
    client_for, contract, chair, buyer, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # no worker here: the task stays queued
        started = time.perf_counter()
        response = client_for(buyer).post(reverse("reviews:open"), {"contract": contract.pk})
        elapsed = time.perf_counter() - started
    review = AnnualReview.objects.get()
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{page(review, job)}#progress"
    assert not review.packets.exists()  # the request rendered nothing
    assert (job.kind, job.state, job.subject_id, job.requested_by, job.organization_id) == (
        background.OPEN,
        Job.State.QUEUED,
        review.pk,
        buyer,
        contract.buyer_id,
    )
    assert OutboxMessage.objects.filter(task=background.TASK, args=[job.pk]).exists()
    assert elapsed < 5  # what it measures is in the report; rendering alone takes longer than this

    shown = client_for(buyer).get(page(review, job)).content.decode()
    assert f"Opening review: waiting for a worker {EM} step 2 of 4" in shown
    assert f'data-job-poll="/api/jobs/{job.pk}/"' in shown
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in shown
    assert 'aria-live="polite"' in shown and "js/jobs.js" in shown


def test_the_worker_opens_it_step_by_step(
    client_for, contract, chair, buyer, clock, eager, monkeypatch, django_capture_on_commit_callbacks
):
    trail = progress_trail(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(buyer).post(reverse("reviews:open"), {"contract": contract.pk})
    review = AnnualReview.objects.get()
    job = Job.objects.get()
    assert trail == [
        ("running", f"Opening review: building the packet {EM} step 2 of 4"),
        ("running", f"Opening review: rendering the PDF {EM} step 3 of 4"),
        ("running", f"Opening review: storing the packet {EM} step 4 of 4"),
    ]
    assert (job.state, job.done, job.total, job.error) == (Job.State.DONE, 4, 4, "")
    assert job.started_at and job.finished_at
    assert job.result_url == f"{page(review, job)}#packet"
    assert review.packets.get().version == 1

    status = client_for(buyer).get(f"/api/jobs/{job.pk}/").json()
    assert status["state"] == "done" and status["summary"] == "Opening review: done."
    assert status["result_url"] == job.result_url
    shown = client_for(buyer).get(page(review, job)).content.decode()
    assert "Opening review: done." in shown and "data-job-poll" not in shown and "js/jobs.js" not in shown
    assert "Opening review" not in client_for(buyer).get(page(review)).content.decode()  # done: shown when asked


def test_the_api_opens_with_202_and_the_job(
    client_for, contract, chair, buyer, clock, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(buyer).post("/api/reviews/", {"contract": contract.pk}, content_type="application/json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert response["Location"] == body["url"] == f"/api/jobs/{body['id']}/"
    assert body["kind"] == "review.open" and body["state"] == "queued"  # as it was when the request answered
    review = AnnualReview.objects.get(pk=body["subject_id"])
    assert client_for(buyer).get(body["url"]).json()["state"] == "done"
    assert review.packets.count() == 1

    again = client_for(buyer).post("/api/reviews/", {"contract": contract.pk}, content_type="application/json")
    assert again.status_code == 409  # open, packet made: one review per anniversary


def test_a_second_open_while_the_packet_is_made_returns_the_same_job(
    client_for, contract, chair, buyer, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        first = client_for(buyer).post(reverse("reviews:open"), {"contract": contract.pk})
        second = client_for(buyer).post(reverse("reviews:open"), {"contract": contract.pk})
    assert first["Location"] == second["Location"]
    assert AnnualReview.objects.count() == 1 and Job.objects.count() == 1


def test_the_beat_keeps_opening_reviews_itself(contract, chair, clock):
    clock.set(clock.now.replace(month=12, day=5))
    opened = opening.open_due_reviews()
    assert [r.contract_id for r in opened] == [contract.pk]
    assert opened[0].packets.count() == 1 and not Job.objects.exists()


# -- freezing ------------------------------------------------------------------------------------------------------


def test_freezing_is_queued_once_and_the_worker_freezes_step_by_step(
    client_for, review, chair, clock, eager, monkeypatch, django_capture_on_commit_callbacks
):
    url = reverse("reviews:transition", args=[review.pk, "freeze"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client_for(chair).post(url)
        second = client_for(chair).post(url)
        api = client_for(chair).post(f"/api/reviews/{review.pk}/freeze/")
    job = Job.objects.get(kind=background.FREEZE)
    assert first["Location"] == second["Location"] == f"{page(review, job)}#progress"
    assert api.status_code == 202 and api.json()["id"] == job.pk
    review.refresh_from_db()
    assert review.status == S.PREPARING and job.state == Job.State.QUEUED
    assert OutboxMessage.objects.filter(task=background.TASK, args=[job.pk]).count() == 1

    trail = progress_trail(monkeypatch)
    for callback in callbacks:  # the commit publishes it; eager: the worker runs it here
        callback()
    job.refresh_from_db()
    review.refresh_from_db()
    assert [summary for _, summary in trail] == [
        f"Freezing the packet: building the packet {EM} step 2 of 4",
        f"Freezing the packet: rendering the PDF {EM} step 3 of 4",
        f"Freezing the packet: storing the packet {EM} step 4 of 4",
    ]
    assert job.state == Job.State.DONE and review.status == S.AWAITING_SIGNATURES
    assert packets.signing_packet(review).frozen


def test_a_refusal_answers_at_once_without_a_job(client_for, review, vendor, clock):
    response = client_for(vendor).post(f"/api/reviews/{review.pk}/freeze/")
    assert response.status_code == 403 and not Job.objects.exists()


def test_a_failure_is_shown_with_its_reason_and_trying_again_works(
    client_for, contract, review, buyer, buyer_org, clock, eager, django_capture_on_commit_callbacks
):
    colleague = member("buyer-2", buyer_org, Membership.Role.CONTRACT_MANAGER)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client_for(buyer).post(reverse("reviews:transition", args=[review.pk, "freeze"]))
    buyer.is_active = False  # the requester leaves before the worker gets to it
    buyer.save(update_fields=["is_active"])
    for callback in callbacks:
        callback()
    job = Job.objects.get()
    assert job.state == Job.State.FAILED and job.error == "The person who asked for this no longer has an account."
    review.refresh_from_db()
    assert review.status == S.PREPARING and not review.packets.filter(frozen=True).exists()

    shown = client_for(colleague).get(page(review)).content.decode()  # a failure stays on the page
    assert "Freezing the packet: failed. The person who asked for this no longer has an account." in shown
    assert "Try again" in shown and "data-job-poll" not in shown

    buyer.is_active = True  # back on the board's signatories; a colleague tries again
    buyer.save(update_fields=["is_active"])
    retry = reverse("reviews:job-retry", args=[review.pk, job.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(colleague).post(retry)
    assert response.status_code == 302 and response["Location"] == f"{page(review, job)}#progress"
    job.refresh_from_db()
    review.refresh_from_db()
    assert (job.state, job.requested_by, job.error) == (Job.State.DONE, colleague, "")
    assert review.status == S.AWAITING_SIGNATURES

    again = client_for(colleague).post(retry, follow=True)
    assert b"Only a failed job can be tried again." in again.content


def test_only_the_chair_and_contract_managers_may_try_again(client_for, review, buyer, buyer_viewer, clock):
    job, _ = background.review_freeze_queued(actor=buyer, review=review)
    jobs.claim(job.pk)
    jobs.fail(job.pk, error="boom")
    assert "Try again" not in client_for(buyer_viewer).get(page(review)).content.decode()
    response = client_for(buyer_viewer).post(reverse("reviews:job-retry", args=[review.pk, job.pk]))
    assert response.status_code == 403
    assert Job.objects.get().state == Job.State.FAILED


# -- who sees it --------------------------------------------------------------------------------------------------


def test_only_the_requesters_organization_sees_the_job(
    client_for, review, buyer, buyer_viewer, vendor, outsider, chair, clock
):
    job, _ = background.review_freeze_queued(actor=buyer, review=review)
    url = f"/api/jobs/{job.pk}/"
    assert client_for(buyer).get(url).status_code == 200
    assert client_for(buyer_viewer).get(url).json()["summary"].startswith("Freezing the packet: waiting")
    for other in (vendor, outsider, chair):  # the other party, another tenant, a board member of neither
        assert client_for(other).get(url).status_code == 404
        assert client_for(other).get("/api/jobs/").json()["count"] == 0
    assert "Freezing the packet" in client_for(buyer_viewer).get(page(review)).content.decode()
    vendor_page = client_for(vendor).get(page(review, job)).content.decode()
    assert "Freezing the packet" not in vendor_page and "data-job-poll" not in vendor_page
    assert client_for(vendor).post(reverse("reviews:job-retry", args=[review.pk, job.pk])).status_code == 404


def test_the_job_endpoints_run_a_constant_number_of_queries(
    client_for, count_queries, contract, buyer, buyer_org, vendor_org, staff, clock
):
    from contracts import services as contract_services
    from contracts.tests.factories import make_contract

    def more(n, start):
        for i in range(start, start + n):
            c = make_contract(buyer=buyer_org, vendor=vendor_org, reference=f"C-J{i}")
            contract_services.board_seat_add(actor=staff, contract=c, user=buyer, is_chair=True)
            r = opening.review_open(actor=opening.SYSTEM, contract=c, anniversary=ANNIVERSARY, generate_packet=False)
            background._start(actor=buyer, kind=background.FREEZE, review=r)  # queued, never run

    c = client_for(buyer)
    more(2, 0)
    first = Job.objects.order_by("pk").first()
    urls = ["/api/jobs/", f"/api/jobs/{first.pk}/", page(AnnualReview.objects.get(pk=first.subject_id), first)]
    small = [count_queries(lambda url=url: c.get(url)) for url in urls]
    more(6, 10)
    large = [count_queries(lambda url=url: c.get(url)) for url in urls]
    assert small == large
    assert c.get("/api/jobs/").json()["count"] == 8
