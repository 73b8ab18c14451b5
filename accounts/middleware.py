from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


class PermissionsPolicyMiddleware:
    """Sends ``settings.COVENANT_PERMISSIONS_POLICY`` as the Permissions-Policy
    header on every response that does not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.policy: str = getattr(settings, "COVENANT_PERMISSIONS_POLICY", "")

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.policy
        return response


class MembershipCacheMiddleware:
    """Loads the signed-in person's memberships once per page request, with
    their unread notification count (``accounts.access._memberships``), and
    answers ``organization_ids`` from the same rows: the top bar of every page
    and the visibility rule then cost one query together, not one each."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # Pages render the top bar, which needs the memberships anyway; an API call may need neither.
        user = None if request.path.startswith("/api/") else getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "_covenant_org_ids", None) is None:
            from accounts.access import _memberships

            user._covenant_org_ids = sorted({m.organization_id for m in _memberships(user)})
        return self.get_response(request)
