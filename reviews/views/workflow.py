"""Moving a review along: board comments, circulate/freeze/return/close transitions and signing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from accounts.http import signed_in
from accounts.identity import auth_method
from accounts.identity.stepup import step_up_required
from outbox.models import Job
from reviews.forms import CommentForm, SignForm
from reviews.models import Amendment, AnnualReview
from reviews.services import background, comments, lifecycle, signatures
from reviews.views.base import _act, _ip, _review, review_url
from reviews.views.jobs import job_page_url


@login_required
@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write a comment.")
        return redirect(f"{review_url(review)}#comments")
    amendment = None
    if form.cleaned_data.get("amendment"):
        amendment = get_object_or_404(Amendment, pk=form.cleaned_data["amendment"], review=review)
    return _act(
        request,
        review,
        lambda: comments.comment_add(
            actor=request.user, review=review, body=form.cleaned_data["body"], amendment=amendment
        ),
        "Comment added.",
        "#comments",
    )


@login_required
@require_POST
def review_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    review = _review(request, pk)
    reason = request.POST.get("reason", "")
    if action == "freeze":
        return _freeze(request, review)
    calls = {
        "circulate": (
            lambda: lifecycle.review_circulate(actor=request.user, review=review),
            "The packet is circulated to the board.",
        ),
        "return": (
            lambda: lifecycle.review_return(actor=request.user, review=review, reason=reason),
            "The review is back in preparation.",
        ),
        "close": (
            lambda: lifecycle.review_close(actor=request.user, review=review, reason=reason),
            "The review is closed without agreement.",
        ),
    }
    if action not in calls:
        raise Http404("No such action.")
    call, done = calls[action]
    return _act(request, review, call, done)


def _freeze(request: HttpRequest, review: AnnualReview) -> HttpResponse:
    """Checked now, frozen on the worker: the page shows its progress."""
    queued: list[Job] = []

    def freeze() -> None:
        queued.append(background.review_freeze_queued(actor=signed_in(request), review=review)[0])

    response = _act(request, review, freeze, "The packet is being frozen; the signatories are asked once it is.")
    return redirect(job_page_url(review, queued[0])) if queued else response


@login_required
@require_POST
@step_up_required
def review_sign(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    form = SignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or reject.")
        return redirect(f"{review_url(review)}#sign")
    data = form.cleaned_data
    done = (
        "Your approval is recorded."
        if data["decision"] == "approve"
        else "Your rejection is recorded; the review is back in preparation."
    )
    return _act(
        request,
        review,
        lambda: signatures.review_sign(
            actor=request.user,
            review=review,
            decision=data["decision"],
            reason=data["reason"],
            packet_checksum=data["packet_checksum"],
            ip_address=_ip(request),
            auth_method=auth_method(request) or "unknown",
        ),
        done,
        "#sign",
    )
