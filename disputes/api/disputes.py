"""The disputes API: ``disputes/`` (list, open, one with its ladder and steps, and escalate,
comment, resolve, withdraw), thin views over ``disputes.services``."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import F, QuerySet
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.identity.stepup import check_api as check_step_up
from contracts.access import contract_standing
from contracts.serializers import RejectUnknownFieldsMixin
from core.errors import DomainError
from core.fields import AwareDateTimeField
from core.filters import IntegerFilter
from disputes import services as dispute_services
from disputes.api.common import (
    DISPUTE_PK,
    DisputeActionField,
    DisputeSideField,
    DisputeStatusField,
    DisputeStepActionField,
    DisputeSubjectField,
    errors,
    username,
)
from disputes.models import Dispute, DisputeStep
from incidents.serializers import visible_contract


class DisputeStepSerializer(serializers.ModelSerializer):
    action = DisputeStepActionField(read_only=True)

    class Meta:
        model = DisputeStep
        fields = ["id", "at", "actor_label", "stage_name", "action", "note"]
        read_only_fields = fields


class LadderStageSerializer(serializers.Serializer):
    stage = serializers.CharField()
    days = serializers.IntegerField(allow_null=True, help_text="Days allowed at this stage; null: no deadline.")


class DisputeSerializer(serializers.ModelSerializer):
    reference = serializers.SerializerMethodField(help_text="D-<id>")
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    subject_type = DisputeSubjectField(read_only=True)
    raised_by = serializers.SerializerMethodField()
    raised_by_side = DisputeSideField(read_only=True)
    status = DisputeStatusField(read_only=True)
    overdue = serializers.SerializerMethodField(help_text="Open and past its stage deadline.")

    class Meta:
        model = Dispute
        fields = [
            "id",
            "reference",
            "contract",
            "contract_reference",
            "subject_type",
            "subject_id",
            "subject_label",
            "title",
            "raised_by",
            "raised_by_side",
            "raised_at",
            "stage_index",
            "stage_name",
            "stage_deadline",
            "overdue",
            "status",
            "resolved_at",
            "report",
            "reissued_report",
        ]
        read_only_fields = fields

    def get_reference(self, obj: Dispute) -> str:
        return dispute_services.reference(obj)

    def get_raised_by(self, obj: Dispute) -> str | None:
        return username(obj.raised_by)

    def get_overdue(self, obj: Dispute) -> bool:
        return bool(
            obj.status == Dispute.Status.OPEN and obj.stage_deadline and obj.stage_deadline < self.context["now"]
        )


class DisputeDetailSerializer(DisputeSerializer):
    steps = DisputeStepSerializer(many=True, read_only=True)
    ladder = serializers.SerializerMethodField(help_text="The ladder the dispute walks (the terms when raised).")
    allowed_actions = serializers.SerializerMethodField(help_text="What you may do to the dispute now.")

    class Meta(DisputeSerializer.Meta):
        fields = [*DisputeSerializer.Meta.fields, "statement", "resolution", "ladder", "steps", "allowed_actions"]
        read_only_fields = fields

    def _ladder(self, obj: Dispute) -> list[tuple[str, int | None]]:
        cached = getattr(obj, "_ladder", None)
        if cached is None:
            try:
                cached = dispute_services.ladder_for(obj)
            except DomainError:
                cached = [(obj.stage_name, None)]
            obj._ladder = cached
        return cached

    @extend_schema_field(LadderStageSerializer(many=True))
    def get_ladder(self, obj: Dispute) -> list[dict[str, Any]]:
        return [{"stage": stage, "days": days} for stage, days in self._ladder(obj)]

    @extend_schema_field(serializers.ListField(child=DisputeActionField()))
    def get_allowed_actions(self, obj: Dispute) -> list[str]:
        s = contract_standing(self.context["request"].user, obj.contract)
        return dispute_services.allowed_actions(obj, s, stages=len(self._ladder(obj)))


class DisputeCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    contract = serializers.IntegerField(help_text="Id of a contract you may see and manage a side of.")
    subject_type = DisputeSubjectField()
    subject_id = serializers.CharField(
        max_length=64,
        help_text="The incident (12 or INC-12), outage or credit id; for a report line the report id and the "
        "line, e.g. `31:availability`.",
    )
    title = serializers.CharField(allow_blank=True, max_length=200)
    statement = serializers.CharField(allow_blank=True)

    def validate_contract(self, value: int) -> Any:
        return visible_contract(self.context["request"].user, value)


class DisputeNoteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    note = serializers.CharField(allow_blank=True, help_text="Required: why, or what is said.")


class DisputeWithdrawSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DisputeOutcomeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    accept_exclusion = serializers.BooleanField(
        required=False,
        help_text="Accept the exclusion of the incident / outage (named below, or the dispute's subject): it no "
        "longer counts against the SLA. Goes against the buyer.",
    )
    incident = serializers.IntegerField(required=False, allow_null=True, help_text="Incident id (default: subject).")
    outage = serializers.IntegerField(required=False, allow_null=True, help_text="Outage id (default: subject).")
    outage_start = AwareDateTimeField(required=False, allow_null=True, help_text="Corrected outage start.")
    outage_end = AwareDateTimeField(required=False, allow_null=True, help_text="Corrected outage end.")
    credit = serializers.IntegerField(required=False, allow_null=True, help_text="Credit id (default: subject).")
    credit_amount = serializers.DecimalField(
        required=False,
        allow_null=True,
        max_digits=14,
        decimal_places=3,
        min_value=0,
        help_text="The agreed amount of the credit; it is then approved. Lower goes against the buyer, higher "
        "against the vendor.",
    )


class DisputeResolveSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    resolution = serializers.CharField(allow_blank=True, help_text="The agreed resolution (required).")
    outcome = DisputeOutcomeSerializer(
        required=False,
        help_text="What changes. Omit to close without changing anything (only the side that raised the dispute "
        "may). Changed facts in a closed period reissue its report as a new revision.",
    )


class DisputeFilter(django_filters.FilterSet):
    contract = IntegerFilter(field_name="contract", help_text="Contract id.")
    status = django_filters.ChoiceFilter(choices=Dispute.Status.choices, help_text="open, resolved or withdrawn.")
    subject_type = django_filters.ChoiceFilter(choices=Dispute.Subject.choices, help_text="What is disputed.")
    stage = django_filters.CharFilter(field_name="stage_name", lookup_expr="iexact", help_text="Stage name.")

    class Meta:
        model = Dispute
        fields = ["contract", "status", "subject_type", "stage"]


def _dispute_action(summary: str, request: Any, description: str = "", codes: tuple[int, ...] = (400, 403, 404, 409)):
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[DISPUTE_PK],
        request=request,
        responses={200: DisputeDetailSerializer, **errors(*codes)},
    )


@extend_schema_view(
    list=extend_schema(
        summary="Disputes you may see",
        description="By stage deadline (none last). Filter `status=open` for the dispute board.",
        responses={200: DisputeSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="One dispute with its ladder, steps and what you may do",
        parameters=[DISPUTE_PK],
        responses={200: DisputeDetailSerializer, **errors(404)},
    ),
)
class DisputeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Disputes walk the contract's dispute ladder (its terms' `disputes`), each
    stage with its deadline; every step is recorded."""

    queryset = Dispute.objects.none()
    serializer_class = DisputeSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DisputeFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Dispute]:
        if getattr(self, "swagger_fake_view", False):
            return Dispute.objects.none()
        return (
            Dispute.objects.visible_to(self.request.user)
            .select_related("contract", "contract__buyer", "contract__vendor", "raised_by")
            .order_by(F("stage_deadline").asc(nulls_last=True), "pk")
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return DisputeSerializer if self.action == "list" else DisputeDetailSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def get_object(self) -> Dispute:
        try:
            return self.get_queryset().prefetch_related("steps").get(pk=self.kwargs["pk"])
        except (Dispute.DoesNotExist, ValueError, TypeError):
            raise NotFound("No such dispute.") from None

    def _body(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @staticmethod
    def render(request: Request, dispute: Dispute, code: int = status.HTTP_200_OK) -> Response:
        """The dispute as it is now, through the visibility rule again."""
        fresh = (
            Dispute.objects.visible_to(request.user)
            .select_related("contract", "contract__buyer", "contract__vendor", "raised_by")
            .prefetch_related("steps")
            .get(pk=dispute.pk)
        )
        context = {"request": request, "now": timezone.now()}
        return Response(DisputeDetailSerializer(fresh, context=context).data, status=code)

    @extend_schema(
        summary="Open a dispute (either party's managers)",
        description="On a report line, an incident's breach or exclusion decision, an outage or a credit of the "
        "contract, within the claim window after the end of the subject's period. Refused (409) when the window "
        "has closed or the matter is closed (settled by an earlier dispute, an applied credit, a superseded "
        "revision), naming why. A contract you may not see is `contract: Not found.` (400).",
        request=DisputeCreateSerializer,
        responses={201: DisputeDetailSerializer, **errors(400, 403, 409)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._body(DisputeCreateSerializer)
        dispute = dispute_services.dispute_open(actor=request.user, **data)
        return self.render(request, dispute, status.HTTP_201_CREATED)

    @_dispute_action(
        "Escalate to the next stage of the ladder (either party's managers or staff)",
        DisputeNoteSerializer,
        "The next stage's deadline runs from now; the last stage may have none. At the last stage: 409.",
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str) -> Response:
        dispute = self.get_object()
        data = self._body(DisputeNoteSerializer)
        return self.render(request, dispute_services.dispute_escalate(actor=request.user, dispute=dispute, **data))

    @_dispute_action("Comment on an open dispute (parties, board, staff)", DisputeNoteSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request: Request, pk: str) -> Response:
        dispute = self.get_object()
        data = self._body(DisputeNoteSerializer)
        dispute_services.dispute_comment(actor=request.user, dispute=dispute, **data)
        return self.render(request, dispute)

    @_dispute_action(
        "Resolve (either party's managers or staff)",
        DisputeResolveSerializer,
        "A change is recorded by the side it goes against (or staff); a resolution that changes nothing by the "
        "side that raised the dispute. `reissued_report` is set when a closed period's report was reissued.",
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        dispute = self.get_object()
        check_step_up(request)
        data = self._body(DisputeResolveSerializer)
        outcome = {k: v for k, v in (data.get("outcome") or {}).items() if v is not None}
        resolved = dispute_services.dispute_resolve(
            actor=request.user, dispute=dispute, resolution=data["resolution"], outcome=outcome
        )
        return self.render(request, resolved)

    @_dispute_action(
        "Withdraw (the raising side's managers)", DisputeWithdrawSerializer, "A disputed credit goes back to claimed."
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        dispute = self.get_object()
        data = self._body(DisputeWithdrawSerializer)
        return self.render(request, dispute_services.dispute_withdraw(actor=request.user, dispute=dispute, **data))
