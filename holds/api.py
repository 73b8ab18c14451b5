"""``contracts/{contract_pk}/holds/``: what holds the contract's evidence now (GET), place a
legal hold (POST), and ``.../holds/{id}/release/`` (POST, with a reason and a fresh
authentication). A contract you may not see is 404 on every route; the services answer 403 for a
role that may not place or release, 409 for a hold already released."""

from __future__ import annotations

from typing import Any, cast

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.identity.stepup import check_api as check_step_up
from accounts.models import User
from contracts.api.base import CONTRACT_PK, ContractScopedMixin, errors
from holds import services
from holds.models import LegalHold
from holds.selectors import holds_for
from holds.serializers import HoldSerializer, LegalHoldSerializer, PlaceHoldSerializer, ReleaseHoldSerializer

HOLD_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Legal hold id.")


@extend_schema(parameters=[CONTRACT_PK])
class HoldViewSet(ContractScopedMixin, viewsets.GenericViewSet):
    """Legal holds: evidence (raw payloads, outages, incidents, attachments, reports, audit entries)
    that a hold covers is neither purged by retention nor deleted until nothing holds it."""

    queryset = LegalHold.objects.none()
    serializer_class = HoldSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="What holds the contract's evidence now",
        description="Manual legal holds first, then the automatic ones (open disputes, pending exclusion claims, "
        "open annual reviews, credits whose claim window is open or whose claim is open), each with the period "
        "it keeps and a label naming it.",
        responses={200: HoldSerializer(many=True), **errors(404)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(HoldSerializer(holds_for(self.contract), many=True).data)

    @extend_schema(
        summary="Place a legal hold",
        description="Either party's managers or staff. `scope` `contract` holds everything of the contract; "
        "`period` holds the evidence of [`starts_at`, `ends_at`).",
        request=PlaceHoldSerializer,
        responses={201: LegalHoldSerializer, **errors(400, 403, 404)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = PlaceHoldSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hold = services.place_hold(actor=cast(User, request.user), contract=self.contract, **serializer.validated_data)
        return Response(LegalHoldSerializer(hold).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Release a legal hold",
        description="Needs a reason and a recent authentication (step-up): what the hold alone kept may then "
        "be purged.",
        parameters=[HOLD_PK],
        request=ReleaseHoldSerializer,
        responses={200: LegalHoldSerializer, **errors(400, 403, 404, 409)},
    )
    def release(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        hold = LegalHold.objects.filter(contract=self.contract, pk=kwargs["pk"]).first()
        if hold is None:
            raise Http404("No such legal hold on this contract.")
        hold.contract = self.contract
        check_step_up(request)  # after the lookup: another tenant's hold stays a 404
        serializer = ReleaseHoldSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        released = services.release_hold(
            actor=cast(User, request.user), hold=hold, reason=serializer.validated_data["reason"]
        )
        return Response(LegalHoldSerializer(released).data)
