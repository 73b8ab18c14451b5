"""The renewals page (upcoming notice deadlines) and the renewal reminder PDFs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts.access import organization_ids
from contracts.models import Contract
from reviews.models import AnnualReview, RenewalReminder
from reviews.services.renewals import reminder_filename
from reviews.views.base import PAGE_SIZE


def buyer_side_ids(user: Any) -> list[int]:
    """Organizations whose renewal leverage this person may read: the buyers they belong to."""
    return list(organization_ids(user))


@login_required
def renewals(request: HttpRequest) -> HttpResponse:
    """Upcoming notice deadlines of the contracts you may see, with the
    reminders sent (the PDFs are the buyer's: shown to its people and staff)."""
    today = timezone.localdate()
    user = request.user
    mine = set(buyer_side_ids(user))
    latest = (
        AnnualReview.objects.filter(contract=OuterRef("pk"))
        .exclude(recommendation="")
        .order_by("-signed_at", "-anniversary")
    )
    qs = (
        Contract.objects.visible_to(user)
        .active()
        .filter(notice_deadline__gte=today - timedelta(days=30))
        .select_related("buyer", "vendor")
        .annotate(
            recommendation=Subquery(latest.values("recommendation")[:1]),
            recommendation_year=Subquery(latest.values("year")[:1]),
            recommendation_review=Subquery(latest.values("pk")[:1]),
        )
        .prefetch_related(
            Prefetch(
                "renewal_reminders",
                queryset=RenewalReminder.objects.filter(superseded=False).order_by("-milestone"),
                to_attr="reminders",
            )
        )
        .order_by("notice_deadline", "reference")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(AnnualReview.Recommendation.choices)
    for c in page:
        c.days_to_notice = (c.notice_deadline - today).days
        c.sees_leverage = user.is_staff or c.buyer_id in mine
        c.recommendation_label = labels.get(c.recommendation or "", "")
        c.sent = [r for r in c.reminders if r.term_end == c.term_end and r.sent_at]
    return render(request, "reviews/renewals.html", {"page": page, "querystring": "", "today": today})


@login_required
def reminder_pdf(request: HttpRequest, pk: int) -> FileResponse:
    row = get_object_or_404(RenewalReminder.objects.visible_to(request.user).select_related("contract"), pk=pk)
    if not (request.user.is_staff or row.contract.buyer_id in buyer_side_ids(request.user)) or not row.pdf:
        raise Http404("No such reminder.")
    try:
        handle = row.pdf.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The reminder's PDF is missing from storage.") from None
    return FileResponse(handle, filename=reminder_filename(row), content_type="application/pdf")
