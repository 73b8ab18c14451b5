"""The contracts API: thin views over ``contracts.services``.

Each view parses with a serializer, finds what the user may see through the
one visibility rule (``Contract.objects.visible_to`` /
``contracts.access.get_visible_contract``: strangers get 404), lets the
service check the role (403 with the service's message) and the state (409),
and renders the result. Errors use the one shape of ``core.api``.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import django_filters
from django import forms
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import FileResponse, HttpResponseBase
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from audit.exports import csv_response
from audit.filters import AuditEntryFilter
from audit.models import AuditEntry
from audit.serializers import AuditEntrySerializer
from contracts import services
from contracts.access import get_visible_contract
from contracts.models import BoardSeat, Contract, ContractContact, ContractDocument, SLAVersion
from contracts.serializers import (
    ActivateSerializer,
    AmendSerializer,
    BoardSeatSerializer,
    ContactSerializer,
    ContractCreateSerializer,
    ContractSerializer,
    ContractUpdateSerializer,
    DiffEntrySerializer,
    DiffQuerySerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
    InForceQuerySerializer,
    SLAVersionCreateSerializer,
    SLAVersionSerializer,
    SLAVersionUpdateSerializer,
    diff_rows,
)
from core.api import AnyMediaRenderer, error_responses

# --------------------------------------------------------------------------
# Schema helpers
# --------------------------------------------------------------------------

_ERROR_TEXT = {
    400: "Invalid input: `errors` maps each field path to its messages.",
    403: "Not permitted: you may see the contract but not do this.",
    404: "No such contract (or you may not see it), or no such item on it.",
    409: "The object's state does not allow this: `state` and `allowed` say what does.",
}


def errors(*codes: int, media_type: str | None = None) -> dict[Any, OpenApiResponse]:
    return error_responses(*codes, media_type=media_type, texts=_ERROR_TEXT)


CONTRACT_PK = OpenApiParameter("contract_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="Contract id.")
NUMBER = OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH, description="SLA version number.")


# --------------------------------------------------------------------------
# Contracts
# --------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class ContractFilter(django_filters.FilterSet):
    vendor = IntegerFilter(field_name="vendor_id", help_text="Vendor organization id.")
    buyer = IntegerFilter(field_name="buyer_id", help_text="Buyer organization id.")
    status = django_filters.ChoiceFilter(choices=Contract.Status.choices)
    renewal_within = IntegerFilter(
        method="filter_renewal_within",
        min_value=0,
        max_value=3650,
        help_text="Notice deadline within this many days from today.",
    )
    search = django_filters.CharFilter(method="filter_search", help_text="Part of the reference or product.")

    class Meta:
        model = Contract
        fields = ["vendor", "buyer", "status", "renewal_within", "search"]

    def filter_renewal_within(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return queryset.renewal_within(value)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(product__icontains=value))


def _current_version_number() -> Subquery:
    in_force = SLAVersion.objects.filter(contract=OuterRef("pk")).governing(timezone.now()).order_by("-effective_from")
    return Subquery(in_force.values("number")[:1])


@extend_schema_view(
    list=extend_schema(summary="Contracts you may see", responses={200: ContractSerializer(many=True), **errors(400)}),
    retrieve=extend_schema(summary="One contract", responses={200: ContractSerializer, **errors(404)}),
)
class ContractViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Contracts of your organizations and of the boards you sit on (staff: all)."""

    queryset = Contract.objects.none()
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    ordering_fields = ["reference", "term_end", "notice_deadline"]
    ordering = ["reference"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet:
        return (
            Contract.objects.visible_to(self.request.user)
            .for_list()
            .annotate(current_sla_version=_current_version_number())
        )

    def _reload(self, contract: Contract) -> Contract:
        return self.get_queryset().get(pk=contract.pk)

    @extend_schema(
        summary="Create a draft contract with a draft SLA v1",
        request=ContractCreateSerializer,
        responses={201: ContractSerializer, **errors(400, 403)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ContractCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contract = services.contract_create(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(self._reload(contract)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit contract data",
        request=ContractUpdateSerializer,
        responses={200: ContractSerializer, **errors(400, 403, 404)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        contract = self.get_object()
        serializer = ContractUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        contract = services.contract_update(actor=request.user, contract=contract, **serializer.validated_data)
        return Response(self.get_serializer(self._reload(contract)).data)


# --------------------------------------------------------------------------
# Everything under /contracts/{contract_pk}/
# --------------------------------------------------------------------------


class ContractScopedMixin:
    """Resolves ``self.contract`` through the visibility rule before any handler
    runs: a contract the user may not see is 404 on every nested route."""

    contract: Contract
    kwargs: dict[str, Any]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self.contract = get_visible_contract(request.user, kwargs["contract_pk"])

    def schema_only(self) -> bool:
        return getattr(self, "swagger_fake_view", False)


@extend_schema(parameters=[CONTRACT_PK])
@extend_schema_view(
    list=extend_schema(
        summary="The contract's SLA versions", responses={200: SLAVersionSerializer(many=True), **errors(404)}
    ),
    retrieve=extend_schema(
        summary="One SLA version", parameters=[NUMBER], responses={200: SLAVersionSerializer, **errors(404)}
    ),
)
class SLAVersionViewSet(ContractScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A contract's SLA versions: drafts are edited, activation freezes them, an
    amendment opens the next draft. At most one active version is in force at
    any instant."""

    queryset = SLAVersion.objects.none()
    serializer_class = SLAVersionSerializer
    lookup_field = "number"
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return SLAVersion.objects.none()
        return (
            SLAVersion.objects.visible_to(self.request.user)
            .filter(contract=self.contract)
            .select_related("based_on", "created_by", "activated_by")
            .order_by("number")
        )

    def get_object(self) -> SLAVersion:
        version = super().get_object()
        version.contract = self.contract  # shares the cached standing (board ids)
        return version

    def _get_number(self, number: int) -> SLAVersion:
        try:
            version = self.get_queryset().get(number=number)
        except SLAVersion.DoesNotExist:
            raise NotFound(f"{self.contract.reference} has no SLA v{number}.") from None
        version.contract = self.contract
        return version

    def _render(self, version: SLAVersion, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self._get_number(version.number)).data, status=code)

    @extend_schema(
        summary="Amend: open the next draft version",
        description="Copies the terms of the latest active version into a new draft; `terms`, when given, "
        "replace them in the same transaction. Same as `amend/` with optional terms.",
        request=SLAVersionCreateSerializer,
        responses={201: SLAVersionSerializer, **errors(400, 403, 404, 409)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = SLAVersionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():  # the draft and its terms, or nothing
            version = services.sla_version_amend(
                actor=request.user, contract=self.contract, change_summary=data["change_summary"]
            )
            if "terms" in data:
                version.contract = self.contract
                version = services.sla_version_update(actor=request.user, version=version, terms=data["terms"])
        return self._render(version, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a draft version",
        parameters=[NUMBER],
        request=SLAVersionUpdateSerializer,
        responses={200: SLAVersionSerializer, **errors(400, 403, 404, 409)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = self.get_object()
        serializer = SLAVersionUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        version = services.sla_version_update(actor=request.user, version=version, **serializer.validated_data)
        return self._render(version)

    @extend_schema(
        summary="Activate (freeze) a draft version",
        parameters=[NUMBER],
        request=ActivateSerializer,
        responses={200: SLAVersionSerializer, **errors(400, 403, 404, 409)},
    )
    def activate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = self.get_object()
        serializer = ActivateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.sla_version_activate(
            actor=request.user, version=version, effective_from=serializer.validated_data.get("effective_from")
        )
        return self._render(version)

    @extend_schema(
        summary="Amend: open the next draft version",
        request=AmendSerializer,
        responses={201: SLAVersionSerializer, **errors(400, 403, 404, 409)},
    )
    def amend(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = AmendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.sla_version_amend(
            actor=request.user, contract=self.contract, change_summary=serializer.validated_data["change_summary"]
        )
        return self._render(version, status.HTTP_201_CREATED)

    @extend_schema(
        summary="The SLA version in force at an instant",
        parameters=[InForceQuerySerializer],
        responses={200: SLAVersionSerializer, **errors(400, 404)},
    )
    def in_force(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = InForceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        at = query.validated_data.get("at") or timezone.now()
        version = services.version_in_force(self.contract, at)
        if version is None:
            raise NotFound(f"No SLA version of {self.contract.reference} was in force at {at.isoformat()}.")
        return self._render(version)


@extend_schema(parameters=[CONTRACT_PK])
class SLAVersionDiffView(ContractScopedMixin, GenericAPIView):
    """Leaf-by-leaf differences between the terms of two versions (see
    ``contracts.diffing``): each under its field path, rows with an identity
    keyed by it (``targets[critical, production].restore_minutes``). Not paginated."""

    queryset = SLAVersion.objects.none()
    serializer_class = DiffEntrySerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="What changed between two versions",
        parameters=[DiffQuerySerializer],
        responses={200: DiffEntrySerializer(many=True), **errors(400, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = DiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = [query.validated_data["a"], query.validated_data["b"]]
        versions = SLAVersion.objects.visible_to(request.user).filter(contract=self.contract, number__in=wanted)
        terms = {v.number: v.terms for v in versions}
        for number in wanted:
            if number not in terms:
                raise NotFound(f"{self.contract.reference} has no SLA v{number}.")
        return Response(DiffEntrySerializer(diff_rows(terms[wanted[0]], terms[wanted[1]]), many=True).data)


# --------------------------------------------------------------------------
# Audit trail of one contract
# --------------------------------------------------------------------------


class CSVRenderer(BaseRenderer):
    """Lets ``?format=csv`` (and ``Accept: text/csv``) select the CSV export."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return json.dumps(data).encode()  # only reached by errors, which handle_exception sends as JSON


def _safe_filename(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "contract"


AUDIT_CSV = OpenApiResponse(OpenApiTypes.STR, description="The entries as CSV (header row first), oldest first.")


@extend_schema(parameters=[CONTRACT_PK])
class ContractAuditViewSet(ContractScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The contract's audit trail: everyone who may see the contract may read it."""

    queryset = AuditEntry.objects.none()
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    ordering_fields = ["seq", "at"]
    ordering = ["-seq"]
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return AuditEntry.objects.none()
        return AuditEntry.objects.for_contract(self.contract.pk).order_by("-seq")

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


# --------------------------------------------------------------------------
# Board, contacts, documents
# --------------------------------------------------------------------------


@extend_schema(parameters=[CONTRACT_PK])
@extend_schema_view(
    list=extend_schema(
        summary="The contract's governance board", responses={200: BoardSeatSerializer(many=True), **errors(404)}
    ),
    create=extend_schema(
        summary="Seat someone on the board (or change their chair flag)",
        responses={201: BoardSeatSerializer, **errors(400, 403, 404)},
    ),
    destroy=extend_schema(summary="Remove a board seat", responses={204: None, **errors(403, 404)}),
)
class BoardSeatViewSet(
    ContractScopedMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The contract's governance board. Board members see the contract even when
    they belong to neither party; the buyer's contract managers seat them."""

    queryset = BoardSeat.objects.none()
    serializer_class = BoardSeatSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return BoardSeat.objects.none()
        return BoardSeat.objects.filter(contract=self.contract).select_related("user")

    def perform_create(self, serializer: BoardSeatSerializer) -> None:
        serializer.instance = services.board_seat_add(
            actor=self.request.user,
            contract=self.contract,
            user=serializer.validated_data["user"],
            is_chair=serializer.validated_data.get("is_chair", False),
        )

    def perform_destroy(self, instance: BoardSeat) -> None:
        instance.contract = self.contract
        services.board_seat_remove(actor=self.request.user, seat=instance)


@extend_schema(parameters=[CONTRACT_PK])
@extend_schema_view(
    list=extend_schema(summary="The contract's contacts", responses={200: ContactSerializer(many=True), **errors(404)}),
    create=extend_schema(summary="Add a contact", responses={201: ContactSerializer, **errors(400, 403, 404)}),
)
class ContactViewSet(ContractScopedMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Named people on each side (incident manager, escalation contact, ...).
    The buyer's contract managers add either side; vendor account managers
    add vendor contacts."""

    queryset = ContractContact.objects.none()
    serializer_class = ContactSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return ContractContact.objects.none()
        return ContractContact.objects.filter(contract=self.contract)

    def perform_create(self, serializer: ContactSerializer) -> None:
        serializer.instance = services.contact_add(
            actor=self.request.user, contract=self.contract, **serializer.validated_data
        )


@extend_schema(parameters=[CONTRACT_PK])
@extend_schema_view(
    list=extend_schema(
        summary="The contract's documents", responses={200: DocumentSerializer(many=True), **errors(404)}
    ),
    retrieve=extend_schema(summary="One document's details", responses={200: DocumentSerializer, **errors(404)}),
)
class DocumentViewSet(ContractScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Signed copies and annexes (PDF, PNG, JPEG). Files are only served here,
    after the visibility check."""

    queryset = ContractDocument.objects.none()
    serializer_class = DocumentSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return ContractDocument.objects.none()
        return ContractDocument.objects.filter(contract=self.contract).select_related("uploaded_by")

    def get_renderers(self) -> list:
        if getattr(self, "action", None) == "download":
            return [JSONRenderer(), AnyMediaRenderer()]
        return super().get_renderers()

    @extend_schema(
        summary="Upload a document (multipart)",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer, **errors(400, 403, 404)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = DocumentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        doc = services.document_upload(actor=request.user, contract=self.contract, **serializer.validated_data)
        doc = self.get_queryset().get(pk=doc.pk)
        return Response(self.get_serializer(doc).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download a document",
        responses={
            **{
                (200, media_type): OpenApiResponse(
                    OpenApiTypes.BINARY, description="The file, as an attachment, with its own content type."
                )
                for media_type in (*dict.fromkeys(ContractDocument.ALLOWED_TYPES.values()), "application/octet-stream")
            },
            **errors(404, media_type="application/json"),
        },
    )
    def download(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        doc = self.get_object()
        filename = os.path.basename(doc.file.name)
        ext = os.path.splitext(filename)[1].lower()
        content_type = ContractDocument.ALLOWED_TYPES.get(ext, "application/octet-stream")
        try:
            handle = doc.file.open("rb")
        except FileNotFoundError:
            raise NotFound("The document's file is missing from storage.") from None
        return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
