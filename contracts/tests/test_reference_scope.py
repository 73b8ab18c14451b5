"""A contract's reference is unique within its buyer only: another buyer
may use the same reference, and a refusal never tells of other tenants."""

from __future__ import annotations

from accounts.models import Membership, Organization
from accounts.tests.factories import OrganizationFactory, member
from contracts.models import Contract
from contracts.tests.test_api import assert_error, new_contract_body, post


def test_another_buyer_may_use_the_same_reference(client_for, contract, vendor_org):
    other = OrganizationFactory(name="Contoso", slug="contoso", kind=Organization.Kind.BUYER)
    manager = member("contoso-cm", other, Membership.Role.CONTRACT_MANAGER)
    data = new_contract_body(other, vendor_org, preset="enterprise-24x7", reference=contract.reference)
    response = post(client_for(manager), "/api/contracts/", data)
    assert response.status_code == 201, response.content
    assert Contract.objects.filter(reference=contract.reference).count() == 2


def test_the_same_buyer_is_refused_on_the_reference_field(client_for, buyer, buyer_org, vendor_org, contract):
    data = new_contract_body(buyer_org, vendor_org, preset="enterprise-24x7", reference=contract.reference)
    body = assert_error(post(client_for(buyer), "/api/contracts/", data), 400)
    assert body["errors"] == {"reference": ["Your organization already has a contract with this reference."]}
    assert Contract.objects.filter(reference=contract.reference).count() == 1
