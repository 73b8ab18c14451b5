"""Corrective-action plan pages: a contract's plans, and one plan with the forms its stage allows."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.http import signed_in
from contracts.access import contract_standing, get_visible_contract
from contracts.models import Contract
from core.errors import Conflict, InvalidInput, NotPermitted
from corrective import services
from corrective.models import CorrectiveAction, CorrectivePlan
from incidents.models import Incident
from incidents.services.base import is_buyer_actor, is_vendor_actor

BLANK_ROWS = 3


def _side(request: HttpRequest, contract: Contract) -> str:
    s = contract_standing(request.user, contract)
    if s.is_staff:
        return "staff"
    return "buyer" if is_buyer_actor(s) else "vendor" if is_vendor_actor(s) else ""


def _plan(contract: Contract, pk: int) -> CorrectivePlan:
    plan = (
        CorrectivePlan.objects.filter(contract=contract, pk=pk)
        .select_related("contract", "incident", "requested_by", "submitted_by", "decided_by")
        .first()
    )
    if plan is None:
        raise Http404("No such plan.")
    return plan


@login_required
def plan_list(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    plans = list(
        CorrectivePlan.objects.filter(contract=contract).select_related("incident").prefetch_related("actions")
    )
    today = timezone.localdate()
    for p in plans:
        acts = list(p.actions.all())
        p.open_count = sum(1 for a in acts if a.done_at is None)  # type: ignore[attr-defined]
        p.overdue_count = sum(1 for a in acts if a.is_overdue(today))  # type: ignore[attr-defined]
    incidents = [
        (i.pk, i.reference, i.title)
        for i in Incident.objects.filter(contract=contract).order_by("-opened_at").only("pk", "title", "opened_at")[:50]
    ]
    return render(
        request,
        "corrective/list.html",
        {"contract": contract, "plans": plans, "side": _side(request, contract), "incidents": incidents},
    )


@login_required
def plan_detail(request: HttpRequest, pk: int, plan_pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    plan = _plan(contract, plan_pk)
    side = _side(request, contract)
    actions = list(plan.actions.all())
    today = timezone.localdate()
    for a in actions:
        a.overdue = a.is_overdue(today)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "contract": contract,
        "plan": plan,
        "actions": actions,
        "side": side,
        "responsible": side in (plan.responsible_side, "staff"),
        "other": side in (plan.other_side, "staff"),
        "blank_rows": range(max(BLANK_ROWS, len([a for a in actions if a.done_at is None]))),
        "open_actions": [a for a in actions if a.done_at is None],
    }
    return render(request, "corrective/detail.html", context)


def _run(request: HttpRequest, url: str, call: Any, done: str) -> HttpResponse:
    try:
        call()
    except NotPermitted as exc:
        messages.error(request, exc.message)
    except Conflict as exc:
        messages.error(request, exc.message)
    except InvalidInput as exc:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
        messages.error(request, f"{exc.message} {detail}".strip())
    else:
        messages.success(request, done)
    return redirect(url)


@login_required
@require_POST
def plan_request(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    incident = None
    if request.POST.get("incident"):
        incident = Incident.objects.filter(contract=contract, pk=request.POST.get("incident", "").strip() or 0).first()
    holder: dict[str, CorrectivePlan] = {}

    def call() -> None:
        holder["plan"] = services.request_plan(
            actor=signed_in(request), contract=contract, subject=request.POST.get("subject", ""), incident=incident
        )

    response = _run(request, reverse("corrective:list", args=[contract.pk]), call, "Plan requested.")
    if "plan" in holder:
        return redirect(services.plan_url(holder["plan"]))
    return response


@login_required
@require_POST
def plan_action(request: HttpRequest, pk: int, plan_pk: int, action: str) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    plan = _plan(contract, plan_pk)
    url = services.plan_url(plan)
    user = signed_in(request)
    if action == "submit":
        rows = [
            {"description": d, "owner": o, "due_date": due}
            for d, o, due in zip(
                request.POST.getlist("description"),
                request.POST.getlist("owner"),
                request.POST.getlist("due_date"),
                strict=False,
            )
            if d.strip() or o.strip() or due.strip()
        ]
        return _run(
            request,
            url,
            lambda: services.submit_plan(
                actor=user, plan=plan, root_cause=request.POST.get("root_cause", ""), actions=rows
            ),
            "Plan submitted; the other party decides on it.",
        )
    if action == "decide":
        accept = request.POST.get("decision") == "accept"
        return _run(
            request,
            url,
            lambda: services.decide_plan(
                actor=user, plan=plan, accept=accept, feedback=request.POST.get("feedback", "")
            ),
            "Plan accepted." if accept else "More asked for.",
        )
    if action == "complete":
        act = CorrectiveAction.objects.filter(plan=plan, pk=request.POST.get("action", "").strip() or 0).first()
        if act is None:
            messages.error(request, "action: choose an open action of this plan.")
            return redirect(url)
        return _run(
            request,
            url,
            lambda: services.complete_action(actor=user, action=act, evidence=request.POST.get("evidence", "")),
            "Action recorded as done.",
        )
    raise Http404("No such action.")
