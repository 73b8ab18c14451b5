"""The reconciliation API's shapes: discrepancies between sources and the
bodies that propose, accept or dispute a resolution."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from availability.models import Discrepancy, MonitoringSource


class DiscrepancySourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    side = serializers.CharField()
    down_seconds = serializers.IntegerField(help_text="How long it says down within the interval.")


class DiscrepancySerializer(serializers.ModelSerializer):
    """``context["sources"]``: the contract's sources by id (names without a query per row)."""

    contract = serializers.IntegerField(source="contract_id", read_only=True)
    seconds = serializers.IntegerField(read_only=True)
    says_down = serializers.SerializerMethodField()
    says_up = serializers.SerializerMethodField()
    proposed_source = serializers.IntegerField(source="proposed_source_id", read_only=True, allow_null=True)
    picked_source = serializers.IntegerField(source="picked_source_id", read_only=True, allow_null=True)
    decided_by = serializers.CharField(read_only=True, allow_null=True)
    proposed_by = serializers.CharField(read_only=True, allow_null=True)
    # Empty until someone proposes or decides: the enums include "".
    proposed_resolution = serializers.ChoiceField(
        choices=Discrepancy.Resolution.choices, allow_blank=True, read_only=True
    )
    resolution = serializers.ChoiceField(choices=Discrepancy.Resolution.choices, allow_blank=True, read_only=True)
    proposed_side = serializers.ChoiceField(choices=MonitoringSource.Side.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Discrepancy
        fields = [
            "id",
            "contract",
            "component",
            "period",
            "period_start",
            "period_end",
            "start",
            "end",
            "seconds",
            "says_down",
            "says_up",
            "status",
            "proposed_resolution",
            "proposed_source",
            "proposed_reason",
            "proposed_side",
            "proposed_by",
            "proposed_at",
            "resolution",
            "picked_source",
            "reason",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields

    def _rows(self, obj: Discrepancy, ids: list[int]) -> list[dict[str, Any]]:
        known = self.context.get("sources", {})
        out = []
        for i in ids:
            source = known.get(i)
            out.append(
                {
                    "id": i,
                    "name": source.name if source else f"source {i}",
                    "side": source.registered_side if source else "",
                    "down_seconds": int(obj.down_seconds.get(str(i), 0)),
                }
            )
        return out

    @extend_schema_field(DiscrepancySourceSerializer(many=True))
    def get_says_down(self, obj: Discrepancy) -> list[dict[str, Any]]:
        return self._rows(obj, list(obj.down_sources))

    @extend_schema_field(DiscrepancySourceSerializer(many=True))
    def get_says_up(self, obj: Discrepancy) -> list[dict[str, Any]]:
        return self._rows(obj, list(obj.up_sources))


class DiscrepancyProposeSerializer(serializers.Serializer):
    resolution = serializers.ChoiceField(
        choices=[Discrepancy.Resolution.SOURCE, Discrepancy.Resolution.SPLIT],
        help_text="source: count one source's view (name it in `source`); split: half the interval counts as down.",
    )
    # The metaclass pops declared fields, so naming one like ``Field.source`` is safe.
    source = serializers.IntegerField(  # type: ignore[assignment]
        required=False, allow_null=True, help_text="Id of the source to count."
    )
    reason = serializers.CharField(max_length=2000)


class DiscrepancyDisputeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
