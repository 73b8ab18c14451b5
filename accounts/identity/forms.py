"""allauth's second-factor forms, with every refused code written to the
sign-in history and the audit trail. Nothing else changes on a refusal:
allauth refuses before it records any authentication."""

from __future__ import annotations

from allauth.core import context
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import validate_totp_code
from allauth.mfa.utils import decrypt
from django.core.exceptions import ValidationError

from accounts.identity.services import signin_record
from accounts.models import User


def _replayed(user: User, code: str) -> bool:
    """A code that is right for this moment but was refused: it was used already."""
    for auth in Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP):
        if validate_totp_code(decrypt(auth.data["secret"]), code):
            return True
    return False


def _refusal_reason(user: User, code: str, error: ValidationError) -> str:
    if getattr(error, "code", "") == "incorrect_code":
        return "replayed_code" if _replayed(user, code) else "wrong_code"
    return str(getattr(error, "code", "") or "refused")


class _Audited(mfa_forms.BaseAuthenticateForm):
    method = "password+mfa"

    def clean_code(self) -> str:
        code = str(self.cleaned_data.get("code", ""))
        try:
            return super().clean_code()
        except ValidationError as error:
            user = self.user if isinstance(self.user, User) else None
            if user is not None:
                signin_record(
                    request=context.request,
                    user=user,
                    method=self.method,
                    succeeded=False,
                    reason=_refusal_reason(user, code, error),
                )
            raise


class AuthenticateForm(_Audited, mfa_forms.AuthenticateForm):
    method = "password+mfa"


class ReauthenticateForm(_Audited, mfa_forms.ReauthenticateForm):
    method = "reauthentication"
