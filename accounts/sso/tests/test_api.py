"""/api/organizations/{id}/sso/"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Membership, User
from accounts.sso.models import OrganizationSSO
from accounts.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

BODY = {
    "issuer": "https://login.northwind.test",
    "client_id": "covenant",
    "client_secret": "s3cret-value",
    "allowed_domains": ["northwind.test"],
    "default_role": Membership.Role.VIEWER,
    "passwords_disabled": False,
    "enabled": True,
}


@pytest.fixture
def admin(buyer_org):
    user = UserFactory(username="nw-admin")
    MembershipFactory(user=user, organization=buyer_org, role=Membership.Role.CONTRACT_MANAGER, is_admin=True)
    return user


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_it_works(admin, buyer_org, django_assert_num_queries):
    client = api(admin)
    url = f"/api/organizations/{buyer_org.pk}/sso/"
    before = client.get(url)
    assert before.status_code == 200
    assert before.json()["enabled"] is False and before.json()["client_secret_set"] is False

    response = client.put(url, BODY, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["provider_id"] == "org-northwind" and body["client_secret_set"] is True
    assert "client_secret" not in body
    assert body["callback_url"].endswith("/accounts/sso/org-northwind/callback/")
    # A PUT without the secret keeps it.
    again = client.put(url, {k: v for k, v in BODY.items() if k != "client_secret"}, format="json")
    assert again.status_code == 200 and again.json()["client_secret_set"] is True
    # The same whatever the number of domains: memberships (twice: ids, admin flag), organization,
    # configuration, its domains.
    for domains in (["northwind.test"], [f"d{i}.northwind.test" for i in range(20)]):
        client.put(url, {**BODY, "allowed_domains": domains}, format="json")
        fresh = api(User.objects.get(pk=admin.pk))
        with django_assert_num_queries(5):
            assert fresh.get(url).json()["allowed_domains"] == sorted(domains)


def test_it_names_the_field(admin, buyer_org):
    response = api(admin).put(
        f"/api/organizations/{buyer_org.pk}/sso/", {**BODY, "default_role": "account_manager"}, format="json"
    )
    assert response.status_code == 400
    assert "default_role" in response.json()["errors"]
    missing = api(admin).put(f"/api/organizations/{buyer_org.pk}/sso/", {"enabled": True}, format="json")
    assert missing.status_code == 400 and "issuer" in missing.json()["errors"]
    assert not OrganizationSSO.objects.exists()


def test_it_validates_ownership(admin, buyer, buyer_org, other_vendor_org):
    assert api(admin).get(f"/api/organizations/{other_vendor_org.pk}/sso/").status_code == 404
    assert api(admin).put(f"/api/organizations/{other_vendor_org.pk}/sso/", BODY, format="json").status_code == 404
    assert api(buyer).get(f"/api/organizations/{buyer_org.pk}/sso/").status_code == 403
    assert api(buyer).put(f"/api/organizations/{buyer_org.pk}/sso/", BODY, format="json").status_code == 403
    assert not OrganizationSSO.objects.exists()


def test_it_handles_missing(admin):
    assert api(admin).get("/api/organizations/999999/sso/").status_code == 404
