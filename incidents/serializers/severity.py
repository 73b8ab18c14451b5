"""Serializers for severity changes: proposing, deciding and reading them."""

from __future__ import annotations

from rest_framework import serializers

from contracts.serializers import RejectUnknownFieldsMixin
from incidents.models import Severity, SeverityChange
from incidents.serializers.common import SeverityField, _enum_field

SeverityChangeStatusField = _enum_field("SeverityChangeStatus", SeverityChange.Status.choices)


class SeverityDecisionSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Optional when accepting.")


class SeverityRejectSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(help_text="Why the proposed severity is wrong.")


class SeverityChangeSerializer(serializers.ModelSerializer):
    from_severity = SeverityField(choices=Severity.choices, read_only=True)
    to_severity = SeverityField(choices=Severity.choices, read_only=True)
    status = SeverityChangeStatusField(choices=SeverityChange.Status.choices, read_only=True)
    proposed_by = serializers.CharField(source="proposed_by.username", read_only=True, allow_null=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True)

    class Meta:
        model = SeverityChange
        fields = [
            "id",
            "from_severity",
            "to_severity",
            "reason",
            "status",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = fields
