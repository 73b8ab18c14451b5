"""The playbook checklist of one incident through the API: the steps for its
severity with their trigger times and the people in each role (GET), and
ticking a step off (POST), which writes a timeline event.

The incident is found through the visibility rule first (404 for strangers);
``tick_playbook_step`` checks the role (403) and the state (409)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from contracts.onboarding.serializers import PersonSerializer, enum_field, pattern_field
from contracts.terms import PLAYBOOK_TRIGGERS, ROLES, TARGETS
from incidents.api.incidents import errors
from incidents.models import Incident
from incidents.services.playbook import Step, playbook_checklist, tick_playbook_step

PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Incident id.")


class ChecklistStepSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    party = pattern_field(["buyer", "vendor"])
    role = pattern_field(ROLES, help_text="A contact role or a membership role of that party.")
    role_label = serializers.CharField()
    people = PersonSerializer(many=True, help_text="Who holds the role on the contract now.")
    trigger = enum_field(PLAYBOOK_TRIGGERS)
    value = serializers.IntegerField(allow_null=True)
    target = enum_field(TARGETS, allow_null=True)
    when = serializers.CharField(help_text="The trigger in words, e.g. at 50 % of the restore target.")
    at = serializers.DateTimeField(allow_null=True, help_text="When the trigger falls (null: not yet known).")
    state = enum_field(
        ["ticked", "due", "upcoming", "waiting", "skipped", "missed"],
        help_text="ticked; due (trigger passed, not ticked); upcoming; waiting (e.g. for acknowledgement); "
        "skipped (the target was met, or the incident resolved, first); missed (trigger passed, not ticked "
        "before the incident was resolved). A resolved or closed incident has no due steps.",
    )
    action = serializers.CharField()
    ticked_by = serializers.SerializerMethodField()
    ticked_at = serializers.SerializerMethodField()

    def get_ticked_by(self, step: Step) -> str | None:
        return step.tick.ticked_by.username if step.tick and step.tick.ticked_by else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_ticked_at(self, step: Step) -> Any:
        return serializers.DateTimeField().to_representation(step.tick.at) if step.tick else None


class ChecklistSerializer(serializers.Serializer):
    incident = serializers.IntegerField()
    severity = serializers.CharField()
    sla_version = serializers.IntegerField()
    steps = ChecklistStepSerializer(many=True)


class TickSerializer(serializers.Serializer):
    order = serializers.IntegerField(min_value=1, help_text="The step's order in this severity's playbook.")


class IncidentPlaybookView(GenericAPIView):
    """The incident-response playbook for the incident's severity, as a checklist."""

    queryset = Incident.objects.none()
    serializer_class = ChecklistSerializer
    pagination_class = None
    filter_backends: list = []

    def _incident(self) -> Incident:
        try:
            return (
                Incident.objects.visible_to(self.request.user)
                .select_related("contract", "contract__buyer", "contract__vendor", "sla_version")
                .get(pk=self.kwargs["pk"])
            )
        except Incident.DoesNotExist:
            raise NotFound("No such incident.") from None

    def _body(self, incident: Incident) -> dict[str, Any]:
        return ChecklistSerializer(
            {
                "incident": incident.pk,
                "severity": incident.severity,
                "sla_version": incident.sla_version.number,
                "steps": playbook_checklist(incident),
            }
        ).data

    @extend_schema(
        summary="The incident's playbook checklist",
        parameters=[PK],
        responses={200: ChecklistSerializer, **errors(404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._body(self._incident()))

    @extend_schema(
        summary="Tick a playbook step off",
        description="The people (not viewers) of the party the step belongs to (its `party`); the other "
        "side gets 403. Each step is ticked once; the tick is a `playbook_step` event on the timeline.",
        parameters=[PK],
        request=TickSerializer,
        responses={201: ChecklistSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self._incident()
        serializer = TickSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tick_playbook_step(actor=request.user, incident=incident, order=serializer.validated_data["order"])
        return Response(self._body(self._incident()), status=status.HTTP_201_CREATED)
