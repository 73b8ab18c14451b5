"""Issue 15, item 5: board members from the vendor side comment on a buyer's
draft; they do not edit it. The contract's terms editor enforces it
(``contracts.services.versions.may_edit``; tested in
contracts/tests/test_version_consent.py). An amendment in an annual review
edits its held draft through ``sla_version_update(holder_url=...)``, which
also checks ``may_edit``: the vendor's board member comments on the buyer's
amendment draft and cannot rewrite it."""

from __future__ import annotations

import copy

import pytest

from core.errors import NotPermitted
from reviews.services import amendments
from reviews.tests.factories import open_review, propose, seat_board

pytestmark = pytest.mark.django_db


def test_a_vendor_board_member_cannot_rewrite_the_buyers_draft_through_an_amendment(
    contract, staff, buyer, vendor, clock
):
    seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)
    review = open_review(contract, generate_packet=False)
    amendment = propose(review, buyer)
    assert amendment.sla_version.side == "buyer"
    terms = copy.deepcopy(amendment.sla_version.terms)
    terms["credit_cap_percent"] = "5"
    with pytest.raises(NotPermitted):
        amendments.amendment_update(actor=vendor, amendment=amendment, terms=terms)


def test_a_vendor_amendment_is_the_vendors_draft_and_the_buyer_comments_on_it(contract, staff, buyer, vendor, clock):
    seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)
    review = open_review(contract, generate_packet=False)
    amendment = propose(review, vendor)
    assert amendment.sla_version.side == "vendor"
    terms = copy.deepcopy(amendment.sla_version.terms)
    terms["credit_cap_percent"] = "50"
    with pytest.raises(NotPermitted):
        amendments.amendment_update(actor=buyer, amendment=amendment, terms=terms)


def test_the_buyers_working_draft_is_not_taken_over_by_a_vendor_amendment(contract, staff, buyer, vendor, clock):
    from contracts import services as contract_services

    seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)
    draft = contract_services.sla_version_amend(actor=buyer, contract=contract, change_summary="Our next terms")
    review = open_review(contract, generate_packet=False)
    with pytest.raises(NotPermitted):
        propose(review, vendor)
    draft.refresh_from_db()
    assert draft.side == "buyer" and not draft.is_held
