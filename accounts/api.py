from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import notifications, services
from accounts.http import signed_in
from accounts.models import ApiToken, Membership, Notification, Organization, User
from accounts.serializers import (
    MeSerializer,
    NotificationPreferencesSerializer,
    NotificationSerializer,
    OrganizationSerializer,
    TokenSerializer,
)
from core.api import error_responses


class MeViewSet(viewsets.ViewSet):
    @extend_schema(responses=MeSerializer)
    def list(self, request: Request) -> Response:
        user = User.objects.prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.filter(is_active=True).select_related("organization"))
        ).get(pk=request.user.pk)
        return Response(MeSerializer(user).data)


@extend_schema_view(
    list=extend_schema(responses={200: OrganizationSerializer(many=True), **error_responses(400)}),
    retrieve=extend_schema(responses={200: OrganizationSerializer, **error_responses(404)}),
)
class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """Your own organizations (staff: all)."""

    serializer_class = OrganizationSerializer
    queryset = Organization.objects.none()
    filterset_fields = ["kind"]
    ordering_fields = ["name"]

    def get_queryset(self):
        qs = Organization.objects.all()
        if not self.request.user.is_staff:
            qs = qs.filter(memberships__user=self.request.user, memberships__is_active=True)
        return qs.order_by("name")


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user)

    @extend_schema(request=None, responses={200: {"type": "object", "properties": {"marked": {"type": "integer"}}}})
    @action(detail=False, methods=["post"])
    def read(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_read(user=request.user)})

    @extend_schema(
        methods=["GET"], request=None, responses={200: NotificationPreferencesSerializer, **error_responses(400)}
    )
    @extend_schema(
        methods=["PUT"],
        request=NotificationPreferencesSerializer,
        responses={200: NotificationPreferencesSerializer, **error_responses(400)},
    )
    @action(detail=False, methods=["get", "put"], pagination_class=None, filter_backends=[])
    def preferences(self, request: Request) -> Response:
        """How each catalogue event reaches you by email: ``immediately``,
        ``digest`` (one mail a day) or ``off``; in-app notifications always
        arrive. PUT the events to change (others keep theirs). Critical events
        cannot be turned off or into the digest by a vendor's on-call people."""
        person = signed_in(request)
        if request.method == "PUT":
            body = NotificationPreferencesSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            changes = {row["event"]: row["delivery"] for row in body.validated_data["preferences"]}
            rows = notifications.preferences_update(actor=person, user=person, changes=changes)
        else:
            rows = notifications.preferences_for(person)
        return Response({"preferences": [_preference(row) for row in rows]})


def _preference(row: notifications.PreferenceRow) -> dict[str, object]:
    e = row.event
    return {
        "event": e.key,
        "name": e.label,
        "group": e.group,
        "critical": e.critical,
        "locked": row.locked,
        "delivery": row.delivery,
    }


@extend_schema_view(
    list=extend_schema(responses={200: TokenSerializer(many=True)}),
    destroy=extend_schema(responses={204: None, **error_responses(404)}),
)
class TokenViewSet(viewsets.GenericViewSet):
    """Your API tokens: list them (organization, role, scopes, last use,
    expiry), revoke one by its prefix. The key itself is shown only when a
    token is created (on the API tokens page)."""

    serializer_class = TokenSerializer
    queryset = ApiToken.objects.none()
    lookup_field = "prefix"
    lookup_value_regex = "[0-9a-f]+"
    pagination_class = None
    filter_backends: list = []

    def list(self, request: Request) -> Response:
        tokens = (
            ApiToken.objects.filter(user=signed_in(request), revoked_at__isnull=True)
            .select_related("organization")
            .order_by("-created_at", "-id")
        )
        return Response(TokenSerializer(tokens, many=True).data)

    def destroy(self, request: Request, prefix: str) -> Response:
        person = signed_in(request)
        if not services.tokens_revoke(actor=person, user=person, reason="revoked", prefix=prefix):
            raise NotFound("No such token.")
        return Response(status=status.HTTP_204_NO_CONTENT)
