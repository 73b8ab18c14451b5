"""sso_configure: the rules for an organization's configuration, and the
allauth app it keeps in step."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialApp

from accounts.models import Membership
from accounts.sso import secrets, services
from accounts.sso.models import OrganizationSSO
from accounts.tests.factories import MembershipFactory, UserFactory
from audit.models import AuditEntry
from core.errors import InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db

VALID = {
    "issuer": "https://login.northwind.test/",
    "client_id": "covenant",
    "client_secret": "s3cret-value",
    "allowed_domains": ["Northwind.test", "@corp.northwind.test", "northwind.test"],
    "default_role": Membership.Role.VIEWER,
    "passwords_disabled": True,
    "enabled": True,
}


@pytest.fixture
def admin(buyer_org):
    user = UserFactory(username="nw-admin")
    MembershipFactory(user=user, organization=buyer_org, role=Membership.Role.CONTRACT_MANAGER, is_admin=True)
    return user


def test_it_creates_the_configuration_and_its_allauth_app(admin, buyer_org):
    config = services.sso_configure(actor=admin, organization=buyer_org, **VALID)

    assert config.provider_id == "org-northwind"
    assert config.issuer == "https://login.northwind.test"
    assert config.allowed_domains == ["corp.northwind.test", "northwind.test"]
    app = SocialApp.objects.get(provider_id="org-northwind")
    assert (app.provider, app.client_id, app.settings["server_url"]) == (
        "openid_connect",
        "covenant",
        "https://login.northwind.test",
    )
    # The secret is sealed in Covenant's row and kept out of allauth's.
    assert app.secret == ""
    assert "s3cret-value" not in config.client_secret_encrypted
    assert secrets.unseal(config.client_secret_encrypted) == "s3cret-value"
    entry = AuditEntry.objects.get(verb="sso.configured")
    assert entry.organization_id == buyer_org.pk and entry.actor_id == admin.pk
    assert entry.changes["client_secret"] == [None, "changed"]
    assert "s3cret-value" not in str(entry.changes)


def test_a_blank_secret_keeps_the_stored_one_and_changes_are_audited(admin, buyer_org):
    services.sso_configure(actor=admin, organization=buyer_org, **VALID)
    sealed = OrganizationSSO.objects.get().client_secret_encrypted

    services.sso_configure(
        actor=admin, organization=buyer_org, **{**VALID, "client_secret": None, "allowed_domains": ["northwind.test"]}
    )

    config = OrganizationSSO.objects.get()
    assert config.client_secret_encrypted == sealed
    assert config.allowed_domains == ["northwind.test"]
    entry = AuditEntry.objects.get(verb="sso.updated")
    assert entry.changes == {"allowed_domains": [["corp.northwind.test", "northwind.test"], ["northwind.test"]]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"issuer": "http://login.northwind.test"}, "issuer"),
        ({"issuer": "not a url"}, "issuer"),
        ({"issuer": "https://[login.northwind.test"}, "issuer"),
        ({"client_id": " "}, "client_id"),
        ({"allowed_domains": ["northwind"]}, "allowed_domains"),
        ({"allowed_domains": []}, "allowed_domains"),
        ({"default_role": Membership.Role.ACCOUNT_MANAGER}, "default_role"),  # a vendor role at a buyer
        ({"enabled": False}, "passwords_disabled"),
        ({"client_secret": None}, "client_secret"),
    ],
)
def test_it_names_the_field_and_the_rule(admin, buyer_org, change, field):
    with pytest.raises(InvalidInput) as caught:
        services.sso_configure(actor=admin, organization=buyer_org, **{**VALID, **change})
    assert field in caught.value.errors
    assert not OrganizationSSO.objects.exists()


def test_a_domain_belongs_to_one_organization(admin, buyer_org, other_vendor_org, staff):
    services.sso_configure(actor=admin, organization=buyer_org, **VALID)
    with pytest.raises(InvalidInput) as caught:
        services.sso_configure(
            actor=staff,
            organization=other_vendor_org,
            **{**VALID, "allowed_domains": ["northwind.test"], "default_role": Membership.Role.VIEWER},
        )
    assert "northwind.test" in caught.value.errors["allowed_domains"][0]


def test_only_the_organizations_admins_configure_it(buyer, buyer_org, outsider):
    for person in (buyer, outsider):  # a member who is not an admin; another tenant's person
        with pytest.raises(NotPermitted):
            services.sso_configure(actor=person, organization=buyer_org, **VALID)
    assert not OrganizationSSO.objects.exists()


def test_plain_http_is_allowed_only_on_this_machine(admin, buyer_org):
    config = services.sso_configure(actor=admin, organization=buyer_org, **{**VALID, "issuer": "http://127.0.0.1:8089"})
    assert config.issuer == "http://127.0.0.1:8089"


def test_the_provider_id_outlives_a_slug_change(admin, buyer_org, staff, vendor_org):
    from accounts import services as accounts

    services.sso_configure(actor=admin, organization=buyer_org, **VALID)
    accounts.organization_update(actor=staff, organization=buyer_org, name=buyer_org.name, slug="northwind-bank")
    accounts.organization_update(actor=staff, organization=vendor_org, name=vendor_org.name, slug="northwind")

    other = services.sso_configure(actor=staff, organization=vendor_org, **{**VALID, "allowed_domains": ["acme.test"]})

    assert OrganizationSSO.objects.get(organization=buyer_org).provider_id == "org-northwind"
    assert other.provider_id == f"org-northwind-{vendor_org.pk}"
