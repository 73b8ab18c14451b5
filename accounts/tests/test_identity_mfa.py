"""Second factors: who must hold one (enrolment forced on every page, session
API calls refused), wrong and replayed TOTP codes refused and audited, the
sign-in method recorded, and a deactivated person's session ended."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.test import Client

from accounts import services
from accounts.identity.policy import mfa_required
from accounts.models import Membership, SignInEvent, User
from accounts.tests.identity_helpers import PASSWORD, code_for, enrol_totp, sign_in
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _enforced(settings):
    settings.COVENANT_MFA_ENFORCED = True
    cache.clear()  # TOTP codes already used live in the cache


def test_the_rule_names_staff_admins_board_members_and_signing_roles(
    staff, buyer, vendor, buyer_ops, buyer_viewer, vendor_engineer, board_member
):
    assert [mfa_required(u) for u in (staff, buyer, vendor, board_member)] == [True] * 4
    assert [mfa_required(u) for u in (buyer_ops, buyer_viewer, vendor_engineer)] == [False] * 3
    Membership.objects.filter(user=buyer_ops).update(is_admin=True)
    assert mfa_required(User.objects.get(pk=buyer_ops.pk))


def test_a_board_member_without_a_second_factor_is_sent_to_enrol(board_member, client_for):
    client = sign_in(board_member)
    for path in ("/", "/reviews/", "/accounts/tokens/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/", path
    # Just signed in: enrolment does not ask for the password again.
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    api = client.get("/api/me/")
    assert api.status_code == 403 and api.json()["code"] == "mfa_required"


def test_once_enrolled_the_pages_open(board_member, client_for):
    enrol_totp(board_member)
    assert client_for(board_member).get("/").status_code == 200
    assert client_for(board_member).get("/api/me/").status_code == 200


def test_people_without_a_signing_role_need_no_second_factor(buyer_viewer, client_for):
    assert client_for(buyer_viewer).get("/").status_code == 200


def test_sign_in_with_a_totp_code_is_recorded_with_its_method(buyer):
    secret = enrol_totp(buyer)
    client = sign_in(buyer, secret=secret, client=Client(HTTP_USER_AGENT="Pytest/1.0"))
    assert client.get("/").status_code == 200
    event = SignInEvent.objects.get(user=buyer, succeeded=True)
    assert (event.method, event.ip, event.user_agent) == ("password+totp", "127.0.0.1", "Pytest/1.0")
    assert b"password+totp" in client.get("/accounts/security/").content


def test_a_wrong_code_is_refused_recorded_and_audited_and_changes_nothing(buyer):
    secret = enrol_totp(buyer)
    client = Client()
    client.post("/accounts/login/", {"login": "buyer", "password": PASSWORD})
    wrong = f"{(int(code_for(secret)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert response.status_code == 200 and b"Incorrect code" in response.content
    assert client.get("/").status_code == 302  # not signed in
    refused = SignInEvent.objects.get(user=buyer, succeeded=False)
    assert refused.reason == "wrong_code"
    entry = AuditEntry.objects.get(verb="user.sign_in_refused", object_id=str(buyer.pk))
    assert entry.changes["reason"] == [None, "wrong_code"]
    assert Authenticator.objects.get(user=buyer).last_used_at is None


def test_a_replayed_code_is_refused_recorded_and_audited(buyer):
    secret = enrol_totp(buyer)
    sign_in(buyer, secret=secret)  # uses this window's code
    replay = Client()
    replay.post("/accounts/login/", {"login": "buyer", "password": PASSWORD})
    response = replay.post("/accounts/2fa/authenticate/", {"code": code_for(secret)})
    assert response.status_code == 200
    assert replay.get("/").status_code == 302
    assert SignInEvent.objects.filter(user=buyer, succeeded=False).get().reason == "replayed_code"
    assert AuditEntry.objects.filter(verb="user.sign_in_refused", changes__reason=[None, "replayed_code"]).count() == 1


def test_a_wrong_password_is_recorded(buyer):
    Client().post("/accounts/login/", {"login": buyer.email, "password": "not it"})
    event = SignInEvent.objects.get(user=buyer)
    assert (event.succeeded, event.reason, event.method) == (False, "wrong_password", "password")


def test_sign_in_by_email_address_works(buyer_viewer):
    client = Client()
    response = client.post("/accounts/login/", {"login": buyer_viewer.email, "password": PASSWORD})
    assert response.status_code == 302 and client.get("/").status_code == 200


def test_nobody_signs_up(db):
    client = Client()
    assert b"Sign Up Closed" in client.get("/accounts/signup/").content
    data = {"email": "new@example.com", "username": "new", "password1": "A-long-passphrase-1", "password2": "x"}
    data["password2"] = data["password1"]
    assert b"Sign Up Closed" in client.post("/accounts/signup/", data).content
    assert not User.objects.filter(username="new").exists()


def test_a_deactivated_person_s_session_is_rejected(buyer_viewer, staff):
    client = sign_in(buyer_viewer)
    assert client.get("/").status_code == 200
    services.user_update(actor=staff, user=buyer_viewer, data={"is_active": False})
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/api/me/").status_code in (401, 403)
