from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.serializers import RejectUnknownFieldsMixin
from core.api import enum_field
from holds.models import LegalHold
from holds.selectors import Hold

HOLD_KINDS = [
    ("legal_hold", "Manual legal hold"),
    ("dispute", "Open dispute"),
    ("exclusion_claim", "Pending exclusion claim"),
    ("review", "Open annual review"),
    ("credit", "Credit claim window or open claim"),
]
HoldKindField = enum_field("HoldKind", HOLD_KINDS)
HoldScopeField = enum_field("LegalHoldScope", LegalHold.Scope.choices)


class LegalHoldSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    scope = HoldScopeField(choices=LegalHold.Scope.choices, read_only=True)
    placed_by = serializers.CharField(source="placed_by_label", read_only=True)
    released_by = serializers.CharField(source="released_by_label", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = LegalHold
        fields = [
            "id",
            "reference",
            "contract",
            "reason",
            "scope",
            "starts_at",
            "ends_at",
            "placed_by",
            "placed_at",
            "active",
            "released_by",
            "released_at",
            "release_reason",
        ]
        read_only_fields = fields


class HoldSerializer(serializers.Serializer):
    """One reason evidence of the contract is kept now (computed, or a manual legal hold)."""

    kind = HoldKindField(choices=HOLD_KINDS, read_only=True)
    label = serializers.CharField(  # type: ignore[assignment]  # the API's name; Field.label is DRF's
        read_only=True, help_text="What holds the evidence, as people read it."
    )
    whole_contract = serializers.BooleanField(source="whole", read_only=True)
    start = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Evidence from (inclusive).")
    end = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Until (exclusive); null: ongoing.")
    legal_hold = serializers.SerializerMethodField(help_text="The manual hold, for kind `legal_hold`.")

    @extend_schema_field(LegalHoldSerializer(allow_null=True))
    def get_legal_hold(self, obj: Hold) -> dict[str, Any] | None:
        return LegalHoldSerializer(obj.legal_hold).data if obj.legal_hold is not None else None


class PlaceHoldSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="Why the evidence must be kept (required).")
    scope = serializers.ChoiceField(choices=LegalHold.Scope.choices, help_text="The whole contract, or a period.")
    starts_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text="Exclusive.")


class ReleaseHoldSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=True, help_text="Why the evidence no longer needs to be kept (required)."
    )
