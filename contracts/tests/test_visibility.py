"""The one visibility rule (contracts.models.visibility_q) for contracts and SLA
versions: in querysets, in API lists and on API detail routes."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Membership
from accounts.tests.factories import UserFactory
from contracts import services
from contracts.access import get_visible_contract
from contracts.models import Contract, SLAVersion

pytestmark = pytest.mark.django_db


def contract_ids(user) -> list[int]:
    return list(Contract.objects.visible_to(user).values_list("pk", flat=True))


def version_contract_ids(user) -> list[int]:
    return sorted(SLAVersion.objects.visible_to(user).values_list("contract_id", flat=True))


def api_ids(client) -> list[int]:
    response = client.get("/api/contracts/")
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("persona", ["buyer", "buyer_ops", "buyer_viewer", "vendor", "vendor_engineer", "board_member"])
def test_parties_and_board_members_see_the_contract(request, client_for, contract, persona):
    user = request.getfixturevalue(persona)
    client = client_for(user)

    assert contract_ids(user) == [contract.pk]
    assert version_contract_ids(user) == [contract.pk]
    assert api_ids(client) == [contract.pk]
    assert client.get(f"/api/contracts/{contract.pk}/").status_code == 200
    assert client.get(f"/api/contracts/{contract.pk}/sla-versions/1/").status_code == 200
    assert get_visible_contract(user, contract.pk) == contract


def test_board_member_belongs_to_neither_party(board_member):
    assert not Membership.objects.filter(user=board_member).exists()


def test_outsider_sees_nothing(client_for, outsider, contract):
    client = client_for(outsider)

    assert contract_ids(outsider) == []
    assert version_contract_ids(outsider) == []
    assert api_ids(client) == []
    assert client.get(f"/api/contracts/{contract.pk}/").status_code == 404
    assert client.get(f"/api/contracts/{contract.pk}/sla-versions/1/").status_code == 404


def test_each_vendor_sees_only_its_own_contracts(client_for, vendor, outsider, buyer, contract, foreign_contract):
    assert contract_ids(vendor) == [contract.pk]
    assert contract_ids(outsider) == [foreign_contract.pk]  # the outsider's Globex is foreign_contract's vendor
    assert sorted(contract_ids(buyer)) == sorted([contract.pk, foreign_contract.pk])
    assert client_for(vendor).get(f"/api/contracts/{foreign_contract.pk}/").status_code == 404


def test_staff_see_everything(client_for, staff, contract, foreign_contract):
    expected = sorted([contract.pk, foreign_contract.pk])
    assert sorted(contract_ids(staff)) == expected
    assert version_contract_ids(staff) == expected
    assert sorted(api_ids(client_for(staff))) == expected


def test_anonymous_and_inactive_users_see_nothing(client_for, buyer, contract):
    from django.contrib.auth.models import AnonymousUser

    assert contract_ids(AnonymousUser()) == []
    assert version_contract_ids(AnonymousUser()) == []

    buyer.is_active = False
    buyer.save()
    assert contract_ids(buyer) == []


def test_an_inactive_membership_sees_nothing(client_for, buyer, vendor, contract):
    Membership.objects.filter(user=buyer).update(is_active=False)
    buyer.refresh_from_db()
    client = client_for(buyer)

    assert contract_ids(buyer) == []
    assert version_contract_ids(buyer) == []
    assert api_ids(client) == []
    assert client.get(f"/api/contracts/{contract.pk}/").status_code == 404
    assert client.get(f"/api/contracts/{contract.pk}/audit/").status_code == 404
    assert contract_ids(vendor) == [contract.pk]  # the other party is unaffected


def test_several_board_seats_do_not_repeat_the_contract(client_for, staff, buyer, board_member, contract):
    for name in ("seat-a", "seat-b", "seat-c"):
        services.board_seat_add(actor=staff, contract=contract, user=UserFactory(username=name))
    services.board_seat_add(actor=staff, contract=contract, user=buyer)  # a party who also sits on the board
    assert contract.board.count() == 5

    for user in (buyer, board_member):
        assert contract_ids(user) == [contract.pk]
        assert version_contract_ids(user) == [contract.pk]
        response = client_for(user).get("/api/contracts/")
        assert response.json()["count"] == 1
        assert api_ids(client_for(user)) == [contract.pk]


def test_nested_items_of_another_contract_cannot_be_reached_through_a_visible_one(
    client_for, vendor, buyer, contract, foreign_contract
):
    """The vendor sees ``contract`` but not ``foreign_contract``: ids of the
    foreign contract's documents and seats do not resolve under ``contract``."""
    doc = services.document_upload(
        actor=buyer, contract=foreign_contract, title="Secret", file=SimpleUploadedFile("s.pdf", b"%PDF-1.4 x")
    )
    seat = services.board_seat_add(actor=buyer, contract=foreign_contract, user=UserFactory(username="globex-chair"))
    client = client_for(vendor)

    assert client.get(f"/api/contracts/{contract.pk}/documents/{doc.pk}/").status_code == 404
    assert client.get(f"/api/contracts/{contract.pk}/documents/{doc.pk}/download/").status_code == 404
    assert client.get(f"/api/contracts/{foreign_contract.pk}/documents/{doc.pk}/download/").status_code == 404
    assert client.get(f"/api/contracts/{contract.pk}/documents/").json()["count"] == 0
    assert [s["id"] for s in client.get(f"/api/contracts/{contract.pk}/board/").json()["results"]] == []
    assert client_for(buyer).delete(f"/api/contracts/{contract.pk}/board/{seat.pk}/").status_code == 404
    audit = client.get(f"/api/contracts/{contract.pk}/audit/").json()["results"]
    assert {entry["contract_id"] for entry in audit} == {contract.pk}
