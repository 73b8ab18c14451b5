from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import Membership


class OrganizationSSOSerializer(serializers.Serializer):
    """An organization's single sign-on as its admins read and replace it.
    The client secret is write-only: reads say only whether one is set."""

    organization = serializers.IntegerField(read_only=True)
    provider_id = serializers.CharField(read_only=True)
    callback_url = serializers.CharField(read_only=True, help_text="Register this redirect URI with the provider.")
    enabled = serializers.BooleanField()
    issuer = serializers.CharField(max_length=300)
    client_id = serializers.CharField(max_length=191)
    client_secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Leave out (or blank) to keep the stored secret.",
    )
    client_secret_set = serializers.BooleanField(read_only=True)
    allowed_domains = serializers.ListField(child=serializers.CharField(max_length=253), max_length=100)
    default_role = serializers.ChoiceField(choices=Membership.Role.choices)
    passwords_disabled = serializers.BooleanField()
    created_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return dict(super().to_representation(instance))
