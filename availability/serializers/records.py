"""API shapes for monitoring sources, ingestion, outages, maintenance
windows and change notices. Serializers parse and render; the rules live in
``availability.services.periods`` / ``.monitoring``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from availability.engine import shown
from availability.models import ChangeMessage, ChangeNotice, MaintenanceWindow, MonitoringSource, Outage
from availability.report import ahead
from contracts.models import Contract
from contracts.serializers import RejectUnknownFieldsMixin
from core.fields import AwareDateTimeField
from incidents.models import Incident
from incidents.serializers import _enum_field, visible_contract

SourceKindField = _enum_field("MonitoringSourceKind", MonitoringSource.Kind.choices)
OutageSourceField = _enum_field("OutageSource", Outage.Source.choices)
OutageExclusionField = _enum_field("OutageExclusion", Outage.Exclusion.choices)
OutageClaimKindField = _enum_field(
    "OutageExclusionKind", [("third_party", "Third-party dependency"), ("force_majeure", "Force majeure")]
)
MaintenanceStatusField = _enum_field("MaintenanceStatus", MaintenanceWindow.Status.choices)
ChangeKindField = _enum_field("ChangeKind", ChangeNotice.Kind.choices)
ChangeStatusField = _enum_field("ChangeNoticeStatus", ChangeNotice.Status.choices)
AlertStatusField = _enum_field("AlertmanagerAlertStatus", [("firing", "Firing"), ("resolved", "Resolved")])


def _now(context: dict[str, Any]) -> datetime:
    return context.setdefault("now", timezone.now())


class ContractBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contract
        fields = ["id", "reference"]
        read_only_fields = fields


# -- monitoring sources and ingestion ---------------------------------------------------


INGEST_NAMES = {
    MonitoringSource.Kind.ALERTMANAGER: "alertmanager",
    MonitoringSource.Kind.PROBE: "probes",
    MonitoringSource.Kind.STATUSPAGE: "statuspage",
    MonitoringSource.Kind.PAGERDUTY: "pagerduty",
    MonitoringSource.Kind.OPSGENIE: "opsgenie",
    MonitoringSource.Kind.JIRA: "jira",
    MonitoringSource.Kind.ZENDESK: "zendesk",
    MonitoringSource.Kind.SERVICENOW: "servicenow",
}


class SourceHealthSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="False while the source is silent.")
    silent_since = serializers.DateTimeField(allow_null=True)
    coverage_percent = serializers.CharField(
        allow_null=True, help_text="Share of the current period (since the source exists) with its data, 3 decimals."
    )


class MonitoringSourceSerializer(serializers.ModelSerializer):
    """Both parties see every source: its consent, its token's last use, its health
    and its coverage for the current period (``context["health"]``)."""

    kind = SourceKindField(read_only=True)
    status = serializers.ChoiceField(choices=MonitoringSource.Status.choices, read_only=True)
    registered_side = serializers.ChoiceField(choices=MonitoringSource.Side.choices, read_only=True)
    registered_by = serializers.SerializerMethodField()
    accepted_by = serializers.SerializerMethodField(help_text="The other party's person who accepted it.")
    active = serializers.BooleanField(source="is_active", read_only=True)
    counts = serializers.BooleanField(read_only=True, help_text="Its data counts towards availability.")
    pull_url = serializers.CharField(
        read_only=True, help_text="Statuspage JSON fetched every 5 minutes; empty when none is configured."
    )
    token_prefix = serializers.CharField(
        read_only=True, help_text="The token's first characters, to tell tokens apart."
    )
    ingest_url = serializers.SerializerMethodField(
        help_text="Where this source posts, with `Authorization: Bearer <token>`."
    )
    health = serializers.SerializerMethodField()

    class Meta:
        model = MonitoringSource
        fields = [
            "id",
            "contract",
            "name",
            "kind",
            "status",
            "counts",
            "registered_side",
            "registered_by",
            "accepted_by",
            "accepted_at",
            "rejected_at",
            "rejected_reason",
            "token_prefix",
            "interval_seconds",
            "component_label",
            "component_map",
            "ticket_map",
            "pull_url",
            "last_pulled_at",
            "last_pull_error",
            "truncated_alerts",
            "last_truncated_at",
            "active",
            "created_at",
            "revoked_at",
            "last_used_at",
            "health",
            "ingest_url",
        ]
        read_only_fields = fields

    def get_registered_by(self, source: MonitoringSource) -> str | None:
        return str(source.registered_by) if source.registered_by else None

    def get_accepted_by(self, source: MonitoringSource) -> str | None:
        return str(source.accepted_by) if source.accepted_by else None

    def get_ingest_url(self, source: MonitoringSource) -> str:
        path = reverse(f"availability-api:monitoring-{INGEST_NAMES[MonitoringSource.Kind(source.kind)]}")
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(SourceHealthSerializer(allow_null=True))
    def get_health(self, source: MonitoringSource) -> dict[str, Any] | None:
        health = (self.context.get("health") or {}).get(source.pk)
        if health is None:
            return None
        coverage = str(shown(health.coverage)) if health.coverage is not None else None
        return {"ok": health.ok, "silent_since": health.silent_since, "coverage_percent": coverage}


class MonitoringSourceCreatedSerializer(MonitoringSourceSerializer):
    """``context["token"]``: the new source's token, in plain text this once."""

    token = serializers.SerializerMethodField(help_text="The source's secret token. Shown this once; store it now.")

    class Meta(MonitoringSourceSerializer.Meta):
        fields = [*MonitoringSourceSerializer.Meta.fields, "token"]
        read_only_fields = fields

    def get_token(self, source: MonitoringSource) -> str:
        return str(self.context.get("token") or getattr(source, "token", ""))


class MonitoringSourceCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = SourceKindField()
    interval_seconds = serializers.IntegerField(
        min_value=1,
        max_value=86_400,
        default=60,
        help_text="Expected interval between posts; a longer gap is 'no data', three of them a silence.",
    )
    component_label = serializers.CharField(
        max_length=60, default="component", help_text="Alert label naming the component (Alertmanager)."
    )
    component_map = serializers.DictField(
        child=serializers.CharField(max_length=100),
        required=False,
        default=dict,
        help_text="Upstream component / service / tag (id or name) to the contract's component.",
    )
    pull_url = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="Statuspage JSON to pull every 5 min."
    )


class SourceRejectSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(help_text="Why the monitor is not trusted.")


class IngestResultSerializer(serializers.Serializer):
    payload_id = serializers.IntegerField(help_text="The stored raw payload (the evidence).")
    duplicate = serializers.BooleanField(help_text="These exact bytes were received before: nothing changed.")
    items = serializers.IntegerField(help_text="Alerts or probe results in the payload.")
    outages_opened = serializers.IntegerField()
    outages_closed = serializers.IntegerField()
    no_data_spans = serializers.IntegerField(help_text="Gaps longer than the source's interval, recorded as no data.")
    ignored = serializers.IntegerField(help_text="Items that changed nothing (repeats, or older than the last probe).")
    unknown_components = serializers.ListField(
        child=serializers.CharField(), help_text="Components not covered by the contract: kept, flagged."
    )
    truncated = serializers.IntegerField(help_text="Alerts Alertmanager left out of this notification.")


class AlertSerializer(serializers.Serializer):
    status = AlertStatusField()
    labels = serializers.DictField(
        child=serializers.CharField(), help_text="The source's component label names the component."
    )
    annotations = serializers.DictField(child=serializers.CharField(), required=False)
    startsAt = serializers.DateTimeField()
    endsAt = serializers.DateTimeField(help_text="Required when resolved.")
    generatorURL = serializers.CharField(required=False)
    fingerprint = serializers.CharField(help_text="Matches a resolved alert to the outage its firing opened.")


class AlertmanagerWebhookSerializer(serializers.Serializer):
    """Prometheus Alertmanager webhook, version 4 (documentation only)."""

    version = serializers.CharField(help_text='"4" (or "3", the same shape).')
    groupKey = serializers.JSONField(required=False, help_text="Any JSON value (string, or a number from proxies).")
    truncatedAlerts = serializers.IntegerField(
        required=False, min_value=0, help_text="Alerts left out (max_alerts): noted on the source."
    )
    status = AlertStatusField(required=False)
    receiver = serializers.CharField(required=False)
    groupLabels = serializers.DictField(required=False)
    commonLabels = serializers.DictField(required=False)
    commonAnnotations = serializers.DictField(required=False)
    externalURL = serializers.CharField(required=False)
    alerts = AlertSerializer(many=True)


class ProbeResultSerializer(serializers.Serializer):
    """One probe result (documentation only). CSV: a header line naming the same columns."""

    timestamp = serializers.DateTimeField(help_text="ISO 8601 with a zone (or Unix seconds).")
    component = serializers.CharField(max_length=100)
    up = serializers.BooleanField(help_text="true/false (CSV also: up/down, 1/0, yes/no).")
    response_ms = serializers.FloatField(required=False, min_value=0)


# -- outages ------------------------------------------------------------------------------


class OutageSerializer(serializers.ModelSerializer):
    contract = ContractBriefSerializer(read_only=True)
    source = OutageSourceField(read_only=True)
    exclusion = OutageExclusionField(read_only=True, help_text="Empty: counts, no claim.")
    monitoring_source_name = serializers.CharField(source="monitoring_source.name", read_only=True, allow_null=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    ongoing = serializers.SerializerMethodField()
    duration_minutes = serializers.SerializerMethodField(help_text="Whole minutes, up to now while ongoing.")

    class Meta:
        model = Outage
        fields = [
            "id",
            "contract",
            "component",
            "unknown_component",
            "start",
            "end",
            "ongoing",
            "duration_minutes",
            "cause",
            "source",
            "monitoring_source",
            "monitoring_source_name",
            "fingerprint",
            "incident",
            "reason",
            "exclusion",
            "exclusion_kind",
            "exclusion_reason",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_ongoing(self, outage: Outage) -> bool:
        return outage.end is None

    @extend_schema_field(OpenApiTypes.INT)
    def get_duration_minutes(self, outage: Outage) -> int:
        return int(((outage.end or _now(self.context)) - outage.start) // timedelta(minutes=1))


class OutageCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    contract = serializers.IntegerField()
    component = serializers.CharField(max_length=100)
    start = AwareDateTimeField()
    end = AwareDateTimeField(allow_null=True, required=False, default=None, help_text="Null while ongoing.")
    cause = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    reason = serializers.CharField(help_text="Why staff enter it (kept with the outage).")

    def validate_contract(self, value: int) -> Contract:
        return visible_contract(self.context["request"].user, value)


class OutageCorrectSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    component = serializers.CharField(max_length=100, required=False)
    start = AwareDateTimeField(required=False)
    end = AwareDateTimeField(required=False, allow_null=True)
    cause = serializers.CharField(max_length=300, required=False, allow_blank=True)
    reason = serializers.CharField(help_text="Why the record is corrected.")


class OutageClaimSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    kind = OutageClaimKindField()
    reason = serializers.CharField(help_text="The grounds for the exclusion.")


class DecideSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    accept = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required to reject.")


class FromIncidentSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    incident = serializers.IntegerField(help_text="A restored critical production incident you may see.")

    def validate_incident(self, value: int) -> Incident:
        incident = Incident.objects.visible_to(self.context["request"].user).filter(pk=value).first()
        if incident is None:
            raise serializers.ValidationError("Not found.")
        return incident


# -- maintenance windows and change notices -----------------------------------------------


class NoticeCheckSerializer(serializers.Serializer):
    required_days = serializers.IntegerField()
    given = serializers.CharField(help_text="How long ahead it was announced, e.g. '2 days' or '3 h 00 min'.")
    late = serializers.BooleanField(help_text="Less notice than the agreement requires: the window counts as downtime.")


class MaintenanceWindowSerializer(serializers.ModelSerializer):
    contract = ContractBriefSerializer(read_only=True)
    status = MaintenanceStatusField(read_only=True)
    components = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Empty: the whole service."
    )
    notice = serializers.SerializerMethodField()
    recorded_by = serializers.SerializerMethodField(help_text="Who entered the window.")
    late_accepted_by = serializers.SerializerMethodField(help_text="The buyer's person who accepted a late record.")
    awaiting_acceptance = serializers.BooleanField(
        read_only=True,
        help_text="Recorded after the fact and not yet accepted by the buyer: it excuses no downtime.",
    )

    class Meta:
        model = MaintenanceWindow
        fields = [
            "id",
            "contract",
            "title",
            "components",
            "start",
            "end",
            "actual_end",
            "announced_at",
            "status",
            "notice",
            "recorded_at",
            "recorded_by",
            "recorded_late",
            "evidence",
            "awaiting_acceptance",
            "late_accepted_at",
            "late_accepted_by",
        ]
        read_only_fields = fields

    @extend_schema_field(NoticeCheckSerializer)
    def get_notice(self, window: MaintenanceWindow) -> dict[str, Any]:
        book = self.context.get("book")
        terms = book.terms(window.contract_id, window.start) if book else None
        days = terms.data["exclusions"]["maintenance_notice_days"] if terms else 0
        given = window.start - window.announced_at
        return {"required_days": days, "given": ahead(given), "late": given < timedelta(days=days)}

    def get_recorded_by(self, window: MaintenanceWindow) -> str | None:
        return str(window.created_by) if window.created_by else None

    def get_late_accepted_by(self, window: MaintenanceWindow) -> str | None:
        return str(window.late_accepted_by) if window.late_accepted_by else None


class MaintenanceCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    contract = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    start = AwareDateTimeField()
    end = AwareDateTimeField(help_text="Planned end; work past it is an overrun.")
    components = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)
    announced_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When it was really announced, if earlier than now: the window is then recorded after the fact.",
    )
    evidence = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Required with a past `announced_at`: where the announcement can be checked (note or link).",
    )

    def validate_contract(self, value: int) -> Contract:
        return visible_contract(self.context["request"].user, value)


class CompleteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    actual_end = AwareDateTimeField(required=False, allow_null=True, default=None, help_text="Default: now.")


class ReasonOptionalSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeMessageSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ChangeMessage.Kind.choices, read_only=True)

    class Meta:
        model = ChangeMessage
        fields = ["side", "kind", "text", "created_at"]
        read_only_fields = fields


class ChangeNoticeSerializer(serializers.ModelSerializer):
    contract = ContractBriefSerializer(read_only=True)
    messages = ChangeMessageSerializer(many=True, read_only=True, help_text="The thread, oldest first.")
    kind = ChangeKindField(read_only=True)
    status = ChangeStatusField(read_only=True)
    components = serializers.ListField(child=serializers.CharField(), read_only=True)
    notice_given = serializers.SerializerMethodField(help_text="How long ahead it was announced.")

    class Meta:
        model = ChangeNotice
        fields = [
            "id",
            "contract",
            "kind",
            "title",
            "planned_at",
            "components",
            "impact",
            "announced_at",
            "required_notice_days",
            "notice_given",
            "late",
            "status",
            "buyer_response",
            "expected_downtime_minutes",
            "rollback_plan",
            "vendor_response",
            "original_planned_at",
            "postponement_requested_to",
            "postponement_reason",
            "messages",
        ]
        read_only_fields = fields

    def get_notice_given(self, notice: ChangeNotice) -> str:
        return ahead(notice.planned_at - notice.announced_at)


class ChangeCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    contract = serializers.IntegerField()
    kind = ChangeKindField()
    title = serializers.CharField(max_length=200)
    planned_at = AwareDateTimeField()
    components = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)
    impact = serializers.CharField(help_text="The impact assessment.")
    expected_downtime_minutes = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Required for a major release (0 for none)."
    )
    rollback_plan = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required for a major release."
    )

    def validate_contract(self, value: int) -> Contract:
        return visible_contract(self.context["request"].user, value)


class AcknowledgeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    message = serializers.CharField(required=False, allow_blank=True, default="")


class QuestionSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    question = serializers.CharField()


class AnswerSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    answer = serializers.CharField()


class PostponeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    until = AwareDateTimeField(help_text="The date the change should move to.")
    reason = serializers.CharField()


class PostponementDecisionSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    accept = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required to decline.")


class CalendarFeedRequestSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    rotate = serializers.BooleanField(
        required=False, default=False, help_text="Retire the old URL and issue a new one."
    )


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.CharField(
        help_text="Your secret iCal URL for this contract; anyone holding it can read the feed."
    )
    created_at = serializers.DateTimeField()


# -- the availability report --------------------------------------------------------------
