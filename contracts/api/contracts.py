"""The contracts themselves through the API: the filters, list, retrieve, create and edit."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from contracts import services
from contracts.api.base import errors
from contracts.models import Contract, SLAVersion
from contracts.serializers import ContractCreateSerializer, ContractSerializer, ContractUpdateSerializer
from core.filters import IntegerFilter


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
