from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request

from accounts.models import User


def signed_in(request: HttpRequest | Request) -> User:
    """The person behind a request that login_required or IsAuthenticated let through."""
    user = request.user
    if not isinstance(user, User):
        raise TypeError("signed_in() is only for views that require sign-in")
    return user
