"""Report pages. Every report is reached through ``ServiceReport.objects.visible_to``
(another tenant's report is a 404), and its PDF is served by a view after
that check, never from a media URL."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.db.models.fields.json import KT
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render

from contracts.access import get_visible_contract
from core.errors import InvalidInput
from core.exports import export_response, requested_format
from core.money import money
from reports import exports
from reports.models import Credit, ServiceReport
from reports.outside import open_disputes
from reports.presenters import report_context as present
from reports.services import store_pdf
from reports.services.ledger import ledger_rows
from reports.services.publish import pdf_filename

PAGE_SIZE = 24
_TRUE = (True, 1, "1", "true", "True")


def report_rows(queryset: QuerySet[ServiceReport]) -> QuerySet[ServiceReport]:
    """List rows without loading snapshots: headline columns, the target and
    the termination flag read out of the JSON by the database."""
    return (
        queryset.select_related("contract", "contract__buyer", "contract__vendor")
        .defer("snapshot")
        .annotate(
            target=KT("snapshot__availability__target"),
            termination=KT("snapshot__termination__triggered"),
            next_revision_id=F("superseded_by__id"),
        )
    )


def decorate(reports: Any) -> None:
    for r in reports:
        r.termination_triggered = r.termination in _TRUE
        r.credit_text = money(r.credit_total, r.currency)


def _visible(request: HttpRequest) -> QuerySet[ServiceReport]:
    return ServiceReport.objects.visible_to(request.user)


def _report(request: HttpRequest, pk: int) -> ServiceReport:
    return get_object_or_404(
        _visible(request).select_related("contract", "contract__buyer", "contract__vendor", "supersedes"), pk=pk
    )


def _export(
    request: HttpRequest, queryset: QuerySet[ServiceReport], *, filename: str
) -> HttpResponse | StreamingHttpResponse | None:
    """The list as a file when ``?export=csv|xlsx`` asks for one (a 400 naming ``export`` for
    another format); None to show the page."""
    try:
        fmt = requested_format(request.GET.get("export"))
    except InvalidInput as exc:
        return HttpResponse(f"export: {exc.errors['export'][0]}", status=400, content_type="text/plain")
    if fmt is None:
        return None
    return export_response(
        fmt=fmt, filename=filename, header=exports.HEADER, rows=exports.rows(queryset), sheet="Service reports"
    )


@login_required
def report_index(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The current revision of every report you may see, newest period first."""
    current = _visible(request).current().order_by("-period_start", "contract__reference", "-revision")
    period = request.GET.get("period", "").strip()
    if period:
        current = current.filter(period=period)
    if (download := _export(request, current, filename="service-reports")) is not None:
        return download
    qs = report_rows(current)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    decorate(page)
    return render(
        request,
        "reports/reports_list.html",
        {"page": page, "contract": None, "period": period, "querystring": f"period={period}" if period else ""},
    )


@login_required
def contract_reports(request: HttpRequest, contract_pk: int) -> HttpResponse | StreamingHttpResponse:
    contract = get_visible_contract(request.user, contract_pk)
    current = ServiceReport.objects.filter(contract=contract).current().order_by("-period_start")
    if (download := _export(request, current, filename=f"{contract.reference}-service-reports")) is not None:
        return download
    qs = report_rows(current)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    decorate(page)
    return render(request, "reports/reports_list.html", {"page": page, "contract": contract, "querystring": ""})


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    newer = ServiceReport.objects.filter(supersedes=report).only("pk", "revision").first()
    context = {
        **present(report),
        "contract": report.contract,
        "newer": newer,
        "ledger": ledger_rows(list(Credit.objects.filter(report=report).order_by("pk"))),
        "open_disputes_now": open_disputes(report.contract_id),
    }
    return render(request, "reports/reports_detail.html", context)


@login_required
def report_pdf(request: HttpRequest, pk: int) -> FileResponse:
    report = _report(request, pk)
    if not report.pdf_sha256:
        report = store_pdf(report)  # rendered once, then served from storage
    try:
        handle = report.pdf.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The report's PDF is missing from storage.") from None
    return FileResponse(handle, as_attachment=True, filename=pdf_filename(report), content_type="application/pdf")


@login_required
def report_revisions(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    revisions = list(
        report_rows(ServiceReport.objects.filter(contract=report.contract, period=report.period)).order_by("-revision")
    )
    decorate(revisions)
    return render(
        request,
        "reports/reports_revisions.html",
        {"report": report, "contract": report.contract, "revisions": revisions},
    )
