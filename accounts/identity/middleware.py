"""A person who must hold a second factor (accounts.identity.policy) and
does not is sent to enrol before anything else; their session-authenticated
API calls are refused with a 403 that says why. Token-authenticated calls
carry no session and are governed by the token's scopes instead."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from accounts.identity.policy import mfa_missing

# Where a person without a second factor may still go: enrolment itself
# (allauth's account and 2fa pages), signing out, static files.
ALLOWED_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/accounts/reauthenticate/", "/accounts/password/")


class MfaRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if getattr(settings, "COVENANT_MFA_ENFORCED", True) and self._blocked(request):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": "Your role requires a second factor: enrol an authenticator app or security key "
                        "in the portal (Sign-in and security), then sign in again.",
                        "code": "mfa_required",
                        "errors": {},
                        "enrol_url": reverse("mfa_index"),
                    },
                    status=403,
                )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    @staticmethod
    def _blocked(request: HttpRequest) -> bool:
        path = request.path
        static = str(getattr(settings, "STATIC_URL", "/static/"))
        if path.startswith(ALLOWED_PREFIXES) or path.startswith("/" + static.lstrip("/")):
            return False
        if path.startswith("/api/") and request.META.get("HTTP_AUTHORIZATION", "").startswith("Token "):
            return False
        return mfa_missing(request.user)
