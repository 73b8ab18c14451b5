"""A contract's monitoring sources page: every source for both parties,
registering one (its token shown once), and accepting, rejecting or revoking
one (through ``availability.services.sources``)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.http import signed_in
from availability.engine import shown
from availability.ingest import tickets, tickets_apply
from availability.models import MonitoringSource
from availability.services import sources
from availability.views import contract_object, forbidden
from contracts.access import get_visible_contract
from contracts.forms import StyledForm, apply_domain_errors
from contracts.models import Contract
from core.errors import Conflict, InvalidInput, NotPermitted


class SourceForm(StyledForm):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=MonitoringSource.Kind.choices)
    interval_seconds = forms.IntegerField(
        min_value=1, max_value=86_400, initial=60, label="Expected interval between posts (seconds)"
    )
    component_label = forms.CharField(max_length=60, initial="component", label="Alert label naming the component")
    component_map = forms.JSONField(
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Component mapping (JSON: upstream component, service or tag id or name → your component)",
    )
    pull_url = forms.URLField(
        required=False, max_length=200, assume_scheme="https", label="Statuspage URL to pull every 5 minutes"
    )


class RejectForm(StyledForm):
    reason = forms.CharField(required=False, label="Reason (required to reject)")


def _sources_page(
    request: HttpRequest, contract: Contract, *, form: SourceForm | None = None, token: str = "", status: int = 200
) -> HttpResponse:
    now = timezone.now()
    rows, health = sources.contract_sources(contract, now=now)
    side = sources.side_of(signed_in(request), contract)
    parties = (MonitoringSource.Side.BUYER, MonitoringSource.Side.VENDOR)
    listed = []
    for source in rows:
        state = health.get(source.pk)
        listed.append(
            {
                "source": source,
                "coverage": shown(state.coverage) if state is not None and state.coverage is not None else None,
                "may_decide": side in parties
                and side != source.registered_side
                and source.status == MonitoringSource.Status.PROPOSED,
                "ticket_map": json.dumps(tickets.effective_map(source.kind, source.ticket_map), indent=1)
                if source.kind in tickets.TICKET_KINDS
                else "",
            }
        )
    context = {
        "contract": contract,
        "rows": listed,
        "side": side,
        "form": form or SourceForm(auto_id="src-%s"),
        "reject_form": RejectForm(auto_id=False),
        "token": token,
        "now": now,
        "silence_floor_minutes": int(sources.SILENCE_FLOOR.total_seconds() // 60),
    }
    return render(request, "availability/sources.html", context, status=status)


@login_required
def sources_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Every source of the contract, for both parties; POST registers one and
    shows its token this once."""
    contract = get_visible_contract(request.user, pk)
    if request.method != "POST":
        return _sources_page(request, contract)
    form = SourceForm(request.POST, auto_id="src-%s")
    if not form.is_valid():
        return _sources_page(request, contract, form=form, status=400)
    try:
        source, token = sources.register_source(actor=signed_in(request), contract=contract, **form.cleaned_data)
    except NotPermitted as exc:
        return forbidden(request, contract, exc.message)
    except InvalidInput as exc:
        apply_domain_errors(form, exc)
        return _sources_page(request, contract, form=form, status=400)
    messages.success(request, f"Source “{source.name}” registered. Copy its token now: it is not shown again.")
    return _sources_page(request, contract, token=token)


@login_required
@require_POST
def source_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Accept, reject or revoke the source named by the form's ``source``."""
    contract = get_visible_contract(request.user, pk)
    source_pk = request.POST.get("source", "")
    if not source_pk.isdigit():
        return HttpResponseBadRequest("source: required (the monitoring source's id).")
    source = contract_object(MonitoringSource, contract, int(source_pk))
    user = signed_in(request)
    back = reverse("availability:sources", args=[contract.pk])
    try:
        if action == "accept":
            sources.accept_source(actor=user, source=source)
        elif action == "reject":
            sources.reject_source(actor=user, source=source, reason=request.POST.get("reason", ""))
        elif action == "revoke":
            sources.revoke_source(actor=user, source=source)
        elif action == "ticket-map":
            try:
                ticket_map = json.loads(request.POST.get("ticket_map") or "{}")
            except json.JSONDecodeError as exc:
                raise InvalidInput("Not JSON.", errors={"ticket_map": [f"Invalid JSON: {exc.msg}."]}) from None
            tickets_apply.set_ticket_map(actor=user, source=source, ticket_map=ticket_map)
        else:
            raise Http404("No such action.")
    except NotPermitted as exc:
        return forbidden(request, contract, exc.message)
    except (Conflict, InvalidInput) as exc:
        detail = "; ".join(" ".join(v) for v in getattr(exc, "errors", {}).values()) or exc.message
        messages.error(request, detail)
    else:
        done = {"revoke": "Token revoked.", "ticket-map": f"Source “{source.name}”: ticket map saved."}
        messages.success(request, done.get(action, f"Source “{source.name}”: {action}ed."))
    return redirect(back)
