"""``/api/organizations/{id}/sso/``: an organization's single sign-on, read
and replaced by its admins. Another organization's is a 404; a member who is
not an admin gets a 403."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import is_organization_admin, organization_ids
from accounts.http import signed_in
from accounts.identity.stepup import check_api
from accounts.models import Organization
from accounts.sso import services
from accounts.sso.models import PROVIDER_PREFIX, OrganizationSSO
from accounts.sso.serializers import OrganizationSSOSerializer
from core.api import error_responses
from core.errors import NotPermitted

PK = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The organization's id.")


class OrganizationSSOView(GenericAPIView):
    queryset = OrganizationSSO.objects.none()
    serializer_class = OrganizationSSOSerializer
    pagination_class = None
    filter_backends: list = []

    def _organization(self) -> Organization:
        user = signed_in(self.request)
        pk = self.kwargs["pk"]
        if not user.is_staff and pk not in organization_ids(user):
            raise NotFound("No such organization.")
        organization = Organization.objects.filter(pk=pk).first()
        if organization is None:
            raise NotFound("No such organization.")
        if not is_organization_admin(user, organization.pk):
            raise NotPermitted(f"Only the admins of {organization} see and configure its single sign-on.")
        return organization

    def _body(self, organization: Organization) -> dict[str, Any]:
        config = OrganizationSSO.objects.filter(organization=organization).prefetch_related("domains").first()
        provider_id = config.provider_id if config else f"{PROVIDER_PREFIX}{organization.slug}"
        values: dict[str, Any] = {
            "organization": organization.pk,
            "provider_id": provider_id,
            "callback_url": self.request.build_absolute_uri(
                reverse("sso:callback", kwargs={"provider_id": provider_id})
            ),
            "enabled": config.enabled if config else False,
            "issuer": config.issuer if config else "",
            "client_id": config.client_id if config else "",
            "client_secret_set": config.client_secret_set if config else False,
            "allowed_domains": config.allowed_domains if config else [],
            "default_role": config.default_role if config else "viewer",
            "passwords_disabled": config.passwords_disabled if config else False,
            "created_at": config.created_at if config else None,
            "updated_at": config.updated_at if config else None,
        }
        return OrganizationSSOSerializer(values).data

    @extend_schema(
        summary="The organization's single sign-on",
        parameters=[PK],
        responses={200: OrganizationSSOSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._body(self._organization()))

    @extend_schema(
        summary="Configure the organization's single sign-on",
        description="Replaces the configuration. Organization admins, after a recent sign-in (step-up). "
        "Domains belong to one organization only; `passwords_disabled` needs `enabled`.",
        parameters=[PK],
        request=OrganizationSSOSerializer,
        responses={200: OrganizationSSOSerializer, **error_responses(400, 403, 404)},
    )
    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        organization = self._organization()
        check_api(request)
        serializer = OrganizationSSOSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.sso_configure(
            actor=signed_in(request),
            organization=organization,
            issuer=data["issuer"],
            client_id=data["client_id"],
            client_secret=data.get("client_secret") or None,
            allowed_domains=data["allowed_domains"],
            default_role=data["default_role"],
            passwords_disabled=data["passwords_disabled"],
            enabled=data["enabled"],
        )
        return Response(self._body(organization))
