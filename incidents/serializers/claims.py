"""Serializers for exclusion claims: filing, deciding and reading them."""

from __future__ import annotations

from rest_framework import serializers

from contracts.serializers import RejectUnknownFieldsMixin
from incidents.models import ExclusionClaim
from incidents.serializers.common import ClaimKindField, ClaimStatusField


class ClaimCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    kind = ClaimKindField()
    reason = serializers.CharField(help_text="The grounds for the exclusion.")


class DecideClaimSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    accept = serializers.BooleanField(help_text="true accepts (the incident is excluded), false rejects.")
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required when rejecting.")


class ClaimSerializer(serializers.ModelSerializer):
    kind = ClaimKindField(read_only=True)
    status = ClaimStatusField(read_only=True)
    claimed_by = serializers.CharField(source="claimed_by.username", read_only=True, allow_null=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True)

    class Meta:
        model = ExclusionClaim
        fields = [
            "id",
            "kind",
            "reason",
            "status",
            "claimed_by",
            "claimed_at",
            "decided_by",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = fields
