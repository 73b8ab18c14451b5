"""django-allauth hooks: closed sign-up, passwords through accounts.services,
the sign-in history, the lockout's username and the step-up order."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from accounts import services
from accounts.client_ip import client_ip
from accounts.identity import method_from_records
from accounts.identity.services import signin_record
from accounts.models import User
from accounts.sso.policy import SSO_ONLY_MESSAGE, password_login_allowed


def _find_user(login: str) -> User | None:
    login = login.strip()
    if not login:
        return None
    return User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login)).order_by("pk").first()


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """django-axes counts failures per person whichever name they typed (their
    username or email address): both map to the username; an unknown name counts as typed."""
    credentials = credentials or {}
    typed = str(request.POST.get("login") or credentials.get("username") or credentials.get("email") or "").strip()
    user = _find_user(typed)
    return user.username if user is not None else typed.lower()


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People join by invitation (an organization admin or staff); nobody signs themselves up.
        return False

    def set_password(self, user: AbstractBaseUser, password: str) -> None:
        # allauth's password change and reset forms: the same use case as everywhere else.
        assert isinstance(user, User)  # nosec: AUTH_USER_MODEL
        services.user_set_password(actor=user, user=user, password=password)

    def get_client_ip(self, request: HttpRequest) -> str:
        return client_ip(request)

    def login(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        super().login(request, user)
        if isinstance(user, User):
            records = get_authentication_records(request, user)
            signin_record(request=request, user=user, method=method_from_records(records), succeeded=True)

    def authenticate(self, request: HttpRequest, **credentials: Any) -> AbstractBaseUser | None:
        user = super().authenticate(request, **credentials)
        # Single sign-on: an organization that turned local passwords off (accounts.sso.policy).
        # Asked only after the password proved right, so it tells a stranger nothing.
        if user is not None and not password_login_allowed(user):
            signin_record(
                request=request,
                user=user if isinstance(user, User) else None,
                method="password",
                succeeded=False,
                reason="sso_required",
            )
            raise ValidationError(SSO_ONLY_MESSAGE, code="sso_required")
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        typed = str(credentials.get("username") or credentials.get("email") or "")
        user = _find_user(typed)
        if getattr(request, "axes_locked_out", False):
            reason = "locked_out"
        elif user is None:
            reason = "unknown_account"
        else:
            reason = "wrong_password"
        signin_record(request=request, user=user, method="password", succeeded=False, reason=reason)

    def respond_user_inactive(self, request: HttpRequest, user: AbstractBaseUser) -> HttpResponse:
        signin_record(
            request=request,
            user=user if isinstance(user, User) else None,
            method="password",
            succeeded=False,
            reason="inactive",
        )
        return super().respond_user_inactive(request, user)

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """allauth asks again before account changes (a new second factor,
        a password); an authentication within the step-up window counts, so
        a person made to enrol right after signing in is not asked twice."""
        from accounts.identity.stepup import is_fresh

        request = context.request
        if request is not None and request.user.is_authenticated and is_fresh(request):
            return False
        return bool(super().is_reauthentication_required(app=app, **kwargs))

    def get_reauthentication_methods(self, user: AbstractBaseUser | AnonymousUser) -> list[dict[str, Any]]:
        """A person with a second factor confirms with it (a stolen password is
        not enough to sign); others with their password."""
        methods = super().get_reauthentication_methods(user)
        return sorted(methods, key=lambda m: 0 if str(m.get("id", "")).startswith("mfa") else 1)
