"""Input serializers for opening an incident and its lifecycle steps."""

from __future__ import annotations

from rest_framework import serializers

from contracts.models import Contract
from contracts.serializers import RejectUnknownFieldsMixin
from incidents.serializers.common import EnvironmentField, SeverityField, visible_contract


class IncidentCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    contract = serializers.IntegerField(help_text="Id of a contract you may see (active, with an SLA in force).")
    title = serializers.CharField(max_length=200)
    severity = SeverityField()
    environment = EnvironmentField()
    component = serializers.CharField(
        max_length=100, help_text="A component outside the contract's scope is accepted and flagged out_of_scope."
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_contract(self, value: int) -> Contract:
        return visible_contract(self.context["request"].user, value)


# --------------------------------------------------------------------------
# Action bodies
# --------------------------------------------------------------------------


class MessageSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    message = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Optional note for the timeline."
    )


class ProposeWorkaroundSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    text = serializers.CharField(help_text="What the buyer can do meanwhile.")
    temporary = serializers.BooleanField(
        required=False, default=False, help_text="Expires after the terms' temporary-workaround days."
    )


class ReasonSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField()


class ConfirmSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    rating = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=5, help_text="Satisfaction 1-5."
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeSeveritySerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    severity = SeverityField()
    reason = serializers.CharField()


class CommentSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    text = serializers.CharField()


class AttributeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    to_contract = serializers.IntegerField(help_text="Another contract of the same buyer.")
    reason = serializers.CharField(help_text="The fault isolation finding.")
    move = serializers.BooleanField(
        required=False,
        default=True,
        help_text="true opens a new incident on that contract from the buyer's facts only (its vendor is "
        "notified; this incident stops counting and keeps its record); false only links it (seen by the buyer only).",
    )

    def validate_to_contract(self, value: int) -> Contract:
        return visible_contract(self.context["request"].user, value)


class AssignSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    assignee = serializers.IntegerField(
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="User id of a person of your own organization on the contract; null unassigns.",
    )


MAX_BULK = 200


class BulkSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    incidents = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=MAX_BULK,
        help_text=f"Ids of incidents you may see (at most {MAX_BULK}).",
    )


class BulkAssignSerializer(BulkSerializer):
    assignee = serializers.IntegerField(
        allow_null=True, min_value=1, max_value=2**63 - 1, help_text="User id; null unassigns."
    )


class BulkResultSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.IntegerField(), help_text="Incidents changed.")
    refused = serializers.DictField(
        child=serializers.CharField(), help_text="Incident id -> why it was not changed (state, role, not found)."
    )
