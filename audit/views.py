from __future__ import annotations

from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from audit import exports
from audit.exports import csv_response
from audit.filters import AuditEntryFilter
from audit.models import AuditEntry
from core.errors import InvalidInput
from core.exports import export_response, requested_format


def render_entries(
    request: HttpRequest, queryset: QuerySet, *, title: str, csv_name: str, extra: dict[str, Any] | None = None
) -> HttpResponse | StreamingHttpResponse:
    """The audit list page (or its CSV, or ``?export=csv|xlsx``) for an already
    visibility-filtered queryset."""
    filterset = AuditEntryFilter(request.GET, queryset=queryset)
    entries = filterset.qs if filterset.is_valid() else queryset.none()
    if request.GET.get("format") == "csv":
        return csv_response(entries, csv_name)
    try:
        fmt = requested_format(request.GET.get("export"))
    except InvalidInput as exc:
        return HttpResponse(f"export: {exc.errors['export'][0]}", status=400, content_type="text/plain")
    if fmt is not None:
        return export_response(
            fmt=fmt,
            filename=csv_name.removesuffix(".csv"),
            header=exports.LIST_HEADER,
            rows=exports.rows(entries),
            sheet="Audit trail",
        )
    params = request.GET.copy()
    params.pop("page", None)
    page = Paginator(entries.for_list(), 50).get_page(request.GET.get("page"))
    context = {"page": page, "filter": filterset, "title": title, "querystring": params.urlencode(), **(extra or {})}
    return render(request, "audit/entries.html", context)


@staff_member_required
def log(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    return render_entries(request, AuditEntry.objects.all(), title="Audit log", csv_name="audit.csv")
