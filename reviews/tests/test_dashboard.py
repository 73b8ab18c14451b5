"""The board member's dashboard panel (reviews.dashboard.board_reviews): open
reviews of their boards, those awaiting their signature first, in a fixed
number of queries (the person's memberships for visibility, then the list)."""

from __future__ import annotations

from accounts.models import User
from contracts import services as contract_services
from reviews.dashboard import board_reviews
from reviews.services import lifecycle
from reviews.tests.factories import open_review, seat_board


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # visibility caches the memberships on the user object


def test_it_lists_the_boards_open_reviews_awaiting_me_first(
    contract, foreign_contract, staff, buyer, vendor, clock, django_assert_num_queries
):
    chair = seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)
    review = open_review(contract)
    other = open_review(foreign_contract)  # the chair sits on no board of that contract yet
    person = fresh(chair)
    with django_assert_num_queries(2):
        (row,) = board_reviews(person)
    assert row.review == review and not row.awaiting_me and (row.signed, row.signatories) == (0, 3)

    contract_services.board_seat_add(actor=staff, contract=foreign_contract, user=chair, is_chair=True)
    lifecycle.review_freeze(actor=chair, review=review)
    person = fresh(chair)
    with django_assert_num_queries(2):
        rows = board_reviews(person)
    assert [(r.review, r.awaiting_me) for r in rows] == [(review, True), (other, False)]
    assert (rows[0].signed, rows[0].signatories) == (0, 3) and "0 of 3 signatures" in rows[0].signature_bar
    assert board_reviews(chair, limit=1) == rows[:1]
