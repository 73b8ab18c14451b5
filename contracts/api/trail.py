"""A contract's audit trail through the API: the paginated list and the CSV export."""

from __future__ import annotations

import json
import re
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from audit.exports import csv_response
from audit.filters import AuditEntryFilter
from audit.models import AuditEntry
from audit.serializers import AuditEntrySerializer
from contracts.access import contract_standing
from contracts.api.base import CONTRACT_PK, ContractScopedMixin, errors
from contracts.models import Contract


class CSVRenderer(BaseRenderer):
    """Lets ``?format=csv`` (and ``Accept: text/csv``) select the CSV export."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return json.dumps(data).encode()  # only reached by errors, which handle_exception sends as JSON


def readable_trail(user: Any, contract: Contract) -> QuerySet[AuditEntry]:
    """The contract's entries this person may read: the page, the API and the
    CSV all go through here, so an entry about the other side's private
    objects (``AuditEntry.visibility``) never reaches them."""
    s = contract_standing(user, contract)
    return AuditEntry.objects.for_contract(contract.pk).readable_by(
        buyer=s.is_buyer, vendor=s.is_vendor, staff=s.is_staff
    )


def _safe_filename(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "contract"


AUDIT_CSV = OpenApiResponse(OpenApiTypes.STR, description="The entries as CSV (header row first), oldest first.")


@extend_schema(parameters=[CONTRACT_PK])
class ContractAuditViewSet(ContractScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The contract's audit trail: everyone who may see the contract reads the
    entries meant for their side (``readable_trail``)."""

    queryset = AuditEntry.objects.none()
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    ordering_fields = ["seq", "at"]
    ordering = ["-seq"]
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return AuditEntry.objects.none()
        return readable_trail(self.request.user, self.contract).order_by("-seq")

    def handle_exception(self, exc: Exception) -> Response:
        if getattr(getattr(self.request, "accepted_renderer", None), "format", None) == "csv":
            self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return super().handle_exception(exc)

    def _csv(self) -> HttpResponseBase:
        name = f"{_safe_filename(self.contract.reference)}-audit.csv"
        return csv_response(self.filter_queryset(self.get_queryset()), name)

    @extend_schema(
        summary="The contract's audit trail",
        description="Newest first, paginated. `?format=csv` returns the filtered trail as CSV instead "
        "(same as `export/`).",
        responses={
            (200, "application/json"): AuditEntrySerializer(many=True),
            (200, "text/csv"): AUDIT_CSV,
            **errors(400, 404, media_type="application/json"),
        },
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        if request.accepted_renderer.format == "csv":
            return self._csv()
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Export the contract's audit trail as CSV",
        parameters=[OpenApiParameter("format", exclude=True)],
        responses={(200, "text/csv"): AUDIT_CSV, **errors(400, 404, media_type="application/json")},
    )
    def export(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return self._csv()
