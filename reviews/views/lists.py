"""The review list page and opening a contract's annual review from it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import organization_ids
from accounts.http import signed_in
from accounts.models import Membership
from contracts.models import BoardSeat, Contract
from core.errors import DomainError, NotPermitted
from core.filters import query_int
from reviews.models import AnnualReview, ReviewSignatory, Signature
from reviews.services import background, lifecycle, opening
from reviews.views.base import PAGE_SIZE, STATUS_CSS, S, _describe, _forbidden, review_url


def review_rows(queryset: QuerySet[AnnualReview], user: Any) -> QuerySet[AnnualReview]:
    """List rows with their signature progress, in a fixed number of queries."""
    required = (
        ReviewSignatory.objects.filter(review=OuterRef("pk"), required=True)
        .values("review")
        .annotate(n=Count("pk"))
        .values("n")
    )
    approved = (
        Signature.objects.filter(review=OuterRef("pk"), decision="approve", voided_at__isnull=True)
        .values("review")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.select_related("contract", "contract__buyer", "contract__vendor").annotate(
        required_n=Coalesce(Subquery(required, output_field=IntegerField()), 0),
        approved_n=Coalesce(Subquery(approved, output_field=IntegerField()), 0),
        mine=Exists(ReviewSignatory.objects.filter(review=OuterRef("pk"), user_id=user.pk)),
        i_signed=Exists(Signature.objects.filter(review=OuterRef("pk"), user_id=user.pk, voided_at__isnull=True)),
    )


def _decorate(reviews: Any) -> None:
    for r in reviews:
        r.status_css = STATUS_CSS.get(r.status, "info")
        r.awaiting_me = r.status == S.AWAITING_SIGNATURES and r.mine and not r.i_signed


def openable_contracts(user: Any) -> QuerySet[Contract]:
    """Active contracts whose review this person may open (staff: all)."""
    qs = (
        Contract.objects.visible_to(user)
        .active()
        .exclude(pk__in=AnnualReview.objects.filter(status__in=lifecycle.OPEN_STATES).values("contract_id"))
        .select_related("vendor")
        .order_by("reference")
    )
    if user.is_staff:
        return qs
    managed = [
        m.organization_id
        for m in Membership.objects.filter(
            user_id=user.pk,
            is_active=True,
            role=Membership.Role.CONTRACT_MANAGER,
            organization_id__in=organization_ids(user),
        )
    ]
    chaired = BoardSeat.objects.filter(user_id=user.pk, is_chair=True).values("contract_id")
    return qs.filter(Q(buyer_id__in=managed) | Q(pk__in=chaired))


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    qs = review_rows(AnnualReview.objects.visible_to(request.user), request.user).order_by(
        "-anniversary", "contract__reference"
    )
    status = request.GET.get("status", "")
    if status in S.values:
        qs = qs.filter(status=status)
    contract_id = query_int(request.GET, "contract")
    contract = None
    if contract_id is not None:
        contract = Contract.objects.visible_to(request.user).filter(pk=contract_id).first()
        qs = qs.filter(contract_id=contract_id) if contract else qs.none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _decorate(page)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "statuses": S.choices,
        "status": status,
        "contract": contract,
        "querystring": params.urlencode(),
        "openable": list(openable_contracts(request.user)),
        "lead_days": opening.lead_days(),
    }
    return render(request, "reviews/list.html", context)


@login_required
@require_POST
def review_open(request: HttpRequest) -> HttpResponse:
    contract = get_object_or_404(Contract.objects.visible_to(request.user), pk=request.POST.get("contract") or 0)
    try:
        review, job = background.review_open_queued(actor=signed_in(request), contract=contract)
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    except DomainError as exc:
        messages.error(request, _describe(exc))
        return redirect("reviews:list")
    messages.success(request, f"{review.label} of {contract.reference} is open; packet v1 is being made.")
    return redirect(f"{review_url(review)}?job={job.pk}#progress")
