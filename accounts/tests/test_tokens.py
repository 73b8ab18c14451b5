"""API tokens: revoked by every password change and by deactivation, listed
and revoked by their holder (page and /api/tokens/), each revocation audited."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts import services
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"
NEW_PASSWORD = "A-new-passphrase-42"


def _works(token: Token) -> bool:
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/me/").status_code == 200


def _revocations(user) -> list[dict]:
    entries = AuditEntry.objects.filter(verb="user.tokens_revoked", object_id=str(user.pk)).order_by("seq")
    return [e.changes for e in entries]


def test_changing_the_password_revokes_the_token(buyer):
    token = Token.objects.create(user=buyer)
    assert _works(token)
    client = Client()
    client.post("/accounts/login/", {"username": "buyer", "password": PASSWORD})
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # still signed in here
    buyer.refresh_from_db()
    assert buyer.check_password(NEW_PASSWORD)
    assert not Token.objects.filter(user=buyer).exists()
    assert not _works(token)
    assert _revocations(buyer) == [{"tokens": [[token.key[:8]], []], "reason": [None, "password_set"]}]
    assert AuditEntry.objects.filter(verb="user.password_set", object_id=str(buyer.pk)).count() == 1


def test_a_password_reset_revokes_the_token(buyer):
    token = Token.objects.create(user=buyer)
    client = Client()
    client.post("/accounts/password_reset/", {"email": buyer.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line).strip()
    form = client.get(link[link.index("/accounts/") :], follow=True)
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    buyer.refresh_from_db()
    assert buyer.check_password(NEW_PASSWORD)
    assert not _works(token)
    assert _revocations(buyer)[-1]["reason"] == [None, "password_set"]


def test_deactivating_a_person_revokes_their_token(buyer, staff):
    token = Token.objects.create(user=buyer)
    services.user_update(actor=staff, user=buyer, data={"first_name": "Renamed"})
    assert Token.objects.filter(pk=token.pk).exists()
    services.user_update(actor=staff, user=buyer, data={"is_active": False})
    assert not Token.objects.filter(pk=token.pk).exists()
    assert _revocations(buyer) == [{"tokens": [[token.key[:8]], []], "reason": [None, "deactivated"]}]


def test_staff_setting_a_password_revokes_the_token(buyer, staff):
    Token.objects.create(user=buyer)
    services.user_set_password(actor=staff, user=buyer, password=None)
    assert not Token.objects.filter(user=buyer).exists()
    assert _revocations(buyer)[-1]["reason"] == [None, "password_disabled"]


def test_a_person_without_a_token_changes_password_without_a_revocation_entry(buyer, staff):
    services.user_set_password(actor=staff, user=buyer, password=NEW_PASSWORD)
    assert _revocations(buyer) == []


# -- the page ------------------------------------------------------------------------------------


def test_the_page_issues_a_token_once_lists_it_and_revokes_it(buyer, client_for):
    client = client_for(buyer)
    assert b"You hold no API token" in client.get("/accounts/tokens/").content
    issued = client.post("/accounts/tokens/new/")
    token = Token.objects.get(user=buyer)
    assert token.key.encode() in issued.content
    listing = client.get("/accounts/tokens/")
    assert token.key[:8].encode() in listing.content
    assert token.key.encode() not in listing.content  # shown once, never again
    assert AuditEntry.objects.filter(verb="user.token_issued", object_id=str(buyer.pk)).count() == 1

    replaced = client.post("/accounts/tokens/new/")
    assert replaced.status_code == 200
    assert Token.objects.filter(user=buyer).count() == 1 and not _works(token)

    current = Token.objects.get(user=buyer)
    response = client.post(f"/accounts/tokens/{current.key[:8]}/revoke/")
    assert response.status_code == 302
    assert not Token.objects.filter(user=buyer).exists()
    assert _revocations(buyer)[-1] == {"tokens": [[current.key[:8]], []], "reason": [None, "revoked"]}


def test_the_page_cannot_revoke_someone_else_s_token(buyer, vendor, client_for):
    theirs = Token.objects.create(user=vendor)
    assert client_for(buyer).post(f"/accounts/tokens/{theirs.key[:8]}/revoke/").status_code == 404
    assert client_for(buyer).get(f"/accounts/tokens/{theirs.key[:8]}/revoke/").status_code == 405
    assert Token.objects.filter(pk=theirs.pk).exists()


def test_the_page_requires_sign_in():
    assert Client().get("/accounts/tokens/").status_code == 302


# -- the API -------------------------------------------------------------------------------------


def test_the_api_lists_tokens_without_their_keys_and_revokes_one(buyer):
    token = Token.objects.create(user=buyer)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    listing = client.get("/api/tokens/")
    assert listing.status_code == 200
    assert listing.json() == [{"prefix": token.key[:8], "created": listing.json()[0]["created"]}]
    assert token.key not in listing.content.decode()
    assert client.delete(f"/api/tokens/{token.key[:8]}/").status_code == 204
    assert not Token.objects.filter(user=buyer).exists()
    assert client.get("/api/tokens/").status_code == 401  # it revoked itself


def test_the_api_answers_404_for_a_token_that_is_not_yours(buyer, vendor, client_for):
    theirs = Token.objects.create(user=vendor)
    for prefix in (theirs.key[:8], "00000000", theirs.key[:4]):
        response = client_for(buyer).delete(f"/api/tokens/{prefix}/")
        assert response.status_code == 404
        assert set(response.json()) == {"detail", "code", "errors"}
    assert Token.objects.filter(pk=theirs.pk).exists()
