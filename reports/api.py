"""The service reports API: read-only, frozen reports and their PDFs.

Every route resolves reports through ``ServiceReport.objects.visible_to``
(another tenant's report is 404). The list never loads snapshots; the detail
returns the whole frozen snapshot the checksum covers.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import FileResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from core.api import AnyMediaRenderer, ErrorSerializer, error_responses
from core.filters import IntegerFilter
from core.money import amount_text
from reports.models import ServiceReport
from reports.services import store_pdf
from reports.services.publish import pdf_filename
from reports.views import _TRUE, report_rows

PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Report id.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such report (or you may not see it).")


class ReportFilter(django_filters.FilterSet):
    contract = IntegerFilter(field_name="contract", help_text="Contract id.")
    contract_reference = django_filters.CharFilter(
        field_name="contract__reference", lookup_expr="iexact", help_text="Contract reference."
    )
    period = django_filters.CharFilter(help_text="Period label: YYYY-MM (month) or YYYY-Qn (quarter).")
    current = django_filters.BooleanFilter(
        method="filter_current", help_text="true: only the latest revision of each period (not superseded)."
    )

    class Meta:
        model = ServiceReport
        fields = ["contract", "contract_reference", "period", "current"]

    def filter_current(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(superseded_by__isnull=value)


class ReportSerializer(serializers.ModelSerializer):
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    buyer = serializers.CharField(source="contract.buyer.name", read_only=True)
    vendor = serializers.CharField(source="contract.vendor.name", read_only=True)
    availability_target = serializers.SerializerMethodField(help_text="The agreed target, percent (string).")
    termination_triggered = serializers.SerializerMethodField()
    credit_total = serializers.SerializerMethodField(
        help_text='Credits due after the caps, in the currency\'s minor unit ("1400.00", JPY "1400").'
    )
    superseded_by = serializers.SerializerMethodField(help_text="Id of the revision that replaced this one.")
    pdf_url = serializers.SerializerMethodField(help_text="The PDF through the API (visibility-checked).")

    class Meta:
        model = ServiceReport
        fields = [
            "id",
            "contract",
            "contract_reference",
            "buyer",
            "vendor",
            "period",
            "period_start",
            "period_end",
            "revision",
            "supersedes",
            "superseded_by",
            "what_changed",
            "availability",
            "availability_target",
            "availability_met",
            "breaches",
            "credit_total",
            "currency",
            "termination_triggered",
            "checksum",
            "pdf_sha256",
            "pdf_url",
            "created_at",
        ]
        read_only_fields = fields

    def get_availability_target(self, obj: ServiceReport) -> str | None:
        value = getattr(obj, "target", None)
        return None if value is None else str(value)

    def get_credit_total(self, obj: ServiceReport) -> str | None:
        return amount_text(obj.credit_total, obj.currency)

    def get_termination_triggered(self, obj: ServiceReport) -> bool:
        return getattr(obj, "termination", None) in _TRUE

    def get_superseded_by(self, obj: ServiceReport) -> int | None:
        return getattr(obj, "next_revision_id", None)

    def get_pdf_url(self, obj: ServiceReport) -> str:
        request = self.context.get("request")
        path = f"/api/reports/{obj.pk}/pdf/"
        return request.build_absolute_uri(path) if request else path


class CommitmentExactSerializer(serializers.Serializer):
    up_us = serializers.IntegerField(required=False, help_text="Time-based: microseconds up.")
    measured_us = serializers.IntegerField(required=False, help_text="Time-based: microseconds measured.")
    fraction = serializers.CharField(required=False, help_text='Request-based: the exact ratio, "p/q" percent.')


class CommitmentResultSerializer(serializers.Serializer):
    """One service commitment as the frozen snapshot judged it (``snapshot.commitments``)."""

    key = serializers.CharField()
    name = serializers.CharField()
    window = serializers.ChoiceField(choices=["month", "quarter"])
    window_label = serializers.CharField(help_text='The window judged: "2026-09" or "2026-Q3".')
    components = serializers.ListField(child=serializers.CharField())
    service_rule = serializers.ChoiceField(choices=["any", "all"])
    measure = serializers.ChoiceField(choices=["time", "requests"])
    target = serializers.CharField(help_text="Percent (string).")
    status = serializers.ChoiceField(choices=["met", "breached", "not measured", "not due"])
    measured = serializers.BooleanField()
    met = serializers.BooleanField(allow_null=True)
    value = serializers.CharField(
        allow_null=True, help_text="Shown availability, percent: rounded once, never across a bound."
    )
    exact = CommitmentExactSerializer(allow_null=True)
    coverage = serializers.CharField(allow_null=True, help_text="Percent of the window with monitoring data.")
    tier = serializers.CharField(allow_null=True, help_text="The credit tier matched, as the terms word it.")
    credit_percent = serializers.CharField(help_text="Of the credit base.")
    fee_share = serializers.CharField(help_text="The credit base as a percent of the window's fee.")
    credit_base = serializers.CharField(help_text="The credit base as an amount.")
    amount = serializers.CharField(help_text="The credit earned, before groups and caps.")
    group = serializers.CharField(help_text="Non-cumulative group (empty: none).")
    owed = serializers.BooleanField(help_text="Owed after the non-cumulative groups.")
    payable = serializers.CharField(help_text="What the credit pays after the contract's caps.")
    note = serializers.CharField()


class ReportDetailSerializer(ReportSerializer):
    snapshot = serializers.JSONField(read_only=True, help_text="The frozen inputs and outputs the checksum covers.")
    commitments = serializers.SerializerMethodField(
        help_text="The service commitments judged (terms with a commitments list); null otherwise."
    )

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "snapshot", "commitments"]
        read_only_fields = fields

    @extend_schema_field(CommitmentResultSerializer(many=True, allow_null=True))
    def get_commitments(self, obj: ServiceReport) -> list[dict[str, Any]] | None:
        return (obj.snapshot or {}).get("commitments")


@extend_schema_view(
    list=extend_schema(
        summary="Service reports you may see",
        description="Newest period first, every revision unless `current=true`.",
        responses={200: ReportSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="One frozen report with its snapshot",
        parameters=[PK],
        responses={200: ReportDetailSerializer, 404: NOT_FOUND},
    ),
)
class ReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Frozen period reports. Nobody edits a report: a correction is a new
    revision (`supersedes` / `superseded_by`, with `what_changed`)."""

    queryset = ServiceReport.objects.none()
    serializer_class = ReportSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReportFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[ServiceReport]:
        if getattr(self, "swagger_fake_view", False):
            return ServiceReport.objects.none()
        qs = report_rows(ServiceReport.objects.visible_to(self.request.user)).order_by(
            "-period_start", "contract__reference", "-revision"
        )
        if self.action == "retrieve":
            qs = qs.defer(None)  # the detail returns the snapshot
        return qs

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return ReportDetailSerializer if self.action == "retrieve" else ReportSerializer

    def get_renderers(self) -> list[Any]:
        if getattr(self, "action", None) == "pdf":
            return [JSONRenderer(), AnyMediaRenderer()]
        return super().get_renderers()

    @extend_schema(
        summary="The report as a PDF",
        parameters=[PK],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF, as an attachment."),
            (404, "application/json"): NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def pdf(self, request: Request, pk: str) -> FileResponse:
        report = self.get_object()
        if not report.pdf_sha256:
            report = store_pdf(report)
        try:
            handle = report.pdf.open("rb")
        except (FileNotFoundError, ValueError):
            raise NotFound("The report's PDF is missing from storage.") from None
        return FileResponse(handle, as_attachment=True, filename=pdf_filename(report), content_type="application/pdf")
