"""Training resources and the feedback register pages: add/confirm/download a resource; log, respond, close feedback."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from contracts import onboarding
from contracts.access import contract_standing, get_visible_contract
from contracts.models import FeedbackItem, OnboardingItem, TrainingResource
from contracts.onboarding.forms import FeedbackForm, ResourceForm
from contracts.onboarding.views.page import FEEDBACK_FORMS, _forbidden, _run, _serve
from core.errors import NotPermitted

# -- training resources ----------------------------------------------------------------------------------


@login_required
@require_POST
def resource_add(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    open_items = list(contract.onboarding_items.filter(status=OnboardingItem.Status.OPEN).values_list("pk", "title"))
    form = ResourceForm(
        request.POST, request.FILES, items=[(str(k), t) for k, t in open_items], auto_id="add-resource-%s"
    )

    def call(d: dict[str, Any]) -> Any:
        required_by = contract.onboarding_items.filter(pk=d["required_by"]).first() if d["required_by"] else None
        return onboarding.resource_add(
            actor=request.user,
            contract=contract,
            title=d["title"],
            url=d["url"],
            file=d["file"],
            description=d["description"],
            audience=d["audience"],
            roles=d["roles"],
            required_by=required_by,
        )

    return _run(request, contract, "add-resource", form, call, "Training resource added.", "training")


@login_required
@require_POST
def resource_confirm(request: HttpRequest, pk: int, resource_id: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    resource = get_object_or_404(TrainingResource, pk=resource_id, contract=contract)
    resource.contract = contract
    try:
        onboarding.resource_confirm(actor=request.user, resource=resource)
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    messages.success(request, f"Thank you: you confirmed reading “{resource.title}”.")
    return redirect(f"{reverse('contracts:routine', args=[contract.pk])}#resource-{resource.pk}")


@login_required
def resource_file(request: HttpRequest, pk: int, resource_id: int) -> FileResponse:
    contract = get_visible_contract(request.user, pk)
    resource = get_object_or_404(TrainingResource, pk=resource_id, contract=contract)
    if not resource.file:
        raise Http404("No file.")
    return _serve(resource.file, resource.file_name or resource.file.name.rsplit("/", 1)[-1])


# -- feedback -----------------------------------------------------------------------------------------------


@login_required
@require_POST
def feedback_add(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    s = contract_standing(request.user, contract)
    form = FeedbackForm(request.POST, staff=s.is_staff and not onboarding.party_of(s), auto_id="feedback-%s")
    return _run(
        request,
        contract,
        "feedback",
        form,
        lambda d: onboarding.feedback_log(
            actor=request.user,
            contract=contract,
            category=d["category"],
            text=d["text"],
            evidence=d["evidence"],
            proposed_action=d["proposed_action"],
            side=d.get("side") or None,
        ),
        "Feedback logged; the other party has been told.",
        "feedback",
    )


@login_required
@require_POST
def feedback_action(request: HttpRequest, pk: int, feedback_id: int, action: str) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    item = get_object_or_404(FeedbackItem, pk=feedback_id, contract=contract)
    item.contract = contract
    form_class = FEEDBACK_FORMS.get(action)
    if form_class is None:
        raise Http404("No such action.")
    key = f"{action}-fb{item.pk}"
    form = form_class(request.POST, auto_id=f"{key}-%s")
    if action == "respond":

        def call(d: dict[str, Any]) -> Any:
            return onboarding.feedback_respond(
                actor=request.user, item=item, response=d["response"], proposed_action=d["proposed_action"]
            )

        done = "Response recorded."
    else:

        def call(d: dict[str, Any]) -> Any:
            return onboarding.feedback_close(actor=request.user, item=item, note=d["note"])

        done = "Feedback item closed."
    return _run(request, contract, key, form, call, done, f"feedback-{item.pk}")
