"""The board member's panel of the home dashboard: open annual reviews of the
contracts the person sits on the board of, those awaiting their signature
first. One query whatever the data (each count a correlated subquery, the
list capped)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q

from core.charts import APPLIED, Segment, stacked_bar
from core.subqueries import correlated_count
from reviews.models import AnnualReview, ReviewSignatory, Signature

LIMIT = 8

OPEN_REVIEW = (
    AnnualReview.Status.PREPARING,
    AnnualReview.Status.IN_REVIEW,
    AnnualReview.Status.AWAITING_SIGNATURES,
)


@dataclass
class BoardReview:
    review: AnnualReview
    awaiting_me: bool  # the person is a signatory who has not signed yet
    signed: int
    signatories: int

    @property
    def signature_bar(self) -> str:
        outstanding = max(self.signatories - self.signed, 0)
        return stacked_bar(
            [Segment("Signed", self.signed, APPLIED), Segment("Not yet signed", outstanding, "#cbd5e1")],
            title=f"{self.review.contract.reference}: {self.signed} of {self.signatories} signatures",
            empty_label="no signatory yet",
        )


def board_reviews(user: Any, *, limit: int = LIMIT) -> list[BoardReview]:
    """Open annual reviews of the contracts the person sits on the board of:
    those awaiting their signature first, then by meeting date."""
    mine = ReviewSignatory.objects.filter(review=OuterRef("pk"), user_id=user.pk)
    signed_by_me = Signature.objects.filter(review=OuterRef("pk"), user_id=user.pk, voided_at__isnull=True)
    valid = Signature.objects.filter(review=OuterRef("pk"), voided_at__isnull=True)
    rows = list(
        AnnualReview.objects.visible_to(user)
        .filter(contract_id__in=user.board_seats.values("contract_id"), status__in=OPEN_REVIEW)
        .select_related("contract", "contract__vendor", "contract__buyer")
        .annotate(
            awaiting_me=Exists(mine) & ~Exists(signed_by_me) & Q(status=AnnualReview.Status.AWAITING_SIGNATURES),
            signed_count=correlated_count(valid, "review_id"),
            signatory_count=correlated_count(ReviewSignatory.objects.filter(review=OuterRef("pk")), "review_id"),
        )
        .order_by(F("awaiting_me").desc(), F("meeting_date").asc(nulls_last=True), "scheduled_for", "pk")[:limit]
    )
    return [
        BoardReview(review=r, awaiting_me=r.awaiting_me, signed=r.signed_count, signatories=r.signatory_count)
        for r in rows
    ]
