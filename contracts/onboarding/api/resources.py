"""Training resources (add, confirm, download) and the feedback register (log, respond, close) through the API."""

from __future__ import annotations

import os
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from contracts import onboarding
from contracts.api.base import CONTRACT_PK, errors
from contracts.models import FeedbackItem, OnboardingItem, TrainingResource
from contracts.onboarding.api.base import FILE_RESPONSE, _download, _Scoped
from contracts.onboarding.selectors import reading_status
from contracts.onboarding.serializers import (
    ConfirmationSerializer,
    FeedbackCloseSerializer,
    FeedbackCreateSerializer,
    FeedbackRespondSerializer,
    FeedbackSerializer,
    ResourceCreateSerializer,
    TrainingResourceSerializer,
)
from core.parsers import FormParser, JSONParser, MultiPartParser

RESOURCE_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Training resource id.")
FEEDBACK_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Feedback item id.")


# --------------------------------------------------------------------------
# Training resources
# --------------------------------------------------------------------------


@extend_schema(parameters=[CONTRACT_PK])
@extend_schema_view(
    retrieve=extend_schema(
        summary="One training resource",
        parameters=[RESOURCE_PK],
        responses={200: TrainingResourceSerializer, **errors(404)},
    ),
)
class TrainingResourceViewSet(_Scoped, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Documents and links the contract's people must read, with who has confirmed."""

    queryset = TrainingResource.objects.none()
    serializer_class = TrainingResourceSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return TrainingResource.objects.none()
        return (
            TrainingResource.objects.visible_to(self.request.user)
            .filter(contract=self.contract)
            .select_related("added_by")
            .order_by("added_at", "id")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["reading"] = getattr(self, "_reading", {})
        return context

    def _with_reading(self, resources: list[TrainingResource]) -> None:
        for r in resources:
            r.contract = self.contract
        rows = reading_status(self.contract, resources, self.request.user)
        self._reading = {row["resource"].pk: row for row in rows}

    @extend_schema(
        summary="The contract's training resources",
        responses={200: TrainingResourceSerializer(many=True), **errors(404)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        resources = list(page if page is not None else self.get_queryset())
        self._with_reading(resources)
        data = self.get_serializer(resources, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        resource = self.get_object()
        self._with_reading([resource])
        return Response(self.get_serializer(resource).data)

    @extend_schema(
        summary="Add a training resource (a link, or a file by multipart)",
        request={"multipart/form-data": ResourceCreateSerializer, "application/json": ResourceCreateSerializer},
        responses={201: TrainingResourceSerializer, **errors(400, 403, 404)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ResourceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        item_id = data.pop("required_by", None)
        required_by = None
        if item_id is not None:
            required_by = OnboardingItem.objects.filter(pk=item_id, contract=self.contract).first()
            if required_by is None:
                from core.errors import InvalidInput

                raise InvalidInput(
                    "No such onboarding item.", errors={"required_by": [f"No onboarding item {item_id} here."]}
                )
        resource = onboarding.resource_add(actor=request.user, contract=self.contract, required_by=required_by, **data)
        resource = self.get_queryset().get(pk=resource.pk)
        self._with_reading([resource])
        return Response(self.get_serializer(resource).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Confirm you have read the resource",
        description="Idempotent: confirming again returns the first confirmation.",
        parameters=[RESOURCE_PK],
        request=None,
        responses={200: ConfirmationSerializer, **errors(403, 404)},
    )
    def confirm(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        confirmation = onboarding.resource_confirm(actor=request.user, resource=self.get_object())
        return Response(ConfirmationSerializer(confirmation).data)

    @extend_schema(summary="Download the resource's file", parameters=[RESOURCE_PK], responses=FILE_RESPONSE)
    def file(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        resource = self.get_object()
        if not resource.file:
            raise NotFound("The resource is a link, not a file.")
        return _download(resource.file, resource.file_name or os.path.basename(resource.file.name))


# --------------------------------------------------------------------------
# Feedback
# --------------------------------------------------------------------------


@extend_schema(parameters=[CONTRACT_PK])
@extend_schema_view(
    list=extend_schema(
        summary="The contract's feedback register",
        description="Newest first. Open and responded items go into the next annual review packet.",
        responses={200: FeedbackSerializer(many=True), **errors(404)},
    ),
    retrieve=extend_schema(
        summary="One feedback item", parameters=[FEEDBACK_PK], responses={200: FeedbackSerializer, **errors(404)}
    ),
)
class FeedbackViewSet(_Scoped, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Observations from real use. Either party logs one (with incidents, reports
    or disputes as evidence), the other party responds, the raising party closes it."""

    queryset = FeedbackItem.objects.none()
    serializer_class = FeedbackSerializer

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return FeedbackItem.objects.none()
        return (
            FeedbackItem.objects.visible_to(self.request.user)
            .filter(contract=self.contract)
            .select_related("raised_by", "responded_by", "closed_by")
            .order_by("-created_at", "-id")
        )

    def _render(self, item: FeedbackItem, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=item.pk)).data, status=code)

    @extend_schema(
        summary="Log a feedback item",
        request=FeedbackCreateSerializer,
        responses={201: FeedbackSerializer, **errors(400, 403, 404)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = FeedbackCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["evidence"] = [dict(ref) for ref in data.get("evidence", [])]
        item = onboarding.feedback_log(actor=request.user, contract=self.contract, **data)
        return self._render(item, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Respond (the other party)",
        parameters=[FEEDBACK_PK],
        request=FeedbackRespondSerializer,
        responses={200: FeedbackSerializer, **errors(400, 403, 404, 409)},
    )
    def respond(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        serializer = FeedbackRespondSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._render(onboarding.feedback_respond(actor=request.user, item=item, **serializer.validated_data))

    @extend_schema(
        summary="Close (the raising party)",
        parameters=[FEEDBACK_PK],
        request=FeedbackCloseSerializer,
        responses={200: FeedbackSerializer, **errors(400, 403, 404, 409)},
    )
    def close(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        serializer = FeedbackCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._render(onboarding.feedback_close(actor=request.user, item=item, **serializer.validated_data))
