"""Serializers of the annual reviews API (``reviews.api``): what the API
shows of reviews, packets, signatures, amendments, comments and renewal
reminders, and the bodies it takes. They parse; the services decide."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.serializers import RejectUnknownFieldsMixin
from core.api import enum_field
from core.fields import AwareDateTimeField, DateField
from incidents.serializers import visible_contract
from reviews import packet as document
from reviews.models import (
    Amendment,
    AnnualReview,
    RenewalReminder,
    ReviewComment,
    ReviewPacket,
    Signature,
)
from reviews.services import packets, signatures

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


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


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
        return document.diff_rows(base.terms if base else {}, obj.sla_version.terms)


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
            for row in signatures.signature_panel(obj)
        ]

    @extend_schema_field(ReviewPacketSerializer(allow_null=True))
    def get_packet(self, obj: AnnualReview) -> dict[str, Any] | None:
        packet = packets.current_packet(obj)
        return ReviewPacketSerializer(packet, context=self.context).data if packet else None

    @extend_schema_field(ReviewPacketSerializer(allow_null=True))
    def get_signing_packet(self, obj: AnnualReview) -> dict[str, Any] | None:
        packet = packets.signing_packet(obj)
        return ReviewPacketSerializer(packet, context=self.context).data if packet else None

    @extend_schema_field(ReviewAmendmentSerializer(many=True))
    def get_amendments(self, obj: AnnualReview) -> list[dict[str, Any]]:
        rows = obj.amendments.select_related("sla_version", "sla_version__based_on", "proposed_by").order_by("pk")
        return ReviewAmendmentSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(serializers.ListField(child=ReviewActionField()))
    def get_allowed_actions(self, obj: AnnualReview) -> list[str]:
        return signatures.allowed_actions(obj, self.context["request"].user)


class ReviewOpenSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    contract = serializers.IntegerField(help_text="Id of an active contract you may see.")
    anniversary = DateField(required=False, help_text="The anniversary to review (default: the next one from today).")

    def validate_contract(self, value: int) -> Any:
        return visible_contract(self.context["request"].user, value)


class ReviewRecordSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    agenda = serializers.CharField(required=False, allow_blank=True)
    meeting_date = AwareDateTimeField(required=False, allow_null=True)
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
    effective_from = AwareDateTimeField(help_text="When the terms take effect once signed (future).")
    terms = serializers.JSONField(
        required=False, help_text="The amended SLA terms (the whole document); validated like any SLA version."
    )


class ReviewAmendmentUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    rationale = serializers.CharField(required=False, allow_blank=True)
    evidence = serializers.ListField(child=serializers.CharField(), required=False)
    effective_from = AwareDateTimeField(required=False)
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
