"""Read serializers for incidents: list rows, detail, clocks and the timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.models import Contract
from contracts.serializers import PartySerializer
from incidents.detail import viewer_standing
from incidents.models import TARGET_KINDS, Incident, IncidentEvent, IncidentLink
from incidents.serializers.common import (
    ActionField,
    EnvironmentField,
    EventKindField,
    SeverityField,
    StatusField,
    WorkaroundStateField,
)
from incidents.services import allowed_actions


def _now(context: dict[str, Any]) -> datetime:
    """The one ``now`` of a response (``context["now"]``): clock values come from
    the row (stored by ``incidents.sla.recompute``); what depends on now
    (remaining time, a due time passed since the last recompute) uses this."""
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


class AttributionSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(
        choices=["from", "to", "linked"],
        help_text="from: attributed here from that incident; to: attributed to that contract as that incident; "
        "linked: only linked there.",
    )
    incident = serializers.IntegerField(allow_null=True)
    contract = serializers.IntegerField()
    contract_reference = serializers.CharField()
    vendor = serializers.CharField()
    reason = serializers.CharField(help_text="The buyer's fault isolation finding.")
    at = serializers.DateTimeField()


class IncidentDetailSerializer(IncidentListSerializer):
    sla_version = serializers.IntegerField(source="sla_version.number", read_only=True)
    original_contract = serializers.SerializerMethodField(
        help_text="The contract the incident was opened on, when an earlier fault attribution moved it "
        "(the buyer and staff only; null for a vendor)."
    )
    attribution = serializers.SerializerMethodField(
        help_text="Fault attribution across contracts: the buyer's record, shown to the buyer and staff only "
        "(an empty list for a vendor, who never reads another supplier's contract or name)."
    )
    opened_by = serializers.CharField(source="opened_by.username", read_only=True, allow_null=True)
    pause = serializers.SerializerMethodField()
    satisfaction = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField(
        help_text="What you may do now (service action names; the endpoint is the name with '-', "
        "e.g. propose_workaround → propose-workaround/, claim_exclusion → claims/, "
        "decide_claim → claims/{id}/decide/, change_severity → severity/, "
        "decide_severity → severity-proposals/{id}/accept/ or reject/)."
    )

    class Meta(IncidentListSerializer.Meta):
        fields = [
            *IncidentListSerializer.Meta.fields,
            "description",
            "sla_version",
            "original_contract",
            "attribution",
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

    def _buyer_side(self, incident: Incident) -> bool:
        request = self.context.get("request")
        if request is None:
            return False
        s = viewer_standing(request.user, incident)
        return s.is_staff or s.is_buyer

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_original_contract(self, incident: Incident) -> int | None:
        return incident.original_contract_id if self._buyer_side(incident) else None

    @extend_schema_field(AttributionSerializer(many=True))
    def get_attribution(self, incident: Incident) -> list[dict[str, Any]]:
        if not self._buyer_side(incident):
            return []
        rows = [
            {
                "direction": "from",
                "incident": link.incident_id,
                "contract": link.incident.contract_id,
                "contract_reference": link.incident.contract.reference,
                "vendor": link.incident.contract.vendor.name,
                "reason": link.reason,
                "at": link.created_at,
            }
            for link in _attributed_from(incident)
        ]
        rows += [
            {
                "direction": "to" if link.attributed_incident_id else "linked",
                "incident": link.attributed_incident_id,
                "contract": link.contract_id,
                "contract_reference": link.contract.reference,
                "vendor": link.contract.vendor.name,
                "reason": link.reason,
                "at": link.created_at,
            }
            for link in incident.links.select_related("contract__vendor").order_by("created_at", "pk")
        ]
        return rows

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
        return allowed_actions(incident, viewer_standing(request.user, incident))


def _attributed_from(incident: Incident) -> list[IncidentLink]:
    """The link that attributed the incident here, if any: joined on the detail's row
    (``incidents.api`` ``get_object``), else read."""
    if not Incident.attributed_from.is_cached(incident):  # type: ignore[attr-defined]
        return list(
            IncidentLink.objects.filter(attributed_incident=incident).select_related("incident__contract__vendor")
        )
    try:
        return [incident.attributed_from]
    except IncidentLink.DoesNotExist:
        return []


# --------------------------------------------------------------------------
# Timeline
# --------------------------------------------------------------------------


class EventSerializer(serializers.ModelSerializer):
    """With ``vendor_reader`` in the context, an old attribution event is shown
    without the other contract (``IncidentEvent.as_read_by_a_vendor``)."""

    kind = EventKindField(read_only=True)
    actor = serializers.CharField(source="actor_label", read_only=True)

    def to_representation(self, instance: IncidentEvent) -> dict[str, Any]:
        if self.context.get("vendor_reader"):
            instance = instance.as_read_by_a_vendor()
        return super().to_representation(instance)

    class Meta:
        model = IncidentEvent
        fields = ["id", "at", "kind", "actor", "message", "data"]
        read_only_fields = fields
