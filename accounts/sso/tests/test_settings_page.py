"""/settings/sso/: the organization admins' page."""

from __future__ import annotations

import pytest

from accounts.models import Membership
from accounts.sso.models import OrganizationSSO
from accounts.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

FORM = {
    "issuer": "https://login.northwind.test",
    "client_id": "covenant",
    "client_secret": "s3cret-value",
    "allowed_domains": "northwind.test, corp.northwind.test",
    "default_role": Membership.Role.OPERATIONS,
    "enabled": "on",
}


@pytest.fixture
def admin(buyer_org):
    user = UserFactory(username="nw-admin")
    MembershipFactory(user=user, organization=buyer_org, role=Membership.Role.CONTRACT_MANAGER, is_admin=True)
    return user


def test_it_works(client_for, admin, buyer_org):
    client = client_for(admin)
    page = client.get("/settings/sso/")
    assert page.status_code == 200
    html = page.content.decode()
    for field in ("issuer", "client_id", "client_secret", "allowed_domains", "default_role"):
        assert f'for="id_{field}"' in html
    assert '<label class="check"><input type="checkbox" name="enabled"' in html
    assert "/accounts/sso/org-northwind/callback/" in html

    response = client.post("/settings/sso/", {**FORM, "organization": buyer_org.pk})

    assert response.status_code == 302
    config = OrganizationSSO.objects.get(organization=buyer_org)
    assert config.enabled and config.default_role == Membership.Role.OPERATIONS
    assert config.allowed_domains == ["corp.northwind.test", "northwind.test"]
    html = client.get(f"/settings/sso/?organization={buyer_org.pk}").content.decode()
    assert "s3cret-value" not in html and config.client_secret_encrypted not in html
    assert "<strong>set</strong>" in html


def test_it_shows_the_rule_on_the_field(client_for, admin, buyer_org):
    response = client_for(admin).post(
        "/settings/sso/", {**FORM, "organization": buyer_org.pk, "allowed_domains": "not a domain"}
    )
    assert response.status_code == 400
    assert "is not a domain name" in response.content.decode()
    assert not OrganizationSSO.objects.exists()


def test_it_validates_ownership(client_for, admin, other_vendor_org, buyer, buyer_org):
    # Another tenant's page: 404. A member who is not an admin: 403.
    assert client_for(admin).get(f"/settings/sso/?organization={other_vendor_org.pk}").status_code == 404
    assert client_for(admin).post("/settings/sso/", {**FORM, "organization": other_vendor_org.pk}).status_code == 404
    assert client_for(buyer).get(f"/settings/sso/?organization={buyer_org.pk}").status_code == 403
    assert not OrganizationSSO.objects.exists()


def test_it_needs_sign_in(client):
    response = client.get("/settings/sso/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
