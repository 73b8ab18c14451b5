"""Removing a contact through the API (listing and adding are ``contracts.api.board.ContactViewSet``)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from accounts.http import signed_in
from contracts.api.base import CONTRACT_PK, ContractScopedMixin, errors
from contracts.models import ContractContact
from contracts.serializers import ContactSerializer
from contracts.setup import services as setup


@extend_schema(parameters=[CONTRACT_PK])
@extend_schema_view(
    retrieve=extend_schema(summary="One contact", responses={200: ContactSerializer, **errors(404)}),
    destroy=extend_schema(
        summary="Remove a contact (each side's managers, their own side's)", responses={204: None, **errors(403, 404)}
    ),
)
class ContactDetailViewSet(
    ContractScopedMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    queryset = ContractContact.objects.none()
    serializer_class = ContactSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[ContractContact]:
        if self.schema_only():
            return ContractContact.objects.none()
        return ContractContact.objects.filter(contract=self.contract)

    def perform_destroy(self, instance: ContractContact) -> None:
        instance.contract = self.contract
        setup.contact_remove(actor=signed_in(self.request), contact=instance)
