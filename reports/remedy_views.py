"""The contract's remedies besides credits: the list with the actions each side may take."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.http import signed_in
from contracts.access import contract_standing, get_visible_contract
from core.errors import Conflict, InvalidInput, NotPermitted
from incidents.services.base import is_buyer_actor, is_vendor_actor
from reports.models import Remedy
from reports.services import remedy_ledger


@login_required
def contract_remedies(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    s = contract_standing(request.user, contract)
    rows = list(Remedy.objects.filter(contract=contract).select_related("report").order_by("-period", "kind", "ref"))
    return render(
        request,
        "reports/remedies.html",
        {"contract": contract, "remedies": rows, "is_vendor": is_vendor_actor(s), "is_buyer": is_buyer_actor(s)},
    )


@login_required
@require_POST
def remedy_action(request: HttpRequest, pk: int, remedy_pk: int, action: str) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    remedy = Remedy.objects.filter(contract=contract, pk=remedy_pk).first()
    if remedy is None:
        raise Http404("No such remedy.")
    text = request.POST.get("text", "")
    calls = {
        "offer": lambda: remedy_ledger.remedy_offer(actor=signed_in(request), remedy=remedy, offer=text),
        "accept": lambda: remedy_ledger.remedy_accept(actor=signed_in(request), remedy=remedy),
        "deliver": lambda: remedy_ledger.remedy_deliver(actor=signed_in(request), remedy=remedy, evidence=text),
        "dispute": lambda: remedy_ledger.remedy_dispute(actor=signed_in(request), remedy=remedy, reason=text),
    }
    if action not in calls:
        raise Http404("No such action.")
    try:
        done = calls[action]()
    except (NotPermitted, Conflict) as exc:
        messages.error(request, exc.message)
    except InvalidInput as exc:
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items()) or exc.message)
    else:
        messages.success(request, f"{done.get_kind_display()}: {done.get_status_display().lower()}.")
    return redirect(remedy_ledger.remedy_url(remedy))
