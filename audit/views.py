from __future__ import annotations

from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.exports import csv_response
from audit.filters import AuditEntryFilter
from audit.models import AuditEntry


def render_entries(
    request: HttpRequest, queryset: QuerySet, *, title: str, csv_name: str, extra: dict[str, Any] | None = None
) -> HttpResponse:
    """The audit list page (or its CSV) for an already visibility-filtered queryset."""
    filterset = AuditEntryFilter(request.GET, queryset=queryset)
    entries = filterset.qs if filterset.is_valid() else queryset.none()
    if request.GET.get("format") == "csv":
        return csv_response(entries, csv_name)
    params = request.GET.copy()
    params.pop("page", None)
    page = Paginator(entries.for_list(), 50).get_page(request.GET.get("page"))
    context = {"page": page, "filter": filterset, "title": title, "querystring": params.urlencode(), **(extra or {})}
    return render(request, "audit/entries.html", context)


@staff_member_required
def log(request: HttpRequest) -> HttpResponse:
    return render_entries(request, AuditEntry.objects.all(), title="Audit log", csv_name="audit.csv")
