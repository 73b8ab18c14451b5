"""An organization's people through the API: ``/api/organizations/{id}/invitations/``
(list, create, resend, revoke) and ``/api/organizations/{id}/members/`` (list,
change role, admin flag, active state).

Another organization is a 404 (staff: any); its members read, its admins
write (403 for the others, from the services)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import organization_ids
from accounts.http import signed_in
from accounts.identity.stepup import check_api as check_step_up
from accounts.models import Invitation, Membership, Organization
from accounts.people import services
from core.api import error_responses

ORGANIZATION_PK = OpenApiParameter(
    "organization_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="Organization id."
)


class OrganizationInvitationSerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)
    # Null when a system actor invited or the inviter's account is gone (SET_NULL).
    invited_by = serializers.CharField(source="invited_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "is_admin", "state", "invited_by", "created_at", "expires_at", "mailed_at"]
        read_only_fields = ["created_at", "expires_at", "mailed_at"]


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    is_admin = serializers.BooleanField(default=False)


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    last_login = serializers.DateTimeField(source="user.last_login", read_only=True, allow_null=True)  # never signed in

    class Meta:
        model = Membership
        fields = ["id", "username", "email", "name", "role", "is_admin", "is_active", "last_login", "created_at"]
        read_only_fields = ["created_at"]


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices, required=False)
    is_admin = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


class OrganizationScopedMixin:
    """Resolves ``self.organization`` before any handler runs: one of the
    person's organizations (staff: any), else 404."""

    organization: Organization

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        pk = kwargs["organization_pk"]
        user = signed_in(request)
        found = Organization.objects.filter(pk=pk).first()
        if found is None or not (user.is_staff or found.pk in organization_ids(user)):
            raise NotFound("No such organization.")
        self.organization = found

    def schema_only(self) -> bool:
        return getattr(self, "swagger_fake_view", False)


@extend_schema(parameters=[ORGANIZATION_PK])
@extend_schema_view(
    list=extend_schema(
        summary="The organization's open invitations (pending and expired)",
        responses={200: OrganizationInvitationSerializer(many=True), **error_responses(404)},
    ),
)
class InvitationViewSet(OrganizationScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Invitation.objects.none()
    serializer_class = OrganizationInvitationSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Invitation]:
        if self.schema_only():
            return Invitation.objects.none()
        return Invitation.objects.open().filter(organization=self.organization).select_related("invited_by")

    def _one(self, pk: int) -> Invitation:
        found = Invitation.objects.filter(organization=self.organization, pk=pk).first()
        if found is None:
            raise NotFound("No such invitation.")
        found.organization = self.organization
        return found

    @extend_schema(
        summary="Invite someone by email (the mail with the link goes out after commit)",
        request=InvitationCreateSerializer,
        responses={201: OrganizationInvitationSerializer, **error_responses(400, 403, 404, 409)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.require_admin(signed_in(request), self.organization.pk)  # 403 before any 400
        check_step_up(request)
        body = InvitationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            actor=signed_in(request), organization=self.organization, **body.validated_data
        )
        return Response(OrganizationInvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Mail a new link (the old one stops working) valid for another 7 days",
        request=None,
        responses={200: OrganizationInvitationSerializer, **error_responses(403, 404, 409)},
    )
    def resend(self, request: Request, pk: int, **kwargs: Any) -> Response:
        invitation = services.invitation_resend(actor=signed_in(request), invitation=self._one(pk))
        return Response(OrganizationInvitationSerializer(invitation).data)

    @extend_schema(
        summary="Revoke an invitation: its link stops working",
        request=None,
        responses={200: OrganizationInvitationSerializer, **error_responses(403, 404, 409)},
    )
    def revoke(self, request: Request, pk: int, **kwargs: Any) -> Response:
        invitation = services.invitation_revoke(actor=signed_in(request), invitation=self._one(pk))
        return Response(OrganizationInvitationSerializer(invitation).data)


@extend_schema(parameters=[ORGANIZATION_PK])
@extend_schema_view(
    list=extend_schema(
        summary="The organization's members", responses={200: MemberSerializer(many=True), **error_responses(404)}
    ),
    retrieve=extend_schema(summary="One member", responses={200: MemberSerializer, **error_responses(404)}),
)
class MemberViewSet(OrganizationScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Membership.objects.none()
    serializer_class = MemberSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Membership]:
        if self.schema_only():
            return Membership.objects.none()
        return services.members_for_list(self.organization)

    @extend_schema(
        summary="Change a member's role, admin flag or active state",
        request=MemberUpdateSerializer,
        responses={200: MemberSerializer, **error_responses(400, 403, 404)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        membership = self.get_object()
        services.require_admin(signed_in(request), self.organization.pk)  # 403 before any 400
        check_step_up(request)
        body = MemberUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.member_update(actor=signed_in(request), membership=membership, **body.validated_data)
        return Response(MemberSerializer(self.get_queryset().get(pk=membership.pk)).data)
