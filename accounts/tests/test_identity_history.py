"""Sign-in history: the person sees theirs on /accounts/security/, an admin of
their organization sees it under /accounts/security/people/<id>/, an admin of
another organization gets 404; both pages run a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Membership, SignInEvent
from accounts.tests.factories import member
from accounts.tests.identity_helpers import PASSWORD

pytestmark = pytest.mark.django_db


def _events(user, n: int) -> None:
    now = timezone.now()
    SignInEvent.objects.bulk_create(
        SignInEvent(user=user, at=now - timedelta(minutes=i), ip="192.0.2.9", method="password", succeeded=bool(i % 2))
        for i in range(n)
    )


@pytest.fixture
def admin(buyer_org):
    person = member("buyer-admin", buyer_org, Membership.Role.VIEWER)
    Membership.objects.filter(user=person).update(is_admin=True)
    return person


def test_the_person_sees_their_sign_ins_and_refusals(buyer_viewer):
    Client().post("/accounts/login/", {"login": "buyer-viewer", "password": "wrong"})
    client = Client()
    client.post("/accounts/login/", {"login": "buyer-viewer", "password": PASSWORD})
    page = client.get("/accounts/security/")
    assert page.status_code == 200
    assert b"wrong_password" in page.content and b"signed in" in page.content
    assert [e.succeeded for e in SignInEvent.objects.filter(user=buyer_viewer)] == [True, False]


def test_their_organization_admin_sees_them_another_organization_s_admin_gets_404(
    buyer_viewer, admin, other_vendor_org, client_for
):
    _events(buyer_viewer, 3)
    url = f"/accounts/security/people/{buyer_viewer.pk}/"
    assert client_for(admin).get(url).status_code == 200
    assert b"192.0.2.9" in client_for(admin).get(url).content
    stranger = member("globex-admin", other_vendor_org, Membership.Role.ACCOUNT_MANAGER)
    Membership.objects.filter(user=stranger).update(is_admin=True)
    assert client_for(stranger).get(url).status_code == 404
    assert client_for(buyer_viewer).get(f"/accounts/security/people/{admin.pk}/").status_code == 404
    assert client_for(admin).get("/accounts/security/people/999999/").status_code == 404


@pytest.mark.parametrize("page", ["own", "admin"])
def test_the_pages_run_a_constant_number_of_queries(
    page, buyer_viewer, admin, client_for, count_queries, django_assert_num_queries
):
    client = client_for(buyer_viewer if page == "own" else admin)
    url = "/accounts/security/" if page == "own" else f"/accounts/security/people/{buyer_viewer.pk}/"
    _events(buyer_viewer, 2)
    client.get(url)  # warm the session
    few = count_queries(lambda: client.get(url))
    _events(buyer_viewer, 30)  # past one page of history
    with django_assert_num_queries(few):
        response = client.get(url)
    assert response.status_code == 200 and len(response.context["page"].object_list) == 25
