"""The credit ledger and disputes API: thin views over
``reports.services.ledger`` and ``disputes.services``.

Every route finds its credit or dispute through the one visibility rule
(``visible_to``: another tenant's is 404 on every route, whatever the body),
then parses the body, then lets the service check the role (403) and the
state (409 naming the state and the allowed actions). Errors use the one
shape of ``core.api``.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import CharField, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import standing
from contracts.access import contract_standing
from contracts.serializers import RejectUnknownFieldsMixin
from core.api import enum_field, error_responses
from core.errors import DomainError
from disputes import services as dispute_services
from disputes.models import Dispute, DisputeStep
from incidents.serializers import visible_contract
from reports.models import Credit
from reports.services import ledger as ledger_services

# --------------------------------------------------------------------------
# Schema helpers
# --------------------------------------------------------------------------

_ERROR_TEXT = {
    400: "Invalid input: `errors` maps each field (`outcome.credit_amount`, ...) to its messages.",
    403: "Not permitted: you may see it, but your role (or side) may not do this; `detail` says who may.",
    404: "No such credit or dispute (or you may not see it).",
    409: "The state does not allow this (or a window has closed): `state` and `allowed` say what does.",
}


def errors(*codes: int) -> dict[Any, OpenApiResponse]:
    return error_responses(*codes, texts=_ERROR_TEXT)


CreditStatusField = enum_field("CreditStatus", Credit.Status.choices)
CreditKindField = enum_field("CreditKind", Credit.Kind.choices)
CreditActionField = enum_field("CreditAction", [(a, a) for a in ledger_services.TRANSITIONS])
DisputeStatusField = enum_field("DisputeStatus", Dispute.Status.choices)
DisputeSubjectField = enum_field("DisputeSubject", Dispute.Subject.choices)
DisputeSideField = enum_field("DisputeSide", [("buyer", "Buyer"), ("vendor", "Vendor")])
DisputeActionField = enum_field("DisputeAction", [(a, a) for a in ("escalate", "comment", "resolve", "withdraw")])
DisputeStepActionField = enum_field(
    "DisputeStepAction",
    [(a, a) for a in ("opened", "escalated", "commented", "reminded", "resolved", "withdrawn")],
)

CREDIT_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Credit id.")
DISPUTE_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Dispute id.")


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


# --------------------------------------------------------------------------
# Credits
# --------------------------------------------------------------------------


class CreditSerializer(serializers.ModelSerializer):
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    period = serializers.CharField(source="report.period", read_only=True)
    report_revision = serializers.IntegerField(source="report.revision", read_only=True)
    kind = CreditKindField(read_only=True)
    status = CreditStatusField(read_only=True)
    claim_window_open = serializers.SerializerMethodField(help_text="Now is on or before `claim_deadline`.")
    claimed_by = serializers.SerializerMethodField()
    approved_by = serializers.SerializerMethodField()
    dispute = serializers.SerializerMethodField(help_text="Id of the open dispute on this credit, if any.")
    allowed_actions = serializers.SerializerMethodField(
        help_text="What you may do to the credit now (claim, approve, apply, dispute)."
    )

    class Meta:
        model = Credit
        fields = [
            "id",
            "contract",
            "contract_reference",
            "report",
            "period",
            "report_revision",
            "kind",
            "ref",
            "description",
            "percent",
            "amount",
            "currency",
            "status",
            "claim_deadline",
            "claim_window_open",
            "claimed_at",
            "claimed_by",
            "approved_at",
            "approved_by",
            "applied_at",
            "invoice_reference",
            "dispute",
            "allowed_actions",
        ]
        read_only_fields = fields

    def get_claim_window_open(self, obj: Credit) -> bool:
        return self.context["now"] <= obj.claim_deadline

    def get_claimed_by(self, obj: Credit) -> str | None:
        return _username(obj.claimed_by)

    def get_approved_by(self, obj: Credit) -> str | None:
        return _username(obj.approved_by)

    def get_dispute(self, obj: Credit) -> int | None:
        return getattr(obj, "open_dispute_id", None)

    @extend_schema_field(serializers.ListField(child=CreditActionField()))
    def get_allowed_actions(self, obj: Credit) -> list[str]:
        user = self.context["request"].user
        s = standing(user, buyer_id=obj.contract.buyer_id, vendor_id=obj.contract.vendor_id)
        return ledger_services.allowed_actions(obj, s, at=self.context["now"])


class CreditApplySerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    invoice_reference = serializers.CharField(
        allow_blank=True, max_length=100, help_text="The invoice the credit was applied on (required)."
    )


class CreditDisputeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    statement = serializers.CharField(allow_blank=True, help_text="What is wrong with the credit, and why.")
    title = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="Defaults to the credit's description."
    )


class CreditFilter(django_filters.FilterSet):
    contract = django_filters.NumberFilter(field_name="contract", help_text="Contract id.")
    status = django_filters.ChoiceFilter(choices=Credit.Status.choices, help_text="Ledger status.")
    period = django_filters.CharFilter(
        field_name="report__period", help_text="Period label of the credit's report: YYYY-MM or YYYY-Qn."
    )

    class Meta:
        model = Credit
        fields = ["contract", "status", "period"]


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
        return _username(obj.raised_by)

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
    outage_start = serializers.DateTimeField(required=False, allow_null=True, help_text="Corrected outage start.")
    outage_end = serializers.DateTimeField(required=False, allow_null=True, help_text="Corrected outage end.")
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
    contract = django_filters.NumberFilter(field_name="contract", help_text="Contract id.")
    status = django_filters.ChoiceFilter(choices=Dispute.Status.choices, help_text="open, resolved or withdrawn.")
    subject_type = django_filters.ChoiceFilter(choices=Dispute.Subject.choices, help_text="What is disputed.")
    stage = django_filters.CharFilter(field_name="stage_name", lookup_expr="iexact", help_text="Stage name.")

    class Meta:
        model = Dispute
        fields = ["contract", "status", "subject_type", "stage"]


def _credit_action(summary: str, request: Any, description: str, codes: tuple[int, ...] = (403, 404, 409)) -> Any:
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[CREDIT_PK],
        request=request,
        responses={200: CreditSerializer, **errors(*codes)},
    )


@extend_schema_view(
    list=extend_schema(
        summary="Credits on the ledger you may see",
        description="Newest period first. `allowed_actions` says what you may do to each now.",
        responses={200: CreditSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="One credit", parameters=[CREDIT_PK], responses={200: CreditSerializer, **errors(404)}
    ),
)
class CreditViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The service-credit ledger: calculated → claimed (buyer, within the claim
    window) → approved (vendor) → applied (vendor or staff, on an invoice), or
    disputed. Each transition is its own POST."""

    queryset = Credit.objects.none()
    serializer_class = CreditSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CreditFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Credit]:
        if getattr(self, "swagger_fake_view", False):
            return Credit.objects.none()
        open_dispute = Dispute.objects.filter(
            subject_type=Dispute.Subject.CREDIT,
            subject_id=Cast(OuterRef("pk"), output_field=CharField()),
            status=Dispute.Status.OPEN,
        ).values("pk")[:1]
        return (
            Credit.objects.visible_to(self.request.user)
            .select_related("contract", "report", "claimed_by", "approved_by")
            .annotate(open_dispute_id=Subquery(open_dispute))
            .order_by("-report__period_start", "contract__reference", "pk")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def get_object(self) -> Credit:
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (Credit.DoesNotExist, ValueError, TypeError):
            raise NotFound("No such credit.") from None

    def _body(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _render(self, credit: Credit) -> Response:
        self.kwargs["pk"] = credit.pk
        return Response(CreditSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @_credit_action(
        "Claim a credit (buyer's contract managers)",
        None,
        "Only while the claim window is open (now <= `claim_deadline`); after it the claim is refused (409) "
        "naming the deadline.",
    )
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str) -> Response:
        credit = self.get_object()
        return self._render(ledger_services.credit_claim(actor=request.user, credit=credit))

    @_credit_action(
        "Approve a claimed credit (vendor's account managers)",
        None,
        "The buyer cannot approve its own claim (403).",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        credit = self.get_object()
        return self._render(ledger_services.credit_approve(actor=request.user, credit=credit))

    @_credit_action(
        "Apply an approved credit to an invoice (vendor's account managers or staff)",
        CreditApplySerializer,
        "`invoice_reference` is required.",
        codes=(400, 403, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str) -> Response:
        credit = self.get_object()
        data = self._body(CreditApplySerializer)
        return self._render(ledger_services.credit_apply(actor=request.user, credit=credit, **data))

    @extend_schema(
        summary="Dispute a credit (either party's managers, within the claim window)",
        description="Opens a dispute on the credit at the first stage of the contract's dispute ladder and marks "
        "the credit disputed. The buyer may dispute a calculated credit (the dispute counts as its claim); the "
        "vendor only a claimed one. An applied, approved or voided credit is a closed matter (409).",
        parameters=[CREDIT_PK],
        request=CreditDisputeSerializer,
        responses={201: DisputeDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request: Request, pk: str) -> Response:
        credit = self.get_object()
        data = self._body(CreditDisputeSerializer)
        dispute = ledger_services.credit_dispute(actor=request.user, credit=credit, **data)
        return DisputeViewSet.render(request, dispute, status.HTTP_201_CREATED)


# --------------------------------------------------------------------------
# Disputes
# --------------------------------------------------------------------------


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
