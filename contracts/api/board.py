"""A contract's people through the API: its governance board seats and the parties' contacts."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from contracts import services
from contracts.api.base import CONTRACT_PK, ContractScopedMixin, errors
from contracts.models import BoardSeat, ContractContact
from contracts.serializers import BoardSeatSerializer, ContactSerializer


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
