"""A contract's SLA versions through the API: list, amend, edit, activate, the version in force, the diff."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from contracts import services
from contracts.api.base import CONTRACT_PK, NUMBER, ContractScopedMixin, errors
from contracts.models import SLAVersion
from contracts.serializers import (
    ActivateSerializer,
    AmendSerializer,
    DiffEntrySerializer,
    DiffQuerySerializer,
    InForceQuerySerializer,
    SLAVersionCreateSerializer,
    SLAVersionSerializer,
    SLAVersionUpdateSerializer,
    diff_rows,
)


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
