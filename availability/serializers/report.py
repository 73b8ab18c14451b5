"""API shapes of the availability report: per period and component, with coverage and the rounding rule."""

from __future__ import annotations

from rest_framework import serializers

from availability.serializers.records import ContractBriefSerializer, OutageSerializer

STATUS_HELP = '"met", "breached" or "not measured" (coverage under the minimum: neither met nor breached).'
UNMEASURED_HELP = (
    'How time without monitoring data counts under the terms: "excluded" (left out of the measured time), '
    '"available" (as up) or "unavailable" (as down).'
)


class ComponentAvailabilitySerializer(serializers.Serializer):
    component = serializers.CharField(help_text='"*" is the service as the terms define it.')
    availability = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        allow_null=True,
        help_text="Percent, truncated to 3 decimals, more where 3 would cross a bound it is judged against "
        "(see `rounding`); null when not measured.",
    )
    met = serializers.BooleanField(allow_null=True, help_text="Decided on the exact value; null when not measured.")
    status = serializers.CharField(help_text=STATUS_HELP)
    measured = serializers.BooleanField(
        help_text="False: too little of the period had monitoring data (see `coverage_percent`)."
    )
    coverage_percent = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text="Share of the period with monitoring data, truncated."
    )
    period_minutes = serializers.DecimalField(max_digits=12, decimal_places=3)
    downtime_minutes = serializers.DecimalField(max_digits=12, decimal_places=3)
    excused_minutes = serializers.DecimalField(max_digits=12, decimal_places=3)
    no_data_minutes = serializers.DecimalField(
        max_digits=12, decimal_places=3, help_text="Left out of the measured time (rule `excluded`)."
    )
    unmonitored_minutes = serializers.DecimalField(
        max_digits=12, decimal_places=3, help_text="Without monitoring data, whatever the rule."
    )


class IntervalSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    minutes = serializers.DecimalField(max_digits=12, decimal_places=3)


class CountedSpanSerializer(IntervalSerializer):
    ref = serializers.CharField(help_text="outage:<id>, incident:<id> or maintenance:<id>.")
    component = serializers.CharField()


class MaintenanceVerdictSerializer(serializers.Serializer):
    window = serializers.IntegerField()
    title = serializers.CharField()
    compliant = serializers.BooleanField()
    excused = IntervalSerializer(many=True)
    not_excused = IntervalSerializer(many=True, help_text="Counts as downtime.")
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why any part counts as downtime.")


class HeldSpanSerializer(IntervalSerializer):
    ref = serializers.CharField(help_text="outage:<id> or incident:<id>.")
    component = serializers.CharField(help_text="Not a component the contract covers.")
    status = serializers.CharField(help_text='"held: unknown component": not charged until decided.')


class PeriodSerializer(serializers.Serializer):
    label = serializers.CharField()
    title = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    so_far = serializers.BooleanField(help_text="The period is still running: figures up to `measured_until`.")
    measured_until = serializers.DateTimeField()


class AvailabilityReportSerializer(serializers.Serializer):
    contract = ContractBriefSerializer()
    period = PeriodSerializer()
    sla_version = serializers.IntegerField()
    target_percent = serializers.DecimalField(max_digits=7, decimal_places=4)
    service_rule = serializers.CharField()
    met = serializers.BooleanField(allow_null=True, help_text="Null: not measured (neither met nor breached).")
    status = serializers.CharField(help_text=STATUS_HELP)
    unmeasured = serializers.CharField(help_text=UNMEASURED_HELP)
    minimum_coverage_percent = serializers.DecimalField(
        max_digits=7, decimal_places=4, help_text="Below this coverage the period is not measured."
    )
    rounding = serializers.CharField(help_text="How the figures shown are rounded and what is decided on.")
    service = ComponentAvailabilitySerializer()
    components = ComponentAvailabilitySerializer(many=True)
    counted = CountedSpanSerializer(many=True, help_text="The downtime that counts, per component piece.")
    outages = OutageSerializer(many=True, help_text="Every outage overlapping the period, with its exclusion state.")
    maintenance = MaintenanceVerdictSerializer(many=True)
    pending_exclusions = serializers.IntegerField(help_text="Claims awaiting the buyer: they count until accepted.")
    held = HeldSpanSerializer(
        many=True, help_text="Outages on components the contract does not cover: held for a decision, not charged."
    )
