"""The webhook API: ``/api/webhooks/endpoints/`` and ``/api/webhooks/deliveries/``.

Only an organization's admins (and staff) see its endpoints and deliveries;
to everyone else they do not exist (404)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import administered_organization_ids, is_organization_admin
from accounts.http import signed_in
from accounts.identity.stepup import check_api as check_step_up
from accounts.models import Organization
from core.api import ValidatedBodyMixin, error_responses
from core.errors import InvalidInput, NotPermitted
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
)


def organization_for_create(user: Any, organization_id: int | None) -> Organization:
    """The organization a new endpoint belongs to: the one given (which the
    person must administer), else the only one they administer."""
    if organization_id is None:
        administered = administered_organization_ids(user)
        if len(administered) == 1:
            return Organization.objects.get(pk=administered[0])
        if not administered and not user.is_staff:
            raise NotPermitted("Only an organization admin manages webhooks.")
        message = "Required: name the organization the endpoint belongs to."
        raise InvalidInput(f"organization: {message}", errors={"organization": [message]})
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None or not is_organization_admin(user, organization.pk):
        message = "You administer no organization with this id."
        raise InvalidInput(f"organization: {message}", errors={"organization": [message]})
    return organization


@extend_schema_view(
    list=extend_schema(summary="Webhook endpoints of the organizations you administer"),
    retrieve=extend_schema(summary="One webhook endpoint"),
)
class WebhookEndpointViewSet(
    ValidatedBodyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = WebhookEndpointSerializer
    queryset = WebhookEndpoint.objects.none()
    lookup_value_regex = r"\d+"
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return WebhookEndpoint.objects.administered_by(self.request.user).order_by("organization_id", "name", "pk")

    def get_object(self) -> WebhookEndpoint:
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (WebhookEndpoint.DoesNotExist, ValueError, TypeError, OverflowError):
            raise NotFound("No such webhook endpoint.") from None

    @extend_schema(
        summary="Add a webhook endpoint (organization admins)",
        description="The response carries the signing secret this once.",
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointCreatedSerializer, **error_responses(400, 403)},
    )
    def create(self, request: Request) -> Response:
        data = self._body(WebhookEndpointInputSerializer)
        check_step_up(request)
        person = signed_in(request)
        organization = organization_for_create(person, data.pop("organization", None))
        endpoint, secret = services.endpoint_create(actor=person, organization=organization, **data)
        endpoint.secret = secret  # type: ignore[attr-defined]  # shown this once, never stored in the clear
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an endpoint's name, URL, format or events",
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer, **error_responses(400, 403, 404, 409)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        endpoint = self.get_object()
        check_step_up(request)
        data = self._body(WebhookEndpointUpdateSerializer, partial=True)
        endpoint = services.endpoint_update(actor=signed_in(request), endpoint=endpoint, **data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        summary="Deactivate an endpoint (its delivery log stays)",
        request=None,
        responses={200: WebhookEndpointSerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str) -> Response:
        endpoint = services.endpoint_deactivate(actor=signed_in(request), endpoint=self.get_object())
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        summary="Send a webhook.test event to the endpoint",
        request=None,
        responses={202: WebhookDeliverySerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        delivery = services.endpoint_send_test(actor=signed_in(request), endpoint=self.get_object())
        delivery.refresh_from_db()
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


ENDPOINT_FILTER = OpenApiParameter("endpoint", OpenApiTypes.INT, description="Only this endpoint's deliveries.")
STATUS_FILTER = OpenApiParameter("status", OpenApiTypes.STR, enum=WebhookDelivery.Status.values)


@extend_schema_view(
    list=extend_schema(
        summary="Deliveries to the endpoints of the organizations you administer, newest first",
        parameters=[ENDPOINT_FILTER, STATUS_FILTER],
        responses={200: WebhookDeliverySerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(summary="One delivery"),
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = WebhookDeliverySerializer
    queryset = WebhookDelivery.objects.none()
    lookup_value_regex = r"\d+"
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        qs = WebhookDelivery.objects.filter(endpoint__in=WebhookEndpoint.objects.administered_by(self.request.user))
        if self.action == "list":
            qs = _filtered(qs, self.request.query_params)
        return qs.order_by("-created_at", "-pk")

    def get_object(self) -> WebhookDelivery:
        try:
            return self.get_queryset().select_related("endpoint").get(pk=self.kwargs["pk"])
        except (WebhookDelivery.DoesNotExist, ValueError, TypeError, OverflowError):
            raise NotFound("No such webhook delivery.") from None

    @extend_schema(
        summary="Send a delivery again now, with a fresh round of retries",
        request=None,
        responses={202: WebhookDeliverySerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, pk: str) -> Response:
        delivery = services.delivery_redeliver(actor=signed_in(request), delivery=self.get_object())
        delivery.refresh_from_db()
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


def _filtered(qs: QuerySet[WebhookDelivery], params: Any) -> QuerySet[WebhookDelivery]:
    endpoint = params.get("endpoint")
    if endpoint not in (None, ""):
        if not str(endpoint).isdigit() or len(str(endpoint)) > 18:
            raise InvalidInput("endpoint: Must be an endpoint id.", errors={"endpoint": ["Must be an endpoint id."]})
        qs = qs.filter(endpoint_id=int(endpoint))
    wanted = params.get("status")
    if wanted not in (None, ""):
        if wanted not in WebhookDelivery.Status.values:
            message = f"Choose one of: {', '.join(WebhookDelivery.Status.values)}."
            raise InvalidInput(f"status: {message}", errors={"status": [message]})
        qs = qs.filter(status=wanted)
    return qs
