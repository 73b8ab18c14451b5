"""The board member's dashboard: the open reviews of their boards, those
awaiting their signature first; a person with several roles sees every panel."""

from __future__ import annotations

from django.urls import reverse

from portal.dashboards import dashboard_for
from reviews.services import lifecycle
from reviews.tests.factories import open_review, seat_board


def test_the_board_sees_reviews_and_signatures_due(client_for, contract, foreign_contract, staff, buyer, vendor, clock):
    chair = seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)
    review = open_review(contract)
    open_review(foreign_contract)  # the chair sits on no board of that contract

    dash = dashboard_for(chair)
    assert not dash.roles.buyer and not dash.roles.vendor
    assert [(r.review.pk, r.awaiting_me) for r in dash.board] == [(review.pk, False)]
    assert dash.awaiting_signature == []

    lifecycle.review_freeze(actor=chair, review=review)
    dash = dashboard_for(chair)
    (row,) = dash.board
    assert row.awaiting_me and (row.signed, row.signatories) == (0, 3)

    page = client_for(chair).get(reverse("home")).content.decode()
    assert "Reviews and signatures due" in page and "Awaiting your signature" in page
    assert f'href="{reverse("reviews:detail", args=[review.pk])}#sign"' in page
    assert "0 of 3 signed" in page and foreign_contract.reference not in page
    assert "Vendor scorecards" not in page and "Your contracts across buyers" not in page


def test_a_person_with_several_roles_sees_each_panel(client_for, contract, staff, buyer, vendor, clock):
    seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)
    open_review(contract)
    page = client_for(buyer).get(reverse("home")).content.decode()
    assert "Vendor scorecards" in page and "Reviews and signatures due" in page
    page = client_for(vendor).get(reverse("home")).content.decode()
    assert "Your contracts across buyers" in page and "Reviews and signatures due" in page
