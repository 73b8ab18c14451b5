"""The buyer's acts on the contract's open termination right: exercise it or waive it. The services
check the role (403), the state and the exercise window (409) and write the audit entry."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from contracts import services
from contracts.api.base import CONTRACT_PK, ContractScopedMixin, errors
from contracts.models import TerminationRight
from contracts.serializers import (
    TerminationExerciseSerializer,
    TerminationRightSerializer,
    TerminationWaiveSerializer,
)


@extend_schema(parameters=[CONTRACT_PK])
class TerminationRightViewSet(ContractScopedMixin, viewsets.GenericViewSet):
    """The open termination right a period's report raised. Only the buyer's contract managers
    exercise or waive it; once its exercise window has lapsed, neither is possible (409)."""

    queryset = TerminationRight.objects.none()
    serializer_class = TerminationRightSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="Exercise the open termination right",
        description="Records the buyer's decision to terminate, dated now. The contract's own status and "
        "end date change through the contract's use cases.",
        request=TerminationExerciseSerializer,
        responses={200: TerminationRightSerializer, **errors(400, 403, 404, 409)},
    )
    def exercise(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = TerminationExerciseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        right = services.contract_termination_right_exercise(
            actor=cast(User, request.user), contract=self.contract, note=serializer.validated_data["note"]
        )
        return Response(TerminationRightSerializer(right).data)

    @extend_schema(
        summary="Waive the open termination right",
        description="Gives up the right for this breach: a new right needs a new period below the threshold.",
        request=TerminationWaiveSerializer,
        responses={200: TerminationRightSerializer, **errors(400, 403, 404, 409)},
    )
    def waive(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = TerminationWaiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        right = services.contract_termination_right_waive(
            actor=cast(User, request.user), contract=self.contract, reason=serializer.validated_data["reason"]
        )
        return Response(TerminationRightSerializer(right).data)
