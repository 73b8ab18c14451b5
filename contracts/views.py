"""Contract pages. Every contract is fetched through ``get_visible_contract`` or
``Contract.objects.visible_to`` (another tenant's contract is a 404), every
write goes through ``contracts.services``; views parse, call, and show."""

from __future__ import annotations

import re
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import organization_ids, standing
from accounts.models import Organization, User
from audit.views import render_entries
from contracts import services
from contracts.access import can_amend, can_manage, contract_standing, get_visible_contract, is_buyer_manager
from contracts.api.trail import readable_trail
from contracts.diffing import MISSING, diff_terms, label_for
from contracts.filters import ORDERINGS, ContractFilter
from contracts.forms import ActivateForm, AmendForm, ContractCreateForm, TermsForm, apply_domain_errors
from contracts.models import Contract, ContractDocument, SLAVersion
from contracts.pdf import human_minutes, render_schedule_pdf, schedule_context
from contracts.terms import SCHEMA
from core.downloads import content_disposition
from core.errors import Conflict, DomainError, InvalidInput, NotPermitted

PAGE_SIZE = 25
# Shown for a GET of a frozen version (a POST gets the service's own Conflict message).
_FROZEN = "SLA v{number} is active and frozen; to change its terms, amend it into a new version."
NOTICE_WARNING_DAYS = 90


# -- helpers -----------------------------------------------------------------------------


def manageable_buyers(user: Any) -> QuerySet[Organization]:
    """Buyer organizations the user may create contracts for (staff: all)."""
    buyers = Organization.objects.filter(kind=Organization.Kind.BUYER).order_by("name")
    if getattr(user, "is_staff", False):
        return buyers
    ids = [oid for oid in organization_ids(user) if can_manage(standing(user, buyer_id=oid, vendor_id=0))]
    return buyers.filter(pk__in=ids)


def _forbidden(request: HttpRequest, message: str, contract: Contract | None = None) -> HttpResponse:
    return render(request, "contracts/forbidden.html", {"message": message, "contract": contract}, status=403)


def _conflict(request: HttpRequest, contract: Contract, version: SLAVersion, message: str) -> HttpResponse:
    s = contract_standing(request.user, contract)
    draft = contract.sla_versions.filter(status=SLAVersion.Status.DRAFT).first()
    context = {
        "contract": contract,
        "version": version,
        "message": message,
        "can_amend": can_amend(s),
        "open_draft": draft,
        "amend_form": AmendForm(),
    }
    return render(request, "contracts/conflict.html", context, status=409)


def _held(request: HttpRequest, contract: Contract, version: SLAVersion) -> HttpResponse:
    """A draft an annual review's amendment holds: edited in the review, which
    puts every change to the board again. The page links there (409)."""
    return render(request, "contracts/version_edit.html", {"contract": contract, "version": version}, status=409)


def _describe(exc: DomainError) -> str:
    """The error and its field messages, as one sentence for a flash message."""
    details = " ".join(
        f"{key.replace('_', ' ').capitalize()}: {' '.join(msgs)}" for key, msgs in exc.errors.items() if msgs
    )
    return f"{exc.message} {details}".strip()


def _version(contract: Contract, number: int) -> SLAVersion:
    return get_object_or_404(contract.sla_versions.select_related("contract"), number=number)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "contract"


# -- list and create -----------------------------------------------------------------------


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    visible = Contract.objects.visible_to(request.user)
    filterset = ContractFilter(request.GET, queryset=visible.for_list())
    contracts = filterset.qs if filterset.is_valid() else visible.none()
    page = Paginator(contracts, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for contract in page:
        contract.days_to_notice = (contract.notice_deadline - today).days
        contract.notice_soon = 0 <= contract.days_to_notice <= NOTICE_WARNING_DAYS
    params = request.GET.copy()
    params.pop("page", None)
    current = request.GET.get("o") or "reference"
    sort_links = {}
    for column in ("reference", "term_end", "notice_deadline"):
        toggled = params.copy()
        toggled["o"] = f"-{column}" if current == column else column
        sort_links[column] = {
            "query": toggled.urlencode(),
            "arrow": "▲" if current == column else "▼" if current == f"-{column}" else "",
        }
    context = {
        "page": page,
        "filter": filterset,
        "querystring": params.urlencode(),
        "sort_links": sort_links,
        "orderings": ORDERINGS,
        "can_create": manageable_buyers(request.user).exists(),
        "notice_warning_days": NOTICE_WARNING_DAYS,
        "invitations": list(Contract.objects.invitations_for(request.user).order_by("pk")),
    }
    return render(request, "contracts/list.html", context)


@login_required
@require_POST
def invitation_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The vendor's Accept or Decline of a contract a buyer named it on. Only
    invitations to the user's own organization are found (404 otherwise)."""
    contract = get_object_or_404(Contract.objects.invitations_for(request.user), pk=pk)
    actor = cast(User, request.user)  # login_required
    try:
        if request.POST.get("answer") == "accept":
            services.contract_vendor_accept(actor=actor, contract=contract)
            messages.success(request, f"{contract.reference} accepted: it is now on your contract list.")
        else:
            services.contract_vendor_decline(actor=actor, contract=contract, reason=request.POST.get("reason", ""))
            messages.success(request, f"{contract.reference} declined.")
    except NotPermitted as exc:
        return _forbidden(request, exc.message)
    except DomainError as exc:
        messages.error(request, _describe(exc))
    return redirect("contracts:list")


@login_required
def contract_create(request: HttpRequest) -> HttpResponse:
    buyers = manageable_buyers(request.user)
    if not buyers.exists():
        return _forbidden(request, "Only a buyer's contract managers and staff may create contracts.")
    form = ContractCreateForm(request.POST or None, buyers=buyers)
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(actor=request.user, **form.cleaned_data)
        except NotPermitted as exc:
            return _forbidden(request, exc.message)
        except InvalidInput as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request,
                f"Contract {contract.reference} created with a draft SLA. Review the terms, then activate them.",
            )
            return redirect("contracts:detail", pk=contract.pk)
    return render(request, "contracts/create.html", {"form": form})


# -- one contract ----------------------------------------------------------------------------


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    s = contract_standing(request.user, contract)
    versions = list(contract.sla_versions.order_by("number"))
    now = timezone.now()
    in_force = services.version_in_force(contract, now)
    draft = next((v for v in versions if v.is_draft), None)
    upcoming = [v for v in versions if not v.is_draft and v.effective_from and v.effective_from > now]
    shown = in_force or draft or (versions[-1] if versions else None)
    requested = request.GET.get("v")
    if requested:
        shown = next((v for v in versions if str(v.number) == requested), None)
        if shown is None:
            raise Http404("No such SLA version.")
    for v in versions:
        v.contract = contract  # the page's contract, already loaded
    zone = (draft or shown).terms["calendar"]["timezone"] if (draft or shown) else "UTC"
    context = {
        "contract": contract,
        "can_amend": can_amend(s),
        "can_manage": can_manage(s),
        "standing": s,
        "versions": versions,
        "in_force": in_force,
        "draft": draft,
        "upcoming": upcoming,
        "shown": shown,
        "sched": schedule_context(shown, contract) if shown else None,
        "activate_form": ActivateForm(zone=zone) if draft else None,
        "first_activation": not any(not v.is_draft for v in versions),
        "amend_form": AmendForm(),
        "contacts": list(contract.contacts.all()),
        "board": list(contract.board.select_related("user")),
        "documents": list(contract.documents.select_related("uploaded_by")),
        "days_to_notice": (contract.notice_deadline - timezone.localdate()).days,
        "notice_warning_days": NOTICE_WARNING_DAYS,
        "now": now,
        "can_end_termination": is_buyer_manager(s),
        "termination_step": request.GET.get("termination", ""),  # "exercise": its confirmation step
    }
    return render(request, "contracts/detail.html", context)


@login_required
@require_POST
def termination_right(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Exercise (posted by the contract page's confirmation step) or waive the open termination right."""
    contract = get_visible_contract(request.user, pk)
    page, form, actor = reverse("contracts:detail", args=[contract.pk]), request.POST, cast(User, request.user)
    try:
        if action == "exercise":
            services.contract_termination_right_exercise(actor=actor, contract=contract, note=form.get("note", ""))
        else:
            services.contract_termination_right_waive(actor=actor, contract=contract, reason=form.get("reason", ""))
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    except DomainError as exc:
        messages.error(request, _describe(exc))
        return redirect(f"{page}?termination={action}#termination-actions")
    done = "exercised: the buyer's decision to terminate is recorded" if action == "exercise" else "waived"
    messages.success(request, f"The termination right on {contract.reference} is {done}.")
    return redirect(f"{page}#termination-right")


@login_required
def document_download(request: HttpRequest, pk: int, doc_id: int) -> FileResponse:
    contract = get_visible_contract(request.user, pk)
    doc = get_object_or_404(ContractDocument, pk=doc_id, contract=contract)
    name = doc.file.name.rsplit("/", 1)[-1]
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    try:
        handle = doc.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type=ContractDocument.ALLOWED_TYPES.get(ext, "application/octet-stream"),
    )


# -- SLA versions ----------------------------------------------------------------------------------


@login_required
def version_edit(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    version = _version(contract, number)
    if not can_amend(contract_standing(request.user, contract)):
        return _forbidden(request, "Only the buyer's contract managers and the board may edit the SLA.", contract)
    if request.method != "POST" and not version.is_draft:
        return _conflict(request, contract, version, _FROZEN.format(number=version.number))
    if version.is_held:
        return _held(request, contract, version)
    if request.method == "POST":
        form = TermsForm(request.POST, terms=version.terms)
        if form.is_valid():
            try:
                services.sla_version_update(
                    actor=request.user,
                    version=version,
                    terms=form.build_terms(),
                    change_summary=form.cleaned_data["change_summary"],
                )
            except NotPermitted as exc:
                return _forbidden(request, exc.message, contract)
            except Conflict as exc:
                if exc.state == services.HELD:  # held while the form was open
                    version.refresh_from_db()
                    return _held(request, contract, version)
                return _conflict(request, contract, version, exc.message)
            except InvalidInput as exc:
                form.apply_errors(exc.errors)
                if not exc.errors:
                    form.add_error(None, exc.message)
            else:
                messages.success(request, f"Draft SLA v{version.number} saved.")
                return redirect(f"{reverse('contracts:detail', args=[contract.pk])}?v={version.number}")
        elif not version.is_draft:
            return _conflict(request, contract, version, _FROZEN.format(number=version.number))
    else:
        form = TermsForm(terms=version.terms, change_summary=version.change_summary)
    return render(request, "contracts/version_edit.html", {"contract": contract, "version": version, "form": form})


@login_required
@require_POST
def version_activate(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    version = _version(contract, number)
    form = ActivateForm(request.POST, zone=version.terms["calendar"]["timezone"])
    if not form.is_valid():
        messages.error(request, "Effective from: " + " ".join(form.errors.get("effective_from", ["Invalid date."])))
        return redirect("contracts:detail", pk=contract.pk)
    try:
        version = services.sla_version_activate(
            actor=request.user, version=version, effective_from=form.cleaned_data["effective_from"]
        )
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    except DomainError as exc:
        messages.error(request, _describe(exc))
        return redirect("contracts:detail", pk=contract.pk)
    zone = version.terms["calendar"]["timezone"]
    starts = version.effective_from.astimezone(ZoneInfo(zone))
    messages.success(request, f"SLA v{version.number} is active from {starts:%d %b %Y %H:%M} ({zone}).")
    return redirect("contracts:detail", pk=contract.pk)


@login_required
@require_POST
def version_amend(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    form = AmendForm(request.POST)
    summary = form.cleaned_data["change_summary"] if form.is_valid() else ""
    try:
        version = services.sla_version_amend(actor=request.user, contract=contract, change_summary=summary)
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    except DomainError as exc:
        messages.error(request, _describe(exc))
        return redirect("contracts:detail", pk=contract.pk)
    messages.success(
        request,
        f"Draft SLA v{version.number} created from v{version.based_on.number}. Change its terms, then activate it.",
    )
    return redirect("contracts:version_edit", pk=contract.pk, number=version.number)


@login_required
def version_list(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    versions = list(contract.sla_versions.select_related("activated_by", "created_by", "based_on").order_by("number"))
    numbers = [v.number for v in versions]
    context = {
        "contract": contract,
        "versions": versions,
        "default_a": numbers[-2] if len(numbers) > 1 else (numbers[0] if numbers else None),
        "default_b": numbers[-1] if numbers else None,
        "now": timezone.now(),
    }
    return render(request, "contracts/versions.html", context)


def _show(path: str, value: Any) -> str:
    if value is MISSING:
        return "—"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, int) and path.endswith("_minutes"):
        return f"{value} min ({human_minutes(value)})"
    return str(value)


def _section_rank(path: str) -> int:
    """Diff rows in the order the schedule reads (stable within a section)."""
    top = re.split(r"[.\[]", path, maxsplit=1)[0]
    order = SCHEMA["required"]
    return order.index(top) if top in order else len(order)


@login_required
def version_diff(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    try:
        a, b = int(request.GET["a"]), int(request.GET["b"])
    except (KeyError, ValueError):
        messages.error(request, "Choose two versions to compare.")
        return redirect("contracts:versions", pk=contract.pk)
    found = {v.number: v for v in contract.sla_versions.filter(number__in=[a, b])}
    if a not in found or b not in found:
        raise Http404("No such SLA version.")
    changes = sorted(diff_terms(found[a].terms, found[b].terms), key=lambda row: _section_rank(row[0]))
    rows = [
        {"label": label_for(path), "path": path, "old": _show(path, old), "new": _show(path, new)}
        for path, old, new in changes
    ]
    old_summary, new_summary = found[a].change_summary, found[b].change_summary
    context = {
        "contract": contract,
        "a": found[a],
        "b": found[b],
        "rows": rows,
        "summaries": (old_summary, new_summary),
        "numbers": list(contract.sla_versions.order_by("number").values_list("number", flat=True)),
    }
    return render(request, "contracts/diff.html", context)


@login_required
def schedule_pdf(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    version = _version(contract, number)
    response = HttpResponse(render_schedule_pdf(version), content_type="application/pdf")
    filename = f"{_safe_name(contract.reference)}-SLA-v{version.number}{'-DRAFT' if version.is_draft else ''}.pdf"
    response["Content-Disposition"] = content_disposition(filename, inline=True)
    return response


@login_required
def contract_audit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    return render_entries(
        request,
        readable_trail(request.user, contract),
        title=f"Audit trail · {contract.reference}",
        csv_name=f"{_safe_name(contract.reference)}-audit.csv",
        extra={"subtitle": f"{contract.product} — {contract.buyer} and {contract.vendor}", "contract": contract},
    )
