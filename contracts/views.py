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
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import organization_ids, standing
from accounts.identity.stepup import step_up_required
from accounts.models import Organization, User
from audit.views import render_entries
from contracts import detail, services
from contracts.access import can_amend, can_manage, contract_standing, get_visible_contract, is_buyer_manager
from contracts.api.trail import readable_trail
from contracts.diffing import MISSING, diff_terms, label_for
from contracts.filters import ORDERINGS, ContractFilter
from contracts.forms import ActivateForm, AmendForm, ContractCreateForm, TermsForm, apply_domain_errors
from contracts.models import Contract, ContractDocument, SLAVersion
from contracts.pdf import human_minutes, render_schedule_pdf, schedule_context
from contracts.terms import SCHEMA
from contracts.versions import in_force_among
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
                f"Contract {contract.reference} created with a draft SLA. Review the terms, then propose them to the vendor.",
            )
            return redirect("contracts:detail", pk=contract.pk)
    return render(request, "contracts/create.html", {"form": form})


# -- one contract ----------------------------------------------------------------------------


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = detail.page_contract(request.user, pk)
    # The board the page lists also answers the standing (no second query for its user ids).
    board, contacts, documents = detail.people(contract)
    contract._board_user_ids = {seat.user_id for seat in board}  # type: ignore[attr-defined]
    s = contract_standing(request.user, contract)
    versions = list(contract.sla_versions.order_by("number"))
    now = timezone.now()
    in_force = in_force_among(versions, now)  # the rule of version_in_force, over the versions loaded
    draft = next((v for v in versions if v.is_draft), None)
    upcoming = [v for v in versions if not v.is_draft and v.effective_from and v.effective_from > now]
    shown = in_force or draft or (versions[-1] if versions else None)
    requested = request.GET.get("v")
    if requested:
        shown = next((v for v in versions if str(v.number) == requested), None)
        if shown is None:
            raise Http404("No such SLA version.")
    by_pk = {v.pk: v for v in versions}
    for v in versions:
        v.contract = contract  # the page's contract, already loaded
        if v.based_on_id in by_pk:
            v.based_on = by_pk[v.based_on_id]  # the version it amends, among those loaded
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
        "contacts": contacts,
        "board": board,
        "documents": documents,
        "reviews": list(contract.annual_reviews.all()),  # prefetched
        "tr": detail.termination_state(contract),
        "onb": detail.onboarding_progress(contract),
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
    version.contract = contract
    person = cast(User, request.user)  # login_required
    s = contract_standing(person, contract)
    # A held draft's page only points at its holder (a review the board edits it in).
    if not (services.may_edit(s, person, version) or (version.is_held and can_amend(s))):
        return _forbidden(
            request,
            f"Only the {version.side}'s side edits draft SLA v{version.number}: the other party's people, "
            "board members among them, comment on it on the version page.",
            contract,
        )
    if version.is_proposed:
        return _conflict(
            request,
            contract,
            version,
            f"SLA v{version.number} is proposed for acceptance: its content is frozen. To change it, the proposer "
            "withdraws it, or the other party counter-proposes.",
        )
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


def _redline(old: SLAVersion, new: SLAVersion) -> list[dict[str, str]]:
    """The diff rows of ``new`` against ``old``, in the order the schedule reads."""
    changes = sorted(diff_terms(old.terms, new.terms), key=lambda row: _section_rank(row[0]))
    return [
        {"label": label_for(path), "path": path, "old": _show(path, before), "new": _show(path, after)}
        for path, before, after in changes
    ]


@login_required
def version_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """One version: its state, who accepted it, the actions the person may take, comments, and the redline
    against the version it answers or amends."""
    contract = get_visible_contract(request.user, pk)
    version = get_object_or_404(
        contract.sla_versions.select_related("based_on", "proposed_by", "activated_by"), number=number
    )
    version.contract = contract
    person = cast(User, request.user)  # login_required
    s = contract_standing(person, contract)
    side = services.party_side(s, person, contract)
    acceptances = list(version.acceptances.select_related("organization").order_by("accepted_at", "pk"))
    accepted_sides = {a.side for a in acceptances}
    # One query answers both "is a draft open?" and "was any version ever activated?".
    statuses = set(contract.sla_versions.values_list("status", flat=True).distinct())
    open_draft = SLAVersion.Status.DRAFT in statuses
    proposed = version.is_proposed
    zone = version.terms["calendar"]["timezone"]
    context = {
        "contract": contract,
        "version": version,
        "side": side,
        "acceptances": acceptances,
        "comments": list(version.comments.order_by("created_at", "pk")),
        "can_edit": version.is_draft and not version.is_held and services.may_edit(s, person, version),
        "can_propose": version.is_draft and not version.is_held and side == version.side,
        "can_accept": proposed and side is not None and side not in accepted_sides,
        "can_reject": proposed and side is not None and side != version.side,
        "can_withdraw": proposed and side == version.side,
        "can_counter": proposed and side is not None and side != version.side and not open_draft,
        "can_comment": s.sees and version.status in (SLAVersion.Status.DRAFT, SLAVersion.Status.PROPOSED),
        "can_override": s.is_staff and version.status in (SLAVersion.Status.DRAFT, SLAVersion.Status.PROPOSED),
        "propose_form": ActivateForm(zone=zone),
        "first": SLAVersion.Status.ACTIVE not in statuses,
        "base": version.based_on,
        "rows": _redline(version.based_on, version) if version.based_on else [],
        "proposed_from": version.proposed_from.astimezone(ZoneInfo(zone)) if version.proposed_from else None,
        "zone": zone,
    }
    return render(request, "contracts/version.html", context)


@login_required
@step_up_required
def version_accept(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """GET: the confirmation page (the checksum and effective date the person accepts). POST: accept the
    checksum carried in the form; a changed version is refused (409) with its current checksum."""
    contract = get_visible_contract(request.user, pk)
    version = _version(contract, number)
    version.contract = contract
    page = reverse("contracts:version", args=[contract.pk, version.number])
    zone = version.terms["calendar"]["timezone"]
    context = {
        "contract": contract,
        "version": version,
        "checksum": version.consent_checksum,
        "proposed_from": version.proposed_from.astimezone(ZoneInfo(zone)) if version.proposed_from else None,
        "zone": zone,
    }
    if request.method != "POST":
        if not version.is_proposed:
            messages.error(request, f"SLA v{version.number} is not proposed for acceptance.")
            return redirect(page)
        return render(request, "contracts/version_accept.html", context)
    try:
        version = services.sla_version_accept(
            actor=cast(User, request.user), version=version, checksum=request.POST.get("checksum", "")
        )
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    except services.ChecksumMismatch as exc:
        context.update({"message": exc.message, "stale": request.POST.get("checksum", "")})
        return render(request, "contracts/version_accept.html", context, status=409)
    except DomainError as exc:
        messages.error(request, _describe(exc))
        return redirect(page)
    if version.is_active:
        starts = (version.effective_from or timezone.now()).astimezone(ZoneInfo(zone))
        messages.success(
            request,
            f"SLA v{version.number} is accepted by both parties: in force from {starts:%d %b %Y %H:%M} ({zone}).",
        )
    else:
        messages.success(
            request, f"Your acceptance of SLA v{version.number} is recorded; the other party's is awaited."
        )
    return redirect(page)


@login_required
@require_POST
def version_act(request: HttpRequest, pk: int, number: int, action: str) -> HttpResponse:
    """Propose, reject, withdraw, counter-propose or comment, from the version page's forms."""
    contract = get_visible_contract(request.user, pk)
    version = _version(contract, number)
    version.contract = contract
    actor, form = cast(User, request.user), request.POST
    page = reverse("contracts:version", args=[contract.pk, version.number])
    done = ""
    try:
        if action == "propose":
            dates = ActivateForm(form, zone=version.terms["calendar"]["timezone"])
            if not dates.is_valid():
                messages.error(
                    request, "Effective from: " + " ".join(str(e) for e in dates.errors.get("effective_from", []))
                )
                return redirect(page)
            services.sla_version_propose(
                actor=actor, version=version, effective_from=dates.cleaned_data["effective_from"]
            )
            done = (
                f"SLA v{version.number} is proposed: your side's acceptance is recorded; the other party's is awaited."
            )
        elif action == "reject":
            services.sla_version_reject(actor=actor, version=version, reason=form.get("reason", ""))
            done = f"SLA v{version.number} rejected: it is back with its drafting side."
        elif action == "withdraw":
            services.sla_version_withdraw(actor=actor, version=version, reason=form.get("reason", ""))
            done = f"SLA v{version.number} withdrawn: it is a draft again."
        elif action == "counter":
            counter = services.sla_version_counter(
                actor=actor, version=version, change_summary=form.get("change_summary", "")
            )
            messages.success(
                request, f"Draft SLA v{counter.number} answers v{version.number}: edit it, then propose it."
            )
            return redirect("contracts:version_edit", pk=contract.pk, number=counter.number)
        else:
            services.sla_version_comment(actor=actor, version=version, body=form.get("body", ""))
            done = "Comment added."
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    except DomainError as exc:
        messages.error(request, _describe(exc))
        return redirect(page)
    messages.success(request, done)
    return redirect(page)


@login_required
@require_POST
def version_activate(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """The staff override, with its reason: the parties propose and accept instead."""
    contract = get_visible_contract(request.user, pk)
    version = _version(contract, number)
    version.contract = contract
    staff = cast(User, request.user)  # login_required
    if not staff.is_staff:
        return _forbidden(
            request,
            "Terms are put in force by both parties: one proposes, the other accepts (on the version page).",
            contract,
        )
    form = ActivateForm(request.POST, zone=version.terms["calendar"]["timezone"])
    page = reverse("contracts:version", args=[contract.pk, version.number])
    if not form.is_valid():
        messages.error(request, "Effective from: " + " ".join(str(e) for e in form.errors.get("effective_from", [])))
        return redirect(page)
    try:
        version = services.sla_version_activate_override(
            actor=staff,
            version=version,
            reason=request.POST.get("reason", ""),
            effective_from=form.cleaned_data["effective_from"],
            board_only=request.POST.get("board_only") == "on",
        )
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    except DomainError as exc:
        messages.error(request, _describe(exc))
        return redirect(page)
    zone = version.terms["calendar"]["timezone"]
    starts = (version.effective_from or timezone.now()).astimezone(ZoneInfo(zone))
    messages.success(
        request, f"SLA v{version.number} is active by staff override from {starts:%d %b %Y %H:%M} ({zone})."
    )
    return redirect(page)


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
        f"Draft SLA v{version.number} created from v{version.based_on.number}. Change its terms, then propose it to the other party.",
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
    rows = _redline(found[a], found[b])
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
def contract_audit(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    contract = get_visible_contract(request.user, pk)
    return render_entries(
        request,
        readable_trail(request.user, contract),
        title=f"Audit trail · {contract.reference}",
        csv_name=f"{_safe_name(contract.reference)}-audit.csv",
        extra={"subtitle": f"{contract.product} — {contract.buyer} and {contract.vendor}", "contract": contract},
    )
