"""What the annual reviews API's views share: the error texts of the
schema, path parameters, the one visibility rule for a review, body parsing."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from core.api import error_responses
from reviews.models import AnnualReview
from reviews.serializers import ReviewDetailSerializer

ERROR_TEXT = {
    400: "Invalid input: `errors` maps each field (`rationale`, `amendments[3].terms.uptime`, ...) to its messages.",
    403: "Not permitted: you may see the review, but your role may not do this; `detail` says who may.",
    404: "No such review, packet, amendment or reminder (or you may not see it).",
    409: "The review's state does not allow this: `state` and `allowed` say what does.",
}


def errors(*codes: int) -> dict[Any, OpenApiResponse]:
    return error_responses(*codes, texts=ERROR_TEXT)


REVIEW_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Review id.")
PACKET_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Packet id.")
AMENDMENT_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Amendment id.")
REMINDER_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Reminder id.")


class AnyMediaRenderer(JSONRenderer):
    """Lets a PDF be asked for with any Accept header; errors stay JSON."""

    media_type = "*/*"
    format = "json"


def visible_review(request: Request, pk: Any) -> AnnualReview:
    try:
        return (
            AnnualReview.objects.visible_to(request.user)
            .select_related("contract", "contract__buyer", "contract__vendor")
            .get(pk=pk)
        )
    except (AnnualReview.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such review.") from None


class BodyMixin:
    request: Request

    def _body(self, serializer_class: type[serializers.Serializer], *, partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, partial=partial, context={"request": self.request})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def review_action(summary: str, request: Any, description: str = "", codes: tuple[int, ...] = (400, 403, 404, 409)):
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[REVIEW_PK],
        request=request,
        responses={200: ReviewDetailSerializer, **errors(*codes)},
    )
