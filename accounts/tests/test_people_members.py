"""People management: admins change roles and the admin flag, deactivate and
reactivate members; an organization always keeps one admin; staff create
organizations and invite their first admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend

from accounts import services as accounts
from accounts.models import Invitation, Membership, Organization
from accounts.people import services
from accounts.tests.factories import MembershipFactory, UserFactory
from audit.models import AuditEntry

Role = Membership.Role


@pytest.fixture
def admin(buyer):
    Membership.objects.filter(user=buyer).update(is_admin=True)
    return buyer


def membership(user, organization):
    return Membership.objects.get(user=user, organization=organization)


def test_it_lists_the_members_with_role_admin_flag_state_and_last_sign_in(admin, buyer_ops, buyer_org, client_for):
    response = client_for(admin).get("/settings/people/")

    assert response.status_code == 200
    text = response.content.decode()
    assert "People of Northwind Bank" in text and buyer_ops.email in text and "never" in text
    assert [m.user for m in response.context["members"]] == sorted(
        [admin, buyer_ops], key=lambda u: (u.last_name, u.first_name, u.username)
    )
    # Only the buyer's roles are offered.
    assert [v for v, _ in response.context["invite_form"].fields["role"].choices] == list(Membership.BUYER_ROLES)


def test_a_member_who_never_signed_in_has_a_null_last_login_as_the_schema_says(admin, buyer_ops, buyer_org, client_for):
    from drf_spectacular.generators import SchemaGenerator

    type(buyer_ops).objects.filter(pk=buyer_ops.pk).update(last_login=None)
    ops = membership(buyer_ops, buyer_org)

    listed = client_for(admin).get(f"/api/organizations/{buyer_org.pk}/members/")
    one = client_for(admin).get(f"/api/organizations/{buyer_org.pk}/members/{ops.pk}/")

    assert listed.status_code == 200 and one.status_code == 200
    assert {row["username"]: row["last_login"] for row in listed.json()["results"]}[buyer_ops.username] is None
    assert one.json()["last_login"] is None
    member = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]["Member"]
    assert member["properties"]["last_login"].get("nullable") is True


def test_a_member_who_is_not_an_admin_gets_a_403_and_an_outsider_a_404(buyer_ops, outsider, buyer_org, client_for):
    assert client_for(buyer_ops).get("/settings/people/").status_code == 403
    assert client_for(buyer_ops).get(f"/settings/people/?organization={buyer_org.pk}").status_code == 403
    assert client_for(outsider).get(f"/settings/people/?organization={buyer_org.pk}").status_code == 404


def test_deactivating_revokes_tokens_ends_sessions_and_refuses_sign_in(
    admin, buyer_ops, buyer_org, client_for, contract
):
    accounts.token_issue(actor=buyer_ops, user=buyer_ops)
    session = client_for(buyer_ops)
    assert session.get("/contracts/").status_code == 200
    ops = membership(buyer_ops, buyer_org)

    response = client_for(admin).post(f"/settings/people/members/{ops.pk}/deactivate/")

    assert response.status_code == 302
    ops.refresh_from_db()
    buyer_ops.refresh_from_db()
    assert not ops.is_active and not buyer_ops.is_active  # no other membership: the account is off
    assert not buyer_ops.api_tokens.filter(revoked_at__isnull=True).exists()
    assert session.get("/contracts/").status_code == 302  # the open session no longer counts
    assert ModelBackend().authenticate(None, username=buyer_ops.username, password="correct horse battery") is None
    entry = AuditEntry.objects.filter(verb="membership.updated").latest("seq")
    assert entry.changes["is_active"] == [True, False] and entry.actor_label == admin.username
    assert AuditEntry.objects.filter(verb="user.tokens_revoked").exists()

    client_for(admin).post(f"/settings/people/members/{ops.pk}/reactivate/")
    ops.refresh_from_db()
    buyer_ops.refresh_from_db()
    assert ops.is_active and buyer_ops.is_active


def test_a_person_with_another_active_membership_keeps_their_account(admin, buyer_org, vendor_org):
    both = UserFactory(username="both")
    MembershipFactory(user=both, organization=buyer_org, role=Role.VIEWER)
    MembershipFactory(user=both, organization=vendor_org, role=Role.VIEWER)

    services.member_update(actor=admin, membership=membership(both, buyer_org), is_active=False)

    both.refresh_from_db()
    assert both.is_active and not membership(both, buyer_org).is_active and membership(both, vendor_org).is_active


def test_the_last_admin_can_be_neither_demoted_nor_deactivated(admin, buyer_ops, buyer_org, client_for):
    own = membership(admin, buyer_org)
    browser = client_for(admin)
    url = f"/api/organizations/{buyer_org.pk}/members/{own.pk}/"

    demote = browser.patch(url, {"is_admin": False}, content_type="application/json")
    leave = browser.patch(url, {"is_active": False}, content_type="application/json")

    assert demote.status_code == 400 and "last admin" in demote.json()["detail"]
    assert "is_admin" in demote.json()["errors"]
    assert leave.status_code == 400 and "is_active" in leave.json()["errors"]
    page = browser.post(f"/settings/people/members/{own.pk}/deactivate/", follow=True)
    assert "last admin of Northwind Bank" in page.content.decode()
    own.refresh_from_db()
    assert own.is_admin and own.is_active

    # With a second admin, the first may step down.
    ops = membership(buyer_ops, buyer_org)
    assert browser.patch(
        f"/api/organizations/{buyer_org.pk}/members/{ops.pk}/", {"is_admin": True}, content_type="application/json"
    ).json()["is_admin"]
    assert browser.patch(url, {"is_admin": False}, content_type="application/json").status_code == 200


def test_roles_change_within_the_organization_kind(admin, buyer_ops, buyer_org, client_for):
    ops = membership(buyer_ops, buyer_org)
    url = f"/api/organizations/{buyer_org.pk}/members/{ops.pk}/"

    wrong = client_for(admin).patch(url, {"role": "support_engineer"}, content_type="application/json")
    right = client_for(admin).patch(url, {"role": "viewer"}, content_type="application/json")

    assert wrong.status_code == 400 and "role" in wrong.json()["errors"]
    assert right.status_code == 200 and right.json()["role"] == "viewer"
    form = client_for(admin).post(
        f"/settings/people/members/{ops.pk}/update/", {f"m{ops.pk}-role": "operations", f"m{ops.pk}-is_admin": "on"}
    )
    assert form.status_code == 302
    ops.refresh_from_db()
    assert ops.role == Role.OPERATIONS and ops.is_admin


def test_writes_need_an_admin_and_another_organization_is_a_404(admin, buyer_ops, outsider, buyer_org, client_for):
    ops = membership(buyer_ops, buyer_org)
    url = f"/api/organizations/{buyer_org.pk}/members/{ops.pk}/"

    assert client_for(buyer_ops).get(f"/api/organizations/{buyer_org.pk}/members/").status_code == 200
    assert client_for(buyer_ops).patch(url, {"role": "viewer"}, content_type="application/json").status_code == 403
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(outsider).patch(url, {"role": "viewer"}, content_type="application/json").status_code == 404
    assert client_for(outsider).post(f"/settings/people/members/{ops.pk}/deactivate/").status_code == 404
    ops.refresh_from_db()
    assert ops.role == Role.OPERATIONS and ops.is_active


def test_staff_create_an_organization_and_invite_its_first_admin(staff, buyer, client_for):
    assert client_for(buyer).get("/settings/organizations/new/").status_code == 403

    response = client_for(staff).post("/settings/organizations/new/", {"name": "Initech", "kind": "vendor", "slug": ""})

    org = Organization.objects.get(name="Initech")
    assert org.kind == "vendor" and org.slug == "initech"
    assert response.status_code == 302 and response["Location"] == f"/settings/people/?organization={org.pk}"
    invited = client_for(staff).post(
        "/settings/people/invite/",
        {"organization": org.pk, "email": "boss@initech.test", "role": "account_manager", "is_admin": "on"},
    )
    assert invited.status_code == 302
    invitation = Invitation.objects.get(organization=org)
    assert invitation.is_admin and invitation.role == "account_manager"
    duplicate = client_for(staff).post("/settings/organizations/new/", {"name": "Initech", "kind": "vendor"})
    assert duplicate.status_code == 400 and "name" in duplicate.context["form"].errors


@pytest.mark.parametrize("path", ["/api/organizations/{org}/members/", "/settings/people/?organization={org}"])
def test_the_member_lists_take_the_same_queries_for_3_and_13(
    path, admin, buyer_ops, buyer_org, client_for, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = client_for(admin)
    url = path.format(org=buyer_org.pk)
    UserFactory(username="third").memberships.create(organization=buyer_org, role=Role.VIEWER)
    browser.get(url)
    with CaptureQueriesContext(connection) as small:
        assert browser.get(url).status_code == 200
    for i in range(10):
        MembershipFactory(user=UserFactory(username=f"extra{i}"), organization=buyer_org, role=Role.VIEWER)
    with django_assert_num_queries(len(small.captured_queries)):
        response = browser.get(url)
    assert "extra9" in response.content.decode()


def test_the_demo_makes_the_two_managers_admins_of_their_organizations(db):
    from django.core.management import call_command

    call_command("seed_demo", quiet=True)
    call_command("seed_demo", quiet=True)  # idempotent

    admins = set(Membership.objects.filter(is_admin=True).values_list("user__username", "organization__slug"))
    assert admins == {("ada", "northwind"), ("victor", "acme")}
