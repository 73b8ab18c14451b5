"""The onboarding plan pages: add, work (done/evidence/waive/edit) and download items; staff edit plan templates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from contracts import onboarding
from contracts.access import get_visible_contract
from contracts.forms import StyledForm, apply_domain_errors
from contracts.models import Contract, OnboardingItem, OnboardingTemplate, OnboardingTemplateItem, Party
from contracts.onboarding.forms import ItemAddForm, ItemEditForm
from contracts.onboarding.views.page import ITEM_FORMS, _forbidden, _run, _serve, people_choices
from core.errors import InvalidInput, NotPermitted


def _owner(contract: Contract, value: str) -> Any:
    if not value:
        return None
    from accounts.models import User

    return User.objects.filter(pk=value).first()


# -- onboarding items ----------------------------------------------------------------------------------


@login_required
@require_POST
def item_action(request: HttpRequest, pk: int, item_id: int, action: str) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    item = get_object_or_404(OnboardingItem, pk=item_id, contract=contract)
    item.contract = contract
    form_class = ITEM_FORMS.get(action)
    if form_class is None:
        raise Http404("No such action.")
    key = f"{action}-{item.pk}"
    if action == "edit":
        form: forms.Form = ItemEditForm(request.POST, people=people_choices(contract), auto_id=f"{key}-%s")
    else:
        form = form_class(request.POST, request.FILES, auto_id=f"{key}-%s")
    u = request.user
    calls: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
        "done": (
            lambda d: onboarding.onboarding_item_done(actor=u, item=item, note=d["note"]),
            f"“{item.title}” is done.",
        ),
        "waive": (
            lambda d: onboarding.onboarding_item_waive(actor=u, item=item, reason=d["reason"]),
            f"“{item.title}” was waived.",
        ),
        "evidence": (
            lambda d: onboarding.onboarding_item_evidence(
                actor=u, item=item, note=d["note"], link=d["link"], file=d["file"]
            ),
            f"Evidence added to “{item.title}”.",
        ),
        "edit": (
            lambda d: onboarding.onboarding_item_update(
                actor=u, item=item, title=d["title"], owner=_owner(contract, d["owner"]), due_date=d["due_date"]
            ),
            f"“{item.title}” updated.",
        ),
    }
    call, done = calls[action]
    return _run(request, contract, key, form, call, done, f"item-{item.pk}")


@login_required
@require_POST
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    form = ItemAddForm(request.POST, people=people_choices(contract), auto_id="add-item-%s")
    return _run(
        request,
        contract,
        "add-item",
        form,
        lambda d: onboarding.onboarding_item_add(
            actor=request.user,
            contract=contract,
            title=d["title"],
            owner_party=d["owner_party"],
            owner=_owner(contract, d["owner"]),
            due_date=d["due_date"],
            guidance=d["guidance"],
        ),
        "Item added to the onboarding plan.",
        "onboarding",
    )


@login_required
def item_file(request: HttpRequest, pk: int, item_id: int) -> FileResponse:
    contract = get_visible_contract(request.user, pk)
    item = get_object_or_404(OnboardingItem, pk=item_id, contract=contract)
    if not item.evidence_file:
        raise Http404("No attachment.")
    return _serve(item.evidence_file, item.evidence_file_name or item.evidence_file.name.rsplit("/", 1)[-1])


# -- onboarding templates (staff) --------------------------------------------------------------------------------


class TemplateForm(StyledForm):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_default = forms.BooleanField(required=False, label="Default for newly activated contracts")


class TemplateItemForm(StyledForm):
    title = forms.CharField(max_length=200, required=False)
    owner_party = forms.ChoiceField(choices=Party.choices, label="Owner")
    due_offset_days = forms.IntegerField(min_value=0, max_value=365, required=False, label="Due (days)")
    requires_resource = forms.BooleanField(required=False, label="Needs reading")
    guidance = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 1}))


TemplateItemFormSet = forms.formset_factory(TemplateItemForm, extra=2, max_num=40)


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        return _forbidden(request, "Only staff may edit onboarding templates.")
    templates = OnboardingTemplate.objects.prefetch_related(
        Prefetch("items", queryset=OnboardingTemplateItem.objects.order_by("order", "id"))
    )
    return render(request, "contracts/onboarding_templates.html", {"templates": templates})


@login_required
def template_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    if not request.user.is_staff:
        return _forbidden(request, "Only staff may edit onboarding templates.")
    template = get_object_or_404(OnboardingTemplate, pk=template_id) if template_id else None
    initial_items = [
        {
            "title": i.title,
            "owner_party": i.owner_party,
            "due_offset_days": i.due_offset_days,
            "requires_resource": i.requires_resource,
            "guidance": i.guidance,
        }
        for i in (template.items.order_by("order", "id") if template else [])
    ]
    form = TemplateForm(
        request.POST or None,
        initial={"name": template.name, "description": template.description, "is_default": template.is_default}
        if template
        else {},
    )
    formset = TemplateItemFormSet(request.POST or None, initial=initial_items, prefix="items")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and formset.is_valid():
            rows = [
                {**f.cleaned_data, "due_offset_days": f.cleaned_data.get("due_offset_days") or 0}
                for f in formset.forms
                if f.cleaned_data.get("title")
            ]
            try:
                saved = onboarding.onboarding_template_save(
                    actor=request.user,
                    template=template,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    is_default=form.cleaned_data["is_default"],
                    items=rows,
                )
            except NotPermitted as exc:
                return _forbidden(request, exc.message)
            except InvalidInput as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(request, f"Template “{saved.name}” saved.")
                return redirect("contracts:onboarding_templates")
    context = {"template": template, "form": form, "formset": formset}
    return render(request, "contracts/onboarding_template_edit.html", context, status=status)
