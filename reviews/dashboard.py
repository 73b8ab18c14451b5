"""The governance part of the home dashboard: reviews awaiting my signature,
upcoming review meetings and open disputes, for the signed-in person. A fixed
number of queries whatever the data (lists are capped)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from disputes.models import Dispute
from reviews.models import AnnualReview, ReviewSignatory, Signature

LIMIT = 8


def annual_panels(user: Any) -> dict[str, Any]:
    now = timezone.now()
    reviews = AnnualReview.objects.visible_to(user).select_related("contract", "contract__vendor")
    mine = ReviewSignatory.objects.filter(review=OuterRef("pk"), user_id=user.pk)
    signed = Signature.objects.filter(review=OuterRef("pk"), user_id=user.pk, voided_at__isnull=True)
    awaiting = list(
        reviews.filter(status=AnnualReview.Status.AWAITING_SIGNATURES)
        .filter(Exists(mine))
        .exclude(Exists(signed))
        .order_by("anniversary", "pk")[:LIMIT]
    )
    meetings = list(
        reviews.filter(
            status__in=[
                AnnualReview.Status.PREPARING,
                AnnualReview.Status.IN_REVIEW,
                AnnualReview.Status.AWAITING_SIGNATURES,
            ]
        )
        .exclude(meeting_date__lt=now)
        .order_by(F("meeting_date").asc(nulls_last=True), "scheduled_for", "pk")[:LIMIT]
    )
    disputes = Dispute.objects.visible_to(user).open()
    return {
        "awaiting_signature": awaiting,
        "review_meetings": meetings,
        "open_disputes": list(disputes.select_related("contract").order_by("stage_deadline", "pk")[:LIMIT]),
        "open_disputes_count": disputes.count(),
    }
