from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, viewsets

from audit.filters import AuditEntryFilter
from audit.models import AuditEntry
from audit.serializers import AuditEntrySerializer
from core.api import error_responses


@extend_schema_view(
    list=extend_schema(responses={200: AuditEntrySerializer(many=True), **error_responses(400, 403)}),
    retrieve=extend_schema(responses={200: AuditEntrySerializer, **error_responses(403, 404)}),
)
class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The whole trail, staff only. Parties read a contract's entries at
    /api/contracts/{id}/audit/."""

    serializer_class = AuditEntrySerializer
    permission_classes = [permissions.IsAdminUser]
    filterset_class = AuditEntryFilter
    ordering_fields = ["seq", "at"]
    lookup_field = "seq"
    queryset = AuditEntry.objects.order_by("-seq")
