"""API shapes for incidents, their timeline, attachments and claims.

Serializers only parse and render: who may do what, and in which state, is
``incidents.services``'s business. Clock values come from the row (stored by
``incidents.sla.recompute``); what depends on *now* (remaining time, a due
time passed since the last recompute) is computed at read time with one
``now`` per response (``context["now"]``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.access import contract_standing
from contracts.models import Contract
from contracts.serializers import PartySerializer, RejectUnknownFieldsMixin
from incidents.models import (
    TARGET_KINDS,
    Environment,
    ExclusionClaim,
    Incident,
    IncidentAttachment,
    IncidentEvent,
    Severity,
)
from incidents.services import TRANSITIONS, allowed_actions

ACTIONS = list(TRANSITIONS)
MAX_IMPORT_BYTES = 20 * 1024 * 1024


# --------------------------------------------------------------------------
# Named enums
# --------------------------------------------------------------------------


def _enum_field(component: str, choices: list[tuple[str, str]]) -> type[serializers.ChoiceField]:
    """A ChoiceField published as its own schema component: several models
    have a ``status`` or a ``kind``, and drf-spectacular would otherwise name
    their enums by a hash."""
    schema = {
        "type": "string",
        "enum": [value for value, _ in choices],
        "description": "; ".join(f"`{value}` {label}" for value, label in choices if value),
    }

    @extend_schema_field(schema, component_name=component)
    class EnumField(serializers.ChoiceField):
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("choices", choices)
            super().__init__(**kwargs)

    EnumField.__name__ = f"{component}Field"
    return EnumField


SeverityField = _enum_field("IncidentSeverity", Severity.choices)
EnvironmentField = _enum_field("IncidentEnvironment", Environment.choices)
StatusField = _enum_field("IncidentStatus", Incident.Status.choices)
WorkaroundStateField = _enum_field("WorkaroundState", Incident.Workaround.choices)
EventKindField = _enum_field("IncidentEventKind", IncidentEvent.Kind.choices)
ClaimKindField = _enum_field("ExclusionKind", ExclusionClaim.Kind.choices)
ClaimStatusField = _enum_field("ClaimStatus", ExclusionClaim.Status.choices)
ActionField = _enum_field("IncidentAction", [(a, a.replace("_", " ")) for a in ACTIONS])


def _now(context: dict[str, Any]) -> datetime:
    now = context.get("now")
    if now is None:
        now = context["now"] = timezone.now()
    return now


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


# --------------------------------------------------------------------------
# Clocks
# --------------------------------------------------------------------------


class TargetClockSerializer(serializers.Serializer):
    """One SLA target (acknowledge, restore or resolve) of an incident."""

    due_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the target falls due; null when the terms set no target or while a pause stops it.",
    )
    met_at = serializers.DateTimeField(allow_null=True, help_text="When the target was met; null while running.")
    elapsed_seconds = serializers.IntegerField(
        allow_null=True, help_text="Clock time used (pauses excluded), as of `clocks_computed_at`."
    )
    breached = serializers.BooleanField(
        help_text="Missed: recorded as breached, or still unmet with its due time already passed."
    )
    remaining_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Wall-clock seconds from now until `due_at` (negative once overdue); null when met or not running.",
    )


class ClocksSerializer(serializers.Serializer):
    acknowledge = TargetClockSerializer()
    restore = TargetClockSerializer()
    resolve = TargetClockSerializer()


def clocks_of(incident: Incident, now: datetime) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for kind in TARGET_KINDS:
        fields = incident.target_fields(kind)
        due, met = fields["due_at"], fields["met_at"]
        running = met is None and due is not None
        out[kind] = {
            "due_at": due,
            "met_at": met,
            "elapsed_seconds": _seconds(fields["elapsed"]),
            "breached": bool(fields["breached"] or (running and due < now)),
            "remaining_seconds": _seconds(due - now) if running else None,
        }
    return out


# --------------------------------------------------------------------------
# Incidents
# --------------------------------------------------------------------------


class WorkaroundSerializer(serializers.Serializer):
    state = WorkaroundStateField(source="workaround", help_text="Empty when none was proposed.")
    text = serializers.CharField(source="workaround_text")
    temporary = serializers.BooleanField(source="workaround_temporary")
    proposed_at = serializers.DateTimeField(source="workaround_proposed_at", allow_null=True)
    accepted_at = serializers.DateTimeField(source="workaround_accepted_at", allow_null=True)
    expires_at = serializers.DateTimeField(
        source="workaround_expires_at", allow_null=True, help_text="A temporary workaround stops counting then."
    )


class ContractRefSerializer(serializers.ModelSerializer):
    buyer = PartySerializer(read_only=True)
    vendor = PartySerializer(read_only=True)

    class Meta:
        model = Contract
        fields = ["id", "reference", "buyer", "vendor"]
        read_only_fields = fields


class IncidentListSerializer(serializers.ModelSerializer):
    """One row of the list: the row's own fields and its contract (joined), no
    further queries."""

    reference = serializers.CharField(read_only=True, help_text="INC-<id>.")
    contract = ContractRefSerializer(read_only=True)
    severity = SeverityField(read_only=True)
    environment = EnvironmentField(read_only=True)
    status = StatusField(read_only=True)
    workaround = WorkaroundSerializer(source="*", read_only=True)
    paused = serializers.BooleanField(source="is_paused", read_only=True)
    breached = serializers.SerializerMethodField(help_text="Any target missed (read time).")
    clocks = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "contract",
            "title",
            "severity",
            "environment",
            "component",
            "out_of_scope",
            "status",
            "workaround",
            "paused",
            "excluded",
            "imported",
            "breached",
            "next_due_at",
            "opened_at",
            "acknowledged_at",
            "resolved_at",
            "closed_at",
            "clocks",
        ]
        read_only_fields = fields

    def _clocks(self, incident: Incident) -> dict[str, dict[str, Any]]:
        cache = self.context.setdefault("_clocks", {})
        key = (incident.pk, incident.clocks_computed_at)
        if key not in cache:
            cache[key] = clocks_of(incident, _now(self.context))
        return cache[key]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_breached(self, incident: Incident) -> bool:
        return incident.breached or any(c["breached"] for c in self._clocks(incident).values())

    @extend_schema_field(ClocksSerializer)
    def get_clocks(self, incident: Incident) -> dict[str, dict[str, Any]]:
        return self._clocks(incident)


class PauseStateSerializer(serializers.Serializer):
    paused = serializers.BooleanField()
    since = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    count = serializers.IntegerField(help_text="Pauses so far, including the current one.")


class SatisfactionSerializer(serializers.Serializer):
    rating = serializers.IntegerField(allow_null=True, min_value=1, max_value=5)
    comment = serializers.CharField(allow_blank=True)


class IncidentDetailSerializer(IncidentListSerializer):
    sla_version = serializers.IntegerField(source="sla_version.number", read_only=True)
    original_contract = serializers.IntegerField(
        source="original_contract_id",
        read_only=True,
        allow_null=True,
        help_text="The contract the incident was opened on, when fault attribution moved it.",
    )
    opened_by = serializers.CharField(source="opened_by.username", read_only=True, allow_null=True)
    pause = serializers.SerializerMethodField()
    satisfaction = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField(
        help_text="What you may do now (service action names; the endpoint is the name with '-', "
        "e.g. propose_workaround → propose-workaround/, claim_exclusion → claims/, "
        "decide_claim → claims/{id}/decide/)."
    )

    class Meta(IncidentListSerializer.Meta):
        fields = [
            *IncidentListSerializer.Meta.fields,
            "description",
            "sla_version",
            "original_contract",
            "opened_by",
            "reopened_count",
            "import_source",
            "next_risk_at",
            "clocks_computed_at",
            "pause",
            "satisfaction",
            "allowed_actions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PauseStateSerializer)
    def get_pause(self, incident: Incident) -> dict[str, Any]:
        pauses = list(incident.pauses.all())
        current = next((p for p in pauses if p.ended_at is None), None)
        return {
            "paused": incident.is_paused,
            "since": incident.paused_since,
            "reason": current.reason if current else "",
            "count": len(pauses),
        }

    @extend_schema_field(SatisfactionSerializer)
    def get_satisfaction(self, incident: Incident) -> dict[str, Any]:
        return {"rating": incident.satisfaction, "comment": incident.satisfaction_comment}

    @extend_schema_field(serializers.ListField(child=ActionField()))
    def get_allowed_actions(self, incident: Incident) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return allowed_actions(incident, contract_standing(request.user, incident.contract))


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


def visible_contract(user: Any, pk: int) -> Contract:
    """The contract if the user may see it; a 400 "Not found." on the field
    otherwise (a stranger must not learn that it exists)."""
    contract = Contract.objects.visible_to(user).select_related("buyer", "vendor").filter(pk=pk).first()
    if contract is None:
        raise serializers.ValidationError("Not found.")
    return contract


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


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Any file; the size limit is checked by the service.")


class ClaimCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    kind = ClaimKindField()
    reason = serializers.CharField(help_text="The grounds for the exclusion.")


class DecideClaimSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    accept = serializers.BooleanField(help_text="true accepts (the incident is excluded), false rejects.")
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required when rejecting.")


class AttributeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    to_contract = serializers.IntegerField(help_text="Another contract of the same buyer.")
    reason = serializers.CharField(help_text="The fault isolation finding.")
    move = serializers.BooleanField(
        required=False,
        default=True,
        help_text="true moves the incident to that contract (its SLA counts it from then on); false only links it.",
    )

    def validate_to_contract(self, value: int) -> Contract:
        return visible_contract(self.context["request"].user, value)


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


# --------------------------------------------------------------------------
# Timeline, attachments, claims
# --------------------------------------------------------------------------


class EventSerializer(serializers.ModelSerializer):
    kind = EventKindField(read_only=True)
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = IncidentEvent
        fields = ["id", "at", "kind", "actor", "message", "data"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = IncidentAttachment
        fields = ["id", "name", "size", "sha256", "uploaded_by", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment: IncidentAttachment) -> str:
        path = reverse(
            "incidents-api:incident-attachment-download",
            kwargs={"pk": attachment.incident_id, "attachment_id": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


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


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    incidents = IncidentListSerializer(many=True)
