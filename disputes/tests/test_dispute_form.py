"""Opening a dispute from the form: who may is settled before the form is shown,
and a refused form keeps what was typed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from accounts.tests.factories import MembershipFactory, member
from disputes.models import Dispute

pytestmark = pytest.mark.django_db


@pytest.fixture
def dual(vendor_org, other_vendor_org):
    """Acme's account manager (may dispute on Acme's contract) and a support engineer at
    Globex (sees Globex's contract, may not dispute on it)."""
    user = member("dual", vendor_org, Membership.Role.ACCOUNT_MANAGER)
    MembershipFactory(user=user, organization=other_vendor_org, role=Membership.Role.SUPPORT_ENGINEER)
    return user


def test_who_may_not_open_a_dispute_gets_the_reason_instead_of_the_form(
    client_for, dual, vendor_engineer, contract, foreign_contract
):
    create = reverse("disputes:dispute_create")
    client = client_for(dual)
    assert 'name="statement"' in client.get(create + f"?contract={contract.pk}").content.decode()
    response = client.get(create + f"?contract={foreign_contract.pk}")
    html = response.content.decode()
    assert response.status_code == 403 and 'name="statement"' not in html
    assert "only Northwind Bank&#x27;s contract managers or Globex Software&#x27;s account managers" in html
    response = client_for(vendor_engineer).get(create + f"?contract={contract.pk}")
    assert response.status_code == 403 and 'name="statement"' not in response.content.decode()


def test_a_refused_form_keeps_what_was_typed(client_for, dual, foreign_contract):
    statement = "The monitor shows 98.9 %, not 99.95 %: see the probe export attached to INC-4."
    response = client_for(dual).post(
        reverse("disputes:dispute_create"),
        {
            "contract": foreign_contract.pk,
            "subject_type": "incident",
            "subject_id": "INC-4",
            "title": "Availability overstated",
            "statement": statement,
        },
    )
    html = response.content.decode()
    assert response.status_code == 403 and "Nothing was opened." in html
    assert "only Northwind Bank&#x27;s contract managers" in html
    assert statement.replace("'", "&#x27;") in html and 'value="Availability overstated"' in html
    assert not Dispute.objects.exists()
