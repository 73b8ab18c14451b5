"""The credit ledger API: ``credits/`` (list, one, and a POST per transition: claim, approve,
apply, dispute), thin views over ``reports.services.ledger`` (a dispute through
``disputes.services.credits``, answered with the dispute)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import CharField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast
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

from accounts.access import standing
from accounts.identity.stepup import check_api as check_step_up
from contracts.serializers import RejectUnknownFieldsMixin
from core.filters import IntegerFilter
from core.money import amount_text
from disputes import services as dispute_services
from disputes.api.common import (
    CREDIT_PK,
    CreditActionField,
    CreditKindField,
    CreditStatusField,
    errors,
    username,
)
from disputes.api.disputes import DisputeDetailSerializer, DisputeViewSet
from disputes.models import Dispute
from reports.models import Credit
from reports.services import ledger as ledger_services
from reports.services.ledger import credit_status_label


class CreditSerializer(serializers.ModelSerializer):
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    period = serializers.CharField(source="report.period", read_only=True)
    report_revision = serializers.IntegerField(source="report.revision", read_only=True)
    kind = CreditKindField(read_only=True)
    status = CreditStatusField(read_only=True)
    amount = serializers.SerializerMethodField(help_text='In the currency\'s minor unit ("100.00", JPY "100").')
    claim_window_open = serializers.SerializerMethodField(help_text="Now is on or before `claim_deadline`.")
    status_label = serializers.SerializerMethodField(
        help_text="The status as people read it; a calculated credit past its claim deadline is not owed."
    )
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
            "status_label",
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

    def get_amount(self, obj: Credit) -> str | None:
        return amount_text(obj.amount, obj.currency)

    def get_status_label(self, obj: Credit) -> str:
        return credit_status_label(obj, self.context["now"])

    def get_claim_window_open(self, obj: Credit) -> bool:
        return self.context["now"] <= obj.claim_deadline

    def get_claimed_by(self, obj: Credit) -> str | None:
        return username(obj.claimed_by)

    def get_approved_by(self, obj: Credit) -> str | None:
        return username(obj.approved_by)

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
    contract = IntegerFilter(field_name="contract", help_text="Contract id.")
    status = django_filters.ChoiceFilter(choices=Credit.Status.choices, help_text="Ledger status.")
    period = django_filters.CharFilter(
        field_name="report__period", help_text="Period label of the credit's report: YYYY-MM or YYYY-Qn."
    )

    class Meta:
        model = Credit
        fields = ["contract", "status", "period"]


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
        check_step_up(request)
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
        dispute = dispute_services.credit_dispute(actor=request.user, credit=credit, **data)
        return DisputeViewSet.render(request, dispute, status.HTTP_201_CREATED)
