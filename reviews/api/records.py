"""A review's packets (and their PDFs), amendments and comments, and the
renewal reminders (and their PDFs)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import organization_ids
from core.api import ErrorSerializer
from reviews import packet as document
from reviews.api._common import (
    AMENDMENT_PK,
    ERROR_TEXT,
    PACKET_PK,
    REMINDER_PK,
    AnyMediaRenderer,
    BodyMixin,
    errors,
    visible_review,
)
from reviews.filters import AmendmentFilter, CommentFilter, PacketFilter, ReminderFilter
from reviews.models import Amendment, AnnualReview, RenewalReminder, ReviewComment, ReviewPacket
from reviews.serializers import (
    RenewalReminderSerializer,
    ReviewAmendmentCreateSerializer,
    ReviewAmendmentSerializer,
    ReviewAmendmentUpdateSerializer,
    ReviewCommentCreateSerializer,
    ReviewCommentSerializer,
    ReviewPacketSerializer,
    ReviewReasonSerializer,
)
from reviews.services import amendments, comments
from reviews.services.renewals import reminder_filename


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
            return [JSONRenderer(), AnyMediaRenderer()]
        return super().get_renderers()

    @extend_schema(
        summary="The packet as a PDF",
        parameters=[PACKET_PK],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            (404, "application/json"): OpenApiResponse(ErrorSerializer, description=ERROR_TEXT[404]),
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
            filename=document.packet_filename(packet.review, packet.version),
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
class AmendmentViewSet(BodyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
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
        review = visible_review(request, data.pop("review"))
        amendment = amendments.amendment_propose(actor=request.user, review=review, **data)
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
        return self._render(amendments.amendment_update(actor=request.user, amendment=amendment, **data))

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
        return self._render(amendments.amendment_withdraw(actor=request.user, amendment=amendment, **data))


@extend_schema_view(
    list=extend_schema(
        summary="Comments on the reviews you may see",
        responses={200: ReviewCommentSerializer(many=True), **errors(400)},
    ),
)
class CommentViewSet(BodyMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
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
        review = visible_review(request, data["review"])
        amendment = None
        if data.get("amendment"):
            amendment = Amendment.objects.filter(pk=data["amendment"], review=review).first()
            if amendment is None:
                raise NotFound("No such amendment in this review.")
        comment = comments.comment_add(actor=request.user, review=review, body=data["body"], amendment=amendment)
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
            return [JSONRenderer(), AnyMediaRenderer()]
        return super().get_renderers()

    @extend_schema(
        summary="The reminder as a PDF",
        parameters=[REMINDER_PK],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            (404, "application/json"): OpenApiResponse(ErrorSerializer, description=ERROR_TEXT[404]),
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
