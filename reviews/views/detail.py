"""One review's page: its context, the board record form, packet regeneration and the packet PDFs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.http import signed_in
from accounts.models import Membership, User
from contracts.forms import apply_domain_errors
from contracts.models import BoardSeat
from core.downloads import content_disposition
from core.errors import DomainError, InvalidInput, NotPermitted
from core.money import money
from outbox.models import Job
from reviews import packet as document
from reviews.forms import AmendmentForm, CommentForm, ReasonForm, RecordForm, SignForm
from reviews.models import AnnualReview, ReviewPacket, ReviewSignatory, Signature
from reviews.packet.render import render_signed_packet_pdf
from reviews.services import background, board, lifecycle, packets, signatures
from reviews.views.base import STATUS_CSS, _act, _describe, _forbidden, _review, _zone, review_for_page, review_url
from reviews.views.jobs import job_for_page, poll_url


@dataclass(frozen=True)
class People:
    """The review's people: the contract's board seats, the review's signatories, and the board
    members' active memberships in the two parties (by user id)."""

    seats: list[BoardSeat]
    signatories: list[ReviewSignatory]
    memberships: dict[int, Membership]


def review_people(review: AnnualReview) -> People:
    """One query on the users who hold a board seat or sign the review, each carrying their seat,
    their signatory row and their membership in a party as columns (rather than three queries:
    seats, signatories, memberships). Ordered as the models order them."""
    contract = review.contract
    seat = BoardSeat.objects.filter(contract_id=contract.pk, user_id=OuterRef("pk"))
    signatory = ReviewSignatory.objects.filter(review_id=review.pk, user_id=OuterRef("pk"))
    # The last one read wins, as in ``board.signatory_plan``.
    member = Membership.objects.filter(
        user_id=OuterRef("pk"), organization_id__in=[contract.buyer_id, contract.vendor_id], is_active=True
    ).order_by("-pk")
    users = User.objects.filter(Exists(seat) | Exists(signatory)).annotate(
        seat_pk=Subquery(seat.values("pk")[:1]),
        seat_is_chair=Subquery(seat.values("is_chair")[:1]),
        signatory_pk=Subquery(signatory.values("pk")[:1]),
        signatory_role=Subquery(signatory.values("role")[:1]),
        signatory_required=Subquery(signatory.values("required")[:1]),
        member_pk=Subquery(member.values("pk")[:1]),
        member_organization=Subquery(member.values("organization_id")[:1]),
        member_role=Subquery(member.values("role")[:1]),
    )
    seats, signatories, memberships = [], [], {}
    for u in users:
        if u.seat_pk is not None:
            seats.append(BoardSeat(pk=u.seat_pk, contract=contract, user=u, is_chair=bool(u.seat_is_chair)))
            if u.member_pk is not None:
                memberships[u.pk] = Membership(
                    pk=u.member_pk, user=u, organization_id=u.member_organization, role=u.member_role, is_active=True
                )
        if u.signatory_pk is not None:
            signatories.append(
                ReviewSignatory(
                    pk=u.signatory_pk,
                    review=review,
                    user=u,
                    role=u.signatory_role,
                    required=bool(u.signatory_required),
                )
            )
    seats.sort(key=lambda s: (not s.is_chair, s.user.username))
    signatories.sort(key=lambda s: (not s.required, s.pk))
    return People(seats=seats, signatories=signatories, memberships=memberships)


def detail_context(request: HttpRequest, review: AnnualReview, **forms: Any) -> dict[str, Any]:
    contract = review.contract
    # The review page's loader brings the display zone on the review's row (``review_for_page``).
    zone = getattr(review, "terms_zone", None) or _zone(contract)
    user = request.user
    # Read once, then handed to the review services' checks (standing, chair, signatories, panel).
    people = review_people(review)
    seats = people.seats
    packet_list = list(review.packets.order_by("-version").select_related("generated_by"))
    current = packet_list[0] if packet_list else None
    signing = packets.signing_packet(review, loaded=packet_list)
    history = list(Signature.objects.filter(review=review).select_related("user", "packet").order_by("-at", "-pk"))
    actions = signatures.allowed_actions(
        review, user, seats=seats, loaded_packets=packet_list, signatories=people.signatories, signatures=history
    )
    proposals = list(
        review.amendments.select_related("sla_version", "sla_version__based_on", "proposed_by").order_by("pk")
    )
    fingerprint = document.amendments_fingerprint(review, amendments=proposals)
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
    panel = signatures.signature_panel(
        review, loaded_packets=packet_list, signatories=people.signatories, signatures=history
    )
    me = next((row for row in panel if row["user"].pk == user.pk), None)
    _, missing = board.signatory_plan(contract, seats=seats, memberships=people.memberships)
    thread = list(review.comments.select_related("author", "amendment").order_by("created_at", "pk"))
    job = job_for_page(request, review)
    return {
        "review": review,
        "contract": contract,
        "zone": zone,
        "status_css": STATUS_CSS.get(review.status, "info"),
        "actions": actions,
        "board": seats,
        "panel": panel,
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
        "job": job,
        "job_poll_url": poll_url(job) if job is not None else "",
        "may_retry_job": job is not None
        and job.state == Job.State.FAILED
        and background.may_retry(signed_in(request), contract, seats=seats),
    }


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "reviews/detail.html", detail_context(request, review_for_page(request, pk)))


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


@login_required
def signed_packet_pdf(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    """The signed-off packet with its signature page (who signed, organization, role, time,
    authentication method, packet checksum), sealed with the portal's document signature. Rendered
    on request (seconds of WeasyPrint, no lock held) and registered so /verify/ recognises it."""
    review = _review(request, pk)
    packet = get_object_or_404(ReviewPacket, review=review, version=version, frozen=True)
    if review.status != AnnualReview.Status.SIGNED:
        raise Http404("The packet is signed once every board member has signed.")
    content = render_signed_packet_pdf(packet)
    filename = document.packet_filename(review, packet.version).replace(".pdf", "-signed.pdf")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(filename, inline=request.GET.get("download") != "1")
    return response


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
