from __future__ import annotations

from rest_framework import serializers

from core.api import enum_field
from webhooks.models import WebhookDelivery, WebhookEndpoint

FormatField = enum_field("WebhookFormat", WebhookEndpoint.Format.choices)
DeliveryStatusField = enum_field("WebhookDeliveryStatus", WebhookDelivery.Status.choices)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An endpoint as its organization's admins see it: never the secret."""

    format = FormatField(choices=WebhookEndpoint.Format.choices, read_only=True)
    events = serializers.ListField(
        child=serializers.CharField(), help_text="Catalogue keys it receives; empty: every event."
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "organization", "name", "url", "format", "events", "is_active", "created_at", "deactivated_at"]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text="The signing secret, shown this once; only an encrypted copy is kept.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(serializers.Serializer):
    """The body of create (all but ``organization`` required) and of PATCH
    (any subset but ``organization``). The service checks the URL rule and
    the event keys."""

    organization = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Needed only by people who administer several organizations.",
    )
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(max_length=500, help_text="https:// (http://localhost only in development).")
    format = FormatField(choices=WebhookEndpoint.Format.choices, default=WebhookEndpoint.Format.COVENANT)
    events = serializers.ListField(
        child=serializers.CharField(max_length=80),
        max_length=200,
        required=False,
        default=list,
        help_text="Catalogue keys (accounts/events.py); empty or absent: every event.",
    )


class WebhookDeliverySerializer(serializers.ModelSerializer):
    status = DeliveryStatusField(choices=WebhookDelivery.Status.choices, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event_id",
            "event",
            "status",
            "attempts",
            "response_code",
            "response_body",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "payload",
        ]
        read_only_fields = fields


class WebhookEndpointUpdateSerializer(WebhookEndpointInputSerializer):
    organization = None  # type: ignore[assignment]  # an endpoint stays with its organization
