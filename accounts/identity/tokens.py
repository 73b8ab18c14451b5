"""API tokens scoped to an organization, a role and scopes, with an expiry.

A key is ``<prefix><secret>`` shown once; the database keeps its SHA-256.
A request carrying a token acts only through the token's organization, with
the token's role (never more than the holder's there): the authentication
replaces the person's cached memberships (accounts.access) for the request,
so every visibility and role check downstream sees the narrowed standing.

Scopes: ``read`` (safe methods), ``write`` (changes), ``sign`` (step-up acts:
signing, accepting terms, approving credits and settlements). A token without
``sign`` can never perform a step-up act; see accounts.identity.stepup."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from accounts.models import ApiToken, Membership, User

PREFIX_LENGTH = 8
TOUCH_EVERY = timedelta(minutes=1)

# How much a role may do, highest first: a token's role ranks no higher than its holder's.
ROLE_RANK = {
    Membership.Role.CONTRACT_MANAGER: 3,
    Membership.Role.ACCOUNT_MANAGER: 3,
    Membership.Role.OPERATIONS: 2,
    Membership.Role.SUPPORT_ENGINEER: 2,
    Membership.Role.VIEWER: 1,
}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """40 hex characters, like the DRF keys this replaced (clients need no change)."""
    return secrets.token_hex(20)


def role_allowed(*, held: str, asked: str) -> bool:
    return ROLE_RANK.get(Membership.Role(asked), 0) <= ROLE_RANK.get(Membership.Role(held), 0)


def _narrow(user: User, token: ApiToken) -> None:
    """Make the person's cached standing for this request the token's."""
    if token.organization_id is None:
        user._covenant_memberships = []  # type: ignore[attr-defined]
        user._covenant_org_ids = []  # type: ignore[attr-defined]
        return
    membership = (
        Membership.objects.filter(user_id=user.pk, organization_id=token.organization_id, is_active=True)
        .select_related("organization")
        .first()
    )
    if membership is None:
        raise exceptions.AuthenticationFailed("This token's organization no longer counts you as a member.")
    full_role = membership.role == token.role
    # The lower of the two counts: the holder's role may have dropped since the token was issued.
    if token.role and role_allowed(held=membership.role, asked=token.role):
        membership.role = token.role
    # Organization administration needs the holder's full role on the token.
    membership.is_admin = membership.is_admin and full_role
    user._covenant_memberships = [membership]  # type: ignore[attr-defined]
    user._covenant_org_ids = [membership.organization_id]  # type: ignore[attr-defined]


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``: 401 for an unknown, expired or revoked
    token; 403 for a change made with a read-only token."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:  # type: ignore[override]
        result = super().authenticate(request)
        if result is None:
            return None
        token = result[1]
        if request.method not in SAFE_METHODS and not token.has_scope(ApiToken.Scope.WRITE):
            raise exceptions.PermissionDenied(
                f"Token {token.prefix}… is read-only (scopes: {', '.join(token.scopes) or 'none'}); "
                "changes need a token with the write scope."
            )
        return result

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(f"Token {token.prefix}… was revoked.")
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                f"Token {token.prefix}… expired at {token.expires_at:%Y-%m-%d %H:%M} UTC."
            )
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        _narrow(user, token)
        # At most one write a minute per token, whatever the request rate.
        if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
            ApiToken.objects.filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOUCH_EVERY), pk=token.pk
            ).update(last_used_at=now)
        return user, token
