"""The contract's working routine: onboarding plan, training resources, the
playbook and RACI of the terms in force, and the feedback register.

The contract is fetched through ``get_visible_contract`` (a stranger gets
404 on every route), every write goes through ``contracts.onboarding``. A
refused write re-renders the page with the form and its errors (400), a
state conflict with the reason (409), a missing right the 403 page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Membership
from contracts import onboarding
from contracts.access import can_manage_side, contract_standing, get_visible_contract
from contracts.forms import StyledForm, apply_domain_errors
from contracts.models import (
    ROUTINE_FILE_TYPES,
    BoardSeat,
    Contract,
    FeedbackItem,
    OnboardingItem,
    OnboardingTemplate,
    OnboardingTemplateItem,
    Party,
    TrainingResource,
)
from contracts.onboarding.forms import (
    FeedbackCloseForm,
    FeedbackForm,
    FeedbackRespondForm,
    ItemAddForm,
    ItemDoneForm,
    ItemEditForm,
    ItemEvidenceForm,
    ItemWaiveForm,
    ResourceForm,
)
from contracts.onboarding.selectors import (
    item_rows,
    onboarding_progress,
    people_of,
    playbook_steps,
    raci_table,
    reading_status,
    terms_in_force,
)
from contracts.pdf import role_label
from contracts.terms import SEVERITIES
from core.errors import Conflict, DomainError, InvalidInput, NotPermitted

ITEM_FORMS: dict[str, type[StyledForm]] = {
    "done": ItemDoneForm,
    "evidence": ItemEvidenceForm,
    "waive": ItemWaiveForm,
    "edit": ItemEditForm,
}
FEEDBACK_FORMS: dict[str, type[StyledForm]] = {"respond": FeedbackRespondForm, "close": FeedbackCloseForm}


def _forbidden(request: HttpRequest, message: str, contract: Contract | None = None) -> HttpResponse:
    return render(request, "contracts/forbidden.html", {"message": message, "contract": contract}, status=403)


def people_choices(contract: Contract) -> list[tuple[str, str]]:
    """Who may own an item: the parties' active members and the board (two queries)."""
    side = {contract.buyer_id: "Buyer", contract.vendor_id: "Vendor"}
    choices: dict[int, str] = {}
    for m in (
        Membership.objects.filter(organization_id__in=list(side), is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("organization_id", "user__first_name", "user__username")
    ):
        choices[m.user_id] = f"{m.user} ({side[m.organization_id]} · {m.get_role_display().lower()})"
    for seat in BoardSeat.objects.filter(contract=contract).select_related("user"):
        choices.setdefault(seat.user_id, f"{seat.user} (board)")
    return [(str(pk), label) for pk, label in choices.items()]


def _owner(contract: Contract, value: str) -> Any:
    if not value:
        return None
    from accounts.models import User

    return User.objects.filter(pk=value).first()


def _apply(form: forms.Form, exc: DomainError) -> None:
    """Service errors on the inputs: ``evidence[0].id`` on ``evidence`` and so on."""
    mapped: dict[str, list[str]] = {}
    for key, msgs in exc.errors.items():
        base = key.split("[", 1)[0].split(".", 1)[0]
        mapped.setdefault(base if base in form.fields else key, []).extend(msgs)
    apply_domain_errors(form, InvalidInput(exc.message, errors=mapped))


# -- the page ------------------------------------------------------------------------------------


def render_routine(
    request: HttpRequest, contract: Contract, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    bound = bound or {}
    user = request.user
    s = contract_standing(user, contract)
    manager = can_manage_side(s)
    people = people_of(contract)
    owners = people_choices(contract) if manager else []

    items = item_rows(
        OnboardingItem.objects.filter(contract=contract)
        .select_related("owner", "done_by", "resource")
        .order_by("due_date", "order", "id")
    )
    resources = list(
        TrainingResource.objects.filter(contract=contract).select_related("added_by").order_by("added_at", "id")
    )
    reading = reading_status(contract, resources, user)
    read_by_resource = {row["resource"].pk: row for row in reading}
    for item in items:
        item.contract = contract
        item.reading = read_by_resource.get(item.resource_id)
        item.can_work = item.status == OnboardingItem.Status.OPEN and onboarding.can_work_item(s, item, user)
        item.can_add_evidence = item.status != OnboardingItem.Status.WAIVED and onboarding.can_work_item(s, item, user)
        item.can_manage = manager and item.status == OnboardingItem.Status.OPEN
        item.forms = {}
        for action, form_class in ITEM_FORMS.items():
            allowed = {
                "done": item.can_work,
                "evidence": item.can_add_evidence,
                "waive": item.can_manage,
                "edit": item.can_manage,
            }[action]
            if not allowed:
                continue
            key = f"{action}-{item.pk}"
            if key in bound:
                item.forms[action] = bound[key]
                continue
            kwargs: dict[str, Any] = {"auto_id": f"{key}-%s"}
            if action == "edit":
                kwargs.update(
                    people=owners,
                    initial={"title": item.title, "owner": item.owner_id or "", "due_date": item.due_date},
                )
            item.forms[action] = form_class(**kwargs)
        item.open = {a: True for a in ITEM_FORMS if f"{a}-{item.pk}" in bound}

    version = terms_in_force(contract)
    terms = version.terms if version else {}
    steps = playbook_steps(terms, people) if version else []
    playbook = [
        {"severity": sev, "label": sev.capitalize(), "steps": [st for st in steps if st["severity"] == sev]}
        for sev in SEVERITIES
        if any(st["severity"] == sev for st in steps)
    ]
    raci = raci_table(terms, people) if version else []

    feedback = list(
        FeedbackItem.objects.filter(contract=contract)
        .select_related("raised_by", "responded_by", "closed_by")
        .order_by("-created_at", "-id")
    )
    side = onboarding.party_of(s)
    worker = onboarding.is_worker(s)
    for f in feedback:
        f.links = onboarding.evidence_links(f.evidence)
        f.can_respond = f.status != FeedbackItem.Status.CLOSED and (s.is_staff or (worker and side == f.other_side))
        f.can_close = f.status != FeedbackItem.Status.CLOSED and (s.is_staff or (worker and side == f.side))
        f.forms = {}
        for action, form_class in FEEDBACK_FORMS.items():
            if getattr(f, f"can_{action}"):
                key = f"{action}-fb{f.pk}"
                f.forms[action] = bound.get(key) or form_class(auto_id=f"{key}-%s")
        f.open = {a: True for a in FEEDBACK_FORMS if f"{a}-fb{f.pk}" in bound}

    open_items = [(str(i.pk), i.title) for i in items if i.status == OnboardingItem.Status.OPEN]
    context = {
        "contract": contract,
        "standing": s,
        "manager": manager,
        "progress": onboarding_progress(contract),
        "items": items,
        "add_item_form": bound.get("add-item") or ItemAddForm(people=owners, auto_id="add-item-%s"),
        "resources": reading,
        "add_resource_form": bound.get("add-resource") or ResourceForm(items=open_items, auto_id="add-resource-%s"),
        "version": version,
        "playbook": playbook,
        "raci": raci,
        "raci_flagged": sum(1 for r in raci if r["flagged"]),
        "feedback": feedback,
        "feedback_open": sum(1 for f in feedback if f.status != FeedbackItem.Status.CLOSED),
        "can_log_feedback": s.is_staff or worker,
        "feedback_form": bound.get("feedback") or FeedbackForm(staff=s.is_staff and not side, auto_id="feedback-%s"),
        "open_forms": {k.replace("-", "_"): True for k in ("add-item", "add-resource", "feedback") if k in bound},
        "role_label": role_label,
    }
    return render(request, "contracts/routine.html", context, status=status)


@login_required
def routine(request: HttpRequest, pk: int) -> HttpResponse:
    return render_routine(request, get_visible_contract(request.user, pk))


def _run(
    request: HttpRequest,
    contract: Contract,
    key: str,
    form: forms.Form,
    call: Callable[[dict[str, Any]], Any],
    done: str,
    anchor: str,
) -> HttpResponse:
    """Parse, call the service, and answer: redirect with a flash on success;
    the page with the form's errors (400) or the conflict (409) otherwise."""
    if not form.is_valid():
        messages.error(request, "Please correct the errors shown with the form.")
        return render_routine(request, contract, bound={key: form}, status=400)
    try:
        call(form.cleaned_data)
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    except Conflict as exc:
        messages.error(request, exc.message)
        return render_routine(request, contract, status=409)
    except InvalidInput as exc:
        _apply(form, exc)
        messages.error(request, exc.message)
        return render_routine(request, contract, bound={key: form}, status=400)
    messages.success(request, done)
    return redirect(f"{reverse('contracts:routine', args=[contract.pk])}#{anchor}")


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


def _serve(field_file: Any, name: str) -> FileResponse:
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The file is missing.") from None
    return FileResponse(
        handle, as_attachment=True, filename=name, content_type=ROUTINE_FILE_TYPES.get(ext, "application/octet-stream")
    )


@login_required
def item_file(request: HttpRequest, pk: int, item_id: int) -> FileResponse:
    contract = get_visible_contract(request.user, pk)
    item = get_object_or_404(OnboardingItem, pk=item_id, contract=contract)
    if not item.evidence_file:
        raise Http404("No attachment.")
    return _serve(item.evidence_file, item.evidence_file_name or item.evidence_file.name.rsplit("/", 1)[-1])


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
