"""The contract page's legal-hold panel posts here (``templatetags/legal_holds.py`` renders it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from accounts.identity.stepup import require_step_up
from accounts.models import User
from contracts.access import get_visible_contract
from contracts.models import Contract
from core.errors import DomainError, InvalidInput, NotPermitted
from holds import services
from holds.models import LegalHold


def _back(contract: Contract) -> HttpResponse:
    return redirect(f"{reverse('contracts:detail', args=[contract.pk])}#legal-holds")


def _forbidden(request: HttpRequest, message: str, contract: Contract) -> HttpResponse:
    return render(request, "contracts/forbidden.html", {"message": message, "contract": contract}, status=403)


def _describe(exc: DomainError) -> str:
    details = " ".join(f"{' '.join(msgs)}" for msgs in exc.errors.values() if msgs)
    return f"{exc.message} {details}".strip()


def _when(request: HttpRequest, name: str) -> datetime | None:
    """A ``datetime-local`` field read as UTC (the panel says so), or an ISO time with its offset."""
    raw = (request.POST.get(name) or "").strip()
    if not raw:
        return None
    value = parse_datetime(raw)
    if value is None:
        raise InvalidInput("The period of the hold is not valid.", errors={name: ["Not a date and time."]})
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@login_required
@require_POST
def hold_place(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    try:
        hold = services.place_hold(
            actor=cast(User, request.user),
            contract=contract,
            reason=request.POST.get("reason", ""),
            scope=request.POST.get("scope", ""),
            starts_at=_when(request, "starts_at"),
            ends_at=_when(request, "ends_at"),
        )
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    except DomainError as exc:
        messages.error(request, f"Legal hold not placed: {_describe(exc)}")
        return _back(contract)
    messages.success(request, f"Legal hold {hold.reference} placed on {contract.reference}.")
    return _back(contract)


@login_required
@require_POST
def hold_release(request: HttpRequest, pk: int, hold_id: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    hold = LegalHold.objects.filter(contract=contract, pk=hold_id).first()
    if hold is None:
        raise Http404("No such legal hold on this contract.")
    hold.contract = contract
    require_step_up(request)
    try:
        services.release_hold(actor=cast(User, request.user), hold=hold, reason=request.POST.get("reason", ""))
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    except DomainError as exc:
        messages.error(request, f"Legal hold {hold.reference} not released: {_describe(exc)}")
        return _back(contract)
    messages.success(request, f"Legal hold {hold.reference} released.")
    return _back(contract)
