"""The routine page itself: rendering it with its forms, and the form round trip every write on it goes through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from contracts import onboarding
from contracts.access import can_manage_side, contract_standing
from contracts.forms import StyledForm, apply_domain_errors
from contracts.models import ROUTINE_FILE_TYPES, BoardSeat, Contract, FeedbackItem, OnboardingItem, TrainingResource
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
    PartyRows,
    board_and_members,
    item_rows,
    onboarding_progress,
    party_rows,
    people_of,
    playbook_steps,
    raci_table,
    reading_status,
    shown_terms,
    with_terms_in_force,
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


def people_choices(
    contract: Contract, *, preloaded: PartyRows | None = None, seats: list[BoardSeat] | None = None
) -> list[tuple[str, str]]:
    """Who may own an item: the parties' active members and the board (two queries; none with
    ``preloaded`` and ``seats``)."""
    side = {contract.buyer_id: "Buyer", contract.vendor_id: "Vendor"}
    members = (preloaded or party_rows(contract)).members
    choices: dict[int, str] = {}
    for m in sorted(members, key=lambda m: (m.organization_id, m.user.first_name, m.user.username)):
        choices[m.user_id] = f"{m.user} ({side[m.organization_id]} · {m.get_role_display().lower()})"
    if seats is None:
        seats = list(BoardSeat.objects.filter(contract=contract).select_related("user"))
    for seat in seats:
        choices.setdefault(seat.user_id, f"{seat.user} (board)")
    return [(str(pk), label) for pk, label in choices.items()]


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
    # Loaded once for the whole page: the board (which also answers the standing), the contacts and
    # the parties' members (who fill the roles, own items and must read resources).
    # One query for the board and the members, one for the contacts.
    seats, members = board_and_members(contract)
    contract._board_user_ids = {seat.user_id for seat in seats}  # type: ignore[attr-defined]
    s = contract_standing(user, contract)
    manager = can_manage_side(s)
    rows = party_rows(contract, members=members)
    people = people_of(contract, preloaded=rows)
    owners = people_choices(contract, preloaded=rows, seats=seats) if manager else []

    items = item_rows(
        OnboardingItem.objects.filter(contract=contract)
        .select_related("owner", "done_by", "resource")
        .order_by("due_date", "order", "id")
    )
    resources = list(
        TrainingResource.objects.filter(contract=contract).select_related("added_by").order_by("added_at", "id")
    )
    reading = reading_status(contract, resources, user, preloaded=rows)
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

    version = shown_terms(contract)
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
        "progress": onboarding_progress(contract, items=items),
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
    return render_routine(request, _routine_contract(request.user, pk))


def _routine_contract(user: Any, pk: int) -> Contract:
    """``get_visible_contract`` with the terms the page shows on the same row (``shown_terms``)."""
    try:
        return with_terms_in_force(
            Contract.objects.visible_to(user).select_related("buyer", "vendor"), timezone.now()
        ).get(pk=pk)
    except (Contract.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contract.") from None


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


def _serve(field_file: Any, name: str) -> FileResponse:
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The file is missing.") from None
    return FileResponse(
        handle, as_attachment=True, filename=name, content_type=ROUTINE_FILE_TYPES.get(ext, "application/octet-stream")
    )
