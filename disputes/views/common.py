"""What the credit ledger and dispute pages share: the 403 page with the service's reason, a
link to another app's page when it is mounted, and the 409 flash naming what is allowed now."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from core.errors import Conflict


def forbidden(request: HttpRequest, message: str, back: tuple[str, str] | None = None) -> HttpResponse:
    return render(request, "disputes/forbidden.html", {"message": message, "back": back}, status=403)


def url_for(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # pragma: no cover - another app's page not mounted
        return ""


def conflict_text(exc: Conflict, labels: dict[str, str]) -> str:
    message = exc.message.split(" Allowed now:")[0].rstrip()
    if exc.allowed:
        message += f" Allowed now: {', '.join(labels.get(a, a).lower() for a in exc.allowed)}."
    return message
