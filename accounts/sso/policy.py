"""May this person sign in with a password? The one answer, asked by the
sign-in adapter (``accounts.identity.adapter``) before a password is checked."""

from __future__ import annotations

from typing import Any

from accounts.models import Membership

SSO_ONLY_MESSAGE = (
    "Your organization signs its people in with single sign-on: use “Sign in with your organization” "
    "and your work email address."
)


def password_login_allowed(user: Any) -> bool:
    """False for a person whose every active membership is in an organization
    that turned local passwords off (with single sign-on enabled). Staff, and
    people with no membership (board members), keep their passwords: someone
    must be able to sign in when an identity provider is down."""
    if user is None or getattr(user, "is_staff", False):
        return True
    orgs = list(
        Membership.objects.filter(user_id=user.pk, is_active=True).values_list(
            "organization__sso__enabled", "organization__sso__passwords_disabled"
        )
    )
    if not orgs:
        return True
    return any(not (enabled and disabled) for enabled, disabled in orgs)
