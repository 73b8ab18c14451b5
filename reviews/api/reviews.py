"""The annual reviews themselves: list, open, one, record, circulate,
freeze, return, close, regenerate the packet, sign, reject, signatures."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.http import signed_in
from accounts.identity import auth_method
from accounts.identity.stepup import check_api as check_step_up
from accounts.jobs import JobSerializer, job_url
from outbox.models import Job
from reviews.api._common import REVIEW_PK, BodyMixin, errors, review_action, visible_review
from reviews.filters import ReviewFilter
from reviews.models import AnnualReview, Signature
from reviews.serializers import (
    ReviewDetailSerializer,
    ReviewOpenSerializer,
    ReviewPacketSerializer,
    ReviewReasonSerializer,
    ReviewRecordSerializer,
    ReviewRejectSerializer,
    ReviewSerializer,
    ReviewSignatureSerializer,
    ReviewSignSerializer,
)
from reviews.services import background, lifecycle, packets, signatures


def _accepted(job: Job) -> Response:
    """202: the work runs on the worker; the job says how far it got."""
    return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED, headers={"Location": job_url(job)})


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
class ReviewViewSet(BodyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
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
        return visible_review(self.request, self.kwargs["pk"])

    def _render(self, review: AnnualReview, code: int = status.HTTP_200_OK) -> Response:
        fresh = visible_review(self.request, review.pk)
        return Response(ReviewDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        summary="Open a review (the chair, the buyer's contract managers, staff)",
        description="Opens the review for the given anniversary (default: the next one), computes the "
        "signatories from the board and notifies the board at once, then answers 202 with the job that makes "
        "packet v1 on the worker (`Location`: the job; poll it until `done`, the review is its `subject_id`). "
        "One review per anniversary (409); asked again while packet v1 is being made, the same job.",
        request=ReviewOpenSerializer,
        responses={202: JobSerializer, **errors(400, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = self._body(ReviewOpenSerializer)
        _, job = background.review_open_queued(
            actor=signed_in(request), contract=data["contract"], anniversary=data.get("anniversary")
        )
        return _accepted(job)

    @review_action(
        "Edit the board record: agenda, meeting, minutes, decisions, renewal recommendation",
        ReviewRecordSerializer,
        "The chair and the buyer's contract managers. While signatures are collected a change voids them and "
        "freezes a new packet.",
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        data = self._body(ReviewRecordSerializer, partial=True)
        return self._render(lifecycle.review_update(actor=request.user, review=review, **data))

    @review_action("Circulate the packet to the board (preparing → in review)", None, codes=(403, 404, 409))
    @action(detail=True, methods=["post"])
    def circulate(self, request: Request, pk: str) -> Response:
        return self._render(lifecycle.review_circulate(actor=request.user, review=self.get_object()))

    @extend_schema(
        summary="Freeze the packet and put the review to signature (on the worker)",
        description="Checked at once: refused (400) when an amendment fails the contract's rules (invalid terms, "
        "no change, a past or overlapping effective date), and (409) when the board lacks a chair or a party's "
        "representative. Then 202 with the job that renders and freezes the packet (`Location`: the job; poll it "
        "until `done`). Asked again while it is queued or running, the same job.",
        parameters=[REVIEW_PK],
        request=None,
        responses={202: JobSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def freeze(self, request: Request, pk: str) -> Response:
        job, _ = background.review_freeze_queued(actor=signed_in(request), review=self.get_object())
        return _accepted(job)

    @review_action("Return the review to preparation (voids any signature)", ReviewReasonSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_preparation(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        data = self._body(ReviewReasonSerializer)
        return self._render(lifecycle.review_return(actor=request.user, review=review, **data))

    @review_action("Close the review without agreement (final)", ReviewReasonSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        data = self._body(ReviewReasonSerializer)
        return self._render(lifecycle.review_close(actor=request.user, review=review, **data))

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
        packet = packets.packet_regenerate(actor=request.user, review=self.get_object())
        return Response(ReviewPacketSerializer(packet, context=self.get_serializer_context()).data, status=201)

    def _sign(self, decision: str, serializer_class: type[serializers.Serializer]) -> Response:
        review = self.get_object()
        check_step_up(self.request)
        data = self._body(serializer_class)
        signature = signatures.review_sign(
            actor=self.request.user,
            review=review,
            decision=decision,
            packet_checksum=data["packet_checksum"],
            reason=data.get("reason", ""),
            ip_address=self.request.META.get("REMOTE_ADDR"),
            auth_method=auth_method(self.request) or "unknown",
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
