"""The site's error responses: Django calls these when no view answered
(no URL matched, a request refused before any view ran, a view raised
PermissionDenied, or a view crashed). Under ``/api/`` they answer in the
API's one error shape; pages get templates/<status>.html in the site's
layout."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _api_error(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code, "errors": {}}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return _api_error("Bad request.", "invalid", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return _api_error("You do not have permission to perform this action.", "permission_denied", 403)
    return defaults.permission_denied(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return _api_error("Not found.", "not_found", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Renders 500.html without a request context: whatever broke (the
    database, a context processor) must not break the error page too."""
    if _api(request):
        return _api_error("Server error.", "server_error", 500)
    return defaults.server_error(request)
