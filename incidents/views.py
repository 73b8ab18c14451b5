"""Incident pages.

Every read goes through ``Incident.objects.visible_to`` (another tenant's
incident is a 404, never a 403); every write goes through
``incidents.services``. Views parse, call, and show: ``InvalidInput`` becomes
field errors, ``NotPermitted`` the 403 page with the service's message,
``Conflict`` an error flash naming the state and what is allowed (409).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import organization_ids, standing
from accounts.models import Organization
from contracts.access import contract_standing
from contracts.forms import apply_domain_errors
from contracts.models import Contract
from contracts.onboarding.selectors import people_of
from contracts.terms import Terms
from core.api import CappedPaginator as Paginator
from core.errors import Conflict, InvalidInput, NotPermitted
from core.exports import export_response, requested_format
from core.filters import query_int
from core.options import options
from incidents import exports, services, worklist
from incidents.actions import ACTIONS, conflict_message
from incidents.detail import HEADER, Detail, load_detail
from incidents.filters import IncidentFilter
from incidents.forms import (
    ActionForm,
    ImportForm,
    IncidentCreateForm,
)
from incidents.models import (
    TARGET_KINDS,
    ExclusionClaim,
    Incident,
    IncidentAttachment,
    IncidentLink,
    Severity,
)
from incidents.presenters import clock_cards, next_countdown, when_parts, zone_of
from incidents.services.base import is_buyer_actor, is_party_actor, is_vendor_actor
from incidents.services.playbook import playbook_checklist, tick_playbook_step

PAGE_SIZE = 25
DUE_WITHIN_CHOICES = [(30, "30 minutes"), (60, "1 hour"), (240, "4 hours"), (480, "8 hours"), (1440, "24 hours")]
SORTABLE = ("opened_at", "severity", "status", "next_due_at")
DEFAULT_ORDER = "-opened_at"


# -- presentation helpers -------------------------------------------------------------------


def _forbidden(request: HttpRequest, message: str, incident: Incident | None = None) -> HttpResponse:
    return render(request, "incidents/forbidden.html", {"message": message, "incident": incident}, status=403)


def get_visible_incident(user: Any, pk: int) -> Incident:
    """The incident if the user may see it; 404 otherwise."""
    try:
        return Incident.objects.visible_to(user).select_related(*HEADER).get(pk=pk)
    except Incident.DoesNotExist:
        raise Http404("No such incident.") from None


def openable_contracts(user: Any) -> list[Contract]:
    """Active contracts the user sees and may open incidents on (the services'
    own role test, ``is_buyer_actor``, decides). Only a buyer-side membership
    or staff can qualify, so other contracts are not even loaded."""
    contracts = Contract.objects.visible_to(user).active().select_related("buyer", "vendor").order_by("reference")
    if not getattr(user, "is_staff", False):
        contracts = contracts.filter(buyer_id__in=organization_ids(user))
    return [c for c in contracts if is_buyer_actor(standing(user, buyer_id=c.buyer_id, vendor_id=c.vendor_id))]


# -- list ------------------------------------------------------------------------------------


ContractRow = tuple[int, str, int, str, int, str]  # pk, reference, vendor, vendor name, buyer, status


def _attach_contracts(page: Any, rows: list[ContractRow]) -> None:
    """The page's contracts and vendors, as the row shows them, from the
    visible contracts already loaded for the filter choices: no query."""
    by_pk = {row[0]: row for row in rows}
    made: dict[int, Contract] = {}
    for incident in page:
        row = by_pk.get(incident.contract_id)
        if row is None:
            continue  # not among the visible contracts' rows: loaded on use, as before
        if row[0] not in made:
            pk, ref, vendor_id, name, buyer, status = row
            vendor = Organization(pk=vendor_id, name=name)
            made[pk] = Contract(pk=pk, reference=ref, vendor=vendor, buyer_id=buyer, status=status)
        incident.contract = made[row[0]]


def _may_open_among(user: Any, rows: list[ContractRow]) -> bool:
    """Whether the user may open an incident on one of the visible contracts
    the list already loaded (pk, reference, vendor, vendor name, buyer,
    status): the services' own role test, no query of its own."""
    active = [(b, v) for _, _, v, _, b, status in rows if status == Contract.Status.ACTIVE]
    if getattr(user, "is_staff", False):
        return bool(active)
    mine = set(organization_ids(user))
    return any(is_buyer_actor(standing(user, buyer_id=b, vendor_id=v)) for b, v in active if b in mine)


@login_required
def incident_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    now = timezone.now()
    # Filter choices: the visible contracts and their vendors, as plain rows
    # (a large portfolio has a thousand of them; model instances cost too much).
    # Their number plans the list query and they say whether the user may open one.
    rows = list(
        Contract.objects.visible_to(request.user)
        .order_by("reference")
        .values_list("pk", "reference", "vendor_id", "vendor__name", "buyer_id", "status")
    )
    visible = Incident.objects.visible_to(request.user)
    filterset = IncidentFilter(
        request.GET,
        queryset=Incident.objects.listed_for(request.user, visible_contracts=len(rows)),
        request=request,
        now=now,
    )
    incidents = filterset.qs if filterset.is_valid() else visible.none()
    try:
        fmt = requested_format(request.GET.get("export"))
    except InvalidInput as exc:
        return HttpResponse(f"export: {exc.errors['export'][0]}", status=400, content_type="text/plain")
    if fmt is not None:
        return export_response(
            fmt=fmt, filename="incidents", header=exports.HEADER, rows=exports.rows(incidents), sheet="Incidents"
        )
    # The rows' contracts come from the filter choices' rows, not a prefetch.
    page = Paginator(incidents.prefetch_related(None), PAGE_SIZE).get_page(request.GET.get("page"))
    _attach_contracts(page, rows)
    for incident in page:
        incident.countdown = next_countdown(incident, now)

    vendors = sorted({(r[2], r[3]) for r in rows}, key=lambda x: x[1])

    params = request.GET.copy()
    params.pop("page", None)
    current = request.GET.get("ordering") or DEFAULT_ORDER
    sort_links = {}
    for column in SORTABLE:
        toggled = params.copy()
        # Severity and SLA read best "worst first" on the first click.
        first = f"-{column}" if column in ("severity", "opened_at") else column
        toggled["ordering"] = column if current == f"-{column}" else f"-{column}" if current == column else first
        sort_links[column] = {
            "query": toggled.urlencode(),
            "arrow": "▲" if current == column else "▼" if current == f"-{column}" else "",
            "sort": "ascending" if current == column else "descending" if current == f"-{column}" else "none",
        }
    due_within = request.GET.get("due_within", "")
    due_choices = list(DUE_WITHIN_CHOICES)
    if due_within.isdigit() and int(due_within) not in dict(due_choices):
        due_choices.append((int(due_within), f"{due_within} minutes"))
    context = {
        "page": page,
        "filter": filterset,
        "contract_options": options(((r[0], r[1]) for r in rows), request.GET.get("contract", "")),
        "vendor_options": options(vendors, request.GET.get("vendor", "")),
        "severities": Severity.choices,
        "statuses": Incident.Status.choices,
        "due_choices": due_choices,
        "selected": {
            key: request.GET.get(key, "")
            for key in ("contract", "vendor", "severity", "status", "breached", "at_risk", "due_within")
        },
        "querystring": params.urlencode(),
        "filtered": any(v for k, v in request.GET.items() if k not in ("page", "ordering")),
        "sort_links": sort_links,
        "can_open": _may_open_among(request.user, rows),
        "export_query": params.urlencode(),
        "worklist": worklist.context(request),
        "risk_percent": round(Incident.RISK_SHARE * 100),
        "count_cap": f"{Paginator.COUNT_CAP:,}",  # past it the list reads "1,000+", never counts on
    }
    return render(request, "incidents/list.html", context)


# -- open ------------------------------------------------------------------------------------


@login_required
def incident_create(request: HttpRequest) -> HttpResponse:
    contracts = openable_contracts(request.user)
    requested = request.POST.get("contract") or request.GET.get("contract") or ""
    chosen = next((c for c in contracts if str(c.pk) == requested), None)
    if requested and chosen is None:
        # Unknown or invisible: 404; visible but not open to this user: 403.
        contract = (
            Contract.objects.visible_to(request.user)
            .filter(pk=query_int({"contract": requested}, "contract") or 0)
            .first()
        )
        if contract is None:
            raise Http404("No such contract.")
        return _forbidden(
            request,
            f"You can't open incidents on {contract.reference}: only the buyer's contract managers and operations "
            "may, and only while the contract is active.",
        )
    if not contracts:
        return _forbidden(
            request, "Only the buyer's contract managers and operations may open incidents, on an active contract."
        )
    if chosen is None and len(contracts) == 1:
        chosen = contracts[0]
    components = list(chosen.covered_components or []) if chosen else []
    initial = {"contract": chosen.pk} if chosen else {}
    form = IncidentCreateForm(
        request.POST or None,
        contracts=Contract.objects.filter(pk__in=[c.pk for c in contracts])
        .select_related("vendor")
        .order_by("reference"),
        components=components,
        initial=initial,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.open_incident(actor=request.user, **form.service_kwargs())
        except NotPermitted as exc:
            return _forbidden(request, exc.message)
        except Conflict as exc:
            messages.error(request, exc.message)
            status = 409
        except InvalidInput as exc:
            apply_domain_errors(form, exc)
            status = 400
        else:
            text = f"{incident.reference} opened on {incident.contract.reference}."
            if incident.out_of_scope:
                messages.warning(
                    request, f"{text} “{incident.component}” is not a covered component: flagged out of scope."
                )
            else:
                messages.success(request, f"{text} The vendor has been notified.")
            return redirect("incidents:detail", pk=incident.pk)
    elif request.method == "POST":
        status = 400
    context = {"form": form, "chosen": chosen, "contracts": contracts}
    return render(request, "incidents/create.html", context, status=status)


# -- one incident -----------------------------------------------------------------------------


def _attribution(detail: Detail) -> dict[str, Any]:
    s = detail.standing
    if not (s.is_staff or s.is_buyer):
        return {"show_attribution": False, "links": [], "attributed_from": None}
    try:
        attributed_from = detail.incident.attributed_from
    except IncidentLink.DoesNotExist:
        attributed_from = None
    return {"show_attribution": True, "links": detail.links, "attributed_from": attributed_from}


def render_detail(
    request: HttpRequest,
    incident: Incident,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
    detail: Detail | None = None,
) -> HttpResponse:
    """``detail``: the page's rows when the caller already read them (no second read)."""
    if detail is None:
        try:
            detail = load_detail(request.user, incident.pk)
        except Incident.DoesNotExist:
            raise Http404("No such incident.") from None
    incident, s = detail.incident, detail.standing
    now = timezone.now()
    allowed = services.allowed_actions(incident, s)
    if is_party_actor(s):  # attach_file's own role test; it is not a lifecycle action
        allowed.append("attach")
    bound = bound or {}
    members = detail.people.members
    shown: dict[str, dict[str, Any]] = {}
    for name in allowed:
        spec = ACTIONS[name]
        assert issubclass(spec.form, ActionForm)
        form = bound.get(name) or spec.form(incident=incident, user=request.user, members=members, auto_id=f"{name}-%s")
        shown[name] = {
            "name": name,
            "label": spec.label,
            "form": form,
            "style": spec.style,
            "where": spec.where,
            "url": reverse("incidents:action", args=[incident.pk, name]),
            "has_fields": any(not f.is_hidden for f in form),
            "open": name in bound,
        }
    countdown = next_countdown(incident, now)
    claims, pauses = detail.claims, detail.pauses
    accepted_claim = next((c for c in claims if c.status == ExclusionClaim.Status.ACCEPTED), None)
    terms = Terms(incident.sla_version.terms)
    zone = zone_of(incident)
    people = people_of(incident.contract, preloaded=detail.people)
    playbook = playbook_checklist(incident, at=now, people=people, ticks=detail.ticks, pauses=pauses)
    context = {
        "incident": incident,
        "standing": s,
        "zone": zone,
        "countdown": countdown,
        "cards": clock_cards(incident, now, countdown),
        "actions": shown,
        "panel": [a for a in shown.values() if a["where"] == "panel"],
        "claims": claims,
        "pending_claim": next((c for c in claims if c.status == ExclusionClaim.Status.PENDING), None),
        "severity_changes": detail.severity_changes,
        "pending_severity": next((c for c in detail.severity_changes if c.is_pending), None),
        "accepted_claim": accepted_claim if incident.excluded else None,
        "breached_at": breached_at(incident),
        "events": [e if s.is_staff or s.is_buyer else e.as_read_by_a_vendor() for e in incident.events.all()],
        "pauses": pauses,
        "open_pause": next((p for p in pauses if p.ended_at is None), None),
        "pause_stops": ", ".join(terms.data["pause"]["stops"]) or "no",
        "workaround_days": terms.temporary_workaround_days,
        "attachments": list(incident.attachments.all()),
        # The buyer's record of fault attribution: never shown to either vendor.
        **_attribution(detail),
        "opened": when_parts(incident.opened_at, zone),
        "workaround_expires": when_parts(incident.workaround_expires_at, zone),
        "now": now,
        "playbook": playbook,
        "playbook_due": sum(1 for step in playbook if step.state == "due"),
        "playbook_ticked": sum(1 for step in playbook if step.ticked),
        "can_tick": is_party_actor(s) and incident.status not in (Incident.Status.CLOSED, Incident.Status.CANCELLED),
        # Each side ticks its own steps (tick_playbook_step decides again).
        "tick_sides": [
            side
            for side, ok in (("buyer", is_buyer_actor(s)), ("vendor", is_vendor_actor(s)))
            if ok and incident.status not in (Incident.Status.CLOSED, Incident.Status.CANCELLED)
        ],
    }
    return render(request, "incidents/detail.html", context, status=status)


def breached_at(incident: Incident) -> Any:
    """When the first target was missed (its due time): the record of the breach, excluded or not."""
    times = [
        getattr(incident, f"{kind}_due_at")
        for kind in TARGET_KINDS
        if getattr(incident, f"{kind}_breached") and getattr(incident, f"{kind}_due_at") is not None
    ]
    return min(times, default=None)


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        detail = load_detail(request.user, pk)
    except Incident.DoesNotExist:
        raise Http404("No such incident.") from None
    return render_detail(request, detail.incident, detail=detail)


@login_required
@require_POST
def incident_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    incident = get_visible_incident(request.user, pk)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    form = spec.form(request.POST, request.FILES, incident=incident, user=request.user, auto_id=f"{action}-%s")
    if not form.is_valid():
        messages.error(request, f"{spec.label}: please correct the errors shown with the form.")
        return render_detail(request, incident, bound={action: form}, status=400)
    try:
        result = spec.run(request.user, incident, form.cleaned_data)
    except NotPermitted as exc:
        return _forbidden(request, exc.message, incident)
    except Conflict as exc:
        fresh = get_visible_incident(request.user, pk)
        allowed = services.allowed_actions(fresh, contract_standing(request.user, fresh.contract))
        messages.error(request, conflict_message(exc, fresh, allowed))
        return render_detail(request, fresh, status=409)
    except InvalidInput as exc:
        apply_domain_errors(form, exc)
        messages.error(request, f"{spec.label}: {exc.message}")
        return render_detail(request, get_visible_incident(request.user, pk), bound={action: form}, status=400)
    if callable(spec.done):
        messages.success(request, spec.done(incident, form.cleaned_data, result))
    else:
        messages.success(request, spec.done.format(ref=incident.reference))
    return redirect("incidents:detail", pk=incident.pk)


@login_required
@require_POST
def playbook_tick(request: HttpRequest, pk: int, order: int) -> HttpResponse:
    incident = get_visible_incident(request.user, pk)
    try:
        tick_playbook_step(actor=request.user, incident=incident, order=order)
    except NotPermitted as exc:
        return _forbidden(request, exc.message, incident)
    except (Conflict, InvalidInput) as exc:
        messages.error(request, " ".join([exc.message, *(m for msgs in exc.errors.values() for m in msgs)]))
        return render_detail(request, incident, status=exc.status_code)
    messages.success(request, f"Playbook step {order} ticked on {incident.reference}; it is on the timeline.")
    return redirect(f"{reverse('incidents:detail', args=[incident.pk])}#playbook")


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    incident = get_visible_incident(request.user, pk)
    attachment = get_object_or_404(IncidentAttachment, pk=attachment_pk, incident=incident)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


# -- import ----------------------------------------------------------------------------------


def _line_number(key: str) -> int:
    try:
        return int(key.split()[-1])
    except ValueError:
        return 0


@login_required
def incident_import(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        return _forbidden(request, "Only staff may import incident history.")
    contracts = Contract.objects.visible_to(request.user).select_related("vendor").order_by("reference")
    form = ImportForm(request.POST or None, request.FILES or None, contracts=contracts)
    row_errors: list[tuple[int, str, list[str]]] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                rows = services.parse_rows(form.cleaned_data["file"].read(), form.file_format())
                created = services.import_incidents(
                    actor=request.user,
                    contract=form.cleaned_data["contract"],
                    rows=rows,
                    source=form.cleaned_data["source"],
                )
            except NotPermitted as exc:
                return _forbidden(request, exc.message)
            except InvalidInput as exc:
                lines = {k: v for k, v in exc.errors.items() if k.startswith("line ")}
                row_errors = sorted(((_line_number(k), k, v) for k, v in lines.items()), key=lambda r: r[0])
                others = {k: v for k, v in exc.errors.items() if k not in lines}
                if others or not lines:
                    apply_domain_errors(form, InvalidInput(exc.message, errors=others))
                messages.error(request, exc.message)
            else:
                contract = form.cleaned_data["contract"]
                messages.success(
                    request,
                    f"Imported {len(created)} incident{'s' if len(created) != 1 else ''} into {contract.reference} "
                    f"from “{form.cleaned_data['source'].strip()}”.",
                )
                return redirect(f"{reverse('incidents:list')}?contract={contract.pk}")
    return render(request, "incidents/import.html", {"form": form, "row_errors": row_errors}, status=status)
