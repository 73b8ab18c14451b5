from typing import Any

from django.http import HttpRequest
from django.urls import reverse

SECTIONS = [
    ("Contracts", "contracts:list", "contracts"),
    ("Incidents", "incidents:list", "incidents"),
    ("Reports", "reports:index", "reports"),
    ("Credits & disputes", "disputes:credits", "disputes"),
    ("Reviews", "reviews:list", "reviews"),
    ("Simulator", "simulator:index", "simulator"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    app = getattr(getattr(request, "resolver_match", None), "app_name", "")
    return {
        "nav_items": [{"label": label, "url": reverse(name), "active": app == key} for label, name, key in SECTIONS]
    }
