"""Serializers of the simulator API. Request bodies are validated here for
shape (the simulator validates the terms); the results are the simulator's
JSON, described by read-only serializers for the schema. Every component is
named ``Simulation*``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.serializers import RejectUnknownFieldsMixin
from contracts.terms import ENVIRONMENTS, SEVERITIES, TARGETS
from simulator.models import Scenario


def _enum(component: str, choices: list[tuple[str, str]]) -> type[serializers.ChoiceField]:
    """A ChoiceField published as its own named schema component."""
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


SeverityField = _enum("SimulationSeverity", [(v, v) for v in SEVERITIES])
EnvironmentField = _enum("SimulationEnvironment", [(v, v.replace("_", "-")) for v in ENVIRONMENTS])
ClockField = _enum("SimulationClock", [("24x7", "around the clock"), ("coverage", "on the coverage hours")])
TargetKindField = _enum("SimulationTargetKind", [(v, v) for v in TARGETS])
DirectionField = _enum(
    "SimulationChangeDirection",
    [
        ("newly_breached", "met under the terms in force, breached under the candidate"),
        ("no_longer_breached", "breached under the terms in force, met (or excluded) under the candidate"),
        ("different_targets", "breached under both, on other targets"),
        ("exclusion_changed", "excluded under one, counted and met under the other"),
    ],
)
ScenarioKindField = _enum("SimulationScenarioKind", Scenario.Kind.choices)
ScenarioSideField = _enum("SimulationScenarioSide", Scenario.Side.choices)

# -- requests ----------------------------------------------------------------------------------


class SimulationWindowSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    periods = serializers.IntegerField(min_value=1, max_value=36, default=12, help_text="How many periods.")
    last = serializers.CharField(
        required=False, allow_blank=True, help_text="The last period (YYYY-MM or YYYY-Qn); default: the last ended one."
    )


class SimulationTargetEditSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    severity = SeverityField()
    environment = EnvironmentField()
    acknowledge_minutes = serializers.IntegerField(min_value=1, required=False)
    restore_minutes = serializers.IntegerField(min_value=1, required=False)
    resolve_minutes = serializers.IntegerField(min_value=1, required=False)
    acknowledge_clock = ClockField(required=False)
    restore_clock = ClockField(required=False)
    resolve_clock = ClockField(required=False)


class SimulationChangesSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Edits on the spot, applied to the candidate's source; the result must be valid terms."""

    targets = SimulationTargetEditSerializer(many=True, required=False, help_text="Target rows to change or add.")
    clock = ClockField(required=False, help_text="Every target's clock.")
    coverage_hours = serializers.CharField(
        required=False, help_text="'Mon-Fri 08:00-18:00; Sat 09:00-13:00' or '24x7'."
    )
    calendar = serializers.JSONField(required=False, help_text="A whole coverage calendar (as in the terms).")
    uptime_target = serializers.CharField(required=False, help_text="Percent, e.g. '99.9'.")
    tiers_follow_target = serializers.BooleanField(
        required=False, help_text="Move the top credit tier with the uptime target (when it starts at the target)."
    )
    uptime = serializers.JSONField(required=False, help_text="Fields of the uptime section (service rule, ...).")
    credit_tiers = serializers.ListField(
        child=serializers.JSONField(), required=False, help_text="The whole tier table."
    )
    credit_cap_percent = serializers.CharField(required=False)
    breach_credits = serializers.ListField(child=serializers.JSONField(), required=False)
    exclusions = serializers.JSONField(required=False, help_text="Fields of the exclusions section.")
    termination = serializers.JSONField(required=False, help_text="Fields of the termination rule.")
    pause_stops = serializers.ListField(child=TargetKindField(), required=False)


class SimulationCandidateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A candidate term set: at most one source (none: the terms in force), with edits on top."""

    label = serializers.CharField(required=False, allow_blank=True, max_length=120)
    version = serializers.IntegerField(
        required=False, help_text="An SLA version id of the contract (draft or earlier)."
    )
    amendment = serializers.IntegerField(required=False, help_text="An annual-review amendment id of the contract.")
    preset = serializers.CharField(required=False, help_text="A preset key, e.g. 'enterprise-24x7'.")
    terms = serializers.JSONField(required=False, help_text="A whole terms document.")
    changes = SimulationChangesSerializer(required=False)


class SimulationSweepSpecSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    parameter = serializers.CharField(help_text="'uptime_target' or 'target:<severity>:<environment>:<kind>'.")
    base = serializers.IntegerField(
        min_value=0, default=0, help_text="Which term set to sweep: 0 the terms in force, n the n-th candidate."
    )
    start = serializers.DecimalField(max_digits=10, decimal_places=3, required=False, help_text="First value.")
    stop = serializers.DecimalField(max_digits=10, decimal_places=3, required=False, help_text="Last value.")
    steps = serializers.IntegerField(min_value=2, max_value=100, default=25)

    def to_internal_value(self, data: Any) -> Any:
        out = super().to_internal_value(data)
        return {k: str(v) if k in ("start", "stop") else v for k, v in out.items()}


class SimulationRunSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    contract = serializers.IntegerField(help_text="Contract id.")
    window = SimulationWindowSerializer(required=False)
    candidates = SimulationCandidateSerializer(many=True, required=False, help_text="Up to 10.")
    sensitivity = SimulationSweepSpecSerializer(required=False)


class SimulationPortfolioRunSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    vendor = serializers.IntegerField(required=False, allow_null=True, help_text="All of this vendor's contracts.")
    contracts = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Or these contract ids."
    )
    candidate = SimulationCandidateSerializer()
    periods = serializers.IntegerField(min_value=1, max_value=36, default=12)


class SimulationScenarioCreateSerializer(SimulationRunSerializer):
    name = serializers.CharField(max_length=200)
    contract = serializers.IntegerField(required=False, allow_null=True, help_text="For a contract scenario.")
    portfolio = SimulationPortfolioRunSerializer(required=False, help_text="For a portfolio scenario (the buyer's).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("contract") is None) == (attrs.get("portfolio") is None):
            raise serializers.ValidationError({"contract": ["Give either `contract` or `portfolio`."]})
        return attrs


class SimulationAttachSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    amendment = serializers.IntegerField(help_text="A proposed amendment of the scenario's contract.")


# -- results (read-only, for the schema) ---------------------------------------------------------


class SimulationTargetCountsSerializer(serializers.Serializer):
    acknowledge = serializers.IntegerField()
    restore = serializers.IntegerField()
    resolve = serializers.IntegerField()


class SimulationPeriodCreditsSerializer(serializers.Serializer):
    tier_percent = serializers.CharField(help_text="The availability tier's credit, percent of the period fee.")
    availability = serializers.CharField(help_text="Availability credit, before the cap.")
    breaches = serializers.CharField(help_text="Incident breach credits, before the cap.")
    before_cap = serializers.CharField()
    cap = serializers.CharField()
    total = serializers.CharField(help_text="After the cap.")
    capped = serializers.BooleanField()


class SimulationPeriodSerializer(serializers.Serializer):
    period = serializers.CharField()
    short = serializers.CharField()
    title = serializers.CharField()
    in_force = serializers.BooleanField(help_text="False: no SLA was in force; nothing is judged.")
    availability = serializers.CharField(
        allow_null=True,
        help_text=(
            "Percent, judged on the exact value and truncated to 0.001, with more decimals where 0.001 would "
            "put it across the target, a tier bound or the termination threshold. Null: not measured."
        ),
    )
    measured = serializers.BooleanField(
        required=False, help_text="False: too little of the period was monitored (under the minimum coverage)."
    )
    coverage = serializers.CharField(required=False, help_text="Percent of the period with monitoring data.")
    minimum_coverage = serializers.CharField(required=False, help_text="The terms' minimum coverage, percent.")
    target = serializers.CharField(required=False)
    met = serializers.BooleanField(allow_null=True)
    binding = serializers.BooleanField(required=False)
    downtime_minutes = serializers.CharField(required=False)
    excused_minutes = serializers.CharField(required=False)
    incidents = serializers.IntegerField(required=False, help_text="Counted (not excluded).")
    excluded = serializers.IntegerField(required=False)
    breaches = serializers.IntegerField(help_text="Incidents with at least one target missed.")
    missed = SimulationTargetCountsSerializer(required=False)
    credits = SimulationPeriodCreditsSerializer(allow_null=True)
    termination = serializers.BooleanField(help_text="The period would have raised the termination right.")


class SimulationComplianceSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    missed = serializers.IntegerField()
    running = serializers.IntegerField()
    share = serializers.CharField(allow_null=True, help_text="Percent met of those decided.")


class SimulationAvailabilityTotalsSerializer(serializers.Serializer):
    measured = serializers.IntegerField()
    met = serializers.IntegerField()
    below = serializers.IntegerField()
    lowest = serializers.CharField(allow_null=True)


class SimulationTotalsSerializer(serializers.Serializer):
    incidents = serializers.IntegerField()
    excluded = serializers.IntegerField()
    breaches = serializers.IntegerField()
    missed = SimulationTargetCountsSerializer()
    by_severity = serializers.DictField(
        child=SimulationTargetCountsSerializer(), help_text="Targets missed per severity."
    )
    compliance = serializers.DictField(child=SimulationComplianceSerializer(), help_text="Per target metric.")
    availability = SimulationAvailabilityTotalsSerializer()
    credits_availability = serializers.CharField()
    credits_breaches = serializers.CharField()
    credits_before_cap = serializers.CharField()
    credits_total = serializers.CharField(help_text="After the cap, summed over the window.")
    capped_periods = serializers.IntegerField()
    termination_periods = serializers.ListField(child=serializers.CharField())


class SimulationChangedIncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ref = serializers.CharField()
    title = serializers.CharField()
    severity = serializers.CharField()
    environment = serializers.CharField()
    opened_at = serializers.DateTimeField()
    period = serializers.CharField()
    before = serializers.JSONField(help_text="Under the terms in force: 'excluded' or the targets missed.")
    after = serializers.JSONField(help_text="Under the candidate: 'excluded' or the targets missed.")
    direction = DirectionField()


class SimulationChangesResultSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    newly_breached = serializers.IntegerField()
    no_longer_breached = serializers.IntegerField()
    different_targets = serializers.IntegerField()
    exclusion_changed = serializers.IntegerField()
    incidents = SimulationChangedIncidentSerializer(many=True, help_text="The first 500, oldest first.")


class SimulationTermSetSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="'in_force', then 'c1', 'c2', ...")
    label = serializers.CharField()
    source = serializers.CharField()
    ref = serializers.CharField()
    baseline = serializers.BooleanField()
    summary = serializers.JSONField(help_text="The negotiated figures in words and numbers.")
    terms = serializers.JSONField(allow_null=True, help_text="The candidate's whole terms document.")
    periods = SimulationPeriodSerializer(many=True)
    totals = SimulationTotalsSerializer()
    changes = SimulationChangesResultSerializer(allow_null=True, help_text="Null for the terms in force.")


class SimulationSweepPointSerializer(serializers.Serializer):
    value = serializers.CharField()
    measure = serializers.IntegerField(help_text="Targets of the swept row missed, or periods below target.")
    breaches = serializers.IntegerField()
    credits = serializers.CharField()
    termination = serializers.IntegerField()


class SimulationSweepSerializer(serializers.Serializer):
    parameter = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    measure = serializers.CharField()
    base = serializers.CharField()
    current = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    points = SimulationSweepPointSerializer(many=True)
    cliff = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="Values around the biggest jump."
    )


class SimulationResultSerializer(serializers.Serializer):
    schema = serializers.IntegerField()
    kind = serializers.CharField()
    as_of = serializers.DateTimeField()
    contract = serializers.JSONField()
    window = serializers.JSONField(help_text="kind, timezone, first, last and the periods.")
    term_sets = SimulationTermSetSerializer(many=True, help_text="The terms in force first, then the candidates.")
    notes = serializers.ListField(child=serializers.CharField())
    sensitivity = SimulationSweepSerializer(required=False)


class SimulationHeadlineSerializer(serializers.Serializer):
    breaches = serializers.IntegerField()
    missed = SimulationTargetCountsSerializer()
    periods_below = serializers.IntegerField()
    lowest_availability = serializers.CharField(allow_null=True)
    credits = serializers.CharField()
    credits_share = serializers.CharField(allow_null=True, help_text="Credits as a percent of the window's fees.")
    termination_periods = serializers.IntegerField()


class SimulationPortfolioRowSerializer(serializers.Serializer):
    contract = serializers.JSONField()
    vendor = serializers.JSONField()
    window = serializers.CharField(required=False)
    fees = serializers.CharField(required=False)
    in_force = SimulationHeadlineSerializer(required=False)
    candidate = SimulationHeadlineSerializer(required=False)
    changes = serializers.JSONField(required=False)
    error = serializers.CharField(allow_null=True, help_text="Why the contract could not be replayed.")


class SimulationPortfolioSerializer(serializers.Serializer):
    schema = serializers.IntegerField()
    kind = serializers.CharField()
    as_of = serializers.DateTimeField()
    count = serializers.IntegerField()
    candidate = serializers.JSONField()
    rows = SimulationPortfolioRowSerializer(many=True)
    vendors = serializers.ListField(child=serializers.JSONField(), help_text="Totals per vendor.")


# -- scenarios ---------------------------------------------------------------------------------------


class SimulationScenarioSerializer(serializers.ModelSerializer):
    kind = ScenarioKindField(read_only=True)
    side = ScenarioSideField(read_only=True)
    contract_reference = serializers.CharField(source="contract.reference", read_only=True, allow_null=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    amendment_title = serializers.CharField(source="amendment.title", read_only=True, allow_null=True)
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Scenario
        fields = [
            "id", "name", "kind", "contract", "contract_reference", "side", "summary", "created_by", "created_at",
            "amendment", "amendment_title", "attached_at", "pdf_url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_pdf_url(self, obj: Scenario) -> str:
        return f"/api/scenarios/{obj.pk}/pdf/"


class SimulationScenarioDetailSerializer(SimulationScenarioSerializer):
    inputs = serializers.JSONField(read_only=True)
    results = serializers.JSONField(read_only=True, help_text="A SimulationResult or a SimulationPortfolio.")

    class Meta(SimulationScenarioSerializer.Meta):
        fields = [*SimulationScenarioSerializer.Meta.fields, "inputs", "results"]
        read_only_fields = fields
