"""The contract's setup page (``/contracts/<pk>/setup/``): the parties'
contacts, the governance board and the documents. The contract comes through
the visibility rule (another tenant's is a 404); each write goes through a
service, which checks the role (403 here with its message)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.http import signed_in
from accounts.models import User
from contracts import services
from contracts.access import can_manage, can_manage_side, contract_standing, get_visible_contract
from contracts.forms.base import apply_domain_errors
from contracts.models import BoardSeat, Contract, ContractContact, ContractDocument
from contracts.setup import services as setup
from contracts.setup.forms import BoardSeatForm, ContactForm, DocumentForm
from core.errors import Conflict, DomainError, NotPermitted


def _forbidden(request: HttpRequest, message: str, contract: Contract) -> HttpResponse:
    return render(request, "contracts/forbidden.html", {"message": message, "contract": contract}, status=403)


def board_candidates(contract: Contract) -> QuerySet[User]:
    """Active people of either party, each with their organization's name."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__organization_id__in=[contract.buyer_id, contract.vendor_id],
            memberships__is_active=True,
        )
        .annotate(org_name=F("memberships__organization__name"))
        .order_by("org_name", "last_name", "first_name", "username")
    )


def _load_board(contract: Contract) -> list[BoardSeat]:
    """The board the page lists, which also answers the standing (no second query for its user ids)."""
    board = list(contract.board.select_related("user"))
    contract._board_user_ids = {seat.user_id for seat in board}  # type: ignore[attr-defined]
    return board


def _page(
    request: HttpRequest, contract: Contract, *, board: list[BoardSeat] | None = None, **forms: Any
) -> HttpResponse:
    board = _load_board(contract) if board is None else board
    s = contract_standing(request.user, contract)
    sides = setup.own_sides(s)
    documents = list(contract.documents.select_related("uploaded_by"))
    vendor_uploaders = setup.vendor_uploader_ids(contract, documents)
    context = {
        "contract": contract,
        "standing": s,
        "sides": sides,
        "contacts": list(contract.contacts.all()),
        "board": board,
        "documents": documents,
        "removable": {d.pk for d in documents if setup.may_remove_document(s, d, vendor_uploaders)},
        "can_manage_board": can_manage(s),
        "contact_form": forms.get("contact_form") or ContactForm(sides=sides),
        "seat_form": forms.get("seat_form")
        or (BoardSeatForm(candidates=board_candidates(contract)) if can_manage(s) else None),
        "document_form": forms.get("document_form") or DocumentForm(),
    }
    bound = any(f is not None and f.is_bound and f.errors for f in forms.values())
    return render(request, "contracts/setup/setup.html", context, status=400 if bound else 200)


def _back(contract: Contract, anchor: str) -> HttpResponse:
    return redirect(f"{reverse('contracts:setup', args=[contract.pk])}#{anchor}")


@login_required
def setup_page(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    board = _load_board(contract)
    if not can_manage_side(contract_standing(request.user, contract)):
        return _forbidden(request, "Only the parties' managers set up contacts, the board and documents.", contract)
    return _page(request, contract, board=board)


@login_required
@require_POST
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    s = contract_standing(request.user, contract)
    form = ContactForm(request.POST, sides=setup.own_sides(s))
    if not setup.own_sides(s):
        return _forbidden(request, "Only the parties' managers may change contacts.", contract)
    if form.is_valid():
        try:
            contact = services.contact_add(actor=signed_in(request), contract=contract, **form.cleaned_data)
        except NotPermitted as exc:
            return _forbidden(request, exc.message, contract)
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request,
                f"{contact.name} added as {contact.get_side_display().lower()} {contact.get_role_display().lower()}.",
            )
            return _back(contract, "contacts")
    return _page(request, contract, contact_form=form)


@login_required
@require_POST
def contact_remove(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    contact = get_object_or_404(ContractContact, pk=contact_id, contract=contract)
    contact.contract = contract
    try:
        setup.contact_remove(actor=signed_in(request), contact=contact)
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    messages.success(request, f"{contact.name} is no longer a contact.")
    return _back(contract, "contacts")


@login_required
@require_POST
def seat_add(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    if not can_manage(contract_standing(request.user, contract)):
        return _forbidden(request, "Only the buyer's contract managers may change the board.", contract)
    form = BoardSeatForm(request.POST, candidates=board_candidates(contract))
    if form.is_valid():
        try:
            seat = services.board_seat_add(actor=signed_in(request), contract=contract, **form.cleaned_data)
        except NotPermitted as exc:
            return _forbidden(request, exc.message, contract)
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, f"{seat.user} sits on the board{' as its chair' if seat.is_chair else ''}.")
            return _back(contract, "board")
    return _page(request, contract, seat_form=form)


@login_required
@require_POST
def seat_remove(request: HttpRequest, pk: int, seat_id: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    seat = get_object_or_404(BoardSeat.objects.select_related("user"), pk=seat_id, contract=contract)
    seat.contract = contract
    try:
        services.board_seat_remove(actor=signed_in(request), seat=seat)
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    messages.success(request, f"{seat.user} no longer sits on the board.")
    return _back(contract, "board")


@login_required
@require_POST
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    if not can_manage_side(contract_standing(request.user, contract)):
        return _forbidden(request, "Only the parties' managers may upload documents.", contract)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            doc = services.document_upload(actor=signed_in(request), contract=contract, **form.cleaned_data)
        except NotPermitted as exc:
            return _forbidden(request, exc.message, contract)
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, f"“{doc.title}” uploaded.")
            return _back(contract, "documents")
    return _page(request, contract, document_form=form)


@login_required
@require_POST
def document_remove(request: HttpRequest, pk: int, doc_id: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    document = get_object_or_404(ContractDocument, pk=doc_id, contract=contract)
    document.contract = contract
    try:
        setup.document_remove(actor=signed_in(request), document=document)
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    except Conflict as exc:  # a legal hold keeps it: the page names the hold
        return render(request, "contracts/forbidden.html", {"message": exc.message, "contract": contract}, status=409)
    messages.success(request, f"“{document.title}” removed.")
    return _back(contract, "documents")
