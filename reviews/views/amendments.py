"""Proposing, editing (wording and draft terms) and withdrawing a review's amendments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from contracts.access import can_amend, contract_standing
from contracts.forms import TermsForm, apply_domain_errors
from core.errors import DomainError, InvalidInput, NotPermitted
from reviews.forms import AmendmentForm
from reviews.models import Amendment
from reviews.services import amendments
from reviews.views.base import _act, _describe, _forbidden, _review, _zone, review_url
from reviews.views.detail import detail_context


@login_required
@require_POST
def amendment_propose(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    zone = _zone(review.contract)
    form = AmendmentForm(request.POST, zone=zone)
    if form.is_valid():
        data = form.cleaned_data
        try:
            amendment = amendments.amendment_propose(
                actor=request.user,
                review=review,
                title=data["title"],
                rationale=data["rationale"],
                evidence=data["evidence"],
                effective_from=amendments.effective_from_date(review.contract, data["effective_from"]),
            )
        except NotPermitted as exc:
            return _forbidden(request, exc.message, review.contract)
        except InvalidInput as exc:
            apply_domain_errors(form, exc)
        except DomainError as exc:
            messages.error(request, _describe(exc))
            return redirect(f"{review_url(review)}#amendments")
        else:
            messages.success(
                request,
                f"Amendment proposed as draft SLA v{amendment.sla_version.number}. Edit its terms, then regenerate the packet.",
            )
            return redirect(f"{review_url(review)}#amendment-{amendment.pk}")
    context = detail_context(request, review, amendment_form=form)
    return render(request, "reviews/detail.html", context, status=400)


@login_required
@require_POST
def amendment_update(request: HttpRequest, pk: int, amendment_pk: int) -> HttpResponse:
    review = _review(request, pk)
    amendment = get_object_or_404(Amendment, pk=amendment_pk, review=review)
    form = AmendmentForm(request.POST, prefix=f"a{amendment.pk}", zone=_zone(review.contract))
    form.prefix_pk = amendment.pk
    if form.is_valid():
        data = form.cleaned_data
        try:
            amendments.amendment_update(
                actor=request.user,
                amendment=amendment,
                title=data["title"],
                rationale=data["rationale"],
                evidence=data["evidence"],
                effective_from=amendments.effective_from_date(review.contract, data["effective_from"]),
            )
        except NotPermitted as exc:
            return _forbidden(request, exc.message, review.contract)
        except InvalidInput as exc:
            apply_domain_errors(form, exc)
        except DomainError as exc:
            messages.error(request, _describe(exc))
            return redirect(f"{review_url(review)}#amendment-{amendment.pk}")
        else:
            messages.success(request, "The amendment is saved.")
            return redirect(f"{review_url(review)}#amendment-{amendment.pk}")
    context = detail_context(request, review, amendment_errors=form)
    return render(request, "reviews/detail.html", context, status=400)


@login_required
def amendment_terms(request: HttpRequest, pk: int, amendment_pk: int) -> HttpResponse:
    """The terms editor for the draft SLA version the amendment holds (the
    contract's own editor refuses it): saved through the review, so a change
    after a signature voids the signatures and freezes a new packet."""
    review = _review(request, pk)
    amendment = get_object_or_404(Amendment.objects.select_related("sla_version"), pk=amendment_pk, review=review)
    contract, version = review.contract, amendment.sla_version
    back = f"{review_url(review)}#amendment-{amendment.pk}"
    if not can_amend(contract_standing(request.user, contract)):
        return _forbidden(request, "Only board members and the buyer's contract managers edit amendments.", contract)
    if amendment.status != Amendment.Status.PROPOSED or not version.is_draft:
        messages.error(
            request, f"“{amendment.title}” is {amendment.get_status_display().lower()}: its terms are final."
        )
        return redirect(back)
    form = TermsForm(request.POST or None, terms=version.terms, change_summary=version.change_summary)
    if request.method == "POST" and form.is_valid():
        try:
            amendments.amendment_update(
                actor=request.user,
                amendment=amendment,
                terms=form.build_terms(),
                change_summary=form.cleaned_data["change_summary"],
            )
        except NotPermitted as exc:
            return _forbidden(request, exc.message, contract)
        except InvalidInput as exc:
            form.apply_errors(exc.errors)
            if not exc.errors:
                form.add_error(None, exc.message)
        except DomainError as exc:
            messages.error(request, _describe(exc))
            return redirect(back)
        else:
            messages.success(request, f"The terms of draft SLA v{version.number} are saved.")
            return redirect(back)
    context = {"contract": contract, "version": version, "form": form, "review": review, "amendment": amendment}
    return render(
        request,
        "reviews/amendment_terms.html",
        {**context, "cancel_url": back},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def amendment_withdraw(request: HttpRequest, pk: int, amendment_pk: int) -> HttpResponse:
    review = _review(request, pk)
    amendment = get_object_or_404(Amendment, pk=amendment_pk, review=review)
    return _act(
        request,
        review,
        lambda: amendments.amendment_withdraw(
            actor=request.user, amendment=amendment, reason=request.POST.get("reason", "")
        ),
        f"“{amendment.title}” is withdrawn.",
        "#amendments",
    )
