"""The annual reviews API: reviews (open, record, move through the states,
sign and reject), their packets, amendments and comments, and the renewal
reminders. Thin views over ``reviews.services.annual``.

Every route finds its object through the one visibility rule (another
tenant's review is 404 on every route, whatever the body), parses the body,
then lets the service check the role (403) and the state (409, naming the
state and the allowed actions). Errors use the one shape of ``core.api``.
Renewal reminders are the buyer's: listed to the buyer's people and staff.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import FileResponse
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
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import organization_ids
from contracts.serializers import RejectUnknownFieldsMixin
from core.api import ErrorSerializer, enum_field, error_responses
from incidents.serializers import visible_contract
from reviews import packet as packets
from reviews.models import (
    Amendment,
    AnnualReview,
    RenewalReminder,
    ReviewComment,
    ReviewPacket,
    Signature,
)
from reviews.services import annual
from reviews.services.renewals import reminder_filename

_ERROR_TEXT = {
    400: "Invalid input: `errors` maps each field (`rationale`, `amendments[3].terms.uptime`, ...) to its messages.",
    403: "Not permitted: you may see the review, but your role may not do this; `detail` says who may.",
    404: "No such review, packet, amendment or reminder (or you may not see it).",
    409: "The review's state does not allow this: `state` and `allowed` say what does.",
}


def errors(*codes: int) -> dict[Any, OpenApiResponse]:
    return error_responses(*codes, texts=_ERROR_TEXT)


ReviewStatusField = enum_field("AnnualReviewStatus", AnnualReview.Status.choices)
RecommendationField = enum_field("RenewalRecommendation", [("", "none yet"), *AnnualReview.Recommendation.choices])
DecisionField = enum_field("SignatureDecision", Signature.Decision.choices)
AmendmentStatusField = enum_field("AmendmentStatus", Amendment.Status.choices)
SignatoryStateField = enum_field(
    "SignatoryState",
    [
        ("approve", "approved the packet up for signature"),
        ("reject", "rejected it"),
        ("waiting", "has not signed it yet"),
        ("not_yet", "no packet is up for signature"),
    ],
)
ReviewActionField = enum_field(
    "AnnualReviewAction",
    [
        (a, a)
        for a in (
            "edit",
            "regenerate_packet",
            "propose_amendment",
            "comment",
            "circulate",
            "freeze",
            "return",
            "close",
            "sign",
            "reject",
        )
    ],
)

REVIEW_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Review id.")
PACKET_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Packet id.")
AMENDMENT_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Amendment id.")
REMINDER_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Reminder id.")


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


class _AnyMediaRenderer(JSONRenderer):
    """Lets a PDF be asked for with any Accept header; errors stay JSON."""

    media_type = "*/*"
    format = "json"


# --------------------------------------------------------------------------
# Serializers
# --------------------------------------------------------------------------


class ReviewPacketSerializer(serializers.ModelSerializer):
    generated_by = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField(help_text="The PDF through the API (visibility-checked).")

    class Meta:
        model = ReviewPacket
        fields = [
            "id",
            "review",
            "version",
            "frozen",
            "frozen_at",
            "checksum",
            "generated_at",
            "generated_by",
            "pdf_url",
        ]
        read_only_fields = fields

    def get_generated_by(self, obj: ReviewPacket) -> str | None:
        return _username(obj.generated_by)

    def get_pdf_url(self, obj: ReviewPacket) -> str:
        path = f"/api/review-packets/{obj.pk}/pdf/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ReviewSignatureSerializer(serializers.ModelSerializer):
    user = serializers.SerializerMethodField()
    decision = DecisionField(read_only=True)
    packet_version = serializers.IntegerField(source="packet.version", read_only=True)
    void = serializers.BooleanField(source="is_void", read_only=True)

    class Meta:
        model = Signature
        fields = [
            "id",
            "user",
            "role",
            "decision",
            "reason",
            "at",
            "ip_address",
            "packet",
            "packet_version",
            "packet_checksum",
            "void",
            "voided_at",
            "void_reason",
        ]
        read_only_fields = fields

    def get_user(self, obj: Signature) -> str:
        return obj.user.get_username()


class SignatoryStatusSerializer(serializers.Serializer):
    user = serializers.CharField(help_text="Username.")
    name = serializers.CharField()
    role = serializers.CharField(help_text="Chair, Buyer representative, Vendor representative or Board member.")
    required = serializers.BooleanField()
    state = SignatoryStateField()
    signed_at = serializers.DateTimeField(allow_null=True)


class TermsChangeSerializer(serializers.Serializer):
    label = serializers.CharField()
    path = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()


class ReviewAmendmentSerializer(serializers.ModelSerializer):
    status = AmendmentStatusField(read_only=True)
    sla_version = serializers.IntegerField(
        source="sla_version.number", read_only=True, help_text="Draft version number."
    )
    based_on = serializers.SerializerMethodField(help_text="The version it amends.")
    proposed_by = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField(help_text="Each changed term, before and after.")

    class Meta:
        model = Amendment
        fields = [
            "id",
            "review",
            "title",
            "rationale",
            "evidence",
            "effective_from",
            "status",
            "sla_version",
            "based_on",
            "proposed_by",
            "proposed_at",
            "activated_at",
            "note",
            "changes",
        ]
        read_only_fields = fields

    def get_based_on(self, obj: Amendment) -> int | None:
        base = obj.sla_version.based_on
        return base.number if base else None

    def get_proposed_by(self, obj: Amendment) -> str | None:
        return _username(obj.proposed_by)

    @extend_schema_field(TermsChangeSerializer(many=True))
    def get_changes(self, obj: Amendment) -> list[dict[str, str]]:
        base = obj.sla_version.based_on
        return packets.diff_rows(base.terms if base else {}, obj.sla_version.terms)


class ReviewCommentSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = ReviewComment
        fields = ["id", "review", "amendment", "author", "body", "created_at"]
        read_only_fields = fields

    def get_author(self, obj: ReviewComment) -> str | None:
        return _username(obj.author)


class ReviewSerializer(serializers.ModelSerializer):
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    buyer = serializers.CharField(source="contract.buyer.name", read_only=True)
    vendor = serializers.CharField(source="contract.vendor.name", read_only=True)
    status = ReviewStatusField(read_only=True)
    recommendation = RecommendationField(read_only=True)

    class Meta:
        model = AnnualReview
        fields = [
            "id",
            "contract",
            "contract_reference",
            "buyer",
            "vendor",
            "year",
            "anniversary",
            "scheduled_for",
            "opened_at",
            "status",
            "meeting_date",
            "recommendation",
            "signed_at",
        ]
        read_only_fields = fields


class ReviewDetailSerializer(ReviewSerializer):
    signatories = serializers.SerializerMethodField(help_text="Who must sign and where each stands.")
    packet = serializers.SerializerMethodField(help_text="The latest packet.")
    signing_packet = serializers.SerializerMethodField(
        help_text="The frozen packet up for signature (or signed); sign it by its `checksum`."
    )
    amendments = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField(help_text="What you may do to the review now.")

    class Meta(ReviewSerializer.Meta):
        fields = [
            *ReviewSerializer.Meta.fields,
            "agenda",
            "minutes",
            "decisions",
            "recommendation_reasons",
            "rejected_reason",
            "signatories",
            "packet",
            "signing_packet",
            "amendments",
            "allowed_actions",
        ]
        read_only_fields = fields

    @extend_schema_field(SignatoryStatusSerializer(many=True))
    def get_signatories(self, obj: AnnualReview) -> list[dict[str, Any]]:
        return [
            {
                "user": row["user"].get_username(),
                "name": str(row["user"]),
                "role": row["role"],
                "required": row["required"],
                "state": row["state"],
                "signed_at": row["signature"].at if row["signature"] else None,
            }
            for row in annual.signature_panel(obj)
        ]

    @extend_schema_field(ReviewPacketSerializer(allow_null=True))
    def get_packet(self, obj: AnnualReview) -> dict[str, Any] | None:
        packet = annual.current_packet(obj)
        return ReviewPacketSerializer(packet, context=self.context).data if packet else None

    @extend_schema_field(ReviewPacketSerializer(allow_null=True))
    def get_signing_packet(self, obj: AnnualReview) -> dict[str, Any] | None:
        packet = annual.signing_packet(obj)
        return ReviewPacketSerializer(packet, context=self.context).data if packet else None

    @extend_schema_field(ReviewAmendmentSerializer(many=True))
    def get_amendments(self, obj: AnnualReview) -> list[dict[str, Any]]:
        rows = obj.amendments.select_related("sla_version", "sla_version__based_on", "proposed_by").order_by("pk")
        return ReviewAmendmentSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(serializers.ListField(child=ReviewActionField()))
    def get_allowed_actions(self, obj: AnnualReview) -> list[str]:
        return annual.allowed_actions(obj, self.context["request"].user)


class ReviewOpenSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    contract = serializers.IntegerField(help_text="Id of an active contract you may see.")
    anniversary = serializers.DateField(
        required=False, help_text="The anniversary to review (default: the next one from today)."
    )

    def validate_contract(self, value: int) -> Any:
        return visible_contract(self.context["request"].user, value)


class ReviewRecordSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    agenda = serializers.CharField(required=False, allow_blank=True)
    meeting_date = serializers.DateTimeField(required=False, allow_null=True)
    minutes = serializers.CharField(required=False, allow_blank=True)
    decisions = serializers.CharField(required=False, allow_blank=True)
    recommendation = RecommendationField(required=False, allow_blank=True)
    recommendation_reasons = serializers.CharField(required=False, allow_blank=True)


class ReviewReasonSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewSignSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    packet_checksum = serializers.CharField(
        max_length=64, help_text="SHA-256 of the packet you read: `signing_packet.checksum` of the review."
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewRejectSerializer(ReviewSignSerializer):
    reason = serializers.CharField(allow_blank=True, help_text="What must change (required).")


class ReviewAmendmentCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    review = serializers.IntegerField(help_text="Id of a review you may see.")
    title = serializers.CharField(max_length=200, allow_blank=True)
    rationale = serializers.CharField(allow_blank=True, help_text="Why, tied to the year's evidence (required).")
    evidence = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    effective_from = serializers.DateTimeField(help_text="When the terms take effect once signed (future).")
    terms = serializers.JSONField(
        required=False, help_text="The amended SLA terms (the whole document); validated like any SLA version."
    )


class ReviewAmendmentUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    rationale = serializers.CharField(required=False, allow_blank=True)
    evidence = serializers.ListField(child=serializers.CharField(), required=False)
    effective_from = serializers.DateTimeField(required=False)
    terms = serializers.JSONField(required=False)


class ReviewCommentCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    review = serializers.IntegerField(help_text="Id of a review you may see.")
    body = serializers.CharField(allow_blank=True)
    amendment = serializers.IntegerField(required=False, allow_null=True, help_text="The amendment it is about.")


class RenewalReminderSerializer(serializers.ModelSerializer):
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    pdf_url = serializers.SerializerMethodField(help_text="The reminder PDF (the buyer's), when it went out.")

    class Meta:
        model = RenewalReminder
        fields = [
            "id",
            "contract",
            "contract_reference",
            "term_end",
            "notice_deadline",
            "milestone",
            "days_left",
            "superseded",
            "sent_at",
            "recipients",
            "pdf_sha256",
            "pdf_url",
        ]
        read_only_fields = fields

    def get_pdf_url(self, obj: RenewalReminder) -> str | None:
        if not obj.pdf:
            return None
        path = f"/api/renewal-reminders/{obj.pk}/pdf/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


# --------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------


class ReviewFilter(django_filters.FilterSet):
    contract = django_filters.NumberFilter(field_name="contract", help_text="Contract id.")
    status = django_filters.ChoiceFilter(choices=AnnualReview.Status.choices, help_text="Review status.")
    year = django_filters.NumberFilter(help_text="The anniversary's year.")

    class Meta:
        model = AnnualReview
        fields = ["contract", "status", "year"]


class ReviewChildFilter(django_filters.FilterSet):
    review = django_filters.NumberFilter(field_name="review", help_text="Review id.")


class PacketFilter(ReviewChildFilter):
    class Meta:
        model = ReviewPacket
        fields = ["review"]


class AmendmentFilter(ReviewChildFilter):
    class Meta:
        model = Amendment
        fields = ["review"]


class CommentFilter(ReviewChildFilter):
    class Meta:
        model = ReviewComment
        fields = ["review"]


class ReminderFilter(django_filters.FilterSet):
    contract = django_filters.NumberFilter(field_name="contract", help_text="Contract id.")

    class Meta:
        model = RenewalReminder
        fields = ["contract"]


# --------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------


def _visible_review(request: Request, pk: Any) -> AnnualReview:
    try:
        return (
            AnnualReview.objects.visible_to(request.user)
            .select_related("contract", "contract__buyer", "contract__vendor")
            .get(pk=pk)
        )
    except (AnnualReview.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such review.") from None


class _Body:
    request: Request

    def _body(self, serializer_class: type[serializers.Serializer], *, partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, partial=partial, context={"request": self.request})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def _review_action(summary: str, request: Any, description: str = "", codes: tuple[int, ...] = (400, 403, 404, 409)):
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[REVIEW_PK],
        request=request,
        responses={200: ReviewDetailSerializer, **errors(*codes)},
    )


@extend_schema_view(
    list=extend_schema(
        summary="Annual reviews you may see",
        description="Latest anniversary first.",
        responses={200: ReviewSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="One review: signatories and where each stands, packets, amendments with before/after",
        parameters=[REVIEW_PK],
        responses={200: ReviewDetailSerializer, **errors(404)},
    ),
)
class ReviewViewSet(_Body, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The governance board's yearly review of a contract: preparing → in
    review → awaiting signatures → signed (a rejection returns it to
    preparing; the board may close it without agreement). Beat opens each
    review `COVENANT_REVIEW_LEAD_DAYS` before the contract's anniversary."""

    queryset = AnnualReview.objects.none()
    serializer_class = ReviewSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReviewFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[AnnualReview]:
        if getattr(self, "swagger_fake_view", False):
            return AnnualReview.objects.none()
        return (
            AnnualReview.objects.visible_to(self.request.user)
            .select_related("contract", "contract__buyer", "contract__vendor")
            .order_by("-anniversary", "contract__reference")
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return ReviewSerializer if self.action == "list" else ReviewDetailSerializer

    def get_object(self) -> AnnualReview:
        return _visible_review(self.request, self.kwargs["pk"])

    def _render(self, review: AnnualReview, code: int = status.HTTP_200_OK) -> Response:
        fresh = _visible_review(self.request, review.pk)
        return Response(ReviewDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        summary="Open a review (the chair, the buyer's contract managers, staff)",
        description="Opens the review for the given anniversary (default: the next one), computes the "
        "signatories from the board, generates packet v1 and notifies the board. One review per anniversary (409).",
        request=ReviewOpenSerializer,
        responses={201: ReviewDetailSerializer, **errors(400, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = self._body(ReviewOpenSerializer)
        review = annual.review_open(actor=request.user, contract=data["contract"], anniversary=data.get("anniversary"))
        return self._render(review, status.HTTP_201_CREATED)

    @_review_action(
        "Edit the board record: agenda, meeting, minutes, decisions, renewal recommendation",
        ReviewRecordSerializer,
        "The chair and the buyer's contract managers. While signatures are collected a change voids them and "
        "freezes a new packet.",
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        data = self._body(ReviewRecordSerializer, partial=True)
        return self._render(annual.review_update(actor=request.user, review=review, **data))

    @_review_action("Circulate the packet to the board (preparing → in review)", None, codes=(403, 404, 409))
    @action(detail=True, methods=["post"])
    def circulate(self, request: Request, pk: str) -> Response:
        return self._render(annual.review_circulate(actor=request.user, review=self.get_object()))

    @_review_action(
        "Freeze the packet and put the review to signature",
        None,
        "Refused (400) when an amendment fails the contract's rules (invalid terms, no change, a past or "
        "overlapping effective date), and (409) when the board lacks a chair or a party's representative.",
    )
    @action(detail=True, methods=["post"])
    def freeze(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        annual.review_freeze(actor=request.user, review=review)
        return self._render(review)

    @_review_action("Return the review to preparation (voids any signature)", ReviewReasonSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_preparation(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        data = self._body(ReviewReasonSerializer)
        return self._render(annual.review_return(actor=request.user, review=review, **data))

    @_review_action("Close the review without agreement (final)", ReviewReasonSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        data = self._body(ReviewReasonSerializer)
        return self._render(annual.review_close(actor=request.user, review=review, **data))

    @extend_schema(
        summary="Generate a new packet from today's figures",
        description="While preparing: a new draft version. While signatures are collected: a change to the "
        "packet, so a new frozen version and every signature void.",
        parameters=[REVIEW_PK],
        request=None,
        responses={201: ReviewPacketSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="regenerate-packet")
    def regenerate_packet(self, request: Request, pk: str) -> Response:
        packet = annual.packet_regenerate(actor=request.user, review=self.get_object())
        return Response(ReviewPacketSerializer(packet, context=self.get_serializer_context()).data, status=201)

    def _sign(self, decision: str, serializer_class: type[serializers.Serializer]) -> Response:
        review = self.get_object()
        data = self._body(serializer_class)
        signature = annual.review_sign(
            actor=self.request.user,
            review=review,
            decision=decision,
            packet_checksum=data["packet_checksum"],
            reason=data.get("reason", ""),
            ip_address=self.request.META.get("REMOTE_ADDR"),
        )
        return Response(ReviewSignatureSerializer(signature).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve the frozen packet (signatories)",
        description="Records you, the time, your address and the packet checksum; cannot be undone. A second "
        "signature by the same person, a checksum that is not the packet up for signature, or a review that is "
        "not awaiting signatures is refused (409); a non-signatory gets 403. The last required approval puts the "
        "amended SLA in force on its effective date and marks the review signed.",
        parameters=[REVIEW_PK],
        request=ReviewSignSerializer,
        responses={201: ReviewSignatureSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str) -> Response:
        return self._sign(Signature.Decision.APPROVE, ReviewSignSerializer)

    @extend_schema(
        summary="Reject the frozen packet (signatories), with a reason",
        description="Recorded like an approval; the review returns to preparation.",
        parameters=[REVIEW_PK],
        request=ReviewRejectSerializer,
        responses={201: ReviewSignatureSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._sign(Signature.Decision.REJECT, ReviewRejectSerializer)

    @extend_schema(
        summary="Every signature given on the review, void ones included",
        parameters=[REVIEW_PK],
        responses={200: ReviewSignatureSerializer(many=True), **errors(404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def signatures(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        rows = Signature.objects.filter(review=review).select_related("user", "packet").order_by("at", "pk")
        return Response(ReviewSignatureSerializer(rows, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Review packets you may see", responses={200: ReviewPacketSerializer(many=True), **errors(400)}
    ),
    retrieve=extend_schema(
        summary="One packet", parameters=[PACKET_PK], responses={200: ReviewPacketSerializer, **errors(404)}
    ),
)
class PacketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Each rendering of a review packet. Frozen ones are what the board signs,
    identified by the SHA-256 `checksum` of the PDF."""

    queryset = ReviewPacket.objects.none()
    serializer_class = ReviewPacketSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PacketFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[ReviewPacket]:
        if getattr(self, "swagger_fake_view", False):
            return ReviewPacket.objects.none()
        reviews = AnnualReview.objects.visible_to(self.request.user).values("pk")
        return (
            ReviewPacket.objects.filter(review__in=reviews)
            .select_related("generated_by")
            .defer("data")
            .order_by("review_id", "-version")
        )

    def get_object(self) -> ReviewPacket:
        try:
            return self.get_queryset().select_related("review", "review__contract").get(pk=self.kwargs["pk"])
        except (ReviewPacket.DoesNotExist, ValueError, TypeError):
            raise NotFound("No such packet.") from None

    def get_renderers(self) -> list[Any]:
        if getattr(self, "action", None) == "pdf":
            return [JSONRenderer(), _AnyMediaRenderer()]
        return super().get_renderers()

    @extend_schema(
        summary="The packet as a PDF",
        parameters=[PACKET_PK],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            (404, "application/json"): OpenApiResponse(ErrorSerializer, description=_ERROR_TEXT[404]),
        },
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def pdf(self, request: Request, pk: str) -> FileResponse:
        packet = self.get_object()
        try:
            handle = packet.pdf.open("rb")
        except (FileNotFoundError, ValueError):
            raise NotFound("The packet's PDF is missing from storage.") from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=packets.packet_filename(packet.review, packet.version),
            content_type="application/pdf",
        )


@extend_schema_view(
    list=extend_schema(
        summary="Amendments proposed in the reviews you may see",
        responses={200: ReviewAmendmentSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="One amendment with its before/after",
        parameters=[AMENDMENT_PK],
        responses={200: ReviewAmendmentSerializer, **errors(404)},
    ),
)
class AmendmentViewSet(_Body, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """SLA changes proposed by board members: each a draft SLA version with
    its rationale. A change after a signature voids every signature."""

    queryset = Amendment.objects.none()
    serializer_class = ReviewAmendmentSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AmendmentFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Amendment]:
        if getattr(self, "swagger_fake_view", False):
            return Amendment.objects.none()
        reviews = AnnualReview.objects.visible_to(self.request.user).values("pk")
        return (
            Amendment.objects.filter(review__in=reviews)
            .select_related("review", "review__contract", "sla_version", "sla_version__based_on", "proposed_by")
            .order_by("review_id", "pk")
        )

    def get_object(self) -> Amendment:
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (Amendment.DoesNotExist, ValueError, TypeError):
            raise NotFound("No such amendment.") from None

    def _render(self, amendment: Amendment, code: int = status.HTTP_200_OK) -> Response:
        self.kwargs["pk"] = amendment.pk
        return Response(
            ReviewAmendmentSerializer(self.get_object(), context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(
        summary="Propose an amendment (board members)",
        description="Creates the draft SLA version (`sla_version_amend`) and sets its `terms` when given. "
        "A rationale is required; one proposed amendment per review (one draft per contract).",
        request=ReviewAmendmentCreateSerializer,
        responses={201: ReviewAmendmentSerializer, **errors(400, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = self._body(ReviewAmendmentCreateSerializer)
        review = _visible_review(request, data.pop("review"))
        amendment = annual.amendment_propose(actor=request.user, review=review, **data)
        return self._render(amendment, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit an amendment (board members)",
        parameters=[AMENDMENT_PK],
        request=ReviewAmendmentUpdateSerializer,
        responses={200: ReviewAmendmentSerializer, **errors(400, 403, 404, 409)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        amendment = self.get_object()
        data = self._body(ReviewAmendmentUpdateSerializer, partial=True)
        return self._render(annual.amendment_update(actor=request.user, amendment=amendment, **data))

    @extend_schema(
        summary="Withdraw an amendment (its proposer, the chair, the buyer's contract managers)",
        parameters=[AMENDMENT_PK],
        request=ReviewReasonSerializer,
        responses={200: ReviewAmendmentSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        amendment = self.get_object()
        data = self._body(ReviewReasonSerializer)
        return self._render(annual.amendment_withdraw(actor=request.user, amendment=amendment, **data))


@extend_schema_view(
    list=extend_schema(
        summary="Comments on the reviews you may see",
        responses={200: ReviewCommentSerializer(many=True), **errors(400)},
    ),
)
class CommentViewSet(_Body, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The board's discussion of a review (any board member may comment)."""

    queryset = ReviewComment.objects.none()
    serializer_class = ReviewCommentSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CommentFilter

    def get_queryset(self) -> QuerySet[ReviewComment]:
        if getattr(self, "swagger_fake_view", False):
            return ReviewComment.objects.none()
        reviews = AnnualReview.objects.visible_to(self.request.user).values("pk")
        return ReviewComment.objects.filter(review__in=reviews).select_related("author").order_by("created_at", "pk")

    @extend_schema(
        summary="Comment on a review (board members, the parties' managers)",
        request=ReviewCommentCreateSerializer,
        responses={201: ReviewCommentSerializer, **errors(400, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = self._body(ReviewCommentCreateSerializer)
        review = _visible_review(request, data["review"])
        amendment = None
        if data.get("amendment"):
            amendment = Amendment.objects.filter(pk=data["amendment"], review=review).first()
            if amendment is None:
                raise NotFound("No such amendment in this review.")
        comment = annual.comment_add(actor=request.user, review=review, body=data["body"], amendment=amendment)
        return Response(ReviewCommentSerializer(comment).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="Renewal reminders sent to your organization (buyers' people, staff)",
        responses={200: RenewalReminderSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="One renewal reminder",
        parameters=[REMINDER_PK],
        responses={200: RenewalReminderSerializer, **errors(404)},
    ),
)
class ReminderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reminders of each notice deadline at each milestone (default 120, 90,
    60, 30 and 7 days ahead), once per contract and milestone, with the PDF of
    the buyer's leverage."""

    queryset = RenewalReminder.objects.none()
    serializer_class = RenewalReminderSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReminderFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[RenewalReminder]:
        if getattr(self, "swagger_fake_view", False):
            return RenewalReminder.objects.none()
        user = self.request.user
        qs = RenewalReminder.objects.visible_to(user).select_related("contract")
        if not user.is_staff:
            qs = qs.filter(contract__buyer_id__in=organization_ids(user))
        return qs.order_by("-created_at", "-pk")

    def get_object(self) -> RenewalReminder:
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (RenewalReminder.DoesNotExist, ValueError, TypeError):
            raise NotFound("No such reminder.") from None

    def get_renderers(self) -> list[Any]:
        if getattr(self, "action", None) == "pdf":
            return [JSONRenderer(), _AnyMediaRenderer()]
        return super().get_renderers()

    @extend_schema(
        summary="The reminder as a PDF",
        parameters=[REMINDER_PK],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            (404, "application/json"): OpenApiResponse(ErrorSerializer, description=_ERROR_TEXT[404]),
        },
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def pdf(self, request: Request, pk: str) -> FileResponse:
        row = self.get_object()
        if not row.pdf:
            raise NotFound("This reminder has no PDF (it was superseded or not sent yet).")
        try:
            handle = row.pdf.open("rb")
        except (FileNotFoundError, ValueError):
            raise NotFound("The reminder's PDF is missing from storage.") from None
        return FileResponse(handle, as_attachment=True, filename=reminder_filename(row), content_type="application/pdf")
