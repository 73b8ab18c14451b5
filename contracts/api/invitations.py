"""Contract invitations through the API: what a vendor sees of a contract a
buyer named it on before it accepts (the buyer's name and the reference,
nothing else), and its answer."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from contracts import services
from contracts.api.base import errors
from contracts.models import Contract


class InvitationSerializer(serializers.ModelSerializer):
    buyer = serializers.CharField(source="buyer.name", read_only=True)

    class Meta:
        model = Contract
        fields = ["id", "reference", "buyer"]


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    vendor_acceptance = serializers.CharField()


class ContractInvitationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Contracts awaiting your vendor organization's answer. Anyone of the
    vendor's people lists them; its account managers accept or decline."""

    serializer_class = InvitationSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Contract.objects.none()

    def get_queryset(self) -> QuerySet[Contract]:
        if getattr(self, "swagger_fake_view", False):
            return Contract.objects.none()
        return Contract.objects.invitations_for(self.request.user).order_by("pk")

    def _answer(self, contract: Contract) -> Response:
        return Response({"id": contract.pk, "vendor_acceptance": contract.vendor_acceptance})

    @extend_schema(
        summary="Accept the contract",
        request=None,
        responses={200: AnswerSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = cast(User, request.user)  # IsAuthenticated
        return self._answer(services.contract_vendor_accept(actor=actor, contract=self.get_object()))

    @extend_schema(
        summary="Decline the contract",
        request=DeclineSerializer,
        responses={200: AnswerSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = DeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actor = cast(User, request.user)  # IsAuthenticated
        contract = services.contract_vendor_decline(
            actor=actor, contract=self.get_object(), reason=body.validated_data["reason"]
        )
        return self._answer(contract)
