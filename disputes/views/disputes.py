"""The dispute pages: the board (open disputes by stage and deadline, or the closed ones), the
form to open one, and one dispute with its ladder, steps and a POST per action.

Every read goes through the one visibility rule (``visible_to``: another tenant's dispute is a
404); every write goes through ``disputes.services``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import organization_ids, standing
from accounts.identity.stepup import require_step_up
from contracts.access import contract_standing, is_manager
from contracts.forms import apply_domain_errors
from contracts.models import Contract, SLAVersion
from core.datetimes import when
from core.errors import Conflict, DomainError, InvalidInput, NotPermitted
from core.exports import export_response, requested_format
from core.filters import query_int
from disputes import exports
from disputes import services as dispute_services
from disputes.forms import (
    CommentForm,
    DisputeCreateForm,
    EscalateForm,
    NoInputForm,
    ResolveForm,
    WithdrawForm,
)
from disputes.models import Dispute, DisputeStep
from disputes.services.common import managers_of
from disputes.views.common import conflict_text, forbidden, url_for
from incidents.presenters import Countdown

CLOSED_PAGE_SIZE = 25


def _ladders(contract_ids: set[int]) -> dict[int, list[tuple[str, int | None]]]:
    """Each contract's current dispute ladder, in one query."""
    ladders: dict[int, list[tuple[str, int | None]]] = {}
    versions = (
        SLAVersion.objects.frozen()
        .filter(contract_id__in=contract_ids)
        .order_by("contract_id", "-effective_from")
        .values_list("contract_id", "terms")
    )
    for contract_id, terms in versions:
        ladders.setdefault(contract_id, [(r["stage"], r["days"]) for r in terms.get("disputes", [])])
    return ladders


def _countdown(dispute: Dispute, now: datetime) -> Countdown | None:
    if dispute.stage_deadline is None or dispute.status != Dispute.Status.OPEN:
        return None
    return Countdown(
        target=dispute.stage_name,
        due=dispute.stage_deadline,
        risk=dispute.stage_deadline - dispute_services.REMIND_WITHIN,
        now=now,
    )


def subject_link(dispute: Dispute) -> str:
    sid = dispute.subject_id
    if dispute.subject_type == Dispute.Subject.INCIDENT:
        return url_for("incidents:detail", int(sid))
    if dispute.subject_type == Dispute.Subject.CREDIT:
        return f"{reverse('disputes:contract', args=[dispute.contract_id])}#credit-{sid}"
    if dispute.subject_type == Dispute.Subject.REPORT_LINE:
        return url_for("reports:detail", int(sid.split(":", 1)[0]))
    return ""


def _side_name(dispute: Dispute) -> str:
    c = dispute.contract
    return c.buyer.name if dispute.raised_by_side == "buyer" else c.vendor.name


@login_required
def dispute_board(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Open disputes by stage and deadline; ``?show=closed`` lists the closed ones."""
    user = request.user
    now = timezone.now()
    visible = Dispute.objects.visible_to(user)
    contract_filter = request.GET.get("contract", "").strip()
    wanted = query_int(request.GET, "contract")
    scoped = visible.filter(contract_id=wanted) if wanted is not None else visible
    show_closed = request.GET.get("show") == "closed"
    try:
        fmt = requested_format(request.GET.get("export"))
    except InvalidInput as exc:
        return HttpResponse(f"export: {exc.errors['export'][0]}", status=400, content_type="text/plain")
    if fmt is not None:
        listed = (
            scoped.exclude(status=Dispute.Status.OPEN).order_by("-resolved_at", "-pk")
            if show_closed
            else scoped.open().order_by("stage_deadline", "raised_at", "pk")
        )
        return export_response(
            fmt=fmt,
            filename="disputes-closed" if show_closed else "disputes-open",
            header=exports.DISPUTE_HEADER,
            rows=exports.dispute_rows(listed),
            sheet="Disputes",
        )
    related = ("contract", "contract__buyer", "contract__vendor", "raised_by")
    contracts = list(
        Contract.objects.visible_to(user)
        .filter(pk__in=visible.values("contract_id"))
        .select_related("vendor")
        .order_by("reference")
    )
    context: dict[str, Any] = {
        "contracts": contracts,
        "selected_contract": contract_filter,
        "show_closed": show_closed,
        "open_dispute_count": visible.open().count(),
        "tab": "disputes",
        "can_open": may_open_any(user),
        "now": now,
    }
    if show_closed:
        closed = scoped.exclude(status=Dispute.Status.OPEN).select_related(*related, "reissued_report")
        page = Paginator(closed.order_by("-resolved_at", "-pk"), CLOSED_PAGE_SIZE).get_page(request.GET.get("page"))
        for d in page:
            d.side_name = _side_name(d)
            d.link = subject_link(d)
            d.report_url = url_for("reports:detail", d.reissued_report_id) if d.reissued_report_id else ""
        context.update(page=page, querystring=f"show=closed&contract={contract_filter}")
        return render(request, "disputes/disputes_closed.html", context)

    open_disputes = list(scoped.open().select_related(*related).order_by("stage_deadline", "raised_at", "pk"))
    ladders = _ladders({d.contract_id for d in open_disputes})
    names: dict[str, int] = {}
    for ladder in ladders.values():
        for index, (name, _) in enumerate(ladder):
            names[name] = min(names.get(name, index), index)
    for d in open_disputes:
        names[d.stage_name] = min(names.get(d.stage_name, d.stage_index), d.stage_index)
        d.countdown = _countdown(d, now)
        d.overdue = bool(d.countdown and d.countdown.over)
        d.due_soon = bool(d.countdown and d.countdown.at_risk)
        d.side_name = _side_name(d)
        d.link = subject_link(d)
    columns = [
        {"name": name, "disputes": [d for d in open_disputes if d.stage_name == name]}
        for name, _ in sorted(names.items(), key=lambda kv: (kv[1], kv[0]))
    ]
    # Without deadlines (the last stage) sort last, by age.
    for column in columns:
        column["disputes"].sort(key=lambda d: (d.stage_deadline is None, d.stage_deadline or d.raised_at, d.pk))
        column["overdue"] = sum(1 for d in column["disputes"] if d.overdue)
    context.update(
        columns=columns,
        total=len(open_disputes),
        overdue=sum(1 for d in open_disputes if d.overdue),
        due_soon=sum(1 for d in open_disputes if d.due_soon),
    )
    return render(request, "disputes/disputes_board.html", context)


# -- open a dispute -------------------------------------------------------------------------------


def disputable_contracts(user: Any) -> QuerySet[Contract]:
    """Contracts on which the user manages a side (the service's own test decides again)."""
    if getattr(user, "is_staff", False):
        return Contract.objects.none()
    contracts = Contract.objects.visible_to(user).filter(
        Q(buyer_id__in=organization_ids(user)) | Q(vendor_id__in=organization_ids(user))
    )
    ids = [
        pk
        for pk, b, v in contracts.values_list("pk", "buyer_id", "vendor_id")
        if is_manager(standing(user, buyer_id=b, vendor_id=v))
    ]
    return Contract.objects.filter(pk__in=ids).select_related("vendor").order_by("reference")


def may_open_any(user: Any) -> bool:
    return not getattr(user, "is_staff", False) and any(
        is_manager(standing(user, buyer_id=b, vendor_id=v))
        for b, v in Contract.objects.visible_to(user)
        .filter(Q(buyer_id__in=organization_ids(user)) | Q(vendor_id__in=organization_ids(user)))
        .values_list("buyer_id", "vendor_id")[:50]
    )


@login_required
def dispute_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    data = request.POST if request.method == "POST" else None
    requested = (data or request.GET).get("contract", "")
    if requested:
        contract = (
            Contract.objects.visible_to(user).filter(pk=query_int({"contract": requested}, "contract") or 0).first()
        )
        if contract is None:
            raise Http404("No such contract.")
    else:
        contract = None
    contracts = disputable_contracts(user)
    back = ("Back to the disputes", reverse("disputes:disputes"))
    # Who may open one is decided before the form is shown, so nobody types a statement only to be refused.
    if not contracts.exists() and data is None:
        return forbidden(
            request,
            "Disputes are raised by a party: only the buyer's contract managers and the vendor's account managers "
            "may open one, on a contract of theirs.",
            back,
        )
    refusal = ""
    if contract is not None and not contracts.filter(pk=contract.pk).exists():
        refusal = (
            f"Disputes on {contract.reference} are raised by a party: only "
            f"{managers_of('buyer', contract)} or "
            f"{managers_of('vendor', contract)} may open one."
        )
        if data is None:
            return forbidden(request, refusal, back)
    initial = {k: request.GET.get(k, "") for k in ("contract", "subject_type", "subject_id", "title")}
    if not initial["contract"] and contracts.count() == 1:
        initial["contract"] = contracts.first().pk
    form = DisputeCreateForm(data, contracts=contracts, initial=initial)
    status = 200

    def refused(message: str) -> HttpResponse:
        # A refusal after a POST shows the form again with what was typed, above it the reason.
        context = {"form": form, "tab": "disputes", "refusal": message, "back": back}
        return render(request, "disputes/dispute_create.html", context, status=403)

    if data is not None:
        status = 400
        if refusal or not contracts.exists():
            form.is_valid()  # bound, so the typed text is shown again
            return refused(
                refusal
                or "Disputes are raised by a party: only the buyer's contract managers and the vendor's account "
                "managers may open one, on a contract of theirs."
            )
        if form.is_valid():
            cd = form.cleaned_data
            try:
                dispute = dispute_services.dispute_open(
                    actor=user,
                    contract=cd["contract"],
                    subject_type=cd["subject_type"],
                    subject_id=cd["subject_id"],
                    title=cd["title"],
                    statement=cd["statement"],
                )
            except NotPermitted as exc:
                return refused(exc.message)
            except Conflict as exc:
                messages.error(request, exc.message)
                status = 409
            except InvalidInput as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"D-{dispute.pk} opened at {dispute.stage_name}"
                    + (f"; deadline {when(dispute.stage_deadline)}." if dispute.stage_deadline else ".")
                    + " The other side has been notified.",
                )
                return redirect("disputes:dispute", pk=dispute.pk)
    return render(request, "disputes/dispute_create.html", {"form": form, "tab": "disputes"}, status=status)


# -- one dispute ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeAction:
    label: str
    form: type[NoInputForm]
    run: Callable[[Any, Dispute, forms.Form], Any]
    done: str
    style: str = ""
    where: str = "panel"


DISPUTE_ACTIONS: dict[str, DisputeAction] = {
    "escalate": DisputeAction(
        "Escalate",
        EscalateForm,
        lambda u, d, f: dispute_services.dispute_escalate(actor=u, dispute=d, note=f.cleaned_data["note"]),
        "{ref} escalated: it is now at {stage}.",
    ),
    "resolve": DisputeAction(
        "Resolve",
        ResolveForm,
        lambda u, d, f: dispute_services.dispute_resolve(
            actor=u, dispute=d, resolution=f.cleaned_data["resolution"], outcome=f.outcome()
        ),
        "{ref} resolved.",
    ),
    "withdraw": DisputeAction(
        "Withdraw",
        WithdrawForm,
        lambda u, d, f: dispute_services.dispute_withdraw(actor=u, dispute=d, note=f.cleaned_data["note"]),
        "{ref} withdrawn.",
        style="secondary",
    ),
    "comment": DisputeAction(
        "Comment",
        CommentForm,
        lambda u, d, f: dispute_services.dispute_comment(actor=u, dispute=d, note=f.cleaned_data["note"]),
        "Comment added to {ref}.",
        style="secondary",
        where="inline",
    ),
}
DISPUTE_LABELS = {name: a.label for name, a in DISPUTE_ACTIONS.items()}


def get_visible_dispute(user: Any, pk: int) -> Dispute:
    try:
        return (
            Dispute.objects.visible_to(user)
            .select_related("contract", "contract__buyer", "contract__vendor", "raised_by", "report", "reissued_report")
            .get(pk=pk)
        )
    except Dispute.DoesNotExist:
        raise Http404("No such dispute.") from None


def render_dispute(
    request: HttpRequest, dispute: Dispute, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    s = contract_standing(request.user, dispute.contract)
    try:
        ladder = dispute_services.ladder_for(dispute)
    except DomainError:
        ladder = [(dispute.stage_name, None)]
    allowed = dispute_services.allowed_actions(dispute, s, stages=len(ladder))
    bound = bound or {}
    shown: dict[str, dict[str, Any]] = {}
    for name in allowed:
        spec = DISPUTE_ACTIONS[name]
        form = bound.get(name) or spec.form(subject=dispute, auto_id=f"{name}-%s")
        shown[name] = {
            "name": name,
            "label": spec.label,
            "form": form,
            "style": spec.style,
            "url": reverse("disputes:dispute_action", args=[dispute.pk, name]),
            "has_fields": True,
            "open": name in bound,
            "where": spec.where,
        }
    stages = []
    for index, (name, days) in enumerate(ladder):
        state = "done" if index < dispute.stage_index else "current" if index == dispute.stage_index else "next"
        if dispute.status != Dispute.Status.OPEN and index == dispute.stage_index:
            state = "ended"
        stages.append({"name": name, "days": days, "state": state, "index": index + 1})
    steps = list(DisputeStep.objects.filter(dispute=dispute).select_related("actor"))
    countdown = _countdown(dispute, now)
    report_url = url_for("reports:detail", dispute.report_id) if dispute.report_id else ""
    reissued_url = url_for("reports:detail", dispute.reissued_report_id) if dispute.reissued_report_id else ""
    context = {
        "dispute": dispute,
        "ref": dispute_services.reference(dispute),
        "standing": s,
        "actions": shown,
        "panel": [a for a in shown.values() if a["where"] == "panel"],
        "stages": stages,
        "steps": steps,
        "countdown": countdown,
        "side_name": _side_name(dispute),
        "subject_url": subject_link(dispute),
        "report_url": report_url,
        "reissued_url": reissued_url,
        "resolution_changes": next((st.note.split("\n")[1:] for st in reversed(steps) if st.action == "resolved"), []),
        "tab": "disputes",
        "now": now,
    }
    return render(request, "disputes/dispute_detail.html", context, status=status)


@login_required
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_dispute(request, get_visible_dispute(request.user, pk))


@login_required
@require_POST
def dispute_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    dispute = get_visible_dispute(request.user, pk)
    spec = DISPUTE_ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    if action == "resolve":
        require_step_up(request)
    form = spec.form(request.POST, subject=dispute, auto_id=f"{action}-%s")
    ref = dispute_services.reference(dispute)
    if not form.is_valid():
        messages.error(request, f"{spec.label}: please correct the errors shown with the form.")
        return render_dispute(request, dispute, bound={action: form}, status=400)
    try:
        spec.run(request.user, dispute, form)
    except NotPermitted as exc:
        return forbidden(request, exc.message, (f"Back to {ref}", reverse("disputes:dispute", args=[dispute.pk])))
    except Conflict as exc:
        messages.error(request, conflict_text(exc, DISPUTE_LABELS))
        return render_dispute(request, get_visible_dispute(request.user, pk), status=409)
    except InvalidInput as exc:
        errors = {}
        for key, errs in exc.errors.items():  # outcome.incident -> the incident field
            name = key.removeprefix("outcome.")
            errors[name if name in form.fields else key] = errs
        apply_domain_errors(form, InvalidInput(exc.message, errors=errors))
        messages.error(request, f"{spec.label}: {exc.message}")
        return render_dispute(request, get_visible_dispute(request.user, pk), bound={action: form}, status=400)
    fresh = get_visible_dispute(request.user, pk)
    text = spec.done.format(ref=ref, stage=fresh.stage_name)
    if action == "resolve" and fresh.reissued_report_id:
        r = fresh.reissued_report
        text += f" The {r.period} report was reissued as revision {r.revision}."
    messages.success(request, text)
    return redirect("disputes:dispute", pk=dispute.pk)
