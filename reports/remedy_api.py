"""The remedies API (besides credits): list, one, and the lifecycle actions."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend, FilterSet, NumberFilter
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.http import signed_in
from contracts.models import visibility_q
from contracts.serializers import RejectUnknownFieldsMixin
from core.api import ErrorSerializer, ValidatedBodyMixin
from reports.models import Remedy
from reports.services import remedy_ledger

ERRORS = {code: OpenApiResponse(ErrorSerializer) for code in (400, 403, 404, 409)}


class RemedySerializer(serializers.ModelSerializer):
    class Meta:
        model = Remedy
        fields = ["id", "contract", "report", "period", "kind", "trigger", "ref", "description", "status", "offer",
                  "evidence", "dispute_reason", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class RemedyTextSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    text = serializers.CharField(help_text="The offer, the evidence or the reason, as the action needs.")


class RemedyEmptySerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    pass


class RemedyFilter(FilterSet):
    contract = NumberFilter(field_name="contract_id")

    class Meta:
        model = Remedy
        fields = ["contract", "status", "kind", "period"]


@extend_schema_view(
    list=extend_schema(
        summary="Remedies besides credits that you may see",
        responses={200: RemedySerializer(many=True), 400: ERRORS[400]},
    ),
    retrieve=extend_schema(summary="One remedy", responses={200: RemedySerializer, 404: ERRORS[404]}),
)
class RemedyViewSet(ValidatedBodyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RemedySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = RemedyFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Remedy.objects.none()
        return Remedy.objects.filter(visibility_q(self.request.user, via="contract__")).order_by(
            "-period", "kind", "ref"
        )

    def get_object(self) -> Remedy:
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (Remedy.DoesNotExist, ValueError, TypeError):
            raise NotFound("No such remedy.") from None

    def _text(self) -> str:
        return str(self._body(RemedyTextSerializer)["text"])

    @extend_schema(
        summary="Offer how it is delivered (vendor)",
        request=RemedyTextSerializer,
        responses={200: RemedySerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def offer(self, request: Request, pk: str) -> Response:
        remedy = self.get_object()
        return Response(
            RemedySerializer(
                remedy_ledger.remedy_offer(actor=signed_in(request), remedy=remedy, offer=self._text())
            ).data
        )

    @extend_schema(
        summary="Accept the offer (buyer)", request=RemedyEmptySerializer, responses={200: RemedySerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        remedy = self.get_object()
        return Response(RemedySerializer(remedy_ledger.remedy_accept(actor=signed_in(request), remedy=remedy)).data)

    @extend_schema(
        summary="Record delivery with evidence (vendor)",
        request=RemedyTextSerializer,
        responses={200: RemedySerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, pk: str) -> Response:
        remedy = self.get_object()
        return Response(
            RemedySerializer(
                remedy_ledger.remedy_deliver(actor=signed_in(request), remedy=remedy, evidence=self._text())
            ).data
        )

    @extend_schema(
        summary="Dispute it, with a reason (either party)",
        request=RemedyTextSerializer,
        responses={200: RemedySerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request: Request, pk: str) -> Response:
        remedy = self.get_object()
        return Response(
            RemedySerializer(
                remedy_ledger.remedy_dispute(actor=signed_in(request), remedy=remedy, reason=self._text())
            ).data
        )
