"""Scoped API tokens: expired, revoked, read-only and out-of-organization uses
refused; the role may not exceed the holder's; last use written at most once
a minute; DRF tokens from before are hashed into the new table by the migration."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.identity.tokens import ApiTokenAuthentication
from accounts.models import ApiToken, Membership
from accounts.tests.factories import MembershipFactory
from core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def _client(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def test_an_expired_token_is_refused(buyer):
    token, key = services.token_issue(actor=buyer, user=buyer, days=1)
    assert _client(key).get("/api/me/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _client(key).get("/api/me/")
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_a_revoked_token_is_refused(buyer):
    token, key = services.token_issue(actor=buyer, user=buyer)
    services.tokens_revoke(actor=buyer, user=buyer, reason="revoked", prefix=token.prefix)
    response = _client(key).get("/api/me/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_a_read_only_token_cannot_change_anything(buyer):
    _, key = services.token_issue(actor=buyer, user=buyer, scopes=["read"])
    assert _client(key).get("/api/notifications/").status_code == 200
    response = _client(key).post("/api/notifications/read/")
    assert response.status_code == 403 and "read-only" in response.json()["detail"]


def test_a_token_sees_only_its_organization(buyer, buyer_org, other_vendor_org, contract):
    MembershipFactory(user=buyer, organization=other_vendor_org, role=Membership.Role.VIEWER)
    _, own = services.token_issue(actor=buyer, user=buyer, organization=buyer_org)
    _, elsewhere = services.token_issue(actor=buyer, user=buyer, organization=other_vendor_org)
    assert _client(own).get(f"/api/contracts/{contract.pk}/").status_code == 200
    assert _client(elsewhere).get(f"/api/contracts/{contract.pk}/").status_code == 404


def test_a_token_acts_with_its_role_not_the_holder_s(buyer, buyer_org):
    from accounts.access import standing

    token, key = services.token_issue(actor=buyer, user=buyer, organization=buyer_org, role="viewer")
    request = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert request.get("/api/me/").status_code == 200
    user, _ = ApiTokenAuthentication().authenticate_credentials(key)
    assert standing(user, buyer_id=buyer_org.pk, vendor_id=0).role == "viewer"
    assert token.role == "viewer"


def test_the_role_and_expiry_are_bounded(buyer_ops, buyer_org, vendor_org):
    with pytest.raises(InvalidInput) as above:
        services.token_issue(actor=buyer_ops, user=buyer_ops, organization=buyer_org, role="contract_manager")
    assert "role" in above.value.errors
    with pytest.raises(InvalidInput) as foreign:
        services.token_issue(actor=buyer_ops, user=buyer_ops, organization=vendor_org)
    assert "organization" in foreign.value.errors
    with pytest.raises(InvalidInput) as long:
        services.token_issue(actor=buyer_ops, user=buyer_ops, days=366)
    assert "days" in long.value.errors
    token, _ = services.token_issue(actor=buyer_ops, user=buyer_ops)
    assert (token.expires_at - token.created_at) == timedelta(days=90)
    assert (token.organization, token.role) == (buyer_org, "operations")


def test_a_token_of_someone_who_left_the_organization_stops_working(buyer, buyer_org):
    _, key = services.token_issue(actor=buyer, user=buyer)
    Membership.objects.filter(user=buyer).update(is_active=False)
    assert _client(key).get("/api/me/").status_code == 401


def test_last_use_is_written_at_most_once_a_minute(buyer):
    token, key = services.token_issue(actor=buyer, user=buyer)
    _client(key).get("/api/me/")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    _client(key).get("/api/me/")
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    _client(key).get("/api/me/")
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=2)


def test_only_the_hash_of_the_key_is_stored(buyer):
    token, key = services.token_issue(actor=buyer, user=buyer)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest() and key not in token.key_hash
    assert key.startswith(token.prefix) and len(key) == 40


def test_the_migration_hashes_existing_drf_tokens(buyer, buyer_org):
    """The data migration's function, run on a DRF token written the old way."""
    import importlib

    from django.apps import apps
    from rest_framework.authtoken.models import Token

    migration = importlib.import_module("accounts.migrations.0006_signin_apitoken")
    old = Token.objects.create(user=buyer)
    migration.hash_drf_tokens(apps, None)
    assert not Token.objects.exists()
    moved = ApiToken.objects.get(user=buyer)
    assert (moved.prefix, moved.organization, moved.role) == (old.key[:8], buyer_org, "contract_manager")
    assert _client(old.key).get("/api/me/").status_code == 200
