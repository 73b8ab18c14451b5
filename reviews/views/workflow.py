"""Moving a review along: board comments, circulate/freeze/return/close transitions and signing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from accounts.identity import auth_method
from accounts.identity.stepup import step_up_required
from reviews.forms import CommentForm, SignForm
from reviews.models import Amendment
from reviews.services import comments, lifecycle, signatures
from reviews.views.base import _act, _ip, _review, review_url


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
    calls = {
        "circulate": (
            lambda: lifecycle.review_circulate(actor=request.user, review=review),
            "The packet is circulated to the board.",
        ),
        "freeze": (
            lambda: lifecycle.review_freeze(actor=request.user, review=review),
            "The packet is frozen and the signatories have been asked to sign.",
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
