"""Incident pages.

Every read goes through ``Incident.objects.visible_to`` (another tenant's
incident is a 404, never a 403); every write goes through
``incidents.services``. Views parse, call, and show: ``InvalidInput`` becomes
field errors, ``NotPermitted`` the 403 page with the service's message,
``Conflict`` an error flash naming the state and what is allowed (409).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import organization_ids, standing
from contracts.access import contract_standing
from contracts.forms import apply_domain_errors
from contracts.models import Contract
from contracts.pdf import human_minutes
from contracts.terms import Terms
from core.api import CappedPaginator as Paginator
from core.errors import Conflict, InvalidInput, NotPermitted
from incidents import services
from incidents.filters import IncidentFilter
from incidents.forms import (
    AttachForm,
    AttributeForm,
    ChangeSeverityForm,
    ClaimExclusionForm,
    CommentForm,
    ConfirmForm,
    DecideClaimForm,
    ImportForm,
    IncidentCreateForm,
    NoInputForm,
    PauseForm,
    ProposeWorkaroundForm,
    RejectWorkaroundForm,
    ReopenForm,
    ResolveForm,
)
from incidents.models import (
    TARGET_KINDS,
    ExclusionClaim,
    Incident,
    IncidentAttachment,
    IncidentLink,
    IncidentPlaybookTick,
    Severity,
)
from incidents.services.base import is_buyer_actor, is_party_actor
from incidents.services.playbook import playbook_checklist, tick_playbook_step

PAGE_SIZE = 25
DUE_WITHIN_CHOICES = [(30, "30 minutes"), (60, "1 hour"), (240, "4 hours"), (480, "8 hours"), (1440, "24 hours")]
SORTABLE = ("opened_at", "severity", "status", "next_due_at")
DEFAULT_ORDER = "-opened_at"


# -- presentation helpers -------------------------------------------------------------------


def span_text(delta: timedelta) -> str:
    """A duration the way the countdown shows it (countdown.js formats alike):
    "<1m", "42m", "3h 05m", "2d 4h"."""
    minutes = int(abs(delta).total_seconds()) // 60
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m" if mins else "<1m"


@dataclass(frozen=True)
class Countdown:
    """The live SLA countdown of one running target."""

    target: str
    due: datetime
    risk: datetime | None
    now: datetime

    @property
    def over(self) -> bool:
        return self.now > self.due

    @property
    def at_risk(self) -> bool:
        return not self.over and self.risk is not None and self.risk <= self.now

    @property
    def css(self) -> str:
        return "countdown-bad" if self.over else "countdown-warn" if self.at_risk else "countdown-ok"

    @property
    def text(self) -> str:
        span = span_text(self.due - self.now)
        return f"over by {span}" if self.over else f"{span} left"

    @property
    def due_iso(self) -> str:
        return self.due.astimezone(UTC).isoformat()

    @property
    def risk_iso(self) -> str:
        return self.risk.astimezone(UTC).isoformat() if self.risk else ""


def next_countdown(incident: Incident, now: datetime) -> Countdown | None:
    """The earliest-due target still running, from the stored per-target due
    times (a target the watcher already marked breached keeps counting "over
    by"); amber once the stored ``next_risk_at`` has passed."""
    if incident.is_finished:
        return None
    running = []
    for kind in TARGET_KINDS:
        fields = incident.target_fields(kind)
        if fields["due_at"] is not None and fields["met_at"] is None:
            running.append((fields["due_at"], kind))
    if not running:
        return None
    due, kind = min(running)
    return Countdown(target=kind, due=due, risk=incident.next_risk_at, now=now)


def _zone(incident: Incident) -> str:
    try:
        name = incident.sla_version.terms["calendar"]["timezone"]
        ZoneInfo(name)
    except (KeyError, TypeError, ZoneInfoNotFoundError):
        return "UTC"
    return name


def _when(value: datetime | None, zone: str) -> dict[str, str] | None:
    """A time in the contract's calendar zone, and in UTC when that differs."""
    if value is None:
        return None
    local = value.astimezone(ZoneInfo(zone))
    utc = value.astimezone(UTC)
    return {
        "local": f"{local:%a %d %b %Y %H:%M} {local.tzname()}",
        "utc": "" if local.utcoffset() == timedelta(0) and zone == "UTC" else f"{utc:%d %b %H:%M} UTC",
        "iso": utc.isoformat(),
    }


def clock_cards(incident: Incident, now: datetime, countdown: Countdown | None) -> list[dict[str, Any]]:
    terms = Terms(incident.sla_version.terms)
    zone = _zone(incident)
    cards = []
    for kind in TARGET_KINDS:
        f = incident.target_fields(kind)
        target = terms.target(incident.severity, incident.environment, kind)
        card: dict[str, Any] = {
            "kind": kind,
            "title": kind.capitalize(),
            "target": human_minutes(target.minutes, target.clock) if target else None,
            "clock": ("24x7" if target.clock == "24x7" else "business hours") if target else "",
            "due": _when(f["due_at"], zone),
            "met": _when(f["met_at"], zone),
            "elapsed": span_text(f["elapsed"]) if f["elapsed"] is not None else None,
            "countdown": None,
            "paused_stops": incident.is_paused and terms.pause_stops(kind),
        }
        if target is None:
            card["state"], card["badge"] = "No target", ""
        elif f["met_at"] is not None:
            card["state"], card["badge"] = ("Met late", "badge-bad") if f["breached"] else ("Met", "badge-ok")
        elif f["due_at"] is None:
            card["state"], card["badge"] = ("Paused", "") if incident.is_paused else ("Not running", "")
        else:
            running = Countdown(target=kind, due=f["due_at"], risk=None, now=now)
            if countdown is not None and countdown.target == kind:
                running = countdown
            card["countdown"] = running
            if f["breached"] or running.over:
                card["state"], card["badge"] = "Breached", "badge-bad"
            elif running.at_risk:
                card["state"], card["badge"] = "At risk", "badge-warn"
            else:
                card["state"], card["badge"] = "Running", "badge-info"
        cards.append(card)
    return cards


def _forbidden(request: HttpRequest, message: str, incident: Incident | None = None) -> HttpResponse:
    return render(request, "incidents/forbidden.html", {"message": message, "incident": incident}, status=403)


def get_visible_incident(user: Any, pk: int) -> Incident:
    """The incident if the user may see it; 404 otherwise."""
    try:
        return (
            Incident.objects.visible_to(user)
            .select_related(
                "contract", "contract__buyer", "contract__vendor", "original_contract", "sla_version", "opened_by"
            )
            .get(pk=pk)
        )
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


def may_open_any(user: Any) -> bool:
    if getattr(user, "is_staff", False):
        return Contract.objects.active().exists()
    # The role test depends on the user's membership in the buyer, the same for
    # every contract of that buyer: a few rows decide.
    contracts = Contract.objects.visible_to(user).active().filter(buyer_id__in=organization_ids(user))
    return any(
        is_buyer_actor(standing(user, buyer_id=b, vendor_id=v))
        for b, v in contracts.values_list("buyer_id", "vendor_id")[:50]
    )


# -- list ------------------------------------------------------------------------------------


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    visible = Incident.objects.visible_to(request.user)
    filterset = IncidentFilter(request.GET, queryset=Incident.objects.listed_for(request.user), now=now)
    incidents = filterset.qs if filterset.is_valid() else visible.none()
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    for incident in page:
        incident.countdown = next_countdown(incident, now)

    # Filter choices: the visible contracts and their vendors, as plain rows
    # (a large portfolio has a thousand of them; model instances cost too much).
    rows = list(
        Contract.objects.visible_to(request.user)
        .order_by("reference")
        .values_list("pk", "reference", "vendor_id", "vendor__name")
    )
    contracts = [{"pk": pk, "reference": ref} for pk, ref, _, _ in rows]
    vendors = [{"pk": vid, "name": name} for vid, name in sorted({(v, n) for _, _, v, n in rows}, key=lambda x: x[1])]

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
        "contracts": contracts,
        "vendors": vendors,
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
        "can_open": may_open_any(request.user),
        "risk_percent": round(Incident.RISK_SHARE * 100),
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
        contract = Contract.objects.visible_to(request.user).filter(pk=requested if requested.isdigit() else 0).first()
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


@dataclass(frozen=True)
class Action:
    """One thing a person can do to an incident: the form that parses it, the
    service call, and the flash on success."""

    label: str
    form: type[forms.Form]
    run: Callable[[Any, Incident, dict[str, Any]], Any]
    done: str | Callable[[Incident, dict[str, Any], Any], str]  # "{ref} ..." or (incident, data, result) -> text
    style: str = ""  # "" (primary), "secondary", "contrast"
    where: str = "panel"  # "panel": the actions panel; "inline": in its section of the page


def _decide(user: Any, incident: Incident, d: dict[str, Any]) -> ExclusionClaim:
    claim = get_object_or_404(ExclusionClaim, pk=d["claim"], incident=incident)
    return services.decide_claim(actor=user, claim=claim, accept=d["decision"] == "accept", reason=d["reason"])


ACTIONS: dict[str, Action] = {
    "acknowledge": Action(
        "Acknowledge",
        NoInputForm,
        lambda u, i, d: services.acknowledge_incident(actor=u, incident=i),
        "{ref} acknowledged: the acknowledge clock stopped.",
    ),
    "propose_workaround": Action(
        "Propose workaround",
        ProposeWorkaroundForm,
        lambda u, i, d: services.propose_workaround(actor=u, incident=i, text=d["text"], temporary=d["temporary"]),
        "Workaround proposed on {ref}; it awaits the buyer's answer.",
        style="secondary",
    ),
    "accept_workaround": Action(
        "Accept workaround",
        NoInputForm,
        lambda u, i, d: services.accept_workaround(actor=u, incident=i),
        "Workaround accepted: {ref} is restored and the restore clock stopped.",
        where="inline",
    ),
    "reject_workaround": Action(
        "Reject workaround",
        RejectWorkaroundForm,
        lambda u, i, d: services.reject_workaround(actor=u, incident=i, reason=d["reason"]),
        "Workaround rejected; {ref} stays acknowledged.",
        style="secondary",
        where="inline",
    ),
    "resolve": Action(
        "Resolve",
        ResolveForm,
        lambda u, i, d: services.resolve_incident(actor=u, incident=i, message=d["message"]),
        "{ref} resolved; it awaits the buyer's confirmation.",
    ),
    "confirm": Action(
        "Confirm resolution",
        ConfirmForm,
        lambda u, i, d: services.confirm_resolution(actor=u, incident=i, rating=d["rating"], comment=d["comment"]),
        "Resolution confirmed: {ref} is closed.",
    ),
    "reopen": Action(
        "Reopen",
        ReopenForm,
        lambda u, i, d: services.reopen_incident(actor=u, incident=i, reason=d["reason"]),
        "{ref} reopened: the resolve clock runs again.",
        style="secondary",
    ),
    "pause": Action(
        "Pause clock",
        PauseForm,
        lambda u, i, d: services.pause_incident(actor=u, incident=i, reason=d["reason"]),
        "Clock paused on {ref} while waiting for the customer.",
        style="secondary",
    ),
    "resume": Action(
        "Resume clock",
        NoInputForm,
        lambda u, i, d: services.resume_incident(actor=u, incident=i),
        "Clock resumed on {ref}.",
    ),
    "change_severity": Action(
        "Change severity",
        ChangeSeverityForm,
        lambda u, i, d: services.change_severity(actor=u, incident=i, severity=d["severity"], reason=d["reason"]),
        "Severity of {ref} changed; targets recomputed from the original open time.",
        style="secondary",
    ),
    "claim_exclusion": Action(
        "Claim exclusion",
        ClaimExclusionForm,
        lambda u, i, d: services.claim_exclusion(actor=u, incident=i, kind=d["kind"], reason=d["reason"]),
        "Exclusion claimed on {ref}; it awaits the buyer's decision.",
        style="secondary",
    ),
    "decide_claim": Action(
        "Decide claim",
        DecideClaimForm,
        _decide,
        lambda i, d, claim: (
            f"Exclusion accepted: {i.reference} no longer counts against the SLA."
            if claim.status == ExclusionClaim.Status.ACCEPTED
            else f"Exclusion claim rejected: {i.reference} still counts against the SLA."
        ),
        where="inline",
    ),
    "attribute": Action(
        "Attribute to contract",
        AttributeForm,
        lambda u, i, d: services.attribute_incident(
            actor=u, incident=i, to_contract=d["to_contract"], reason=d["reason"], move=d["move"]
        ),
        lambda i, d, result: (
            f"{i.reference} moved to {d['to_contract'].reference}; its clocks now run under that contract's SLA."
            if d["move"]
            else f"{i.reference} linked to {d['to_contract'].reference}."
        ),
        style="secondary",
    ),
    "comment": Action(
        "Comment",
        CommentForm,
        lambda u, i, d: services.comment_incident(actor=u, incident=i, text=d["text"]),
        "Comment added to {ref}.",
        style="secondary",
        where="inline",
    ),
    "attach": Action(
        "Attach file",
        AttachForm,
        lambda u, i, d: services.attach_file(actor=u, incident=i, file=d["file"]),
        "File attached to {ref}.",
        style="secondary",
        where="inline",
    ),
}


def _label(action: str) -> str:
    return ACTIONS[action].label if action in ACTIONS else action.replace("_", " ")


def conflict_message(exc: Conflict, incident: Incident, allowed: list[str]) -> str:
    """The service's reason, the incident's state, and what this person may do now."""
    message = exc.message.split(" Allowed now:")[0].rstrip()
    state = incident.get_status_display().lower()
    if state not in message.lower():
        message += f" The incident is {state}."
    if allowed:
        message += f" Allowed now: {', '.join(_label(a).lower() for a in allowed)}."
    else:
        message += " Nothing is open to you on it now."
    return message


def _load_detail(incident: Incident) -> Incident:
    """The incident with everything the page shows, in a fixed number of queries."""
    return (
        Incident.objects.filter(pk=incident.pk)
        .select_related(
            "contract", "contract__buyer", "contract__vendor", "original_contract", "sla_version", "opened_by"
        )
        .prefetch_related(
            "events",
            "pauses",
            Prefetch("claims", queryset=ExclusionClaim.objects.select_related("claimed_by", "decided_by")),
            Prefetch("attachments", queryset=IncidentAttachment.objects.select_related("uploaded_by")),
            Prefetch("links", queryset=IncidentLink.objects.select_related("contract", "contract__vendor")),
            Prefetch("playbook_ticks", queryset=IncidentPlaybookTick.objects.select_related("ticked_by")),
        )
        .get()
    )


def render_detail(
    request: HttpRequest,
    incident: Incident,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    incident = _load_detail(incident)
    now = timezone.now()
    s = contract_standing(request.user, incident.contract)
    allowed = services.allowed_actions(incident, s)
    if is_party_actor(s):  # attach_file's own role test; it is not a lifecycle action
        allowed.append("attach")
    bound = bound or {}
    shown: dict[str, dict[str, Any]] = {}
    for name in allowed:
        spec = ACTIONS[name]
        form = bound.get(name) or spec.form(incident=incident, user=request.user, auto_id=f"{name}-%s")
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
    claims = list(incident.claims.all())
    pending = next((c for c in claims if c.status == ExclusionClaim.Status.PENDING), None)
    terms = Terms(incident.sla_version.terms)
    zone = _zone(incident)
    open_pause = next((p for p in incident.pauses.all() if p.ended_at is None), None)
    playbook = playbook_checklist(incident, at=now, ticks=incident.playbook_ticks.all(), pauses=incident.pauses.all())
    context = {
        "incident": incident,
        "standing": s,
        "zone": zone,
        "countdown": countdown,
        "cards": clock_cards(incident, now, countdown),
        "actions": shown,
        "panel": [a for a in shown.values() if a["where"] == "panel"],
        "claims": claims,
        "pending_claim": pending,
        "events": list(incident.events.all()),
        "pauses": list(incident.pauses.all()),
        "open_pause": open_pause,
        "pause_stops": ", ".join(terms.data["pause"]["stops"]) or "no",
        "workaround_days": terms.temporary_workaround_days,
        "attachments": list(incident.attachments.all()),
        "links": list(incident.links.all()),
        "opened": _when(incident.opened_at, zone),
        "workaround_expires": _when(incident.workaround_expires_at, zone),
        "now": now,
        "playbook": playbook,
        "playbook_due": sum(1 for step in playbook if step.state == "due"),
        "playbook_ticked": sum(1 for step in playbook if step.ticked),
        "can_tick": is_party_actor(s) and incident.status != Incident.Status.CLOSED,
    }
    return render(request, "incidents/detail.html", context, status=status)


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_detail(request, get_visible_incident(request.user, pk))


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
