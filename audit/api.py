from rest_framework import permissions, viewsets

from audit.filters import AuditEntryFilter
from audit.models import AuditEntry
from audit.serializers import AuditEntrySerializer


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The whole trail, staff only. Parties read a contract's entries at
    /api/contracts/{id}/audit/."""

    serializer_class = AuditEntrySerializer
    permission_classes = [permissions.IsAdminUser]
    filterset_class = AuditEntryFilter
    ordering_fields = ["seq", "at"]
    lookup_field = "seq"
    queryset = AuditEntry.objects.order_by("-seq")
