"""Local passwords off: members of an organization that signs in only
through single sign-on cannot sign in with a password."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Membership, SignInEvent
from accounts.sso.policy import password_login_allowed
from accounts.sso.tests.conftest import configure
from accounts.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def password_sign_in(client: Client, login: str) -> object:
    return client.post("/accounts/login/", {"login": login, "password": PASSWORD})


def test_it_refuses_a_password_when_the_organization_turned_them_off(buyer, buyer_org, oidc):
    assert password_login_allowed(buyer)
    configure(buyer_org, oidc, domains=["northwind.test"], passwords_disabled=True)
    assert not password_login_allowed(buyer)
    client = Client()

    response = password_sign_in(client, "buyer")

    assert response.status_code == 200
    assert "signs its people in with single sign-on" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert SignInEvent.objects.get(user=buyer, succeeded=False).reason == "sso_required"


def test_a_wrong_password_says_nothing_about_single_sign_on(buyer, buyer_org, oidc):
    configure(buyer_org, oidc, domains=["northwind.test"], passwords_disabled=True)
    response = Client().post("/accounts/login/", {"login": "buyer", "password": "wrong password!"})
    assert response.status_code == 200
    assert "signs its people in with single sign-on" not in response.content.decode()


def test_passwords_stay_for_staff_and_for_members_of_an_organization_that_allows_them(
    buyer, buyer_org, vendor_org, staff, oidc
):
    configure(buyer_org, oidc, domains=["northwind.test"], passwords_disabled=True)
    MembershipFactory(user=buyer, organization=vendor_org, role=Membership.Role.VIEWER)
    assert password_login_allowed(buyer)
    assert password_login_allowed(staff)

    client = Client()
    password_sign_in(client, "buyer")
    assert int(client.session["_auth_user_id"]) == buyer.pk


def test_passwords_work_again_when_the_flag_is_off(buyer, buyer_org, oidc):
    configure(buyer_org, oidc, domains=["northwind.test"], passwords_disabled=True)
    configure(buyer_org, oidc, domains=["northwind.test"], passwords_disabled=False)
    client = Client()
    password_sign_in(client, "buyer")
    assert int(client.session["_auth_user_id"]) == buyer.pk
