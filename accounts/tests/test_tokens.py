"""API tokens: revoked by every password change and by deactivation, listed
and revoked by their holder (page and /api/tokens/), each revocation audited."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from accounts import services
from accounts.models import ApiToken
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"
NEW_PASSWORD = "A-new-passphrase-42"


def _issue(user) -> tuple[ApiToken, str]:
    return services.token_issue(actor=user, user=user)


def _works(key: str) -> bool:
    return Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/me/").status_code == 200


def _live(user) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()


def _revocations(user) -> list[dict]:
    entries = AuditEntry.objects.filter(verb="user.tokens_revoked", object_id=str(user.pk)).order_by("seq")
    return [e.changes for e in entries]


def test_changing_the_password_revokes_the_token(buyer):
    token, key = _issue(buyer)
    assert _works(key)
    client = Client()
    client.post("/accounts/login/", {"login": "buyer", "password": PASSWORD})
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # still signed in here
    buyer.refresh_from_db()
    assert buyer.check_password(NEW_PASSWORD)
    assert _live(buyer) == 0
    assert not _works(key)
    assert _revocations(buyer) == [{"tokens": [[token.prefix], []], "reason": [None, "password_set"]}]
    assert AuditEntry.objects.filter(verb="user.password_set", object_id=str(buyer.pk)).count() == 1


def test_a_password_reset_revokes_the_token(buyer):
    _, key = _issue(buyer)
    client = Client()
    client.post("/accounts/password_reset/", {"email": buyer.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line).strip()
    form = client.get(link[link.index("/accounts/") :], follow=True)
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    buyer.refresh_from_db()
    assert buyer.check_password(NEW_PASSWORD)
    assert not _works(key)
    assert _revocations(buyer)[-1]["reason"] == [None, "password_set"]


def test_deactivating_a_person_revokes_their_token(buyer, staff):
    token, _ = _issue(buyer)
    services.user_update(actor=staff, user=buyer, data={"first_name": "Renamed"})
    assert _live(buyer) == 1
    services.user_update(actor=staff, user=buyer, data={"is_active": False})
    assert _live(buyer) == 0
    assert _revocations(buyer) == [{"tokens": [[token.prefix], []], "reason": [None, "deactivated"]}]


def test_staff_setting_a_password_revokes_the_token(buyer, staff):
    _issue(buyer)
    services.user_set_password(actor=staff, user=buyer, password=None)
    assert _live(buyer) == 0
    assert _revocations(buyer)[-1]["reason"] == [None, "password_disabled"]


def test_a_person_without_a_token_changes_password_without_a_revocation_entry(buyer, staff):
    services.user_set_password(actor=staff, user=buyer, password=NEW_PASSWORD)
    assert _revocations(buyer) == []


# -- the page ------------------------------------------------------------------------------------


def test_the_page_issues_a_token_once_lists_it_and_revokes_it(buyer, buyer_org, client_for):
    client = client_for(buyer)
    assert b"You hold no API token" in client.get("/accounts/tokens/").content
    issued = client.post(
        "/accounts/tokens/new/",
        {"organization": buyer_org.pk, "role": "viewer", "scopes": ["read"], "days": "30"},
    )
    assert issued.status_code == 200
    token = ApiToken.objects.get(user=buyer)
    key = issued.context["new_key"]
    assert key.encode() in issued.content and key.startswith(token.prefix)
    assert (token.organization, token.role, token.scopes) == (buyer_org, "viewer", ["read"])
    assert (token.expires_at - token.created_at).days == 30
    listing = client.get("/accounts/tokens/")
    assert token.prefix.encode() in listing.content and b"Viewer" in listing.content
    assert key.encode() not in listing.content  # shown once, never again
    assert AuditEntry.objects.filter(verb="user.token_issued", object_id=str(buyer.pk)).count() == 1

    response = client.post(f"/accounts/tokens/{token.prefix}/revoke/")
    assert response.status_code == 302
    assert _live(buyer) == 0 and not _works(key)
    assert _revocations(buyer)[-1] == {"tokens": [[token.prefix], []], "reason": [None, "revoked"]}


def test_the_page_refuses_a_role_above_yours_and_a_long_expiry(buyer_ops, buyer_org, client_for):
    client = client_for(buyer_ops)
    above = client.post("/accounts/tokens/new/", {"organization": buyer_org.pk, "role": "contract_manager"})
    assert above.status_code == 400 and b"role" in above.content
    long = client.post("/accounts/tokens/new/", {"organization": buyer_org.pk, "days": "400"})
    assert long.status_code == 400 and b"365" in long.content
    assert not ApiToken.objects.filter(user=buyer_ops).exists()


def test_the_page_cannot_revoke_someone_else_s_token(buyer, vendor, client_for):
    theirs, _ = _issue(vendor)
    assert client_for(buyer).post(f"/accounts/tokens/{theirs.prefix}/revoke/").status_code == 404
    assert client_for(buyer).get(f"/accounts/tokens/{theirs.prefix}/revoke/").status_code == 405
    assert _live(vendor) == 1


def test_the_page_requires_sign_in():
    assert Client().get("/accounts/tokens/").status_code == 302


# -- the API -------------------------------------------------------------------------------------


def test_the_api_lists_tokens_without_their_keys_and_revokes_one(buyer, buyer_org):
    token, key = _issue(buyer)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    listing = client.get("/api/tokens/")
    assert listing.status_code == 200
    [row] = listing.json()
    assert row["prefix"] == token.prefix and row["organization"] == buyer_org.name
    assert row["role"] == "contract_manager" and row["scopes"] == ["read", "write"] and row["last_used_at"]
    assert key not in listing.content.decode()
    assert client.delete(f"/api/tokens/{token.prefix}/").status_code == 204
    assert _live(buyer) == 0
    assert client.get("/api/tokens/").status_code == 401  # it revoked itself


def test_the_api_answers_404_for_a_token_that_is_not_yours(buyer, vendor, client_for):
    theirs, _ = _issue(vendor)
    for prefix in (theirs.prefix, "00000000", theirs.prefix[:4]):
        response = client_for(buyer).delete(f"/api/tokens/{prefix}/")
        assert response.status_code == 404
        assert set(response.json()) == {"detail", "code", "errors"}
    assert _live(vendor) == 1
