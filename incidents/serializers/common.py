"""Shared serializer pieces: named enum fields and the visible-contract lookup."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.models import Contract
from incidents.models import Environment, ExclusionClaim, Incident, IncidentEvent, Severity
from incidents.services import TRANSITIONS

ACTIONS = list(TRANSITIONS)


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


def visible_contract(user: Any, pk: int) -> Contract:
    """The contract if the user may see it; a 400 "Not found." on the field
    otherwise (a stranger must not learn that it exists)."""
    contract = Contract.objects.visible_to(user).select_related("buyer", "vendor").filter(pk=pk).first()
    if contract is None:
        raise serializers.ValidationError("Not found.")
    return contract
