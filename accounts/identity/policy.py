"""Who must hold a second factor: the one rule, used by the middleware, the
API check and the security page."""

from __future__ import annotations

from typing import Any

from allauth.mfa.utils import is_mfa_enabled
from django.apps import apps

from accounts.models import Membership

# Roles that sign or approve for their organization: the buyer's contract
# managers (terms, credits claimed, reviews) and the vendor's account managers.
SIGNING_ROLES = (Membership.Role.CONTRACT_MANAGER, Membership.Role.ACCOUNT_MANAGER)


def mfa_required(user: Any) -> bool:
    """Staff, organization admins, board members and holders of a signing role
    must sign in with a second factor."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    from accounts.access import _memberships

    if any(m.is_admin or m.role in SIGNING_ROLES for m in _memberships(user)):
        return True
    # Board seats belong to contracts (an app above this one): looked up by name, not imported.
    board_seat = apps.get_model("contracts", "BoardSeat")
    return bool(board_seat.objects.filter(user_id=user.pk).exists())


def has_mfa(user: Any) -> bool:
    """Does this person hold a TOTP app or a security key (recovery codes alone do not count)?"""
    return bool(getattr(user, "is_authenticated", False)) and is_mfa_enabled(user, types=["totp", "webauthn"])


def mfa_missing(user: Any) -> bool:
    return mfa_required(user) and not has_mfa(user)
