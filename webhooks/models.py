from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.access import administered_organization_ids

# Sent by "Send test event"; not in the catalogue (nobody subscribes to it).
TEST_EVENT = "webhook.test"


class WebhookEndpointQuerySet(models.QuerySet["WebhookEndpoint"]):
    def administered_by(self, user: Any) -> WebhookEndpointQuerySet:
        """The endpoints this person manages: those of the organizations they
        administer (staff: every organization's)."""
        if getattr(user, "is_staff", False):
            return self.all()
        return self.filter(organization_id__in=administered_organization_ids(user))


class WebhookEndpoint(models.Model):
    """Where an organization wants its events POSTed, and how."""

    class Format(models.TextChoices):
        COVENANT = "covenant", "Covenant JSON (signed)"
        SLACK = "slack", "Slack incoming webhook"
        TEAMS = "teams", "Microsoft Teams incoming webhook (Adaptive Card)"

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    name = models.CharField(max_length=100)
    url = models.CharField(max_length=500)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.COVENANT)
    # Catalogue keys (accounts/events.py); empty means every event.
    events = models.JSONField(default=list, blank=True)
    # Fernet token of the signing secret (webhooks/secrets.py says why it is not a hash).
    secret_sealed = models.TextField()
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["organization_id", "name", "pk"]
        indexes = [models.Index(fields=["organization", "is_active"], name="webhook_endpoint_org_active")]

    def __str__(self) -> str:
        return self.name

    def subscribes(self, event: str) -> bool:
        return not self.events or event in self.events


class WebhookDelivery(models.Model):
    """One event for one endpoint, and how sending it went."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    # Stable for one event (derived from the dispatch's arguments): a repeated dispatch finds it.
    event_id = models.CharField(max_length=64)
    event = models.CharField(max_length=80)
    # The Covenant document of the event (the body of the Covenant format; Slack and Teams are built from it).
    payload = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.CharField(max_length=500, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Held by the worker sending it (an optimistic claim): two workers never send it at once.
    claimed_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once")]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
