"""The onboarding plan through the API (items: add, edit, done, waive, evidence), and the RACI and playbook."""

from __future__ import annotations

import os
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from contracts import onboarding
from contracts.api.base import CONTRACT_PK, ContractScopedMixin, errors
from contracts.models import OnboardingItem, TrainingResource
from contracts.onboarding.api.base import FILE_RESPONSE, _download, _Scoped
from contracts.onboarding.selectors import people_of, playbook_steps, raci_table, terms_in_force
from contracts.onboarding.serializers import (
    ItemDoneSerializer,
    ItemEvidenceSerializer,
    ItemWaiveSerializer,
    OnboardingItemCreateSerializer,
    OnboardingItemSerializer,
    OnboardingItemUpdateSerializer,
    PlaybookQuerySerializer,
    PlaybookSerializer,
    RaciSerializer,
)
from core.parsers import FormParser, JSONParser, MultiPartParser

ITEM_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Onboarding item id.")


# --------------------------------------------------------------------------
# Onboarding items
# --------------------------------------------------------------------------


@extend_schema(parameters=[CONTRACT_PK])
@extend_schema_view(
    list=extend_schema(
        summary="The contract's onboarding plan",
        description="In due-date order; `overdue` is computed at read time.",
        responses={200: OnboardingItemSerializer(many=True), **errors(404)},
    ),
    retrieve=extend_schema(
        summary="One onboarding item", parameters=[ITEM_PK], responses={200: OnboardingItemSerializer, **errors(404)}
    ),
)
class OnboardingItemViewSet(_Scoped, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The onboarding plan created when the contract was activated. The owner
    party's people mark items done and add evidence; the parties' managers add,
    reassign, reschedule and waive items."""

    queryset = OnboardingItem.objects.none()
    serializer_class = OnboardingItemSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return OnboardingItem.objects.none()
        return (
            OnboardingItem.objects.visible_to(self.request.user)
            .filter(contract=self.contract)
            .select_related("owner", "done_by")
            .order_by("due_date", "order", "id")
        )

    def _scope_resource(self, serializer: Any) -> None:
        """Only this contract's resources may be linked (others are simply not found)."""
        serializer.fields["resource"].queryset = TrainingResource.objects.filter(contract=self.contract)

    def _render(self, item: OnboardingItem, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=item.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(
        summary="Add an item to the plan",
        request=OnboardingItemCreateSerializer,
        responses={201: OnboardingItemSerializer, **errors(400, 403, 404, 409)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = OnboardingItemCreateSerializer(data=request.data)
        self._scope_resource(serializer)
        serializer.is_valid(raise_exception=True)
        item = onboarding.onboarding_item_add(actor=request.user, contract=self.contract, **serializer.validated_data)
        return self._render(item, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reassign, reschedule, rename, or link a resource",
        parameters=[ITEM_PK],
        request=OnboardingItemUpdateSerializer,
        responses={200: OnboardingItemSerializer, **errors(400, 403, 404, 409)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        serializer = OnboardingItemUpdateSerializer(data=request.data, partial=True)
        self._scope_resource(serializer)
        serializer.is_valid(raise_exception=True)
        item = onboarding.onboarding_item_update(actor=request.user, item=item, **serializer.validated_data)
        return self._render(item)

    @extend_schema(
        summary="Mark an item done",
        description="An item that requires a training resource is done only once everyone who must read it has "
        "confirmed (409 names who has not).",
        parameters=[ITEM_PK],
        request=ItemDoneSerializer,
        responses={200: OnboardingItemSerializer, **errors(400, 403, 404, 409)},
    )
    def done(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        serializer = ItemDoneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._render(onboarding.onboarding_item_done(actor=request.user, item=item, **serializer.validated_data))

    @extend_schema(
        summary="Waive an item, with a reason",
        parameters=[ITEM_PK],
        request=ItemWaiveSerializer,
        responses={200: OnboardingItemSerializer, **errors(400, 403, 404, 409)},
    )
    def waive(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        serializer = ItemWaiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._render(
            onboarding.onboarding_item_waive(actor=request.user, item=item, **serializer.validated_data)
        )

    @extend_schema(
        summary="Add evidence: a note, a link, an attachment",
        parameters=[ITEM_PK],
        request={"multipart/form-data": ItemEvidenceSerializer, "application/json": ItemEvidenceSerializer},
        responses={200: OnboardingItemSerializer, **errors(400, 403, 404, 409)},
    )
    def evidence(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        serializer = ItemEvidenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        item = onboarding.onboarding_item_evidence(
            actor=request.user, item=item, note=data["note"], link=data["link"], file=data.get("file")
        )
        return self._render(item)

    @extend_schema(summary="Download the item's evidence attachment", parameters=[ITEM_PK], responses=FILE_RESPONSE)
    def evidence_file(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        item = self.get_object()
        if not item.evidence_file:
            raise NotFound("The item has no attachment.")
        return _download(item.evidence_file, item.evidence_file_name or os.path.basename(item.evidence_file.name))


# --------------------------------------------------------------------------
# RACI and playbook, from the terms in force
# --------------------------------------------------------------------------


@extend_schema(parameters=[CONTRACT_PK])
class RaciView(ContractScopedMixin, GenericAPIView):
    """The RACI table of the terms in force, each cell resolved to the people
    who hold its role, with flags: an activity with nobody accountable (as
    agreed, or because nobody on the contract holds the accountable role)."""

    queryset = OnboardingItem.objects.none()
    serializer_class = RaciSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="Roles and responsibilities (RACI), with flags", responses={200: RaciSerializer, **errors(404)}
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = terms_in_force(self.contract)
        rows = raci_table(version.terms, people_of(self.contract)) if version else []
        body = {
            "sla_version": version.number if version else None,
            "flagged": sum(1 for r in rows if r["flagged"]),
            "rows": rows,
        }
        return Response(RaciSerializer(body).data)


@extend_schema(parameters=[CONTRACT_PK])
class PlaybookView(ContractScopedMixin, GenericAPIView):
    """The incident-response playbook of the terms in force, each step's role
    resolved to the people who hold it."""

    queryset = OnboardingItem.objects.none()
    serializer_class = PlaybookSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="The incident-response playbook (per severity)",
        parameters=[PlaybookQuerySerializer],
        responses={200: PlaybookSerializer, **errors(400, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = PlaybookQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        version = terms_in_force(self.contract)
        steps = (
            playbook_steps(version.terms, people_of(self.contract), query.validated_data.get("severity"))
            if version
            else []
        )
        return Response(PlaybookSerializer({"sla_version": version.number if version else None, "steps": steps}).data)
