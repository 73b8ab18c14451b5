"""Signing in through an organization's provider, end to end against a real
OpenID Connect server (accounts/sso/tests/oidc_provider.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.identity.adapter import AccountAdapter  # noqa: F401  (the sign-in records use it)
from accounts.models import Invitation, Membership, SignInEvent, User
from accounts.sso.tests.conftest import authorize, configure, signed_in_user_id, sso_sign_in
from accounts.tests.factories import MembershipFactory, UserFactory
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db

Role = Membership.Role


def refusals() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(verb="sso.sign_in_refused").order_by("seq"))


def test_it_provisions_a_new_person_into_the_organization(northwind_sso, buyer_org, oidc):
    assert not User.objects.filter(email="ada@northwind.test").exists()
    client = Client()

    response = sso_sign_in(client, "ada@northwind.test", next_url="/contracts/")

    assert response.status_code == 302 and response["Location"] == "/contracts/"
    user = User.objects.get(email="ada@northwind.test")
    assert signed_in_user_id(client) == user.pk
    assert (user.first_name, user.last_name, user.has_usable_password()) == ("Ada", "Lovelace", False)
    memberships = list(Membership.objects.filter(user=user).values_list("organization_id", "role", "is_active"))
    assert memberships == [(buyer_org.pk, Role.VIEWER, True)]
    assert SocialAccount.objects.get(user=user).provider == northwind_sso.provider_id
    entry = AuditEntry.objects.get(verb="sso.person_provisioned")
    assert entry.organization_id == buyer_org.pk and entry.changes["role"] == [None, Role.VIEWER]
    # The sign-in method is the organization's provider (accounts.identity reads it from the session).
    assert SignInEvent.objects.get(user=user, succeeded=True).method == f"sso:{northwind_sso.provider_id}"
    # allauth asked for a nonce and PKCE, and the provider checked the verifier.
    assert oidc.token_requests[0]["code_verifier"]


def test_a_new_person_gets_the_role_of_their_invitation(northwind_sso, buyer_org, buyer, oidc):
    from datetime import timedelta

    from django.utils import timezone

    Invitation.objects.create(
        organization=buyer_org,
        email="ada@northwind.test",
        role=Role.OPERATIONS,
        invited_by=buyer,
        expires_at=timezone.now() + timedelta(days=7),
    )
    client = Client()

    sso_sign_in(client, "ada@northwind.test")

    user = User.objects.get(email="ada@northwind.test")
    assert signed_in_user_id(client) == user.pk
    assert Membership.objects.get(user=user, organization=buyer_org).role == Role.OPERATIONS
    assert Invitation.objects.get(email="ada@northwind.test").accepted_by_id == user.pk


def test_it_matches_an_existing_member_and_remembers_the_link(northwind_sso, buyer_org, oidc):
    ada = UserFactory(username="ada", email="Ada@northwind.test")
    MembershipFactory(user=ada, organization=buyer_org, role=Role.CONTRACT_MANAGER)
    client = Client()

    sso_sign_in(client, "ada@northwind.test")

    assert signed_in_user_id(client) == ada.pk
    assert User.objects.filter(email__iexact="ada@northwind.test").count() == 1
    assert SocialAccount.objects.get(provider=northwind_sso.provider_id, uid="northwind-0001").user_id == ada.pk
    assert Membership.objects.get(user=ada).role == Role.CONTRACT_MANAGER  # unchanged
    assert AuditEntry.objects.filter(verb="sso.account_linked", actor_label__contains="org-northwind").count() == 1

    # The next sign-in finds the person by the provider's subject, even after an address change there.
    oidc.identity["email"] = "ada.lovelace@northwind.test"
    again = Client()
    sso_sign_in(again, "ada@northwind.test")
    assert signed_in_user_id(again) == ada.pk


def test_it_never_links_the_same_email_at_another_tenant(northwind_sso, other_vendor_org, oidc):
    # Someone at Globex holds this address; Northwind's provider vouches for it.
    globex_person = UserFactory(username="ada-globex", email="ada@northwind.test")
    MembershipFactory(user=globex_person, organization=other_vendor_org, role=Role.ACCOUNT_MANAGER)
    client = Client()

    response = sso_sign_in(client, "ada@northwind.test")

    assert response.status_code == 403
    assert "not a member of Northwind Bank" in response.content.decode()
    assert signed_in_user_id(client) is None
    assert not SocialAccount.objects.exists()
    assert list(Membership.objects.filter(user=globex_person).values_list("organization_id", flat=True)) == [
        other_vendor_org.pk
    ]
    [entry] = refusals()
    assert entry.organization_id == northwind_sso.organization_id
    assert entry.changes == {"email": [None, "ada@northwind.test"], "reason": [None, "account_elsewhere"]}


def test_it_refuses_an_unverified_email(northwind_sso, oidc):
    oidc.identity["email_verified"] = False
    client = Client()

    response = sso_sign_in(client, "ada@northwind.test")

    assert response.status_code == 403 and "has not verified" in response.content.decode()
    assert signed_in_user_id(client) is None
    assert not User.objects.filter(email="ada@northwind.test").exists()
    assert [e.changes["reason"][1] for e in refusals()] == ["email_unverified"]


def test_it_refuses_an_address_outside_the_allowed_domains(northwind_sso, oidc):
    # The person typed a northwind.test address; the provider vouches for another domain.
    oidc.identity["email"] = "ada@elsewhere.test"
    client = Client()

    response = sso_sign_in(client, "ada@northwind.test")

    assert response.status_code == 403 and "elsewhere.test" in response.content.decode()
    assert signed_in_user_id(client) is None
    assert not User.objects.filter(email="ada@elsewhere.test").exists()
    assert [e.changes["reason"][1] for e in refusals()] == ["domain_not_allowed"]


def test_it_refuses_a_tampered_id_token_signature(northwind_sso, oidc):
    oidc.tamper_signature = True
    client = Client()

    response = sso_sign_in(client, "ada@northwind.test")

    assert response.status_code == 403 and "could not be verified" in response.content.decode()
    assert signed_in_user_id(client) is None
    assert not User.objects.filter(email="ada@northwind.test").exists()
    assert [e.changes["reason"][1] for e in refusals()] == ["invalid_id_token"]
    assert refusals()[0].organization_id == northwind_sso.organization_id


def test_it_refuses_an_id_token_for_another_sign_in(northwind_sso, oidc):
    oidc.nonce_override = "a-nonce-from-another-sign-in"
    client = Client()

    response = sso_sign_in(client, "ada@northwind.test")

    assert response.status_code == 403
    assert signed_in_user_id(client) is None
    assert [e.changes["reason"][1] for e in refusals()] == ["nonce_mismatch"]


def test_the_callback_refuses_a_forged_state(northwind_sso, oidc):
    client = Client()
    start = client.post("/accounts/sso/", {"email": "ada@northwind.test"})
    back = urlsplit(authorize(start["Location"]))
    query = parse_qs(back.query)

    response = client.get(back.path, {"code": query["code"][0], "state": "forged"})

    assert response.status_code == 403
    assert signed_in_user_id(client) is None
    assert not User.objects.filter(email="ada@northwind.test").exists()
    assert refusals() == []  # no sign-in of this browser's: nothing an anonymous caller can fill the trail with


def test_allauths_own_callback_is_refused(northwind_sso, oidc):
    """allauth's generic OpenID Connect callback skips the token's signature:
    an organization's sign-in through it is refused."""
    client = Client()
    start = client.post("/accounts/sso/", {"email": "ada@northwind.test"})
    back = urlsplit(authorize(start["Location"]))

    response = client.get(f"/accounts/oidc/{northwind_sso.provider_id}/login/callback/?{back.query}")

    assert signed_in_user_id(client) is None
    assert response.status_code == 403
    assert not User.objects.filter(email="ada@northwind.test").exists()
    assert len(refusals()) == 1


def test_the_entry_does_not_list_organizations_and_routes_only_configured_domains(northwind_sso, oidc):
    client = Client()
    page = client.get("/accounts/sso/")
    assert page.status_code == 200 and "Northwind" not in page.content.decode()
    assert 'for="id_email"' in page.content.decode()

    unknown = client.post("/accounts/sso/", {"email": "someone@unknown.test"})
    assert unknown.status_code == 400 and "No organization signs in" in unknown.content.decode()

    routed = client.post("/accounts/sso/", {"email": "ADA@Northwind.test"})
    assert routed.status_code == 302 and routed["Location"].startswith(f"{oidc.issuer}/authorize?")
    assert "nonce=" in routed["Location"] and "code_challenge=" in routed["Location"]


def test_a_disabled_configuration_routes_nobody(buyer_org, oidc):
    configure(buyer_org, oidc, domains=["northwind.test"], enabled=False)
    response = Client().post("/accounts/sso/", {"email": "ada@northwind.test"})
    assert response.status_code == 400


def test_a_deactivated_member_is_refused(northwind_sso, buyer_org, oidc):
    ada = UserFactory(username="ada", email="ada@northwind.test")
    MembershipFactory(user=ada, organization=buyer_org, role=Role.VIEWER, is_active=False)
    client = Client()

    response = sso_sign_in(client, "ada@northwind.test")

    assert response.status_code == 403 and signed_in_user_id(client) is None


def test_the_sign_in_page_offers_single_sign_on(db):
    html = Client().get("/accounts/login/?next=/contracts/").content.decode()
    assert 'href="/accounts/sso/?next=/contracts/"' in html


def test_it_never_sends_the_person_off_site_afterwards(northwind_sso, oidc):
    client = Client()
    response = sso_sign_in(client, "ada@northwind.test", next_url="https://evil.test/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_user_id(client) is not None
