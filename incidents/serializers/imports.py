"""Serializers for importing incident history: upload body and result."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from contracts.models import Contract
from contracts.serializers import RejectUnknownFieldsMixin
from incidents.serializers.common import visible_contract
from incidents.serializers.incidents import IncidentListSerializer

MAX_IMPORT_BYTES = 20 * 1024 * 1024


class ImportSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    file = serializers.FileField(help_text="UTF-8 CSV (header line 1) or a JSON array of objects.")
    contract = serializers.IntegerField()
    source = serializers.CharField(max_length=200, help_text="Where the history comes from.")
    format = serializers.ChoiceField(
        choices=[("csv", "CSV"), ("json", "JSON")],
        required=False,
        help_text="Default: json for a file named *.json, csv otherwise.",
    )

    def validate_contract(self, value: int) -> Contract:
        return visible_contract(self.context["request"].user, value)

    def validate_file(self, value: Any) -> Any:
        if value.size > MAX_IMPORT_BYTES:
            raise serializers.ValidationError(f"At most {MAX_IMPORT_BYTES // (1024 * 1024)} MB per import.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("format"):
            attrs["format"] = "json" if (attrs["file"].name or "").lower().endswith(".json") else "csv"
        return attrs


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    incidents = IncidentListSerializer(many=True)
