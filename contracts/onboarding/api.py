"""The working routine through the API: onboarding items, training resources,
the feedback register, and the RACI table and playbook of the terms in force.

Every route hangs off ``contracts/{contract_pk}/`` and resolves the contract
through the visibility rule first (a stranger gets 404 on every route); the
services in ``contracts.onboarding`` check the role (403) and the state (409).
"""

from __future__ import annotations

import os
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from contracts import onboarding
from contracts.api import CONTRACT_PK, ContractScopedMixin, errors
from contracts.models import ROUTINE_FILE_TYPES, FeedbackItem, OnboardingItem, TrainingResource
from contracts.onboarding.selectors import people_of, playbook_steps, raci_table, reading_status, terms_in_force
from contracts.onboarding.serializers import (
    ConfirmationSerializer,
    FeedbackCloseSerializer,
    FeedbackCreateSerializer,
    FeedbackRespondSerializer,
    FeedbackSerializer,
    ItemDoneSerializer,
    ItemEvidenceSerializer,
    ItemWaiveSerializer,
    OnboardingItemCreateSerializer,
    OnboardingItemSerializer,
    OnboardingItemUpdateSerializer,
    PlaybookQuerySerializer,
    PlaybookSerializer,
    RaciSerializer,
    ResourceCreateSerializer,
    TrainingResourceSerializer,
)
from core.api import AnyMediaRenderer

ITEM_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Onboarding item id.")
RESOURCE_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Training resource id.")
FEEDBACK_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Feedback item id.")
FILE_RESPONSE = {
    **{
        (200, media_type): OpenApiResponse(
            OpenApiTypes.BINARY, description="The file, as an attachment, with its own content type."
        )
        for media_type in (*dict.fromkeys(ROUTINE_FILE_TYPES.values()), "application/octet-stream")
    },
    **errors(404, media_type="application/json"),
}


def _download(field_file: Any, name: str) -> FileResponse:
    ext = os.path.splitext(name)[1].lower()
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError):
        raise NotFound("The file is missing from storage.") from None
    return FileResponse(
        handle, as_attachment=True, filename=name, content_type=ROUTINE_FILE_TYPES.get(ext, "application/octet-stream")
    )


class _Scoped(ContractScopedMixin):
    """Objects of the contract in the URL only; the contract object is shared
    with them (its cached board ids feed every role check)."""

    lookup_value_regex = r"\d+"
    filter_backends: list = []

    def get_object(self) -> Any:
        obj = super().get_object()  # type: ignore[misc]
        obj.contract = self.contract
        return obj

    def get_renderers(self) -> list:
        if getattr(self, "action", None) in ("evidence_file", "file"):
            return [JSONRenderer(), AnyMediaRenderer()]
        return super().get_renderers()  # type: ignore[misc]


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
