"""Shared by the review pages: the visible-review lookup, the display zone, status badges and use-case outcomes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import OuterRef, Subquery, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract, SLAVersion
from core.errors import DomainError, NotPermitted
from reviews import packet as document
from reviews.models import AnnualReview

PAGE_SIZE = 25
S = AnnualReview.Status
STATUS_CSS = {
    S.PREPARING: "info",
    S.IN_REVIEW: "info",
    S.AWAITING_SIGNATURES: "warn",
    S.SIGNED: "ok",
    S.REJECTED: "bad",
}


def _describe(exc: DomainError) -> str:
    details = " ".join(
        f"{key.replace('_', ' ').capitalize()}: {' '.join(msgs)}" for key, msgs in exc.errors.items() if msgs
    )
    return f"{exc.message} {details}".strip()


def _forbidden(request: HttpRequest, message: str, contract: Contract | None = None) -> HttpResponse:
    return render(request, "contracts/forbidden.html", {"message": message, "contract": contract}, status=403)


def _review(request: HttpRequest, pk: int) -> AnnualReview:
    return get_object_or_404(
        AnnualReview.objects.visible_to(request.user).select_related("contract", "contract__buyer", "contract__vendor"),
        pk=pk,
    )


def _zone(contract: Contract) -> str:
    version = document.reference_version(contract, timezone.now())
    return version.terms["calendar"]["timezone"] if version else "UTC"


def review_for_page(request: HttpRequest, pk: int) -> AnnualReview:
    """``_review`` with ``_zone`` on the same row, as ``terms_zone``: the calendar timezone of the
    version in force now, else of the latest activated one (``reference_version``), else UTC."""
    latest_first = SLAVersion.objects.filter(contract_id=OuterRef("contract_id")).order_by("-effective_from", "-number")
    in_force = latest_first.governing(timezone.now()).annotate(tz=KT("terms__calendar__timezone")).values("tz")[:1]
    activated = latest_first.frozen().annotate(tz=KT("terms__calendar__timezone")).values("tz")[:1]
    return get_object_or_404(
        AnnualReview.objects.visible_to(request.user)
        .select_related("contract", "contract__buyer", "contract__vendor")
        .annotate(terms_zone=Coalesce(Subquery(in_force), Subquery(activated), Value("UTC"), output_field=TextField())),
        pk=pk,
    )


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _act(request: HttpRequest, review: AnnualReview, call: Any, done: str, anchor: str = "") -> HttpResponse:
    try:
        call()
    except NotPermitted as exc:
        return _forbidden(request, exc.message, review.contract)
    except DomainError as exc:
        messages.error(request, _describe(exc))
    else:
        messages.success(request, done)
    return redirect(f"{review_url(review)}{anchor}")


def review_url(review: AnnualReview) -> str:
    return reverse("reviews:detail", args=[review.pk])
