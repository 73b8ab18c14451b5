"""The credit ledger pages: the ledger (all contracts or one) and a POST per transition.

Every read goes through the one visibility rule (``visible_to``: another tenant's credit is a
404); every write goes through ``reports.services.ledger`` (a dispute on a credit through
``disputes.services.credits``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import standing
from accounts.identity.stepup import require_step_up
from contracts.access import get_visible_contract
from contracts.forms import apply_domain_errors
from contracts.models import Contract
from core.errors import Conflict, InvalidInput, NotPermitted
from core.exports import export_response, requested_format
from core.filters import query_int
from core.money import money
from core.options import options
from disputes import exports
from disputes import services as dispute_services
from disputes.forms import (
    ApplyCreditForm,
    DisputeCreditForm,
    NoInputForm,
)
from disputes.models import Dispute
from disputes.views.common import conflict_text, forbidden
from incidents.presenters import span_text
from reports.models import Credit
from reports.services import ledger as ledger_services
from reports.services.ledger import credit_state, credit_status_label

PAGE_SIZE = 50
STATUS_ORDER = [s for s, _ in Credit.Status.choices]
ACTION_LABELS = {"claim": "Claim", "approve": "Approve", "apply": "Apply to invoice", "dispute": "Dispute"}


@dataclass(frozen=True)
class CreditAction:
    label: str
    form: type[NoInputForm]
    run: Callable[[Any, Credit, dict[str, Any]], Any]
    done: Callable[[Credit, Any], str]
    style: str = ""


CREDIT_ACTIONS: dict[str, CreditAction] = {
    "claim": CreditAction(
        "Claim",
        NoInputForm,
        lambda u, c, d: ledger_services.credit_claim(actor=u, credit=c),
        lambda c, r: f"Credit claimed: {money(c.amount, c.currency)} awaits the vendor's approval.",
    ),
    "approve": CreditAction(
        "Approve",
        NoInputForm,
        lambda u, c, d: ledger_services.credit_approve(actor=u, credit=c),
        lambda c, r: f"Credit approved: {money(c.amount, c.currency)} is owed to the buyer.",
    ),
    "apply": CreditAction(
        "Apply to invoice",
        ApplyCreditForm,
        lambda u, c, d: ledger_services.credit_apply(actor=u, credit=c, invoice_reference=d["invoice_reference"]),
        lambda c, r: f"Credit applied on invoice {r.invoice_reference}.",
    ),
    "dispute": CreditAction(
        "Dispute",
        DisputeCreditForm,
        lambda u, c, d: dispute_services.credit_dispute(actor=u, credit=c, statement=d["statement"]),
        lambda c, r: f"D-{r.pk} opened on the credit; it is at {r.stage_name}.",
        style="secondary",
    ),
}


def _credit_filters(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "").strip() for key in ("contract", "status", "period")}


def _window(credit: Credit, now: datetime) -> dict[str, Any]:
    """The claim window as the ledger shows it."""
    if credit.status not in (Credit.Status.CALCULATED, Credit.Status.CLAIMED):
        return {"text": "", "css": ""}
    left = credit.claim_deadline - now
    if left < timedelta(0):
        return {"text": "window closed", "css": "countdown-bad"}
    return {"text": f"{span_text(left)} left", "css": "countdown-warn" if left < timedelta(days=7) else "countdown-ok"}


def _selected_credits(
    user: Any, filters: dict[str, str]
) -> tuple[QuerySet[Credit], QuerySet[Credit], QuerySet[Credit]]:
    """The credits the person may see, those the contract and period filters keep (the totals),
    and those the status filter keeps too (the rows)."""
    visible = Credit.objects.visible_to(user)
    scoped = visible
    if (wanted := query_int(filters, "contract")) is not None:
        scoped = scoped.filter(contract_id=wanted)
    if filters["period"]:
        scoped = scoped.filter(report__period=filters["period"])
    rows = scoped.filter(status=filters["status"]) if filters["status"] in STATUS_ORDER else scoped
    return visible, scoped, rows


def _ledger_export(request: HttpRequest, contract: Contract | None) -> HttpResponse | StreamingHttpResponse | None:
    """The ledger's rows as a file when ``?export=csv|xlsx`` asks for one (a 400 naming
    ``export`` for another format); None to show the page."""
    try:
        fmt = requested_format(request.GET.get("export"))
    except InvalidInput as exc:
        return HttpResponse(f"export: {exc.errors['export'][0]}", status=400, content_type="text/plain")
    if fmt is None:
        return None
    filters = _credit_filters(request)
    if contract is not None:
        filters["contract"] = str(contract.pk)
    rows = _selected_credits(request.user, filters)[2].order_by("-report__period_start", "contract__reference", "pk")
    return export_response(
        fmt=fmt,
        filename=f"{contract.reference}-credits" if contract else "credits",
        header=exports.CREDIT_HEADER,
        rows=exports.credit_rows(rows, at=timezone.now()),
        sheet="Credits",
    )


def render_ledger(
    request: HttpRequest,
    *,
    contract: Contract | None = None,
    bound: tuple[int, str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    filters = _credit_filters(request)
    if contract is not None:
        filters["contract"] = str(contract.pk)
    visible, scoped, rows = _selected_credits(user, filters)

    # Totals per status (and currency) over the contract / period filters.
    sums: dict[str, dict[str, Any]] = {s: {"count": 0, "amounts": []} for s in STATUS_ORDER}
    for row in scoped.values("status", "currency").annotate(n=Count("id"), total=Sum("amount")).order_by("currency"):
        sums[row["status"]]["count"] += row["n"]
        sums[row["status"]]["amounts"].append(money(row["total"], row["currency"]))
    totals = [
        {"status": s, "label": label, **sums[s]}
        for s, label in Credit.Status.choices
        if s != Credit.Status.VOID or sums[s]["count"]
    ]

    paginator = Paginator(
        rows.select_related("contract", "contract__buyer", "contract__vendor", "report").order_by(
            "-report__period_start", "contract__reference", "pk"
        ),
        PAGE_SIZE,
    )
    # The rows are the scoped credits of one status or all of them: the totals above already counted them.
    wanted = filters["status"]
    paginator.count = sums[wanted]["count"] if wanted in STATUS_ORDER else sum(v["count"] for v in sums.values())
    page = paginator.get_page(request.GET.get("page"))
    credits = list(page)
    open_disputes = {
        d.subject_id: d
        for d in Dispute.objects.open().filter(
            subject_type=Dispute.Subject.CREDIT, subject_id__in=[str(c.pk) for c in credits]
        )
    }
    for credit in credits:
        s = standing(user, buyer_id=credit.contract.buyer_id, vendor_id=credit.contract.vendor_id)
        allowed = ledger_services.allowed_actions(credit, s, at=now)
        credit.actions = []
        for name in allowed:
            spec = CREDIT_ACTIONS[name]
            form = bound[2] if bound and bound[0] == credit.pk and bound[1] == name else None
            form = form or spec.form(auto_id=f"c{credit.pk}-{name}-%s")
            credit.actions.append(
                {
                    "name": name,
                    "label": spec.label,
                    "style": spec.style,
                    "form": form,
                    "has_fields": any(not f.is_hidden for f in form),
                    "open": form.is_bound,
                    "url": reverse("disputes:credit_action", args=[credit.pk, name]),
                }
            )
        credit.amount_text = money(credit.amount, credit.currency)
        credit.state = credit_state(credit, now)  # type: ignore[attr-defined]
        credit.state_label = credit_status_label(credit, now)  # type: ignore[attr-defined]
        credit.window = _window(credit, now)
        credit.dispute = open_disputes.get(str(credit.pk))

    # The contract filter is only offered on the ledger of every contract.
    contracts = (
        []
        if contract is not None
        else [
            (pk, f"{reference} · {vendor}")
            for pk, reference, vendor in Contract.objects.visible_to(user)
            .filter(pk__in=visible.values("contract_id"))
            .order_by("reference")
            .values_list("pk", "reference", "vendor__name")
        ]
    )
    periods = list(visible.order_by("-report__period_start").values_list("report__period", flat=True).distinct()[:36])
    params = request.GET.copy()
    params.pop("page", None)
    if contract is not None:
        params.pop("contract", None)
    status_links = {}
    for s in STATUS_ORDER:
        p = params.copy()
        p["status"] = "" if filters["status"] == s else s
        status_links[s] = p.urlencode()
    for t in totals:
        t["query"] = status_links[t["status"]]
        t["active"] = filters["status"] == t["status"]
    context = {
        "contract": contract,
        "page": page,
        "credits": credits,
        "totals": totals,
        "filters": filters,
        "contract_options": options(contracts, filters["contract"]) if contracts else "",
        "periods": periods,
        "statuses": Credit.Status.choices,
        "querystring": params.urlencode(),
        "filtered": any(filters[k] for k in ("status", "period")) or (contract is None and filters["contract"]),
        "open_dispute_count": Dispute.objects.visible_to(user).open().count(),
        "tab": "credits",
    }
    return render(request, "disputes/credits.html", context, status=status)


@login_required
def credit_ledger(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    if (download := _ledger_export(request, None)) is not None:
        return download
    return render_ledger(request)


@login_required
def contract_ledger(request: HttpRequest, contract_pk: int) -> HttpResponse | StreamingHttpResponse:
    contract = get_visible_contract(request.user, contract_pk)
    if (download := _ledger_export(request, contract)) is not None:
        return download
    return render_ledger(request, contract=contract)


def _visible_credit(user: Any, pk: int) -> Credit:
    try:
        return Credit.objects.visible_to(user).select_related("contract").get(pk=pk)
    except Credit.DoesNotExist:
        raise Http404("No such credit.") from None


@login_required
@require_POST
def credit_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    credit = _visible_credit(request.user, pk)
    spec = CREDIT_ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    if action == "approve":
        require_step_up(request)
    back = request.POST.get("next", "")
    contract = None
    if back == "contract":
        contract = credit.contract
    form = spec.form(request.POST, auto_id=f"c{credit.pk}-{action}-%s")

    def again(status: int) -> HttpResponse:
        return render_ledger(request, contract=contract, bound=(credit.pk, action, form), status=status)

    if not form.is_valid():
        messages.error(request, f"{spec.label}: please correct the errors shown with the form.")
        return again(400)
    try:
        result = spec.run(request.user, credit, form.cleaned_data)
    except NotPermitted as exc:
        return forbidden(request, exc.message, ("Back to the credit ledger", reverse("disputes:credits")))
    except Conflict as exc:
        messages.error(request, conflict_text(exc, ACTION_LABELS))
        return render_ledger(request, contract=contract, status=409)
    except InvalidInput as exc:
        apply_domain_errors(form, exc)
        messages.error(request, f"{spec.label}: {exc.message}")
        return again(400)
    credit.refresh_from_db()
    messages.success(request, spec.done(credit, result))
    if action == "dispute":
        return redirect("disputes:dispute", pk=result.pk)
    target = reverse("disputes:contract", args=[credit.contract_id]) if contract else reverse("disputes:credits")
    return redirect(f"{target}#credit-{credit.pk}")
