"""Comments on an annual review (optionally on one of its amendments)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit import services as audit
from contracts import lock_objects
from core.actor import Actor
from core.errors import InvalidInput
from reviews.models import Amendment, AnnualReview, ReviewComment
from reviews.services._common import OPEN_STATES, S, may_comment, others_on_board, person, require, require_state, tell


def comment_add(*, actor: Actor, review: AnnualReview, body: str, amendment: Amendment | None = None) -> ReviewComment:
    require(may_comment(actor, review.contract), "Only board members and the parties' managers may comment.")
    body = (body or "").strip()
    if not body:
        raise InvalidInput("Write a comment.", errors={"body": ["This field may not be blank."]})
    if amendment is not None and amendment.review_id != review.pk:
        raise InvalidInput("That amendment belongs to another review.", errors={"amendment": ["Not this review's."]})
    with transaction.atomic():
        lock_objects.contract(review.contract_id)  # the contract, then the review (core.locks)
        review = AnnualReview.objects.select_for_update(of=("self",)).select_related("contract").get(pk=review.pk)
        require_state(review, (*OPEN_STATES, S.SIGNED), "comment")
        comment = ReviewComment.objects.create(
            review=review, amendment=amendment, author=person(actor), body=body, created_at=timezone.now()
        )
        audit.record(
            actor=actor,
            verb="annual_review.commented",
            obj=comment,
            contract_id=review.contract_id,
            changes={"body": [None, body[:500]], "amendment": [None, amendment.pk if amendment else None]},
        )
        tell(
            others_on_board(review, actor),
            review,
            event="review.commented",
            title=f"{actor} commented on {review.contract.reference} annual review {review.year}",
            body=body[:1000],
        )
    return comment
