from typing import Any

from django.http import HttpRequest

from accounts.access import primary_membership, unread_notifications


def membership(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_membership": primary_membership(user),
        "unread_notifications": unread_notifications(user),
    }
