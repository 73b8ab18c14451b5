"""Simulator pages, mounted at ``simulator/`` by config.urls.

A contract is reached through ``get_visible_contract`` (a stranger gets 404)
and a scenario through ``Scenario.objects.visible_to``; both parties may
simulate on the contracts they see, the portfolio page is the buyer's.
Running a simulation writes nothing (a POST only because the edited terms
are long); saving, attaching and deleting go through
``simulator.services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from contracts.access import get_visible_contract
from contracts.models import Contract, SLAVersion
from core import periods
from core.downloads import content_disposition
from core.errors import DomainError, InvalidInput
from reviews.models import Amendment
from simulator import services as simulations
from simulator.forms import AttachForm, PortfolioForm, SimulationForm
from simulator.models import Scenario
from simulator.pdf import pdf_filename, render_pdf, scenario_pdf
from simulator.present import contract_context, portfolio_context
from simulator.terms import in_force_version

PAGE_SIZE = 25


def _describe(exc: DomainError) -> str:
    details = " ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items() if v)
    return f"{exc.message} {details}".strip()


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(filename)
    return response


def _scenarios(request: HttpRequest) -> Any:
    return Scenario.objects.visible_to(request.user).select_related(
        "contract", "contract__vendor", "vendor", "created_by", "amendment", "amendment__review"
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    contracts = (
        Contract.objects.visible_to(request.user)
        .filter(sla_versions__status=SLAVersion.Status.ACTIVE)
        .select_related("buyer", "vendor")
        .distinct()
        .order_by("reference")[:200]
    )
    recent = list(_scenarios(request).defer("inputs", "results")[:8])
    return render(
        request,
        "simulator/index.html",
        {"contracts": contracts, "recent": recent, "may_portfolio": simulations.may_portfolio(request.user)},
    )


def _period_labels(base: SLAVersion, now: Any) -> list[str]:
    up = base.terms["uptime"]
    last = periods.last_ended(now, kind=up["period"], zone=up["timezone"])
    return [last.shift(-i).label for i in range(24)]


@login_required
def contract_page(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    now = timezone.now()
    base = in_force_version(contract, now)
    if base is None:
        return render(request, "simulator/no_sla.html", {"contract": contract}, status=409)
    kwargs = {"contract": contract, "base": base, "period_labels": _period_labels(base, now)}
    form = SimulationForm(request.POST or None, **kwargs)
    context: dict[str, Any] = {"contract": contract, "base": base, "form": form, "results": None}
    if request.method == "POST" and form.is_valid():
        inputs = form.inputs()
        try:
            results = simulations.run(contract=contract, inputs=inputs, now=now)
        except InvalidInput as exc:
            form.place_errors(exc.errors, [(r["severity"], r["environment"]) for r in base.terms["targets"]])
            messages.error(request, exc.message)
            return render(request, "simulator/contract.html", context, status=400)
        action = request.POST.get("action", "run")
        if action == "save":
            try:
                scenario = simulations.scenario_save(
                    actor=request.user,
                    name=form.cleaned_data["scenario_name"] or f"{contract.reference} simulation",
                    inputs=inputs,
                    results=results,
                    contract=contract,
                )
            except DomainError as exc:
                messages.error(request, _describe(exc))
            else:
                messages.success(request, f"Scenario “{scenario.name}” saved.")
                return redirect("simulator:scenario", scenario.pk)
        if action == "pdf":
            name = form.cleaned_data["scenario_name"] or "Unsaved simulation"
            content = render_pdf(results, name=name, inputs=inputs, author=request.user.get_full_name())
            return _pdf_response(content, pdf_filename(name, contract.reference))
        context.update(results=results, **contract_context(results))
    elif request.method == "POST":
        return render(request, "simulator/contract.html", context, status=400)
    return render(request, "simulator/contract.html", context)


@login_required
def portfolio_page(request: HttpRequest) -> HttpResponse:
    if not simulations.may_portfolio(request.user):
        return render(
            request,
            "contracts/forbidden.html",
            {"message": "The portfolio view is the buyer's: it compares the buyer's vendors on one yardstick."},
            status=403,
        )
    contracts = list(simulations.portfolio_contracts(request.user)[:500])
    versions = list(
        SLAVersion.objects.filter(contract__in=[c.pk for c in contracts])
        .select_related("contract")
        .order_by("contract__reference", "number")
    )
    form = PortfolioForm(request.POST or None, contracts=contracts, versions=versions)
    context: dict[str, Any] = {"form": form, "results": None}
    if request.method == "POST" and form.is_valid():
        inputs = form.inputs()
        try:
            results = simulations.run_portfolio(user=request.user, inputs=inputs)
            if request.POST.get("action") == "save":
                scenario = simulations.scenario_save(
                    actor=request.user,
                    name=form.cleaned_data["scenario_name"] or f"Portfolio: {results['candidate']['label']}",
                    inputs=inputs,
                    results=results,
                )
                messages.success(request, f"Scenario “{scenario.name}” saved.")
                return redirect("simulator:scenario", scenario.pk)
        except DomainError as exc:
            messages.error(request, _describe(exc))
            return render(request, "simulator/portfolio.html", context, status=exc.status_code)
        context.update(results=results, **portfolio_context(results))
    elif request.method == "POST":
        return render(request, "simulator/portfolio.html", context, status=400)
    return render(request, "simulator/portfolio.html", context)


@login_required
def scenario_list(request: HttpRequest) -> HttpResponse:
    qs = _scenarios(request).defer("inputs", "results")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "simulator/scenarios.html", {"page": page})


def _scenario(request: HttpRequest, pk: int) -> Scenario:
    return get_object_or_404(_scenarios(request), pk=pk)


@login_required
def scenario_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    results = scenario.results
    context = contract_context(results) if scenario.kind == Scenario.Kind.CONTRACT else portfolio_context(results)
    amendments = []
    if scenario.contract_id and scenario.amendment_id is None:
        amendments = list(
            Amendment.objects.filter(
                review__contract_id=scenario.contract_id, status=Amendment.Status.PROPOSED
            ).select_related("review")
        )
    return render(
        request,
        "simulator/scenario.html",
        {
            **context,
            "scenario": scenario,
            "contract": scenario.contract,
            "attach_form": AttachForm(amendments=amendments) if amendments else None,
            "may_delete": request.user.is_staff or scenario.created_by_id == request.user.pk,
        },
    )


@login_required
def scenario_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    ref = scenario.contract.reference if scenario.contract else "portfolio"
    return _pdf_response(scenario_pdf(scenario), pdf_filename(scenario.name, ref))


@login_required
@require_POST
def scenario_attach(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    amendments = Amendment.objects.filter(review__contract_id=scenario.contract_id).select_related("review")
    form = AttachForm(request.POST, amendments=amendments)
    if not form.is_valid():
        messages.error(request, "Choose an amendment of this contract.")
        return redirect("simulator:scenario", pk)
    amendment = amendments.get(pk=form.cleaned_data["amendment"])
    try:
        simulations.scenario_attach(actor=request.user, scenario=scenario, amendment=amendment)
    except DomainError as exc:
        messages.error(request, _describe(exc))
    else:
        messages.success(request, f"Attached to “{amendment.title}” as its evidence.")
    return redirect("simulator:scenario", pk)


@login_required
@require_POST
def scenario_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    try:
        simulations.scenario_delete(actor=request.user, scenario=scenario)
    except DomainError as exc:
        messages.error(request, _describe(exc))
        return redirect("simulator:scenario", pk)
    messages.success(request, "Scenario deleted.")
    return redirect("simulator:scenarios")
