"""Annual review and renewal pages, mounted at ``reviews/`` by config.urls.

Every review is reached through ``AnnualReview.objects.visible_to`` (another
tenant's review is a 404), every write goes through
the ``reviews.services`` use cases; views parse, call and show. Packet and reminder
PDFs are served by views after the visibility check, never from a media URL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import organization_ids
from accounts.models import Membership
from availability import ical
from availability.models import ChangeNotice, MaintenanceWindow
from availability.services import periods as av
from contracts.access import can_amend, contract_standing
from contracts.forms import TermsForm, apply_domain_errors
from contracts.models import BoardSeat, Contract
from core.errors import DomainError, InvalidInput, NotPermitted
from core.money import money
from reviews import packet as document
from reviews.forms import AmendmentForm, CommentForm, ReasonForm, RecordForm, SignForm
from reviews.ical import governance_events
from reviews.models import Amendment, AnnualReview, RenewalReminder, ReviewPacket, ReviewSignatory, Signature
from reviews.services import amendments, board, comments, lifecycle, opening, packets, signatures
from reviews.services.renewals import reminder_filename

PAGE_SIZE = 25
S = AnnualReview.Status
STATUS_CSS = {
    S.PREPARING: "info",
    S.IN_REVIEW: "info",
    S.AWAITING_SIGNATURES: "warn",
    S.SIGNED: "ok",
    S.REJECTED: "bad",
}


# -- helpers ----------------------------------------------------------------------------------


def _describe(exc: DomainError) -> str:
    details = " ".join(
        f"{key.replace('_', ' ').capitalize()}: {' '.join(msgs)}" for key, msgs in exc.errors.items() if msgs
    )
    return f"{exc.message} {details}".strip()


def _forbidden(request: HttpRequest, message: str, contract: Contract | None = None) -> HttpResponse:
    return render(request, "contracts/forbidden.html", {"message": message, "contract": contract}, status=403)


def _review(request: HttpRequest, pk: int) -> AnnualReview:
    return get_object_or_404(
        AnnualReview.objects.visible_to(request.user).select_related("contract", "contract__buyer", "contract__vendor"),
        pk=pk,
    )


def _zone(contract: Contract) -> str:
    version = document.reference_version(contract, timezone.now())
    return version.terms["calendar"]["timezone"] if version else "UTC"


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def review_rows(queryset: QuerySet[AnnualReview], user: Any) -> QuerySet[AnnualReview]:
    """List rows with their signature progress, in a fixed number of queries."""
    required = (
        ReviewSignatory.objects.filter(review=OuterRef("pk"), required=True)
        .values("review")
        .annotate(n=Count("pk"))
        .values("n")
    )
    approved = (
        Signature.objects.filter(review=OuterRef("pk"), decision="approve", voided_at__isnull=True)
        .values("review")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.select_related("contract", "contract__buyer", "contract__vendor").annotate(
        required_n=Coalesce(Subquery(required, output_field=IntegerField()), 0),
        approved_n=Coalesce(Subquery(approved, output_field=IntegerField()), 0),
        mine=Exists(ReviewSignatory.objects.filter(review=OuterRef("pk"), user_id=user.pk)),
        i_signed=Exists(Signature.objects.filter(review=OuterRef("pk"), user_id=user.pk, voided_at__isnull=True)),
    )


def _decorate(reviews: Any) -> None:
    for r in reviews:
        r.status_css = STATUS_CSS.get(r.status, "info")
        r.awaiting_me = r.status == S.AWAITING_SIGNATURES and r.mine and not r.i_signed


def openable_contracts(user: Any) -> QuerySet[Contract]:
    """Active contracts whose review this person may open (staff: all)."""
    qs = (
        Contract.objects.visible_to(user)
        .active()
        .exclude(pk__in=AnnualReview.objects.filter(status__in=lifecycle.OPEN_STATES).values("contract_id"))
        .select_related("vendor")
        .order_by("reference")
    )
    if user.is_staff:
        return qs
    managed = [
        m.organization_id
        for m in Membership.objects.filter(
            user_id=user.pk,
            is_active=True,
            role=Membership.Role.CONTRACT_MANAGER,
            organization_id__in=organization_ids(user),
        )
    ]
    chaired = BoardSeat.objects.filter(user_id=user.pk, is_chair=True).values("contract_id")
    return qs.filter(Q(buyer_id__in=managed) | Q(pk__in=chaired))


# -- lists ------------------------------------------------------------------------------------------


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    qs = review_rows(AnnualReview.objects.visible_to(request.user), request.user).order_by(
        "-anniversary", "contract__reference"
    )
    status = request.GET.get("status", "")
    if status in S.values:
        qs = qs.filter(status=status)
    contract_id = request.GET.get("contract", "")
    contract = None
    if contract_id.isdigit():
        contract = Contract.objects.visible_to(request.user).filter(pk=contract_id).first()
        qs = qs.filter(contract_id=contract_id) if contract else qs.none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _decorate(page)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "statuses": S.choices,
        "status": status,
        "contract": contract,
        "querystring": params.urlencode(),
        "openable": list(openable_contracts(request.user)),
        "lead_days": opening.lead_days(),
    }
    return render(request, "reviews/list.html", context)


@login_required
@require_POST
def review_open(request: HttpRequest) -> HttpResponse:
    contract = get_object_or_404(Contract.objects.visible_to(request.user), pk=request.POST.get("contract") or 0)
    try:
        review = opening.review_open(actor=request.user, contract=contract)
    except NotPermitted as exc:
        return _forbidden(request, exc.message, contract)
    except DomainError as exc:
        messages.error(request, _describe(exc))
        return redirect("reviews:list")
    messages.success(request, f"{review.label} of {contract.reference} is open; packet v1 is ready.")
    return redirect("reviews:detail", pk=review.pk)


# -- one review ----------------------------------------------------------------------------------------


def detail_context(request: HttpRequest, review: AnnualReview, **forms: Any) -> dict[str, Any]:
    contract = review.contract
    zone = _zone(contract)
    user = request.user
    actions = signatures.allowed_actions(review, user)
    packet_list = list(review.packets.order_by("-version").select_related("generated_by"))
    current = packet_list[0] if packet_list else None
    signing = packets.signing_packet(review)
    proposals = list(
        review.amendments.select_related("sla_version", "sla_version__based_on", "proposed_by").order_by("pk")
    )
    fingerprint = document.amendments_fingerprint(review)
    for a in proposals:
        base = a.sla_version.based_on
        a.rows = document.diff_rows(base.terms if base else {}, a.sla_version.terms) if a.status != "withdrawn" else []
        a.form = AmendmentForm(
            prefix=f"a{a.pk}",
            zone=zone,
            initial={
                "title": a.title,
                "rationale": a.rationale,
                "evidence": "\n".join(a.evidence or []),
                "effective_from": a.effective_from.astimezone(ZoneInfo(zone)).date(),
            },
        )
    bad = forms.pop("amendment_errors", None)
    if bad is not None:
        for a in proposals:
            if a.pk == bad.prefix_pk:
                a.form = bad
    figures = None
    if current is not None:
        d = current.data
        avail = next((m for g in d.get("metrics", []) for m in g["metrics"] if m["metric"] == "availability"), None)
        figures = {
            "availability": avail["year"]["value"] if avail else None,
            "target": avail["target"] if avail else None,
            "met": avail["met_periods"] if avail else 0,
            "decided": (avail["met_periods"] + avail["missed_periods"]) if avail else 0,
            "breaches": len(d.get("breaches", [])),
            "credits": money(d["credits"]["total"], d["credits"]["currency"]),
            "owed": money(d["credits"]["owed"], d["credits"]["currency"]),
            "disputes": len(d.get("disputes", [])),
            "open_disputes": sum(1 for x in d.get("disputes", []) if x["status"] == "open"),
            "reported": sum(1 for p in d["window"]["periods"] if p["reported"]),
            "periods": len(d["window"]["periods"]),
            "window": d["window"]["title"],
        }
    history = list(Signature.objects.filter(review=review).select_related("user", "packet").order_by("-at", "-pk"))
    me = next((row for row in signatures.signature_panel(review) if row["user"].pk == user.pk), None)
    _, missing = board.signatory_plan(contract)
    thread = list(review.comments.select_related("author", "amendment").order_by("created_at", "pk"))
    return {
        "review": review,
        "contract": contract,
        "zone": zone,
        "status_css": STATUS_CSS.get(review.status, "info"),
        "actions": actions,
        "board": list(BoardSeat.objects.filter(contract=contract).select_related("user")),
        "panel": signatures.signature_panel(review),
        "me": me,
        "missing_roles": missing,
        "packets": packet_list,
        "current": current,
        "signing": signing,
        "packet_stale": bool(current and not current.frozen and current.amendments_fingerprint != fingerprint),
        "amendments": proposals,
        "proposed": next((a for a in proposals if a.status == "proposed"), None),
        "comments": thread,
        "history": history,
        "figures": figures,
        "record_form": forms.get("record_form") or RecordForm(zone=zone, review=review),
        "amendment_form": forms.get("amendment_form")
        or AmendmentForm(zone=zone, initial={"effective_from": review.anniversary}),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "sign_form": SignForm(initial={"packet_checksum": signing.checksum if signing else ""}),
        "reason_form": ReasonForm(),
        "now": timezone.now(),
    }


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    return render(request, "reviews/detail.html", detail_context(request, review))


@login_required
def packet_pdf(request: HttpRequest, pk: int, version: int) -> FileResponse:
    review = _review(request, pk)
    packet = get_object_or_404(ReviewPacket, review=review, version=version)
    try:
        handle = packet.pdf.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The packet's PDF is missing from storage.") from None
    return FileResponse(
        handle,
        as_attachment=request.GET.get("download") == "1",
        filename=document.packet_filename(review, packet.version),
        content_type="application/pdf",
    )


def _act(request: HttpRequest, review: AnnualReview, call: Any, done: str, anchor: str = "") -> HttpResponse:
    try:
        call()
    except NotPermitted as exc:
        return _forbidden(request, exc.message, review.contract)
    except DomainError as exc:
        messages.error(request, _describe(exc))
    else:
        messages.success(request, done)
    return redirect(f"{review_url(review)}{anchor}")


def review_url(review: AnnualReview) -> str:
    return reverse("reviews:detail", args=[review.pk])


@login_required
@require_POST
def record_update(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    form = RecordForm(request.POST, zone=_zone(review.contract))
    if form.is_valid():
        try:
            lifecycle.review_update(actor=request.user, review=review, **form.changes())
        except NotPermitted as exc:
            return _forbidden(request, exc.message, review.contract)
        except InvalidInput as exc:
            apply_domain_errors(form, exc)
        except DomainError as exc:
            messages.error(request, _describe(exc))
            return redirect(f"{review_url(review)}#record")
        else:
            messages.success(request, "The board record is saved.")
            return redirect(f"{review_url(review)}#record")
    context = detail_context(request, review, record_form=form)
    return render(request, "reviews/detail.html", context, status=400)


@login_required
@require_POST
def packet_regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    return _act(
        request,
        review,
        lambda: packets.packet_regenerate(actor=request.user, review=review),
        "A new packet was generated from today's figures.",
        "#packet",
    )


@login_required
@require_POST
def amendment_propose(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    zone = _zone(review.contract)
    form = AmendmentForm(request.POST, zone=zone)
    if form.is_valid():
        data = form.cleaned_data
        try:
            amendment = amendments.amendment_propose(
                actor=request.user,
                review=review,
                title=data["title"],
                rationale=data["rationale"],
                evidence=data["evidence"],
                effective_from=amendments.effective_from_date(review.contract, data["effective_from"]),
            )
        except NotPermitted as exc:
            return _forbidden(request, exc.message, review.contract)
        except InvalidInput as exc:
            apply_domain_errors(form, exc)
        except DomainError as exc:
            messages.error(request, _describe(exc))
            return redirect(f"{review_url(review)}#amendments")
        else:
            messages.success(
                request,
                f"Amendment proposed as draft SLA v{amendment.sla_version.number}. Edit its terms, then regenerate the packet.",
            )
            return redirect(f"{review_url(review)}#amendment-{amendment.pk}")
    context = detail_context(request, review, amendment_form=form)
    return render(request, "reviews/detail.html", context, status=400)


@login_required
@require_POST
def amendment_update(request: HttpRequest, pk: int, amendment_pk: int) -> HttpResponse:
    review = _review(request, pk)
    amendment = get_object_or_404(Amendment, pk=amendment_pk, review=review)
    form = AmendmentForm(request.POST, prefix=f"a{amendment.pk}", zone=_zone(review.contract))
    form.prefix_pk = amendment.pk
    if form.is_valid():
        data = form.cleaned_data
        try:
            amendments.amendment_update(
                actor=request.user,
                amendment=amendment,
                title=data["title"],
                rationale=data["rationale"],
                evidence=data["evidence"],
                effective_from=amendments.effective_from_date(review.contract, data["effective_from"]),
            )
        except NotPermitted as exc:
            return _forbidden(request, exc.message, review.contract)
        except InvalidInput as exc:
            apply_domain_errors(form, exc)
        except DomainError as exc:
            messages.error(request, _describe(exc))
            return redirect(f"{review_url(review)}#amendment-{amendment.pk}")
        else:
            messages.success(request, "The amendment is saved.")
            return redirect(f"{review_url(review)}#amendment-{amendment.pk}")
    context = detail_context(request, review, amendment_errors=form)
    return render(request, "reviews/detail.html", context, status=400)


@login_required
def amendment_terms(request: HttpRequest, pk: int, amendment_pk: int) -> HttpResponse:
    """The terms editor for the draft SLA version the amendment holds (the
    contract's own editor refuses it): saved through the review, so a change
    after a signature voids the signatures and freezes a new packet."""
    review = _review(request, pk)
    amendment = get_object_or_404(Amendment.objects.select_related("sla_version"), pk=amendment_pk, review=review)
    contract, version = review.contract, amendment.sla_version
    back = f"{review_url(review)}#amendment-{amendment.pk}"
    if not can_amend(contract_standing(request.user, contract)):
        return _forbidden(request, "Only board members and the buyer's contract managers edit amendments.", contract)
    if amendment.status != Amendment.Status.PROPOSED or not version.is_draft:
        messages.error(
            request, f"“{amendment.title}” is {amendment.get_status_display().lower()}: its terms are final."
        )
        return redirect(back)
    form = TermsForm(request.POST or None, terms=version.terms, change_summary=version.change_summary)
    if request.method == "POST" and form.is_valid():
        try:
            amendments.amendment_update(
                actor=request.user,
                amendment=amendment,
                terms=form.build_terms(),
                change_summary=form.cleaned_data["change_summary"],
            )
        except NotPermitted as exc:
            return _forbidden(request, exc.message, contract)
        except InvalidInput as exc:
            form.apply_errors(exc.errors)
            if not exc.errors:
                form.add_error(None, exc.message)
        except DomainError as exc:
            messages.error(request, _describe(exc))
            return redirect(back)
        else:
            messages.success(request, f"The terms of draft SLA v{version.number} are saved.")
            return redirect(back)
    context = {"contract": contract, "version": version, "form": form, "review": review, "amendment": amendment}
    return render(
        request,
        "reviews/amendment_terms.html",
        {**context, "cancel_url": back},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def amendment_withdraw(request: HttpRequest, pk: int, amendment_pk: int) -> HttpResponse:
    review = _review(request, pk)
    amendment = get_object_or_404(Amendment, pk=amendment_pk, review=review)
    return _act(
        request,
        review,
        lambda: amendments.amendment_withdraw(
            actor=request.user, amendment=amendment, reason=request.POST.get("reason", "")
        ),
        f"“{amendment.title}” is withdrawn.",
        "#amendments",
    )


@login_required
@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write a comment.")
        return redirect(f"{review_url(review)}#comments")
    amendment = None
    if form.cleaned_data.get("amendment"):
        amendment = get_object_or_404(Amendment, pk=form.cleaned_data["amendment"], review=review)
    return _act(
        request,
        review,
        lambda: comments.comment_add(
            actor=request.user, review=review, body=form.cleaned_data["body"], amendment=amendment
        ),
        "Comment added.",
        "#comments",
    )


@login_required
@require_POST
def review_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    review = _review(request, pk)
    reason = request.POST.get("reason", "")
    calls = {
        "circulate": (
            lambda: lifecycle.review_circulate(actor=request.user, review=review),
            "The packet is circulated to the board.",
        ),
        "freeze": (
            lambda: lifecycle.review_freeze(actor=request.user, review=review),
            "The packet is frozen and the signatories have been asked to sign.",
        ),
        "return": (
            lambda: lifecycle.review_return(actor=request.user, review=review, reason=reason),
            "The review is back in preparation.",
        ),
        "close": (
            lambda: lifecycle.review_close(actor=request.user, review=review, reason=reason),
            "The review is closed without agreement.",
        ),
    }
    if action not in calls:
        raise Http404("No such action.")
    call, done = calls[action]
    return _act(request, review, call, done)


@login_required
@require_POST
def review_sign(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    form = SignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or reject.")
        return redirect(f"{review_url(review)}#sign")
    data = form.cleaned_data
    done = (
        "Your approval is recorded."
        if data["decision"] == "approve"
        else "Your rejection is recorded; the review is back in preparation."
    )
    return _act(
        request,
        review,
        lambda: signatures.review_sign(
            actor=request.user,
            review=review,
            decision=data["decision"],
            reason=data["reason"],
            packet_checksum=data["packet_checksum"],
            ip_address=_ip(request),
        ),
        done,
        "#sign",
    )


# -- renewals ----------------------------------------------------------------------------------------------


def buyer_side_ids(user: Any) -> list[int]:
    """Organizations whose renewal leverage this person may read: the buyers they belong to."""
    return list(organization_ids(user))


@login_required
def renewals(request: HttpRequest) -> HttpResponse:
    """Upcoming notice deadlines of the contracts you may see, with the
    reminders sent (the PDFs are the buyer's: shown to its people and staff)."""
    today = timezone.localdate()
    user = request.user
    mine = set(buyer_side_ids(user))
    latest = (
        AnnualReview.objects.filter(contract=OuterRef("pk"))
        .exclude(recommendation="")
        .order_by("-signed_at", "-anniversary")
    )
    qs = (
        Contract.objects.visible_to(user)
        .active()
        .filter(notice_deadline__gte=today - timedelta(days=30))
        .select_related("buyer", "vendor")
        .annotate(
            recommendation=Subquery(latest.values("recommendation")[:1]),
            recommendation_year=Subquery(latest.values("year")[:1]),
            recommendation_review=Subquery(latest.values("pk")[:1]),
        )
        .prefetch_related(
            Prefetch(
                "renewal_reminders",
                queryset=RenewalReminder.objects.filter(superseded=False).order_by("-milestone"),
                to_attr="reminders",
            )
        )
        .order_by("notice_deadline", "reference")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(AnnualReview.Recommendation.choices)
    for c in page:
        c.days_to_notice = (c.notice_deadline - today).days
        c.sees_leverage = user.is_staff or c.buyer_id in mine
        c.recommendation_label = labels.get(c.recommendation or "", "")
        c.sent = [r for r in c.reminders if r.term_end == c.term_end and r.sent_at]
    return render(request, "reviews/renewals.html", {"page": page, "querystring": "", "today": today})


@login_required
def reminder_pdf(request: HttpRequest, pk: int) -> FileResponse:
    row = get_object_or_404(RenewalReminder.objects.visible_to(request.user).select_related("contract"), pk=pk)
    if not (request.user.is_staff or row.contract.buyer_id in buyer_side_ids(request.user)) or not row.pdf:
        raise Http404("No such reminder.")
    try:
        handle = row.pdf.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The reminder's PDF is missing from storage.") from None
    return FileResponse(handle, filename=reminder_filename(row), content_type="application/pdf")


# -- calendar ------------------------------------------------------------------------------------------------


def calendar_ics(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """The contract's whole calendar for a subscribed calendar app: maintenance
    and changes (as the availability feed has them) plus the notice deadline,
    the term end and the review meetings. Same secret token as that feed."""
    feed = av.feed_for_token(pk, token)
    if feed is None:
        raise Http404("No such calendar.")
    contract = Contract.objects.select_related("buyer", "vendor").get(pk=feed.contract_id)
    now = timezone.now()
    horizon = now - timedelta(days=90)
    version = document.reference_version(contract, now)
    notice_days = version.terms["exclusions"]["maintenance_notice_days"] if version else 0
    windows = MaintenanceWindow.objects.filter(contract=contract, end__gte=horizon).order_by("start")
    notices = ChangeNotice.objects.filter(contract=contract, planned_at__gte=horizon).order_by("planned_at")
    body = governance_events(
        ical.build_calendar(contract, windows, notices, notice_days=notice_days),
        contract,
        AnnualReview.objects.filter(contract=contract).order_by("anniversary"),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{contract.reference}-calendar.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
