"""Step-up: consequential acts (signing a review, accepting terms, approving a
credit or a settlement, changing organization settings) need an
authentication at most COVENANT_STEP_UP_SECONDS old.

- HTML: ``@step_up_required`` (or ``require_step_up(request)`` inside a view
  that dispatches several actions) sends the person to allauth's
  re-authentication (their second factor when they hold one, else their
  password) and then replays the POST they were making.
- API with a session: 403 ``{"code": "step_up_required", "reauthenticate_url": ...}``;
  re-authenticate in the browser, then retry.
- API with a token: only a token issued with the ``sign`` scope may perform a
  step-up act (the token itself is the deliberate, short-lived credential);
  any other token gets the same 403.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from allauth.account.internal.flows.login import get_authentication_records
from allauth.core.exceptions import ReauthenticationRequired
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import ApiToken
from core.errors import NotPermitted

F = TypeVar("F", bound=Callable[..., Any])


class StepUpError(NotPermitted):
    code = "step_up_required"

    def __init__(self, message: str, *, reauthenticate_url: str) -> None:
        super().__init__(message)
        # core.api.exception_handler adds ``extra`` to the error body.
        self.extra = {"reauthenticate_url": reauthenticate_url}


def enforced() -> bool:
    return bool(getattr(settings, "COVENANT_STEP_UP_ENFORCED", True))


def window_seconds() -> int:
    return int(getattr(settings, "COVENANT_STEP_UP_SECONDS", 300))


def last_authenticated_at(request: HttpRequest) -> float | None:
    """When this session last proved who it is (sign-in or re-authentication, any factor)."""
    records = get_authentication_records(request, request.user)  # type: ignore[arg-type]
    times = [float(r["at"]) for r in records if isinstance(r.get("at"), int | float)]
    return max(times) if times else None


def is_fresh(request: HttpRequest) -> bool:
    at = last_authenticated_at(request)
    return at is not None and time.time() - at < window_seconds()


def require_step_up(request: HttpRequest) -> None:
    """For an HTML view: raise so allauth's middleware asks the person to
    re-authenticate and then replays this request."""
    if enforced() and request.user.is_authenticated and not is_fresh(request):
        raise ReauthenticationRequired()


def step_up_required(view: F) -> F:
    """HTML view decorator: the action runs only after a recent authentication."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            require_step_up(request)
        return view(request, *args, **kwargs)

    return cast(F, wrapped)


def check_api(request: Request) -> None:
    """Raise StepUpError unless this API request may perform a step-up act."""
    if not enforced():
        return
    url = reverse("account_reauthenticate")
    if isinstance(request.auth, ApiToken):
        if request.auth.has_scope(ApiToken.Scope.SIGN):
            return
        raise StepUpError(
            f"Token {request.auth.prefix}… may not sign or approve: this needs a token issued with the "
            "'sign' scope, or a browser session that re-authenticated within "
            f"{window_seconds() // 60} minutes.",
            reauthenticate_url=url,
        )
    if not is_fresh(request._request):
        raise StepUpError(
            f"Confirm it is you: sign in again (with your second factor) within {window_seconds() // 60} "
            "minutes before this action, then retry.",
            reauthenticate_url=url,
        )


class StepUpRequired(BasePermission):
    """DRF permission for step-up actions (add it to the action's permission_classes)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        check_api(request)
        return True
