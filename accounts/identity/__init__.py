"""Who is signed in, and how: sign-in through django-allauth, second factors,
step-up before consequential acts, sign-in history, scoped API tokens.

``auth_method(request)`` names how the person behind a request proved who
they are, for records that keep it (a review signature)."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import get_authentication_records
from django.http import HttpRequest


def method_from_records(records: list[dict[str, Any]]) -> str:
    """The sign-in method the session's authentication records describe:
    "password", "password+totp", "password+webauthn", "password+recovery_codes",
    "passkey" or "sso:<provider>"; "" when there is none."""
    first = ""
    second = ""
    for record in records:
        if record.get("reauthenticated"):
            continue
        method = record.get("method")
        if method == "mfa" and record.get("passwordless"):
            return "passkey"
        if method == "mfa":
            second = str(record.get("type", ""))
        elif method == "socialaccount":
            first = f"sso:{record.get('provider', '')}"
            second = ""
        elif method in ("password", "password_reset", "code"):
            first = "password" if method != "code" else "code"
            second = ""
    if first and second:
        return f"{first}+{second}"
    return first


def auth_method(request: Any) -> str:
    """How the person behind this request signed in: the session's method, or
    "token:<prefix>" for an API token, "" when unknown (a test's force_login)."""
    from accounts.models import ApiToken

    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiToken):
        return f"token:{auth.prefix}"
    django_request: HttpRequest = getattr(request, "_request", request)
    return method_from_records(get_authentication_records(django_request, django_request.user))
