"""A contract's availability page, its actions, and the iCal feed.

Every read goes through the one visibility rule (another tenant's contract
is a 404, also for the feed with someone else's token); every write goes
through ``availability.services.periods``. Times show in the terms' uptime
time zone, the zone the periods are measured in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from accounts.http import signed_in
from availability import exports
from availability.filters import OutageFilter, selected
from availability.ical import build_calendar
from availability.models import CalendarFeed, ChangeNotice, Discrepancy, MaintenanceWindow, MonitoringSource, Outage
from availability.report import (
    PeriodReport,
    TermsBook,
    ahead,
    component_rows,
    duration,
    history,
    history_chart,
    period_kind_and_zone,
    resolve_period,
)
from availability.selectors import PageReader, change_log, contract_and_terms
from availability.services import periods as av
from availability.services import reconciliation, sources
from contracts.access import contract_standing, get_visible_contract
from contracts.forms import StyledForm, apply_domain_errors
from contracts.models import BoardSeat, Contract
from core.downloads import content_disposition
from core.errors import Conflict, InvalidInput, NotPermitted
from core.exports import export_response, requested_format
from core.periods import PeriodError
from incidents.services.base import is_buyer_actor, is_vendor_actor

R = Discrepancy.Resolution
OUTAGES_PER_PAGE = 20
CHANGES_SHOWN = 50
FEED_HORIZON = timedelta(days=400)


# -- forms -------------------------------------------------------------------------------


def _when() -> forms.DateTimeField:
    return forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))


def _components(contract: Contract) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=[(c, c) for c in contract.covered_components or []],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: the whole service.",
    )


class MaintenanceForm(StyledForm):
    title = forms.CharField(max_length=200)
    start = _when()
    end = _when()
    announced_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        label="Announced at (only to record a window announced earlier)",
    )
    evidence = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Evidence of the announcement (note or link; required with an earlier announcement)",
    )

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["components"] = _components(contract)


class ChangeForm(StyledForm):
    kind = forms.ChoiceField(choices=ChangeNotice.Kind.choices)
    title = forms.CharField(max_length=200)
    planned_at = _when()
    impact = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Impact assessment")
    expected_downtime_minutes = forms.IntegerField(
        required=False, min_value=0, label="Expected downtime (minutes)", help_text="Required for a major release."
    )
    rollback_plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Rollback plan",
        help_text="Required for a major release.",
    )  # fmt: skip

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["components"] = _components(contract)


class QuestionForm(StyledForm):
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class AnswerForm(StyledForm):
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class PostponeForm(StyledForm):
    until = _when()
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class PostponementForm(StyledForm):
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])
    reason = forms.CharField(required=False, label="Reason (required to decline)")


class ClaimForm(StyledForm):
    kind = forms.ChoiceField(choices=[(k, av.CLAIM_LABELS[k]) for k in av.CLAIMABLE])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Grounds")


class DecideForm(StyledForm):
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("reject", "Reject")])
    reason = forms.CharField(required=False, label="Reason (required to reject)")


# -- the page ------------------------------------------------------------------------------


def _period_or_404(request: HttpRequest, contract: Contract, book: TermsBook, now: Any) -> Any:
    try:
        return resolve_period(request.GET.get("period"), book.terms(contract.pk, now), now)
    except PeriodError as exc:
        raise Http404(str(exc)) from None


def _verdict_rows(report: PeriodReport | None) -> list[dict[str, Any]]:
    if report is None:
        return []
    rows = []
    for window, verdict in report.verdicts:
        down = sum(((b - a) for a, b in verdict.not_excused), timedelta(0))
        excused = sum(((b - a) for a, b in verdict.excused), timedelta(0))
        rows.append(
            {
                "window": window,
                "verdict": verdict,
                "announced": ahead(window.start - window.announced_at),
                "down": duration(down) if down else "",
                "excused": duration(excused) if excused else "",
            }
        )
    return rows


def _counted_rows(report: PeriodReport | None) -> list[dict[str, Any]]:
    if report is None:
        return []
    rows = []
    outages = {str(o.pk): o for o in report.data.outages}
    for span in report.result.counted:
        kind, _, ident = span.ref.partition(":")
        window = report.windows.get(int(ident)) if kind == "maintenance" else None
        outage = outages.get(ident) if kind == "outage" else None
        component = "every component" if span.component == "*" else span.component
        if outage is not None and outage.unknown_component:
            component = f"{outage.component} (not covered: counts for every component)"
        rows.append(
            {
                "span": span,
                "kind": kind,
                "id": ident,
                "label": {"outage": "Outage", "incident": "Critical incident", "maintenance": "Maintenance"}.get(
                    kind, kind
                ),
                "title": window.title if window else "",
                "component": component,
                "minutes": duration(span.end - span.start),
            }
        )
    return rows


def _page_annotations(request: HttpRequest, outages: QuerySet[Outage], ref: str) -> dict[str, Any]:
    """Read with the contract: the viewer's board seat (their standing needs no
    query of its own), the viewer's calendar feed and the outage table's count.
    ``ref``: the contract's id in the outer query."""
    user_id = signed_in(request).pk
    return {
        "viewer_on_board": Exists(BoardSeat.objects.filter(contract=OuterRef(ref), user_id=user_id)),
        "viewer_feed_created_at": Subquery(
            CalendarFeed.objects.filter(contract=OuterRef(ref), user_id=user_id).values("created_at")[:1]
        ),
        "outage_count": Coalesce(
            Subquery(outages.order_by().values("contract").annotate(n=Count("pk")).values("n")), 0
        ),
    }


def _outage_filter(request: HttpRequest, pk: int) -> tuple[OutageFilter, QuerySet[Outage]]:
    outage_filter = OutageFilter(request.GET, queryset=Outage.objects.filter(contract_id=pk))
    return outage_filter, outage_filter.qs if outage_filter.is_valid() else Outage.objects.none()


class _CountedPaginator(Paginator):
    """A paginator whose count was read beforehand (with the contract)."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def render_page(
    request: HttpRequest, pk: int, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    bound = bound or {}
    outage_filter, table = _outage_filter(request, pk)
    user = signed_in(request)
    contract, book = contract_and_terms(user, pk, annotate=lambda ref: _page_annotations(request, table, ref))
    on_board: bool = contract.viewer_on_board  # type: ignore[attr-defined]
    outage_count: int = contract.outage_count  # type: ignore[attr-defined]
    feed_created_at: datetime | None = contract.viewer_feed_created_at  # type: ignore[attr-defined]
    # The viewer's seat is all the standing needs; nothing else on this page reads the board.
    contract._board_user_ids = {user.pk} if on_board else set()  # type: ignore[attr-defined]
    s = contract_standing(user, contract)
    terms = book.terms(contract.pk, now)
    kind, zone = period_kind_and_zone(terms)
    period = _period_or_404(request, contract, book, now)
    page = _CountedPaginator(table, OUTAGES_PER_PAGE, count=outage_count).get_page(request.GET.get("page"))
    reader = PageReader(
        contract,
        now=now,
        outages=table,
        offset=(page.number - 1) * OUTAGES_PER_PAGE,
        per_page=OUTAGES_PER_PAGE,
        period_start=period.start,
    )
    # Closed periods come from their stored reports; the open ones and the selected one are computed
    # live from one load of the facts, read with the page's lists: a fixed number of queries however
    # many periods or rows.
    past = history(contract, book=book, now=now, selected=period, load=reader.load_facts)
    listed = reader.rows()
    rows = past.rows
    report = past.live.get(period)
    target = terms.uptime_target if terms else None
    title = f"Service availability, last {len(rows)} {kind}s"
    chart = history_chart(rows, target=target, title=title, width=1100, height=300) if target else ""

    page.object_list = listed.outages
    for o in listed.outages:
        o.length = duration((o.end or now) - o.start) + ("" if o.end else " so far")  # type: ignore[attr-defined]
        o.exclusion_label = av.CLAIM_LABELS.get(o.exclusion_kind, o.exclusion_kind.replace("_", " "))  # type: ignore[attr-defined]
    params = request.GET.copy()
    params.pop("page", None)

    notice_days = terms.data["exclusions"]["maintenance_notice_days"] if terms else 0
    upcoming = listed.upcoming
    for w in upcoming:
        w.notice_given = ahead(w.start - w.announced_at)
        w.notice_late = w.start - w.announced_at < timedelta(days=notice_days)
    changes = change_log(contract, limit=CHANGES_SHOWN)
    for c in changes:
        c.notice_given = ahead(c.planned_at - c.announced_at)
    feed = (
        CalendarFeed(user_id=user.pk, contract_id=contract.pk, created_at=feed_created_at) if feed_created_at else None
    )
    feed_url = (
        request.build_absolute_uri(reverse("availability:calendar-feed", args=[contract.pk, av.feed_token(feed)]))
        if feed
        else ""
    )
    vendor, buyer = is_vendor_actor(s), is_buyer_actor(s)
    health = [source for source in listed.sources if source.revoked_at is None]
    context = {
        "contract": contract,
        "standing": s,
        "now": now,
        "zone": zone,
        "terms": terms,
        "target": target,
        "period": period,
        "prev_period": period.previous(),
        "next_period": period.next() if period.end <= now else None,
        "report": report,
        "components": component_rows(report) if report else [],
        "verdicts": _verdict_rows(report),
        "counted": _counted_rows(report),
        "chart": mark_safe(chart),  # noqa: S308 - built by core.charts, every text escaped there
        "outage_page": page,
        "outage_filter": outage_filter,
        "outage_selected": selected(request.GET, ("component", "source", "exclusion", "since", "until")),
        "outage_query": params.urlencode(),
        "outage_filtered": any(request.GET.get(k) for k in ("component", "source", "exclusion", "since", "until")),
        "sources": Outage.Source.choices,
        "exclusions": [("none", "Counts (no claim)"), *[c for c in Outage.Exclusion.choices if c[0]]],
        "upcoming": upcoming,
        "notice_days": notice_days,
        "changes": changes,
        "feed_url": feed_url,
        "can_vendor": vendor,
        "can_buyer": buyer,
        "maintenance_form": bound.get("maintenance") or MaintenanceForm(contract=contract, auto_id="mw-%s"),
        "change_form": bound.get("change") or ChangeForm(contract=contract, auto_id="cn-%s"),
        "open_form": next(iter(bound), ""),
        "claim_form": ClaimForm(auto_id=False),
        "decide_form": DecideForm(auto_id=False),
        "question_form": QuestionForm(auto_id=False),
        "api_url": reverse("availability-api:contract-availability", args=[contract.pk]) + f"?period={period.label}",
        **_reconciliation_context(contract, period, request.user, book=book, items=listed.items, known=listed.sources),
        # Each active source's health: ok, or silent since when.
        "source_health": health,
        "counting_sources": any(source.counts for source in health),
    }
    with timezone.override(zone):
        return render(request, "availability/contract.html", context, status=status)


@login_required
def contract_availability(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    if "export" not in request.GET:
        return render_page(request, pk)  # reads the contract with its terms (404 if not visible)
    contract = get_visible_contract(request.user, pk)
    try:
        fmt = requested_format(request.GET.get("export"))
    except InvalidInput as exc:
        return HttpResponse(f"export: {exc.errors['export'][0]}", status=400, content_type="text/plain")
    if fmt is None:
        return render_page(request, pk)
    # The outage table's filters, over every outage they select (not only the page shown).
    outages = _outage_filter(request, contract.pk)[1]
    return export_response(
        fmt=fmt,
        filename=f"{contract.reference}-outages",
        header=exports.HEADER,
        rows=exports.rows(outages.order_by("-start", "-id")),
        sheet="Outages",
    )


# -- actions -------------------------------------------------------------------------------


def forbidden(request: HttpRequest, contract: Contract, message: str) -> HttpResponse:
    return render(request, "availability/forbidden.html", {"contract": contract, "message": message}, status=403)


def _run(
    request: HttpRequest,
    contract: Contract,
    *,
    form: forms.Form | None,
    name: str,
    call: Callable[[dict[str, Any]], Any],
    done: str,
    anchor: str,
    rerender: bool = False,
) -> HttpResponse:
    """Parse, call the service, and show the outcome."""
    zone = period_kind_and_zone(TermsBook.load([contract.pk]).terms(contract.pk, timezone.now()))[1]
    with timezone.override(zone):
        valid = form is None or form.is_valid()
    if not valid:
        if rerender:
            return render_page(request, contract.pk, bound={name: form}, status=400)
        messages.error(request, "Please correct: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect(reverse("availability:contract", args=[contract.pk]) + anchor)
    try:
        call(form.cleaned_data if form is not None else {})
    except NotPermitted as exc:
        return forbidden(request, contract, exc.message)
    except Conflict as exc:
        messages.error(request, exc.message)
    except InvalidInput as exc:
        if rerender and form is not None:
            apply_domain_errors(form, exc)
            return render_page(request, contract.pk, bound={name: form}, status=400)
        detail = "; ".join(" ".join(v) for v in exc.errors.values()) or exc.message
        messages.error(request, f"{exc.message} {detail}" if detail != exc.message else detail)
    else:
        messages.success(request, done)
    return redirect(reverse("availability:contract", args=[contract.pk]) + anchor)


def contract_object(model: Any, contract: Contract, pk: int) -> Any:
    obj = model.objects.filter(contract=contract, pk=pk).first()
    if obj is None:
        raise Http404("Not found.")
    return obj


@login_required
@require_POST
def change_action(request: HttpRequest, pk: int, notice_pk: int, action: str) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    notice = contract_object(ChangeNotice, contract, notice_pk)
    user = signed_in(request)
    if action == "acknowledge":
        return _run(
            request, contract, form=None, name=action, anchor="#changes",
            call=lambda d: av.acknowledge_change(actor=user, notice=notice),
            done=f"“{notice.title}” acknowledged.",
        )  # fmt: skip
    if action == "question":
        return _run(
            request, contract, form=QuestionForm(request.POST), name=action, anchor="#changes",
            call=lambda d: av.question_change(actor=user, notice=notice, question=d["question"]),
            done=f"Question sent about “{notice.title}”.",
        )  # fmt: skip
    if action == "answer":
        return _run(
            request, contract, form=AnswerForm(request.POST), name=action, anchor="#changes",
            call=lambda d: av.answer_change(actor=user, notice=notice, answer=d["answer"]),
            done=f"Answer sent about “{notice.title}”.",
        )  # fmt: skip
    if action == "postpone":
        return _run(
            request, contract, form=PostponeForm(request.POST), name=action, anchor="#changes",
            call=lambda d: av.request_postponement(actor=user, notice=notice, until=d["until"], reason=d["reason"]),
            done=f"Postponement of “{notice.title}” requested.",
        )  # fmt: skip
    if action == "postponement":
        return _run(
            request, contract, form=PostponementForm(request.POST), name=action, anchor="#changes",
            call=lambda d: av.decide_postponement(
                actor=user, notice=notice, accept=d["decision"] == "accept", reason=d["reason"]
            ),
            done="Decision on the postponement recorded.",
        )  # fmt: skip
    raise Http404("No such action.")


@login_required
@require_POST
def outage_action(request: HttpRequest, pk: int, outage_pk: int, action: str) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    outage = contract_object(Outage, contract, outage_pk)
    user = request.user
    if action == "claim":
        return _run(
            request, contract, form=ClaimForm(request.POST), name=action, anchor="#outages",
            call=lambda d: av.claim_outage_exclusion(actor=user, outage=outage, kind=d["kind"], reason=d["reason"]),
            done="Exclusion claimed; it awaits the buyer's decision.",
        )  # fmt: skip
    if action == "decide":
        return _run(
            request, contract, form=DecideForm(request.POST), name=action, anchor="#outages",
            call=lambda d: av.decide_outage_exclusion(
                actor=user, outage=outage, accept=d["decision"] == "accept", reason=d["reason"]
            ),
            done="Decision recorded.",
        )  # fmt: skip
    raise Http404("No such action.")


@login_required
@require_POST
def maintenance_create(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    user = request.user
    return _run(
        request, contract, form=MaintenanceForm(request.POST, contract=contract, auto_id="mw-%s"),
        name="maintenance", anchor="#maintenance", rerender=True,
        call=lambda d: av.schedule_maintenance(actor=user, contract=contract, **d),
        done="Maintenance window scheduled.",
    )  # fmt: skip


@login_required
@require_POST
def maintenance_accept(request: HttpRequest, pk: int, window_pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    window = contract_object(MaintenanceWindow, contract, window_pk)
    user = signed_in(request)
    return _run(
        request, contract, form=None, name="maintenance-accept", anchor="#maintenance",
        call=lambda d: av.accept_late_maintenance(actor=user, window=window),
        done="Maintenance window accepted: it is now judged like any other.",
    )  # fmt: skip


@login_required
@require_POST
def change_create(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    user = request.user
    return _run(
        request, contract, form=ChangeForm(request.POST, contract=contract, auto_id="cn-%s"),
        name="change", anchor="#changes", rerender=True,
        call=lambda d: av.announce_change(actor=user, contract=contract, **d),
        done="Change announced.",
    )  # fmt: skip


@login_required
@require_POST
def calendar_feed(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    rotate = request.POST.get("rotate") == "1"
    user = request.user
    return _run(
        request, contract, form=None, name="feed", anchor="#calendar",
        call=lambda d: av.calendar_feed(actor=user, contract=contract, rotate=rotate),
        done="New calendar URL issued; the old one no longer works." if rotate else "Your calendar URL is ready.",
    )  # fmt: skip


def calendar_ics(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """The feed, authenticated by the person's secret token (calendar apps do not sign in)."""
    feed = av.feed_for_token(pk, token)
    if feed is None:
        raise Http404("No such calendar.")
    contract = feed.contract
    now = timezone.now()
    terms = TermsBook.load([contract.pk]).terms(contract.pk, now)
    contract = Contract.objects.select_related("buyer", "vendor").get(pk=contract.pk)
    windows = MaintenanceWindow.objects.filter(contract=contract, end__gte=now - FEED_HORIZON).order_by("start")
    notices = ChangeNotice.objects.filter(contract=contract, planned_at__gte=now - FEED_HORIZON).order_by("planned_at")
    body = build_calendar(
        contract, windows, notices, notice_days=terms.data["exclusions"]["maintenance_notice_days"] if terms else 0
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = content_disposition(f"{contract.reference}-maintenance.ics", inline=True)
    response["Cache-Control"] = "private, max-age=300"
    return response


# -- monitoring sources -----------------------------------------------------------------------


# -- reconciliation between sources (availability.services.reconciliation) --------------------------


class ResolveForm(StyledForm):
    resolution = forms.ChoiceField(
        choices=[(R.SOURCE, "Count one source's view"), (R.SPLIT, "Split: half counts as down")]
    )
    source = forms.IntegerField(required=False)
    reason = forms.CharField(max_length=2000)


class DisputeDiscrepancyForm(StyledForm):
    reason = forms.CharField(max_length=2000)


def _reconciliation_context(
    contract: Contract,
    period: Any,
    user: Any,
    *,
    book: TermsBook,
    items: list[Discrepancy],
    known: list[MonitoringSource],
) -> dict[str, Any]:
    """The period's discrepancies (``reconciliation.period_items``) with their
    sources' names (``known``: every source of the contract)."""
    names = {source.pk: source for source in known}
    side = sources.side_of(user, contract) if items else None
    rows = []
    for d in items:
        down = [names[i] for i in d.down_sources if i in names]
        up = [names[i] for i in d.up_sources if i in names]
        rows.append(
            {
                "d": d,
                "says_down": down,
                "says_up": up,
                "choices": [*down, *up],
                "length": duration(d.end - d.start),
                "may_accept": bool(d.proposed_resolution) and side is not None and side != d.proposed_side,
            }
        )
    return {
        "discrepancies": rows,
        "reconciliation": reconciliation.summary(items),
        "reconciliation_rule": reconciliation.RULE,
        "tolerance_seconds": reconciliation.tolerance_seconds(book.terms(contract.pk, min(period.end, timezone.now())))
        if items
        else None,
    }


@login_required
@require_POST
def discrepancy_action(request: HttpRequest, pk: int, item_pk: int, action: str) -> HttpResponse:
    contract = get_visible_contract(request.user, pk)
    item = contract_object(Discrepancy, contract, item_pk)
    user = signed_in(request)
    if action == "resolve":
        return _run(
            request, contract, form=ResolveForm(request.POST), name=action, anchor="#reconciliation",
            call=lambda d: reconciliation.propose_resolution(
                actor=user, discrepancy=item, resolution=d["resolution"], source_id=d["source"], reason=d["reason"]
            ),
            done="Resolution proposed; it awaits the other party's acceptance.",
        )  # fmt: skip
    if action == "accept":
        return _run(
            request, contract, form=None, name=action, anchor="#reconciliation",
            call=lambda d: reconciliation.accept_resolution(actor=user, discrepancy=item),
            done="Resolution accepted: the discrepancy is resolved by agreement.",
        )  # fmt: skip
    if action == "dispute":
        return _run(
            request, contract, form=DisputeDiscrepancyForm(request.POST), name=action, anchor="#reconciliation",
            call=lambda d: reconciliation.dispute_discrepancy(actor=user, discrepancy=item, reason=d["reason"]),
            done="Marked disputed: the buyer's sources count and the time is reported as disputed.",
        )  # fmt: skip
    raise Http404("No such action.")
