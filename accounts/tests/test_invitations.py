"""Invitations: an organization admin invites by email, the mail carries the
only copy of the link's token, the link signs a new person up (or lets a
signed-in one join with one click) into that organization and no other, and
expired, revoked or used links are refused with a page that says why."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Invitation, Membership, Organization, User
from accounts.people import services
from accounts.tests.factories import OrganizationFactory
from audit.models import AuditEntry
from contracts.models import Contract
from contracts.tests.factories import make_contract
from outbox.models import OutboxMessage

Role = Membership.Role
LINK = re.compile(r"https?://[^/\s]+(/invitations/([A-Za-z0-9_-]+)/)")


@pytest.fixture
def eager(settings):
    """Tasks run in-process when the outbox publishes them, as a worker would."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def admin(buyer):
    Membership.objects.filter(user=buyer).update(is_admin=True)
    return buyer


@pytest.fixture
def vendor_admin(vendor):
    Membership.objects.filter(user=vendor).update(is_admin=True)
    return vendor


def invite(client, organization, email, role, *, is_admin=False, capture):
    data = {"organization": organization.pk, "email": email, "role": role}
    if is_admin:
        data["is_admin"] = "on"
    with capture(execute=True):
        return client.post("/settings/people/invite/", data)


def link_in(message) -> tuple[str, str]:
    found = LINK.search(message.body)
    assert found, message.body
    path, token = found.groups()
    assert path in message.alternatives[0][0]  # the HTML part carries the same link
    return path, token


def test_it_invites_mails_the_link_and_signs_the_new_person_up_into_that_organization_only(
    admin, buyer_org, vendor_org, contract, client_for, eager, django_capture_on_commit_callbacks, mailoutbox, client
):
    other_buyer = OrganizationFactory(name="Contoso Retail", slug="contoso", kind=Organization.Kind.BUYER)
    make_contract(buyer=other_buyer, vendor=vendor_org, reference="C-OTHER")

    response = invite(
        client_for(admin),
        buyer_org,
        "New.Person@Example.test",
        Role.OPERATIONS,
        capture=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "new.person@example.test" and invitation.invited_by == admin
    assert invitation.expires_at - invitation.created_at >= timedelta(days=7) - timedelta(seconds=5)
    (message,) = mailoutbox
    assert message.to == ["new.person@example.test"]
    assert "Northwind Bank" in message.subject
    path, token = link_in(message)
    # Only the token's SHA-256 is stored; the token itself is in no row, the outbox's included.
    invitation.refresh_from_db()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert invitation.mailed_at is not None
    assert all(token not in str(m.args) for m in OutboxMessage.objects.all())

    page = client.get(path)
    assert page.status_code == 200 and "Create my account and join" in page.content.decode()
    response = client.post(
        path,
        {
            "first_name": "Nina",
            "last_name": "New",
            "username": "nina",
            "password": "a long and unusual passphrase",
            "password_again": "a long and unusual passphrase",
        },
    )

    assert response.status_code == 302 and response["Location"] == "/"
    nina = User.objects.get(username="nina")
    assert nina.email == "new.person@example.test" and nina.check_password("a long and unusual passphrase")
    assert list(nina.memberships.values_list("organization__name", "role", "is_admin", "is_active")) == [
        ("Northwind Bank", Role.OPERATIONS, False, True)
    ]
    assert set(Contract.objects.visible_to(nina).values_list("reference", flat=True)) == {contract.reference}
    listing = client.get("/contracts/").content.decode()  # the new person is signed in
    assert contract.reference in listing and "C-OTHER" not in listing
    invitation.refresh_from_db()
    assert invitation.accepted_by == nina and invitation.state == "accepted"
    verbs = set(AuditEntry.objects.values_list("verb", flat=True))
    assert {"invitation.created", "user.created", "membership.created", "invitation.accepted"} <= verbs

    # The link worked once.
    again = client.get(path)
    assert again.status_code == 410 and "was used already" in again.content.decode()


def test_a_weak_password_or_a_taken_username_is_refused_on_its_field(
    admin, buyer_org, buyer_ops, client_for, eager, django_capture_on_commit_callbacks, mailoutbox, client
):
    invite(client_for(admin), buyer_org, "weak@example.test", Role.VIEWER, capture=django_capture_on_commit_callbacks)
    path, _ = link_in(mailoutbox[0])
    form = {"first_name": "W", "last_name": "P", "username": "weakling", "password": "123", "password_again": "123"}

    response = client.post(path, form)

    assert response.status_code == 400
    assert response.context["form"].errors["password"]
    strong = "an unusual phrase 42"
    taken = client.post(path, {**form, "username": buyer_ops.username, "password": strong, "password_again": strong})
    assert taken.status_code == 400
    assert "username" in taken.context["form"].errors
    assert not User.objects.filter(email="weak@example.test").exists()
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_an_expired_or_revoked_link_gets_a_page_saying_so(
    state, admin, buyer_org, client_for, eager, django_capture_on_commit_callbacks, mailoutbox, client
):
    invite(client_for(admin), buyer_org, "late@example.test", Role.VIEWER, capture=django_capture_on_commit_callbacks)
    path, _ = link_in(mailoutbox[0])
    invitation = Invitation.objects.get()
    if state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    else:
        response = client_for(admin).post(f"/settings/people/invitations/{invitation.pk}/revoke/")
        assert response.status_code == 302
        assert AuditEntry.objects.filter(verb="invitation.revoked").count() == 1

    response = client.get(path)

    assert response.status_code == 410
    assert ("has expired" if state == "expired" else "was withdrawn") in response.content.decode()
    signup = client.post(path, {"username": "late", "password": "a long and unusual passphrase"})
    assert signup.status_code == 410
    assert not User.objects.filter(username="late").exists()


def test_an_unknown_link_is_a_404_page(client, db):
    response = client.get("/invitations/not-a-real-token/")
    assert response.status_code == 404 and "not valid" in response.content.decode()


def test_a_resend_mails_a_new_link_and_the_old_one_stops_working(
    admin, buyer_org, client_for, eager, django_capture_on_commit_callbacks, mailoutbox, client
):
    invite(client_for(admin), buyer_org, "again@example.test", Role.VIEWER, capture=django_capture_on_commit_callbacks)
    old_path, _ = link_in(mailoutbox[0])
    invitation = Invitation.objects.get()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(f"/settings/people/invitations/{invitation.pk}/resend/")

    assert response.status_code == 302
    assert len(mailoutbox) == 2
    new_path, _ = link_in(mailoutbox[1])
    assert new_path != old_path
    assert client.get(old_path).status_code == 404
    assert client.get(new_path).status_code == 200
    invitation.refresh_from_db()
    assert invitation.state == "pending"
    # The task running again sends nothing twice.
    from accounts.tasks import email_invitation

    assert email_invitation(invitation.pk) is False
    assert len(mailoutbox) == 2


def test_a_signed_in_person_with_the_address_joins_with_one_click_and_gains_nothing_else(
    vendor_admin, vendor_org, other_vendor_org, outsider, contract, client_for, eager,
    django_capture_on_commit_callbacks, mailoutbox,
):  # fmt: skip
    """The outsider already belongs to Globex (a vendor too): the invitation adds Acme, as a viewer, and nothing more."""
    invite(
        client_for(vendor_admin), vendor_org, outsider.email.upper(), Role.VIEWER,
        capture=django_capture_on_commit_callbacks,
    )  # fmt: skip
    path, _ = link_in(mailoutbox[0])
    browser = client_for(outsider)

    page = browser.get(path)
    assert page.status_code == 200 and "Join Acme Cloud" in page.content.decode()
    response = browser.post(path)

    assert response.status_code == 302
    memberships = {
        (m.organization.name, m.role, m.is_admin) for m in outsider.memberships.select_related("organization")
    }
    assert memberships == {("Globex Software", Role.ACCOUNT_MANAGER, False), ("Acme Cloud", Role.VIEWER, False)}
    assert Invitation.objects.get().accepted_by == outsider


def test_someone_else_signed_in_cannot_use_the_link(
    admin, buyer_org, vendor, client_for, eager, django_capture_on_commit_callbacks, mailoutbox, client
):
    invite(
        client_for(admin), buyer_org, "someone@example.test", Role.VIEWER, capture=django_capture_on_commit_callbacks
    )
    path, _ = link_in(mailoutbox[0])

    response = client_for(vendor).post(path)

    assert response.status_code == 403 and "this invitation is for someone@example.test" in response.content.decode()
    assert not Membership.objects.filter(user=vendor, organization=buyer_org).exists()


def test_an_existing_account_is_sent_to_sign_in_first(
    admin, buyer_org, vendor, client_for, eager, django_capture_on_commit_callbacks, mailoutbox, client
):
    invite(client_for(admin), buyer_org, vendor.email, Role.VIEWER, capture=django_capture_on_commit_callbacks)
    path, _ = link_in(mailoutbox[0])

    page = client.get(path)

    assert page.status_code == 200
    assert f"/accounts/login/?next={path}" in page.content.decode()
    assert client.post(path).status_code == 302  # to the sign-in page, nothing created
    assert not Membership.objects.filter(user=vendor, organization=buyer_org).exists()


# -- who may invite ------------------------------------------------------------------------------


def test_a_member_who_is_not_an_admin_cannot_invite(buyer_ops, buyer_org, client_for, admin):
    page = client_for(buyer_ops).post(
        "/settings/people/invite/", {"organization": buyer_org.pk, "email": "x@example.test", "role": "viewer"}
    )
    api = client_for(buyer_ops).post(
        f"/api/organizations/{buyer_org.pk}/invitations/",
        {"email": "x@example.test", "role": "viewer"},
        content_type="application/json",
    )

    assert page.status_code == 403 and api.status_code == 403
    assert client_for(buyer_ops).get(f"/api/organizations/{buyer_org.pk}/invitations/").status_code == 200  # reads
    assert not Invitation.objects.exists()


def test_an_invitation_whose_inviter_is_gone_lists_invited_by_as_null_as_the_schema_says(admin, buyer_org, client_for):
    from drf_spectacular.generators import SchemaGenerator

    invitation = services.invitation_create(actor=admin, organization=buyer_org, email="x@example.test", role="viewer")
    Invitation.objects.filter(pk=invitation.pk).update(invited_by=None)  # what SET_NULL leaves

    listed = client_for(admin).get(f"/api/organizations/{buyer_org.pk}/invitations/")

    assert listed.status_code == 200
    assert [row["invited_by"] for row in listed.json()["results"]] == [None]
    field = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]["OrganizationInvitation"]
    assert field["properties"]["invited_by"].get("nullable") is True


def test_another_organization_is_a_404(outsider, buyer_org, client_for, admin):
    browser = client_for(outsider)
    base = f"/api/organizations/{buyer_org.pk}/invitations/"
    invitation = services.invitation_create(actor=admin, organization=buyer_org, email="x@example.test", role="viewer")

    assert browser.get(base).status_code == 404
    assert (
        browser.post(base, {"email": "y@example.test", "role": "viewer"}, content_type="application/json").status_code
        == 404
    )
    assert browser.post(f"{base}{invitation.pk}/revoke/").status_code == 404
    assert browser.get(f"/settings/people/?organization={buyer_org.pk}").status_code == 404
    assert browser.post(f"/settings/people/invitations/{invitation.pk}/revoke/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.state == "pending"


def test_the_api_invites_revokes_and_names_a_role_of_the_wrong_kind(admin, buyer_org, client_for, eager, mailoutbox):
    browser = client_for(admin)
    base = f"/api/organizations/{buyer_org.pk}/invitations/"

    wrong = browser.post(base, {"email": "v@example.test", "role": "account_manager"}, content_type="application/json")
    assert wrong.status_code == 400
    assert "role" in wrong.json()["errors"] and "contract_manager" in wrong.json()["errors"]["role"][0]

    created = browser.post(
        base, {"email": "v@example.test", "role": "operations", "is_admin": True}, content_type="application/json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["state"] == "pending" and body["is_admin"] is True and body["invited_by"] == admin.username
    twice = browser.post(base, {"email": "V@example.test", "role": "viewer"}, content_type="application/json")
    assert twice.status_code == 409

    revoked = browser.post(f"{base}{body['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert browser.get(base).json()["results"] == []
    assert browser.post(f"{base}{body['id']}/revoke/").status_code == 409


def test_a_member_already_in_the_organization_is_not_invited(admin, buyer_org, buyer_ops, client_for):
    response = client_for(admin).post(
        f"/api/organizations/{buyer_org.pk}/invitations/",
        {"email": buyer_ops.email, "role": "viewer"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "already an active member" in response.json()["errors"]["email"][0]


# -- lists: the query count does not grow with the rows ---------------------------------------------


def _invite_many(admin, organization, n, start=0):
    for i in range(start, start + n):
        services.invitation_create(actor=admin, organization=organization, email=f"p{i}@example.test", role="viewer")


@pytest.mark.parametrize("path", ["/api/organizations/{org}/invitations/", "/settings/people/?organization={org}"])
def test_the_invitation_lists_take_the_same_queries_for_2_and_12(
    path, admin, buyer_org, client_for, django_assert_num_queries
):
    browser = client_for(admin)
    url = path.format(org=buyer_org.pk)
    _invite_many(admin, buyer_org, 2)
    browser.get(url)  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert browser.get(url).status_code == 200
    _invite_many(admin, buyer_org, 10, start=2)
    with django_assert_num_queries(len(small.captured_queries)):
        response = browser.get(url)
    assert response.status_code == 200
    assert "p11@example.test" in response.content.decode()
