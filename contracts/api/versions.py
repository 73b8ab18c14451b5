"""A contract's SLA versions through the API: list, amend, edit, the two-party path (propose, accept, reject,
withdraw, counter, comments), the staff override (``activate/``), the version in force, the diff."""

from __future__ import annotations

from typing import Any, cast

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.identity.stepup import check_api as check_step_up
from accounts.models import User
from contracts import services
from contracts.api.base import CONTRACT_PK, NUMBER, ContractScopedMixin, errors
from contracts.models import SLAVersion, SLAVersionAcceptance, SLAVersionComment
from contracts.serializers import (
    AmendSerializer,
    DiffEntrySerializer,
    DiffQuerySerializer,
    InForceQuerySerializer,
    RejectUnknownFieldsMixin,
    SLAVersionCreateSerializer,
    SLAVersionSerializer,
    SLAVersionUpdateSerializer,
    diff_rows,
)
from core.errors import NotPermitted
from core.fields import AwareDateTimeField


class AcceptanceSerializer(serializers.ModelSerializer):
    organization = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = SLAVersionAcceptance
        fields = ["side", "organization", "accepted_by_name", "accepted_at", "checksum"]
        read_only_fields = fields


@extend_schema_serializer(component_name="SLAVersion")  # the API's one version shape
class ConsentVersionSerializer(SLAVersionSerializer):
    """A version with its consent state: who drafts it, what was proposed, the checksum to accept, who accepted."""

    checksum = serializers.CharField(source="consent_checksum", read_only=True, help_text="What a party accepts.")
    activation_basis = serializers.ChoiceField(
        choices=SLAVersion.Basis.choices,
        allow_blank=True,
        read_only=True,
        help_text="What put the version in force; empty while it is not active.",
    )
    acceptances = AcceptanceSerializer(many=True, read_only=True)

    class Meta(SLAVersionSerializer.Meta):
        fields = [
            *SLAVersionSerializer.Meta.fields,
            "side",
            "proposed_from",
            "proposed_at",
            "returned_reason",
            "activation_basis",
            "override_reason",
            "checksum",
            "acceptances",
        ]
        read_only_fields = fields


class ProposeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    effective_from = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="When the version takes effect once both parties accept. Default: the contract's start for the "
        "first version; as soon as both accept for an amendment.",
    )


class AcceptSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    checksum = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$", help_text="The `checksum` of the version as you read it (64 hex digits)."
    )


class TermsReasonSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why.")


class CounterSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    change_summary = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class OverrideSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why staff put these terms in force; on the exhibit.")
    effective_from = AwareDateTimeField(required=False, allow_null=True)
    board_only = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The terms are agreed by the board alone (nobody speaks for the vendor).",
    )


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = SLAVersionComment
        fields = ["id", "author_name", "body", "created_at"]
        read_only_fields = ["id", "author_name", "created_at"]


class CommentCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    body = serializers.CharField(max_length=4000)


@extend_schema(parameters=[CONTRACT_PK])
@extend_schema_view(
    list=extend_schema(
        summary="The contract's SLA versions", responses={200: ConsentVersionSerializer(many=True), **errors(404)}
    ),
    retrieve=extend_schema(
        summary="One SLA version", parameters=[NUMBER], responses={200: ConsentVersionSerializer, **errors(404)}
    ),
)
class SLAVersionViewSet(ContractScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A contract's SLA versions: drafts are edited, activation freezes them, an
    amendment opens the next draft. At most one active version is in force at
    any instant."""

    queryset = SLAVersion.objects.none()
    serializer_class = ConsentVersionSerializer
    lookup_field = "number"
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return SLAVersion.objects.none()
        return (
            SLAVersion.objects.visible_to(self.request.user)
            .filter(contract=self.contract)
            .select_related("based_on", "created_by", "activated_by")
            .prefetch_related("acceptances__organization")
            .order_by("number")
        )

    def get_object(self) -> SLAVersion:
        version = super().get_object()
        version.contract = self.contract  # shares the cached standing (board ids)
        return version

    def _get_number(self, number: int) -> SLAVersion:
        try:
            version = self.get_queryset().get(number=number)
        except SLAVersion.DoesNotExist:
            raise NotFound(f"{self.contract.reference} has no SLA v{number}.") from None
        version.contract = self.contract
        return version

    def _render(self, version: SLAVersion, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self._get_number(version.number)).data, status=code)

    @extend_schema(
        summary="Amend: open the next draft version",
        description="Copies the terms of the latest active version into a new draft; `terms`, when given, "
        "replace them in the same transaction. Same as `amend/` with optional terms.",
        request=SLAVersionCreateSerializer,
        responses={201: ConsentVersionSerializer, **errors(400, 403, 404, 409)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = SLAVersionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():  # the draft and its terms, or nothing
            version = services.sla_version_amend(
                actor=request.user, contract=self.contract, change_summary=data["change_summary"]
            )
            if "terms" in data:
                version.contract = self.contract
                version = services.sla_version_update(actor=request.user, version=version, terms=data["terms"])
        return self._render(version, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a draft version",
        parameters=[NUMBER],
        request=SLAVersionUpdateSerializer,
        responses={200: ConsentVersionSerializer, **errors(400, 403, 404, 409)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = self.get_object()
        serializer = SLAVersionUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        version = services.sla_version_update(actor=request.user, version=version, **serializer.validated_data)
        return self._render(version)

    @extend_schema(
        summary="Staff override: put a draft or proposal in force without both parties",
        description="Staff only: the parties use `propose/` and `accept/`. The reason is audited and printed on "
        "the exhibit.",
        parameters=[NUMBER],
        request=OverrideSerializer,
        responses={200: ConsentVersionSerializer, **errors(400, 403, 404, 409)},
    )
    def activate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = self.get_object()
        if not self._actor().is_staff:  # before parsing: a party learns the rule, not a field error
            raise NotPermitted("Terms are put in force by both parties: propose, then the other party accepts.")
        data = self._parse(OverrideSerializer)
        version = services.sla_version_activate_override(actor=self._actor(), version=version, **data)
        return self._render(version)

    def _actor(self) -> User:
        return cast(User, self.request.user)  # the API's default permission: authenticated

    def _parse(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(
        summary="Propose a draft to the other party",
        description="Freezes the draft and records your side's acceptance of its checksum.",
        parameters=[NUMBER],
        request=ProposeSerializer,
        responses={200: ConsentVersionSerializer, **errors(400, 403, 404, 409)},
    )
    def propose(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = self.get_object()
        data = self._parse(ProposeSerializer)
        version = services.sla_version_propose(
            actor=self._actor(), version=version, effective_from=data.get("effective_from")
        )
        return self._render(version)

    @extend_schema(
        summary="Accept a proposal",
        description="Send the `checksum` you read. A different checksum (the version changed) is a 409 whose "
        "`current_checksum` names the current one; nothing changes. The second party's acceptance puts the "
        "version in force.",
        parameters=[NUMBER],
        request=AcceptSerializer,
        responses={200: ConsentVersionSerializer, **errors(400, 403, 404, 409)},
    )
    def accept(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = self.get_object()
        check_step_up(request)  # after the lookup: another tenant's version stays a 404
        data = self._parse(AcceptSerializer)
        version = services.sla_version_accept(actor=self._actor(), version=version, checksum=data["checksum"])
        return self._render(version)

    @extend_schema(
        summary="Reject a proposal (the other party), with a reason",
        parameters=[NUMBER],
        request=TermsReasonSerializer,
        responses={200: ConsentVersionSerializer, **errors(400, 403, 404, 409)},
    )
    def reject(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = self.get_object()
        data = self._parse(TermsReasonSerializer)
        version = services.sla_version_reject(actor=self._actor(), version=version, reason=data["reason"])
        return self._render(version)

    @extend_schema(
        summary="Withdraw your side's proposal, with a reason",
        parameters=[NUMBER],
        request=TermsReasonSerializer,
        responses={200: ConsentVersionSerializer, **errors(400, 403, 404, 409)},
    )
    def withdraw(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = self.get_object()
        data = self._parse(TermsReasonSerializer)
        version = services.sla_version_withdraw(actor=self._actor(), version=version, reason=data["reason"])
        return self._render(version)

    @extend_schema(
        summary="Counter-propose: open your side's draft based on the proposal",
        parameters=[NUMBER],
        request=CounterSerializer,
        responses={201: ConsentVersionSerializer, **errors(400, 403, 404, 409)},
    )
    def counter(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = self.get_object()
        data = self._parse(CounterSerializer)
        counter = services.sla_version_counter(
            actor=self._actor(), version=version, change_summary=data["change_summary"]
        )
        return self._render(counter, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Comments on a draft or proposal",
        parameters=[NUMBER],
        responses={200: CommentSerializer(many=True), **errors(404)},
    )
    def comments(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = self.get_object()
        rows = SLAVersionComment.objects.filter(version=version).order_by("created_at", "pk")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(
        summary="Comment on a draft or proposal",
        description="Anyone who sees the contract, the other party's board members among them.",
        parameters=[NUMBER],
        request=CommentCreateSerializer,
        responses={201: CommentSerializer, **errors(400, 403, 404, 409)},
    )
    def comment(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = self.get_object()
        data = self._parse(CommentCreateSerializer)
        row = services.sla_version_comment(actor=self._actor(), version=version, body=data["body"])
        return Response(CommentSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Amend: open the next draft version",
        request=AmendSerializer,
        responses={201: ConsentVersionSerializer, **errors(400, 403, 404, 409)},
    )
    def amend(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = AmendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.sla_version_amend(
            actor=request.user, contract=self.contract, change_summary=serializer.validated_data["change_summary"]
        )
        return self._render(version, status.HTTP_201_CREATED)

    @extend_schema(
        summary="The SLA version in force at an instant",
        parameters=[InForceQuerySerializer],
        responses={200: ConsentVersionSerializer, **errors(400, 404)},
    )
    def in_force(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = InForceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        at = query.validated_data.get("at") or timezone.now()
        version = services.version_in_force(self.contract, at)
        if version is None:
            raise NotFound(f"No SLA version of {self.contract.reference} was in force at {at.isoformat()}.")
        return self._render(version)


MAX_NUMBER = 2**31 - 1


@extend_schema(parameters=[CONTRACT_PK])
class SLAVersionDiffView(ContractScopedMixin, GenericAPIView):
    """Leaf-by-leaf differences between the terms of two versions (see
    ``contracts.diffing``): each under its field path, rows with an identity
    keyed by it (``targets[critical, production].restore_minutes``). Not paginated."""

    queryset = SLAVersion.objects.none()
    serializer_class = DiffEntrySerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="What changed between two versions",
        parameters=[DiffQuerySerializer],
        responses={200: DiffEntrySerializer(many=True), **errors(400, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = DiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = [query.validated_data["a"], query.validated_data["b"]]
        for number in wanted:
            if number > MAX_NUMBER:  # past what the database's integer holds: no such version
                raise NotFound(f"{self.contract.reference} has no SLA v{number}.")
        versions = SLAVersion.objects.visible_to(request.user).filter(contract=self.contract, number__in=wanted)
        terms = {v.number: v.terms for v in versions}
        for number in wanted:
            if number not in terms:
                raise NotFound(f"{self.contract.reference} has no SLA v{number}.")
        return Response(DiffEntrySerializer(diff_rows(terms[wanted[0]], terms[wanted[1]]), many=True).data)
