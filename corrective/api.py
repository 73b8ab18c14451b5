"""The corrective-action plan API: thin views over ``corrective.services``. Plans are found through
the contract visibility rule: another tenant's is 404 whatever the body."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend, FilterSet, NumberFilter
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.http import signed_in
from contracts.access import get_visible_contract
from contracts.serializers import RejectUnknownFieldsMixin
from core.api import ErrorSerializer, ValidatedBodyMixin
from core.errors import InvalidInput
from corrective import services
from corrective.models import CorrectiveAction, CorrectivePlan
from incidents.models import Incident


def errs(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer) for code in codes}


class PlanActionSerializer(serializers.ModelSerializer):
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = CorrectiveAction
        fields = ["id", "position", "description", "owner", "due_date", "done_at", "evidence", "overdue"]
        read_only_fields = fields

    def get_overdue(self, obj: CorrectiveAction) -> bool:
        return obj.is_overdue(self.context["today"])


class PlanSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    incident = serializers.SerializerMethodField()
    actions = PlanActionSerializer(many=True, read_only=True)

    class Meta:
        model = CorrectivePlan
        fields = [
            "id",
            "reference",
            "contract",
            "incident",
            "subject",
            "responsible_side",
            "status",
            "requested_at",
            "plan_due_at",
            "root_cause",
            "submitted_at",
            "decided_at",
            "feedback",
            "completed_at",
            "escalation_level",
            "actions",
        ]
        read_only_fields = fields

    def get_incident(self, obj: CorrectivePlan) -> str | None:
        return obj.incident.reference if obj.incident_id and obj.incident else None


class PlanRequestSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    contract = serializers.IntegerField()
    subject = serializers.CharField(max_length=200)
    incident = serializers.IntegerField(required=False, allow_null=True, default=None)


class PlanActionInputSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=300)
    owner = serializers.CharField(max_length=120)
    due_date = serializers.DateField()


class PlanSubmitSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    root_cause = serializers.CharField()
    actions = PlanActionInputSerializer(many=True)


class PlanDecisionSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    accept = serializers.BooleanField()
    feedback = serializers.CharField(required=False, allow_blank=True, default="")


class PlanActionDoneSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    action = serializers.IntegerField(help_text="The action's id.")
    evidence = serializers.CharField()


class PlanFilter(FilterSet):
    contract = NumberFilter(field_name="contract_id")

    class Meta:
        model = CorrectivePlan
        fields = ["contract", "status"]


@extend_schema_view(
    list=extend_schema(
        summary="Corrective-action plans you may see", responses={200: PlanSerializer(many=True), **errs(400)}
    ),
    retrieve=extend_schema(summary="One corrective-action plan", responses={200: PlanSerializer, **errs(404)}),
)
class CorrectivePlanViewSet(
    ValidatedBodyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = PlanSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PlanFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return CorrectivePlan.objects.none()
        return (
            CorrectivePlan.objects.visible_to(self.request.user)
            .select_related("incident")
            .prefetch_related("actions")
            .order_by("-requested_at", "-id")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def get_object(self) -> CorrectivePlan:
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (CorrectivePlan.DoesNotExist, ValueError, TypeError):
            raise NotFound("No such plan.") from None

    def _one(self, plan: CorrectivePlan, code: int = status.HTTP_200_OK) -> Response:
        self.kwargs["pk"] = plan.pk
        return Response(PlanSerializer(self.get_object(), context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        summary="Ask the other party for a plan",
        request=PlanRequestSerializer,
        responses={201: PlanSerializer, **errs(400, 403, 404)},
    )
    def create(self, request: Request) -> Response:
        data = self._body(PlanRequestSerializer)
        contract = get_visible_contract(request.user, data["contract"])
        incident = None
        if data["incident"] is not None:
            incident = Incident.objects.filter(contract=contract, pk=data["incident"]).first()
            if incident is None:
                raise InvalidInput("No such incident on this contract.", errors={"incident": ["Not found."]})
        plan = services.request_plan(
            actor=signed_in(request), contract=contract, subject=data["subject"], incident=incident
        )
        return self._one(plan, status.HTTP_201_CREATED)

    @extend_schema(
        summary="File the root cause and actions (responsible party)",
        request=PlanSubmitSerializer,
        responses={200: PlanSerializer, **errs(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        plan = self.get_object()
        data = self._body(PlanSubmitSerializer)
        return self._one(
            services.submit_plan(
                actor=signed_in(request), plan=plan, root_cause=data["root_cause"], actions=data["actions"]
            )
        )

    @extend_schema(
        summary="Accept the plan or ask for more (other party)",
        request=PlanDecisionSerializer,
        responses={200: PlanSerializer, **errs(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        plan = self.get_object()
        data = self._body(PlanDecisionSerializer)
        return self._one(
            services.decide_plan(actor=signed_in(request), plan=plan, accept=data["accept"], feedback=data["feedback"])
        )

    @extend_schema(
        summary="Record an action as done, with evidence (responsible party)",
        request=PlanActionDoneSerializer,
        responses={200: PlanSerializer, **errs(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        plan = self.get_object()
        data = self._body(PlanActionDoneSerializer)
        act = CorrectiveAction.objects.filter(plan=plan, pk=data["action"]).first()
        if act is None:
            raise InvalidInput("No such action on this plan.", errors={"action": ["Not found."]})
        services.complete_action(actor=signed_in(request), action=act, evidence=data["evidence"])
        return self._one(plan)
